//! The `hyper-wrk` workload: the `hyper_server` example's service (hello world over HTTP/1.1
//! with keep-alive) on asyncio-rs and on tokio's current-thread runtime, loaded by `wrk` (one
//! thread, 100 connections, 5 s). Needs `wrk` on the PATH; left out with a note otherwise.
//!
//! `median_s` is the time 100,000 requests take at wrk's measured rate.

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};

use super::Measurement;

/// Requests a measurement is normalised to.
pub(crate) const REQUESTS: usize = 100_000;

pub(crate) fn supports(runtime: &str) -> bool {
    matches!(runtime, "asyncio-rs" | "tokio-ct")
}

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

/// `--serve-hyper RUNTIME`: serve on 127.0.0.1:0, print the port.
pub(crate) fn serve(runtime: &str) {
    let listener = StdListener::bind("127.0.0.1:0").expect("bind");
    println!("{}", listener.local_addr().expect("addr").port());
    use std::io::Write;
    std::io::stdout().flush().expect("flush");
    match runtime {
        "asyncio-rs" => asyncio::run(async move {
            let listener = asyncio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (s, _) = listener.accept().await.unwrap();
                s.set_nodelay(true).unwrap();
                asyncio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(asyncio::compat::LoopTimer)
                        .serve_connection(s, service_fn(hello))
                        .await;
                });
            }
        }),
        "tokio-ct" => super::rt::tokio_ct().block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (s, _) = listener.accept().await.unwrap();
                s.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util_timer::TokioTimer)
                        .serve_connection(TokioIo(s), service_fn(hello))
                        .await;
                });
            }
        }),
        other => panic!("no hyper server for {other}"),
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn run(runtime: &str) -> Measurement {
    run_with(runtime, "--serve-hyper")
}

/// Runs wrk against the server `current_exe FLAG RUNTIME` starts.
pub(crate) fn run_with(runtime: &str, flag: &str) -> Measurement {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("hyper-wrk left out: wrk is not installed (apt-get install wrk)");
        std::process::exit(3);
    }
    let mut server = Command::new(std::env::current_exe().expect("current_exe"));
    server.args([flag, runtime]);
    run_server(server)
}

/// Runs wrk against the server `server` starts (it prints its port on its first line).
pub(crate) fn run_server(mut server: Command) -> Measurement {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("left out: wrk is not installed (apt-get install wrk)");
        std::process::exit(3);
    }
    let mut child = server
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("piped"))
        .read_line(&mut line)
        .expect("server port");
    let server = Server(child);
    let url = format!("http://127.0.0.1:{}/", line.trim());
    let cpu0 = proc_cpu_s(server.0.id());
    let out = Command::new("wrk")
        .args(["-t1", "-c100", "-d5s", "--latency", &url])
        .output()
        .expect("run wrk");
    let server_cpu = proc_cpu_s(server.0.id()) - cpu0;
    drop(server);
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or_else(|| {
            eprintln!("cannot read wrk's output:\n{text}");
            std::process::exit(1);
        });
    let pct = |p: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(p))
            .and_then(|v| parse_duration_us(v.trim()))
    };
    Measurement {
        wall_s: REQUESTS as f64 / rps,
        cpu_s: 0.0,
        bytes_per_task: None,
        p50_us: pct("50%"),
        p99_us: pct("99%"),
        channel: None,
        server_cpu_s: Some(server_cpu),
        handovers: None,
        interleaved: None,
    }
}

/// wrk prints `123.45us`, `1.23ms` or `1.02s`.
fn parse_duration_us(s: &str) -> Option<f64> {
    let (num, scale) = if let Some(v) = s.strip_suffix("us") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1e3)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1e6)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|n| n * scale)
}

fn proc_cpu_s(pid: u32) -> f64 {
    super::support::proc_cpu_s(pid)
}

/// tokio's I/O as hyper's (what hyper-util's `TokioIo` does, kept here to avoid the crate).
pub(crate) struct TokioIo(pub(crate) tokio::net::TcpStream);

impl hyper::rt::Read for TokioIo {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        // SAFETY: tokio's ReadBuf only writes initialised bytes into the slice and reports how
        // many it filled; we advance the cursor by exactly that.
        let n = unsafe {
            let mut tbuf = tokio::io::ReadBuf::uninit(buf.as_mut());
            match tokio::io::AsyncRead::poll_read(std::pin::Pin::new(&mut self.0), cx, &mut tbuf) {
                std::task::Poll::Ready(Ok(())) => tbuf.filled().len(),
                other => return other,
            }
        };
        // SAFETY: `n` bytes were filled by the read above.
        unsafe { buf.advance(n) };
        std::task::Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for TokioIo {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(std::pin::Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(std::pin::Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        tokio::io::AsyncWrite::poll_shutdown(std::pin::Pin::new(&mut self.0), cx)
    }
}

pub(crate) use hyper_util_timer::TokioTimer;

/// hyper's `Timer` on tokio's clock (what hyper-util's `TokioTimer` does).
mod hyper_util_timer {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::{Duration, Instant};

    #[derive(Clone, Debug)]
    pub(crate) struct TokioTimer;

    struct TokioSleep(Pin<Box<tokio::time::Sleep>>);

    impl Future for TokioSleep {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.0.as_mut().poll(cx)
        }
    }

    impl hyper::rt::Sleep for TokioSleep {}

    impl hyper::rt::Timer for TokioTimer {
        fn sleep(&self, d: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(TokioSleep(Box::pin(tokio::time::sleep(d))))
        }
        fn sleep_until(&self, at: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(TokioSleep(Box::pin(tokio::time::sleep_until(at.into()))))
        }
    }
}

/// The `hyper-wrk` workload.
pub(crate) const HYPER_WRK: super::Workload = super::Workload {
    name: "hyper-wrk",
    info: super::Info {
        count: REQUESTS as f64,
        unit: "requests/s",
        description:
            "hyper HTTP/1.1 hello world under wrk -t1 -c100 -d5s (time per 100,000 requests)",
    },
    supports,
    run,
};
