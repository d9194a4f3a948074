//! asyncio's streams: the reader's shaped reads, the writer's flow control, servers and their
//! shutdown.

use std::io::ErrorKind;
use std::time::Duration;

use asyncio::net::{TcpListener, TcpStream, UnixStream};
use asyncio::streams::{
    open_connection, start_server, start_unix_server, ReadError, StreamReader, StreamWriter,
};

#[asyncio::test]
async fn reader_shapes_lines_exact_reads_and_separators() {
    let (a, b) = UnixStream::pair().unwrap();
    b.write_all(b"one\ntwo\r\nthree;four|rest").await.unwrap();
    drop(b);
    let mut r = StreamReader::new(a);
    assert_eq!(r.readline().await.unwrap(), b"one\n");
    assert_eq!(r.readuntil(b"\r\n").await.unwrap(), b"two\r\n");
    assert_eq!(
        r.readuntil_any(&[b"|", b";"]).await.unwrap(),
        b"three;".to_vec()
    );
    assert_eq!(r.read(3).await.unwrap(), b"fou");
    assert_eq!(r.readexactly(2).await.unwrap(), b"r|");
    match r.readexactly(10).await {
        Err(ReadError::Incomplete { partial, expected }) => {
            assert_eq!(partial, b"rest");
            assert_eq!(expected, Some(10));
        }
        other => panic!("{other:?}"),
    }
    assert!(r.at_eof());
    assert_eq!(r.readline().await.unwrap(), b"");
    assert!(r.read(5).await.unwrap().is_empty());
}

#[asyncio::test]
async fn readuntil_without_separator_at_eof_returns_the_rest_as_partial() {
    let (a, b) = UnixStream::pair().unwrap();
    b.write_all(b"no separator here").await.unwrap();
    drop(b);
    let mut r = StreamReader::new(a);
    match r.readuntil(b"\n\n").await {
        Err(ReadError::Incomplete { partial, expected }) => {
            assert_eq!(partial, b"no separator here");
            assert_eq!(expected, None);
        }
        other => panic!("{other:?}"),
    }
    // Converts to an io::Error of kind UnexpectedEof for `?` in I/O code.
    let e: std::io::Error = ReadError::Incomplete {
        partial: vec![],
        expected: Some(1),
    }
    .into();
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
}

#[asyncio::test]
async fn limit_overrun_keeps_the_data_buffered() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut r = StreamReader::with_limit(a, 16);
    let line = [b'x'; 40];
    b.write_all(&line).await.unwrap();
    b.write_all(b"\nshort\n").await.unwrap();
    match r.readline().await {
        Err(ReadError::LimitOverrun { consumed }) => assert!(consumed > 16, "{consumed}"),
        other => panic!("{other:?}"),
    }
    // Nothing was lost: the long line can still be read in pieces, and the next line parses.
    let mut got = Vec::new();
    while got.len() < 41 {
        got.extend(r.read(41 - got.len()).await.unwrap());
    }
    assert_eq!(&got[..40], &line[..]);
    assert_eq!(r.readline().await.unwrap(), b"short\n");
}

#[asyncio::test]
async fn a_separator_split_across_reads_is_found() {
    let (a, b) = UnixStream::pair().unwrap();
    let reader = asyncio::spawn(async move {
        let mut r = StreamReader::new(a);
        r.readuntil(b"\r\n\r\n").await.unwrap()
    });
    for piece in [&b"head\r"[..], b"\n", b"\r", b"\nafter"] {
        b.write_all(piece).await.unwrap();
        asyncio::time::yield_now().await;
    }
    assert_eq!(reader.await.unwrap(), b"head\r\n\r\n");
}

#[asyncio::test]
async fn drain_waits_above_the_high_water_mark_until_the_peer_reads() {
    let (a, b) = UnixStream::pair().unwrap();
    let w = StreamWriter::new(a);
    w.set_write_buffer_limits(64 * 1024, None);
    let chunk = vec![7u8; 1024 * 1024];
    w.write(&chunk).unwrap();
    assert!(
        w.write_buffer_size() > 64 * 1024,
        "the socket cannot take 1 MiB at once"
    );
    let w2 = w.clone();
    let drained = asyncio::spawn(async move { w2.drain().await });
    for _ in 0..5 {
        asyncio::time::yield_now().await;
    }
    assert!(
        !drained.task().is_done(),
        "drain must wait while the peer reads nothing"
    );
    // Read everything: the background flush sends the rest and drain returns.
    let mut r = StreamReader::new(b);
    let got = r.readexactly(chunk.len()).await.unwrap();
    assert!(got == chunk);
    drained.await.unwrap().unwrap();
    assert_eq!(w.write_buffer_size(), 0);
}

#[asyncio::test]
async fn write_eof_flushes_first_and_the_reverse_direction_stays_open() {
    let (a, b) = UnixStream::pair().unwrap();
    let (ra, wa) = asyncio::io::split(a);
    let w = StreamWriter::new(wa);
    let big = vec![1u8; 512 * 1024];
    w.write(&big).unwrap();
    w.write_eof();
    assert!(w.write(b"late").is_err());
    let mut rb = StreamReader::new(&b);
    let got = rb.read_to_end().await.unwrap();
    assert_eq!(got.len(), big.len());
    b.write_all(b"still here").await.unwrap();
    let mut ra = StreamReader::new(ra);
    assert_eq!(ra.readexactly(10).await.unwrap(), b"still here");
}

#[asyncio::test]
async fn writes_to_a_reset_peer_report_the_error() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (_, w) = open_connection(l.local_addr().unwrap()).await.unwrap();
    let (s, _) = l.accept().await.unwrap();
    s.set_linger(Some(Duration::ZERO)).unwrap();
    drop(s);
    let mut error = None;
    for _ in 0..100 {
        let r = match w.write(&[0u8; 64 * 1024]) {
            Ok(()) => w.drain().await,
            Err(e) => Err(e),
        };
        if let Err(e) = r {
            error = Some(e);
            break;
        }
        asyncio::time::yield_now().await;
    }
    let e = error.expect("the reset reaches the writer");
    assert!(
        matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe),
        "{e:?}"
    );
    assert!(w.wait_closed().await.is_err());
}

#[asyncio::test]
async fn server_echoes_and_close_stops_accepting_but_lets_handlers_finish() {
    let release = asyncio::sync::Event::new();
    let r2 = release.clone();
    let server = start_server(
        move |mut r, w| {
            let release = r2.clone();
            async move {
                let line = r.readline().await.unwrap();
                release.wait().await;
                w.write(&line).unwrap();
                w.close();
                w.wait_closed().await.unwrap();
            }
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    let (mut r, w) = open_connection(addr).await.unwrap();
    w.write(b"hello\n").unwrap();
    while server.client_count() == 0 {
        asyncio::time::yield_now().await;
    }
    server.close();
    assert!(!server.is_serving());
    let refused = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    let waiter = {
        let s = server.clone();
        asyncio::spawn(async move { s.wait_closed().await })
    };
    asyncio::time::yield_now().await;
    assert!(!waiter.task().is_done(), "a handler is still running");
    release.set();
    assert_eq!(r.readline().await.unwrap(), b"hello\n");
    waiter.await.unwrap();
    assert_eq!(server.client_count(), 0);
}

#[asyncio::test]
async fn close_clients_gives_handlers_eof_and_abort_cancels_them() {
    let server = start_server(
        |mut r, _w| async move {
            // Waits for a line that never comes; close_clients ends it with EOF.
            let line = r.readline().await.unwrap_or_default();
            assert!(line.is_empty());
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    let _c1 = open_connection(addr).await.unwrap();
    let _c2 = open_connection(addr).await.unwrap();
    while server.client_count() < 2 {
        asyncio::time::yield_now().await;
    }
    server.close_clients();
    server.close();
    server.wait_closed().await;

    let stuck = start_server(
        |_r, _w| async move { std::future::pending::<()>().await },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let (mut cr, _cw) = open_connection(stuck.local_addr().unwrap()).await.unwrap();
    while stuck.client_count() < 1 {
        asyncio::time::yield_now().await;
    }
    let cancelled = stuck.shutdown(Duration::from_millis(20)).await;
    assert_eq!(cancelled, 1);
    assert_eq!(stuck.client_count(), 0);
    // The client sees the connection end.
    let end = cr.read(10).await;
    assert!(matches!(&end, Ok(v) if v.is_empty()) || end.is_err());
}

#[asyncio::test]
async fn unix_server_and_connection() {
    let path = std::env::temp_dir().join(format!("asyncio-streams-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = start_unix_server(
        |mut r, w| async move {
            let n = r.readexactly(4).await.unwrap();
            w.write(&n.iter().rev().copied().collect::<Vec<_>>())
                .unwrap();
        },
        &path,
    )
    .unwrap();
    let (mut r, w) = asyncio::streams::open_unix_connection(&path).await.unwrap();
    w.write(b"abcd").unwrap();
    assert_eq!(r.readexactly(4).await.unwrap(), b"dcba");
    server.close();
    server.wait_closed().await;
    let _ = std::fs::remove_file(&path);
}

#[asyncio::test]
async fn a_panicking_handler_does_not_stop_the_server() {
    let lp = asyncio::get_running_loop();
    lp.set_exception_handler(|_, _| {});
    let server = start_server(
        |mut r, w| async move {
            let line = r.readline().await.unwrap();
            if line == b"panic\n" {
                panic!("handler failed");
            }
            w.write(&line).unwrap();
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    let (mut r1, w1) = open_connection(addr).await.unwrap();
    w1.write(b"panic\n").unwrap();
    assert!(r1.read(10).await.map_or(true, |v| v.is_empty()));
    let (mut r2, w2) = open_connection(addr).await.unwrap();
    w2.write(b"fine\n").unwrap();
    assert_eq!(r2.readline().await.unwrap(), b"fine\n");
}

#[asyncio::test]
async fn stream_writer_is_a_futures_io_writer_with_backpressure() {
    use asyncio::io::AsyncWriteExt;
    let (a, b) = UnixStream::pair().unwrap();
    let mut w = StreamWriter::new(a);
    w.set_write_buffer_limits(16 * 1024, None);
    let data = vec![3u8; 2 * 1024 * 1024];
    let reader = asyncio::spawn(async move {
        let mut r = StreamReader::new(b);
        r.read_to_end().await.unwrap()
    });
    // `write_all` through the trait waits whenever the buffer is above the mark.
    for chunk in data.chunks(100 * 1024) {
        AsyncWriteExt::write_all(&mut w, chunk).await.unwrap();
        assert!(w.write_buffer_size() <= 16 * 1024 + 100 * 1024);
    }
    AsyncWriteExt::flush(&mut w).await.unwrap();
    assert_eq!(w.write_buffer_size(), 0);
    AsyncWriteExt::close(&mut w).await.unwrap();
    assert!(reader.await.unwrap() == data);
}
