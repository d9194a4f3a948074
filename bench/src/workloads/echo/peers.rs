//! Echo servers on the `peers` runtimes, each with its own listener, spawn and I/O calls (the
//! completion-based ones with owned buffers, as their docs show).

use std::net::TcpListener as StdListener;

pub(crate) fn supports(runtime: &str) -> bool {
    matches!(
        runtime,
        "smol" | "monoio" | "monoio-legacy" | "glommio" | "compio"
    )
}

pub(crate) fn serve(runtime: &str, listener: StdListener) {
    match runtime {
        "smol" => smol(listener),
        "monoio" => monoio_uring(listener),
        "monoio-legacy" => monoio_legacy(listener),
        "glommio" => glommio(listener),
        "compio" => compio(listener),
        other => panic!("no echo server for {other}"),
    }
}

fn smol(listener: StdListener) {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let listener = async_io::Async::new(listener).unwrap();
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            s.get_ref().set_nodelay(true).unwrap();
            ex.spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            })
            .detach();
        }
    }));
}

macro_rules! monoio_server {
    ($name:ident, $driver:ty) => {
        fn $name(listener: StdListener) {
            use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
            let mut rt = monoio::RuntimeBuilder::<$driver>::new()
                .enable_timer()
                .build()
                .expect("monoio runtime");
            // The epoll driver needs a non-blocking socket (io_uring does not care).
            listener.set_nonblocking(true).unwrap();
            rt.block_on(async move {
                let listener = monoio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let (mut s, _) = listener.accept().await.unwrap();
                    s.set_nodelay(true).unwrap();
                    monoio::spawn(async move {
                        let mut buf = Vec::with_capacity(64 * 1024);
                        loop {
                            let (r, b) = s.read(buf).await;
                            match r {
                                Ok(0) | Err(_) => break,
                                Ok(_) => {}
                            }
                            let (r, b) = s.write_all(b).await;
                            if r.is_err() {
                                break;
                            }
                            buf = b;
                        }
                    });
                }
            });
        }
    };
}

monoio_server!(monoio_uring, monoio::IoUringDriver);
monoio_server!(monoio_legacy, monoio::LegacyDriver);

fn glommio(listener: StdListener) {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    use std::os::fd::{FromRawFd, IntoRawFd};
    let ex = glommio::LocalExecutorBuilder::default()
        .make()
        .expect("glommio executor");
    ex.run(async move {
        let fd = listener.into_raw_fd();
        // SAFETY: `fd` is an open listening socket whose ownership moves here from `listener`.
        let listener = unsafe { glommio::net::TcpListener::from_raw_fd(fd) };
        loop {
            let mut s = listener.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            glommio::spawn_local(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            })
            .detach();
        }
    });
}

fn compio(listener: StdListener) {
    use compio::io::{AsyncRead, AsyncWriteExt};
    let rt = compio::runtime::Runtime::new().expect("compio runtime");
    rt.block_on(async move {
        let listener = compio::net::TcpListener::from_std(listener).unwrap();
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let _ = socket_nodelay(&s);
            compio::runtime::spawn(async move {
                let mut buf = Vec::with_capacity(64 * 1024);
                loop {
                    buf.clear();
                    let compio::BufResult(r, b) = s.read(buf).await;
                    match r {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let compio::BufResult(r, b) = s.write_all(b).await;
                    if r.is_err() {
                        break;
                    }
                    buf = b;
                }
            })
            .detach();
        }
    });
}

fn socket_nodelay(s: &compio::net::TcpStream) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a pointer to a c_int that lives for the call.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
