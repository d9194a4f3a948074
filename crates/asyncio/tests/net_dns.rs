//! Name resolution: literal addresses skip the resolver, answers are cached, errors name the
//! host.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use asyncio::net::{lookup_host, Resolver, ToSocketAddrs};

#[asyncio::test]
async fn literals_and_names_resolve() {
    let a: Vec<SocketAddr> = ("127.0.0.1", 80).to_socket_addrs().await.unwrap();
    assert_eq!(a, ["127.0.0.1:80".parse().unwrap()]);
    let b = "[::1]:443".to_socket_addrs().await.unwrap();
    assert_eq!(b, ["[::1]:443".parse().unwrap()]);
    let c = ("[::1]", 8).to_socket_addrs().await.unwrap();
    assert_eq!(c, ["[::1]:8".parse().unwrap()]);
    let local = lookup_host("localhost", 8080).await.unwrap();
    assert!(!local.is_empty());
    assert!(local
        .iter()
        .all(|a| a.ip().is_loopback() && a.port() == 8080));
}

#[asyncio::test]
async fn malformed_addresses_are_invalid_input() {
    let e = "no-port-here".to_socket_addrs().await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("no-port-here"), "{e}");
    let e = "host:notaport".to_socket_addrs().await.unwrap_err();
    assert!(e.to_string().contains("invalid port"), "{e}");
}

#[asyncio::test]
async fn unknown_names_fail_with_the_name_in_the_error() {
    let e = lookup_host("nonexistent.invalid", 80).await.unwrap_err();
    assert!(e.to_string().contains("nonexistent.invalid"), "{e}");
}

#[asyncio::test]
async fn concurrent_lookups_share_one_answer_and_the_cache_serves_the_next() {
    let r = Resolver::new(Duration::from_secs(60));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let r = r.clone();
            asyncio::spawn(async move { r.lookup("localhost", 1000 + i).await.unwrap() })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let addrs = t.await.unwrap();
        assert!(addrs.iter().all(|a| a.port() == 1000 + i as u16));
    }
    assert!(format!("{r:?}").contains("cached: 1"), "{r:?}");
    // Cached: answered without waiting on the pool (no await point is reached).
    let mut fut = std::pin::pin!(r.lookup("localhost", 1));
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    assert!(fut.as_mut().poll(&mut cx).is_ready());
    r.clear();
    assert!(format!("{r:?}").contains("cached: 0"), "{r:?}");
}
