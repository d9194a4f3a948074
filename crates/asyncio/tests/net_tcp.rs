//! TCP sockets: connect/accept, echo, half-close, resets, refused connections, options.

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use asyncio::io::{AsyncReadExt, AsyncWriteExt};
use asyncio::net::{TcpListener, TcpSocket, TcpStream};

async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

#[asyncio::test]
async fn echo_round_trips_over_many_connections() {
    let (l, addr) = listener().await;
    let server = asyncio::spawn(async move {
        for _ in 0..20 {
            let (s, _) = l.accept().await.unwrap();
            asyncio::spawn(async move {
                let mut buf = [0u8; 1024];
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    s.write_all(&buf[..n]).await.unwrap();
                }
            });
        }
    });
    let mut clients = Vec::new();
    for i in 0..20u8 {
        clients.push(asyncio::spawn(async move {
            let s = TcpStream::connect(addr).await.unwrap();
            for round in 0..50u8 {
                let msg = [i, round, 7, 9];
                s.write_all(&msg).await.unwrap();
                let mut back = [0u8; 4];
                s.read_exact(&mut back).await.unwrap();
                assert_eq!(back, msg);
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    server.await.unwrap();
}

#[asyncio::test]
async fn large_transfer_arrives_whole_through_backpressure() {
    let (l, addr) = listener().await;
    let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let expected = data.clone();
    let writer = asyncio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&data).await.unwrap();
        s.close().await.unwrap();
    });
    let (mut s, _) = l.accept().await.unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
    writer.await.unwrap();
}

#[asyncio::test]
async fn half_close_gives_eof_and_the_other_way_still_works() {
    let (l, addr) = listener().await;
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, peer) = l.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    client.write_all(b"last words").await.unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    (&server).read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"last words");
    server.write_all(b"reply").await.unwrap();
    drop(server);
    let mut reply = Vec::new();
    (&client).read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, b"reply");
}

#[asyncio::test]
async fn reset_peer_is_an_error_and_write_after_close_is_epipe_not_sigpipe() {
    let (l, addr) = listener().await;
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = l.accept().await.unwrap();
    // Linger 0 makes close send RST.
    server.set_linger(Some(Duration::ZERO)).unwrap();
    drop(server);
    client.readable().await.unwrap();
    let mut buf = [0u8; 16];
    let err = client.read(&mut buf).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    // Writing to a reset connection: an error, and the process is still alive to see it.
    let mut failed = None;
    for _ in 0..10 {
        if let Err(e) = client.write_all(&[0u8; 65536]).await {
            failed = Some(e);
            break;
        }
    }
    let e = failed.expect("writes to a reset peer fail");
    assert!(
        matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
        "{e:?}"
    );
}

#[asyncio::test]
async fn refused_connection_names_the_address() {
    // Bind, learn the port, close: nothing listens there now.
    let addr = {
        let (l, addr) = listener().await;
        drop(l);
        addr
    };
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[asyncio::test]
async fn happy_eyeballs_skips_dead_addresses() {
    let (l, good) = listener().await;
    let dead = {
        let (l2, a) = listener().await;
        drop(l2);
        a
    };
    let addrs = [dead, dead, good];
    let accept = asyncio::spawn(async move { l.accept().await.map(|(_, a)| a) });
    let s = TcpStream::connect(&addrs[..]).await.unwrap();
    assert_eq!(s.peer_addr().unwrap(), good);
    assert_eq!(accept.await.unwrap().unwrap(), s.local_addr().unwrap());

    let err = TcpStream::connect(&[dead, dead][..]).await.unwrap_err();
    assert!(
        err.to_string().contains("all connection attempts failed"),
        "{err}"
    );
}

#[asyncio::test]
async fn connect_by_name_resolves_localhost() {
    let (l, addr) = listener().await;
    let accept = asyncio::spawn(async move { l.accept().await.unwrap().1 });
    let s = TcpStream::connect(("localhost", addr.port()))
        .await
        .unwrap();
    assert_eq!(accept.await.unwrap(), s.local_addr().unwrap());
}

#[asyncio::test]
async fn split_halves_work_in_two_tasks_and_reunite() {
    let (l, addr) = listener().await;
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = l.accept().await.unwrap();
    let (r, w) = server.into_split();
    let reader = asyncio::spawn(async move {
        let mut buf = [0u8; 5];
        r.stream().read_exact(&mut buf).await.unwrap();
        (r, buf)
    });
    let writer = asyncio::spawn(async move {
        w.stream().write_all(b"hello").await.unwrap();
        w
    });
    client.write_all(b"world").await.unwrap();
    let (r, buf) = reader.await.unwrap();
    let w = writer.await.unwrap();
    assert_eq!(&buf, b"world");
    let mut got = [0u8; 5];
    client.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"hello");
    let server = r.reunite(w).unwrap();
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
}

#[asyncio::test]
async fn socket_options_apply() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.set_reuseport(true).unwrap();
    socket.set_send_buffer_size(1 << 16).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let l = socket.listen(16).unwrap();
    let addr = l.local_addr().unwrap();
    // A second socket with SO_REUSEPORT shares the port.
    let second = TcpSocket::new_v4().unwrap();
    second.set_reuseport(true).unwrap();
    second.set_reuseaddr(true).unwrap();
    second.bind(addr).unwrap();
    let _l2 = second.listen(16).unwrap();

    let s = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    assert!(s.nodelay().unwrap());
    s.set_keepalive(Some(Duration::from_secs(30))).unwrap();
    assert!(s.socket().keepalive().unwrap());
    s.set_linger(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(s.socket().linger().unwrap(), Some(Duration::from_secs(1)));
}

#[asyncio::test]
async fn dropping_sockets_deregisters_them() {
    let lp = asyncio::get_running_loop();
    let before = lp.io_source_count();
    {
        let (l, addr) = listener().await;
        let c = TcpStream::connect(addr).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        assert_eq!(lp.io_source_count(), before + 3);
        drop((c, s));
    }
    assert_eq!(lp.io_source_count(), before);
}

#[asyncio::test]
async fn cancelled_read_loses_no_data() {
    let (l, addr) = listener().await;
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = l.accept().await.unwrap();
    // A read that times out before data arrives is dropped: nothing was consumed.
    let mut buf = [0u8; 8];
    let r = asyncio::time::timeout(Duration::from_millis(5), server.read(&mut buf)).await;
    assert!(r.is_err());
    client.write_all(b"kept").await.unwrap();
    let n = server.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"kept");
}

#[test]
fn sockets_need_a_running_loop() {
    let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = TcpListener::from_std(std).unwrap_err();
    assert!(err.to_string().contains("no running event loop"), "{err}");
}
