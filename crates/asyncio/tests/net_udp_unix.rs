//! UDP and Unix-domain sockets, and raw descriptors through `AsyncFd` and `add_reader`.

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;

use asyncio::io::{AsyncFd, AsyncReadExt, Interest};
use asyncio::net::{UdpSocket, UnixDatagram, UnixListener, UnixStream};

#[asyncio::test]
async fn udp_connected_and_unconnected() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    for i in 0..100u8 {
        a.send_to(&[i; 3], ba).await.unwrap();
    }
    let mut buf = [0u8; 16];
    for i in 0..100u8 {
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&[i; 3][..], aa));
    }
    b.connect(aa).await.unwrap();
    b.send(b"back").await.unwrap();
    let n = a.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"back");
}

#[asyncio::test]
async fn udp_receivers_in_two_tasks_both_get_woken() {
    let server = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = server.local_addr().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let s = server.clone();
        tasks.push(asyncio::spawn(async move {
            let mut buf = [0u8; 8];
            s.recv_from(&mut buf).await.unwrap().0
        }));
    }
    asyncio::time::yield_now().await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client.send_to(b"one", addr).await.unwrap();
    client.send_to(b"two", addr).await.unwrap();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 3);
    }
}

#[asyncio::test]
async fn unix_stream_and_listener() {
    let dir = tempdir();
    let path = dir.join("sock");
    let l = UnixListener::bind(&path).unwrap();
    let p2 = path.clone();
    let client = asyncio::spawn(async move {
        let s = UnixStream::connect(&p2).await.unwrap();
        s.write_all(b"over unix").await.unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut back = Vec::new();
        (&s).read_to_end(&mut back).await.unwrap();
        back
    });
    let (s, _) = l.accept().await.unwrap();
    let mut got = Vec::new();
    (&s).read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"over unix");
    s.write_all(b"ok").await.unwrap();
    drop(s);
    assert_eq!(client.await.unwrap(), b"ok");
    let err = UnixStream::connect(dir.join("missing")).await.unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[asyncio::test]
async fn unix_write_to_closed_peer_is_an_error() {
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let e = a.write_all(b"anyone?").await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
}

#[asyncio::test]
async fn unix_datagrams() {
    let (a, b) = UnixDatagram::pair().unwrap();
    a.send(b"dgram").await.unwrap();
    let mut buf = [0u8; 8];
    let n = b.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"dgram");
}

#[asyncio::test]
async fn async_fd_waits_for_readiness() {
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let fd = AsyncFd::new(a).unwrap();
    let reader = asyncio::spawn(async move {
        let mut buf = [0u8; 4];
        let n = fd
            .async_io(Interest::Readable, |mut s| s.read(&mut buf))
            .await
            .unwrap();
        buf[..n].to_vec()
    });
    asyncio::time::yield_now().await;
    assert!(!reader.task().is_done());
    b.write_all(b"data").unwrap();
    assert_eq!(reader.await.unwrap(), b"data");
}

#[asyncio::test]
async fn a_ready_callback_runs_while_ready_until_would_block_and_not_once_removed() {
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let fd = Rc::new(AsyncFd::new(a).unwrap());
    let runs = Rc::new(Cell::new(0));
    let got = Rc::new(std::cell::RefCell::new(Vec::new()));
    let (f, r, g) = (Rc::downgrade(&fd), runs.clone(), got.clone());
    // One byte per turn: the descriptor stays ready until a read says `WouldBlock`.
    fd.set_ready_callback(
        Interest::Readable,
        Some(Rc::new(move || {
            r.set(r.get() + 1);
            let fd = f.upgrade().unwrap();
            let mut byte = [0u8; 1];
            if let Ok(1) = fd.try_io(Interest::Readable, |mut s| s.read(&mut byte)) {
                g.borrow_mut().push(byte[0]);
            }
        })),
    );
    // A new registration counts as ready: the first turn finds nothing and clears it.
    asyncio::time::yield_now().await;
    assert_eq!((runs.get(), got.borrow().len()), (1, 0));
    for _ in 0..3 {
        asyncio::time::yield_now().await;
    }
    assert_eq!(runs.get(), 1, "not ready: no turn");

    b.write_all(b"xyz").unwrap();
    while got.borrow().len() < 3 {
        asyncio::time::yield_now().await;
    }
    assert_eq!(&got.borrow()[..], b"xyz");
    assert_eq!(
        runs.get(),
        4,
        "one turn per byte: one per iteration while ready"
    );
    asyncio::time::yield_now().await;
    assert_eq!(runs.get(), 5, "the next turn reads `WouldBlock`");
    for _ in 0..3 {
        asyncio::time::yield_now().await;
    }
    assert_eq!(runs.get(), 5, "and ends the readiness");

    fd.set_ready_callback(Interest::Readable, None);
    b.write_all(b"w").unwrap();
    // Wait for the event by other means: a task on the same descriptor.
    fd.ready(Interest::Readable).await;
    for _ in 0..3 {
        asyncio::time::yield_now().await;
    }
    assert_eq!(runs.get(), 5, "a removed callback does not run");
}

#[asyncio::test]
async fn add_reader_is_level_triggered_until_removed() {
    use std::os::fd::AsRawFd;
    let lp = asyncio::get_running_loop();
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let a = Rc::new(a);
    let calls = Rc::new(Cell::new(0));
    let done = asyncio::sync::Event::new();
    let (c, a2, d) = (calls.clone(), a.clone(), done.clone());
    lp.add_reader(a.as_raw_fd(), move || {
        c.set(c.get() + 1);
        // Read one byte per call: with three bytes waiting, three calls follow one edge.
        let mut one = [0u8; 1];
        let _ = (&*a2).read(&mut one);
        if c.get() == 3 {
            d.set();
        }
    })
    .unwrap();
    b.write_all(b"xyz").unwrap();
    done.wait().await;
    assert!(lp.remove_reader(a.as_raw_fd()));
    assert!(!lp.remove_reader(a.as_raw_fd()));
    b.write_all(b"more").unwrap();
    for _ in 0..5 {
        asyncio::time::yield_now().await;
    }
    assert_eq!(calls.get(), 3);
}

/// As asyncio's: a reader whose callback fails is reported to the exception handler and
/// stays watched; a callback may replace itself, and the new one takes the next turn.
#[asyncio::test]
async fn a_failing_reader_stays_watched_and_a_reader_may_replace_itself() {
    use std::os::fd::AsRawFd;
    let lp = asyncio::get_running_loop();
    let reported = Rc::new(Cell::new(0));
    let r = reported.clone();
    lp.set_exception_handler(move |_, _| {
        r.set(r.get() + 1);
    });
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let a = Rc::new(a);
    let fd = a.as_raw_fd();
    let (first, second) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let done = asyncio::sync::Event::new();
    let (f, s2, a2, d, lp2) = (
        first.clone(),
        second.clone(),
        a.clone(),
        done.clone(),
        lp.clone(),
    );
    lp.add_reader(fd, move || {
        f.set(f.get() + 1);
        let mut one = [0u8; 1];
        let _ = (&*a2).read(&mut one);
        if f.get() == 1 {
            panic!("the first byte fails");
        }
        // The second call replaces this reader with one that reads the rest.
        let (s3, a3, d2) = (s2.clone(), a2.clone(), d.clone());
        lp2.add_reader(fd, move || {
            s3.set(s3.get() + 1);
            let mut one = [0u8; 1];
            let _ = (&*a3).read(&mut one);
            if s3.get() == 2 {
                d2.set();
            }
        })
        .unwrap();
    })
    .unwrap();
    b.write_all(b"wxyz").unwrap();
    // The bound only turns a stopped reader into a failure instead of a hang.
    let finished = asyncio::time::timeout(std::time::Duration::from_secs(10), done.wait()).await;
    assert!(
        finished.is_ok(),
        "the reader stopped after {} calls",
        first.get()
    );
    assert_eq!(reported.get(), 1, "the panic reached the exception handler");
    assert_eq!(
        first.get(),
        2,
        "the reader ran again after its failure, then was replaced"
    );
    assert_eq!(second.get(), 2);
    assert!(lp.remove_reader(fd));
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "asyncio-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn fd_watchers_register_before_the_loop_runs_and_keep_nothing_open() {
    use std::os::fd::AsRawFd;
    let lp = asyncio::EventLoop::new();
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let fd = a.as_raw_fd();
    let (reads, writes) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    // Both directions of one descriptor, added while the loop is not running.
    let r = reads.clone();
    lp.add_reader(fd, move || {
        // The callback holds no handle of the socket: it reads the descriptor itself.
        let mut one = [0u8; 1];
        // SAFETY: `fd` is open while watched (the test closes it after remove_reader); the
        // buffer is valid for one byte.
        let n = unsafe { libc::read(fd, one.as_mut_ptr().cast(), 1) };
        if n == 1 {
            r.set(r.get() + 1);
        }
    })
    .unwrap();
    let (w, lp2) = (writes.clone(), lp.clone());
    lp.add_writer(fd, move || {
        w.set(w.get() + 1);
        lp2.remove_writer(fd);
    })
    .unwrap();
    b.write_all(b"x").unwrap();
    lp.run_until_complete(async {
        for _ in 0..1000 {
            if reads.get() == 1 && writes.get() == 1 {
                return;
            }
            asyncio::time::yield_now().await;
        }
        panic!("reads {} writes {}", reads.get(), writes.get());
    });
    assert!(lp.remove_reader(fd));
    // Nothing of the loop's holds the socket open: closing it is the peer's end of file at
    // once, with the loop not running.
    drop(a);
    let mut buf = [0u8; 1];
    b.set_nonblocking(true).unwrap();
    assert_eq!(b.read(&mut buf).unwrap(), 0);
}
