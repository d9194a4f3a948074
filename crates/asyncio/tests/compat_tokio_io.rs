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

/// A socket read into tokio's buffer writes only the bytes that arrived: the rest of the
/// buffer is not zero-filled (a codec hands a fresh `ReadBuf` over its whole spare capacity to
/// every read, so a zero fill there costs a `memset` of all of it per read).
#[asyncio::test]
async fn a_socket_read_into_tokio_s_buffer_writes_only_what_arrived() {
    use std::mem::MaybeUninit;

    let (mut a, b) = asyncio::net::UnixStream::pair().unwrap();
    b.write_all(b"hello").await.unwrap();
    // Initialised by us with a mark, then handed over as if uninitialised.
    let mut storage = [MaybeUninit::new(0xAAu8); 64];
    let mut buf = tokio::io::ReadBuf::uninit(&mut storage);
    std::future::poll_fn(|cx| {
        tokio::io::AsyncRead::poll_read(std::pin::Pin::new(&mut a), cx, &mut buf)
    })
    .await
    .unwrap();
    assert_eq!(buf.filled(), b"hello");
    assert_eq!(
        buf.initialized().len(),
        5,
        "only the bytes read are initialised"
    );
    // SAFETY: every byte of `storage` was initialised above (the mark), and the read wrote
    // only initialised bytes.
    let rest: Vec<u8> = storage[5..]
        .iter()
        .map(|b| unsafe { b.assume_init() })
        .collect();
    assert!(rest.iter().all(|&b| b == 0xAA), "the rest was overwritten");
}
