//! The router server on every loop of a `Runtime` (`serve_on` takes the runtime's
//! `LoopListener`), answered from both loops.

use std::io::{Read, Write};

use asyncio_http::server::{serve_on, Response, Router};

#[test]
fn the_router_serves_from_every_loop_of_a_runtime() {
    let rt = asyncio::Runtime::builder().loops(2).build().unwrap();
    let handle = rt.handle();
    let per_loop = rt.block_on(async move {
        let group = handle
            .serve("127.0.0.1:0".parse().unwrap(), |listener| {
                let router = Router::new().get("/", |_| async {
                    let i = asyncio::cores::current_loop_index().unwrap();
                    Response::text(format!("loop {i}"))
                });
                serve_on(vec![listener], router)
            })
            .await
            .unwrap();
        let addr = group.local_addr();
        let per_loop = asyncio::blocking::to_thread(move || {
            let mut per_loop = [0usize; 2];
            for _ in 0..64 {
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                c.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                    .unwrap();
                let mut resp = String::new();
                c.read_to_string(&mut resp).unwrap();
                assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
                let i: usize = resp.trim_end().rsplit(' ').next().unwrap().parse().unwrap();
                per_loop[i] += 1;
            }
            per_loop
        })
        .await
        .unwrap();
        assert_eq!(group.shutdown(std::time::Duration::from_secs(1)).await, 0);
        per_loop
    });
    // 64 connections hashed over two SO_REUSEPORT sockets: one loop getting none has a
    // chance of 2^-63.
    assert!(per_loop.iter().all(|&n| n > 0), "{per_loop:?}");
    rt.shutdown(std::time::Duration::from_secs(1)).unwrap();
}
