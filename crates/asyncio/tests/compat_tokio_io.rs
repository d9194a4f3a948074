//! tokio's I/O traits on asyncio-rs streams: tokio's own helpers drive them on our loop.

use asyncio::compat::TokioIo;
use asyncio::net::{TcpListener, TcpStream};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[asyncio::test]
async fn tokio_helpers_drive_asyncio_sockets() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let server = asyncio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        let mut lines = BufReader::new(s).lines();
        let mut got = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            got.push(line);
        }
        got
    });
    let mut c = TcpStream::connect(addr).await.unwrap();
    AsyncWriteExt::write_all(&mut c, b"first\nsecond\n")
        .await
        .unwrap();
    AsyncWriteExt::shutdown(&mut c).await.unwrap();
    assert_eq!(server.await.unwrap(), ["first", "second"]);
}

#[asyncio::test]
async fn tokio_io_wraps_any_futures_io_stream() {
    let (a, b) = asyncio::net::UnixStream::pair().unwrap();
    let mut a = TokioIo(asyncio::streams::StreamReader::new(a));
    b.write_all(b"through a StreamReader").await.unwrap();
    drop(b);
    let mut s = String::new();
    a.read_to_string(&mut s).await.unwrap();
    assert_eq!(s, "through a StreamReader");
}
