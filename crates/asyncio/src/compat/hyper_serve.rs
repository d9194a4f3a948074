//! `compat::hyper`: any hyper service — an axum `Router` through hyper-util's
//! `TowerToHyperService`, a tonic server, a hand-written `service_fn` — served on the loop in
//! one call: HTTP/1 and HTTP/2 on one port, upgrades (WebSocket, CONNECT), a header-read
//! timeout on the loop's timer, and graceful shutdown through the [`Server`] handle.
//!
//! hyper requires a `Send` socket for upgrades; asyncio-rs sockets belong to their loop. The
//! socket is handed over in a [`LoopBound`]: `Send` by type, checked at run time (every use
//! on another thread panics) — what hyper's bound needs without an unchecked `unsafe impl`.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::server::conn::auto;

use super::{LoopExecutor, LoopTimer};
use crate::io::SharedStream;
use crate::net::{Listen, Server, TcpListener, TcpStream, ToSocketAddrs};
use crate::sync::Event;

type BoxError = Box<dyn StdError + Send + Sync>;

/// How [`serve_with`] serves connections.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// How long a client may take to send a request's headers (HTTP/1; slowloris protection).
    /// Default 30 s; `None` waits forever.
    pub header_read_timeout: Option<Duration>,
    /// HTTP/1 keep-alive (default on).
    pub keep_alive: bool,
    /// Accept HTTP/2 (prior knowledge, and `h2c` via the preface) next to HTTP/1 (default on).
    pub http2: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            header_read_timeout: Some(Duration::from_secs(30)),
            keep_alive: true,
            http2: true,
        }
    }
}

/// Binds every address `addr` resolves to and serves `service` on each connection, with the
/// default [`Config`].
///
/// ```no_run
/// # #[cfg(feature = "hyper-server")]
/// # fn main() -> std::io::Result<()> {
/// use http_body_util::Full;
/// use hyper::body::Bytes;
/// use hyper::service::service_fn;
///
/// asyncio::run(async {
///     let hello = service_fn(|_req| async {
///         Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("hello"))))
///     });
///     let server = asyncio::compat::hyper::serve("127.0.0.1:8080", hello).await?;
///     server.serve_forever().await;
///     Ok(())
/// })
/// # }
/// # #[cfg(not(feature = "hyper-server"))]
/// # fn main() {}
/// ```
///
/// # Errors
/// Resolution and bind errors.
///
/// # Cancel safety
/// Cancel-safe: listeners bound for a dropped future are closed.
pub async fn serve<S, B>(addr: impl ToSocketAddrs, service: S) -> io::Result<Server<TcpListener>>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    serve_with(
        TcpListener::bind_all(addr).await?,
        service,
        Config::default(),
    )
}

/// [`serve`] on listeners made elsewhere (a [`LoopListener`](crate::cores::LoopListener) on
/// every loop of a runtime, say), with `config`. `server.shutdown(grace)` is graceful: every
/// connection stops taking new requests, finishes the ones in flight (HTTP/2: sends `GOAWAY`)
/// and closes; what still runs after `grace` is aborted.
///
/// # Errors
/// When a listener's address cannot be read.
pub fn serve_with<L, S, B>(listeners: Vec<L>, service: S, config: Config) -> io::Result<Server<L>>
where
    L: Listen<Stream = TcpStream>,
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    let draining = Event::new();
    let config = Rc::new(config);
    let server = Server::serve_with(listeners, {
        let draining = draining.clone();
        move |stream: SharedStream<TcpStream>| {
            serve_connection(stream, service.clone(), config.clone(), draining.clone())
        }
    })?;
    server.on_close(move || draining.set());
    Ok(server)
}

async fn serve_connection<S, B>(
    stream: SharedStream<TcpStream>,
    service: S,
    config: Rc<Config>,
    draining: Event,
) where
    S: Service<Request<Incoming>, Response = Response<B>> + 'static,
    S::Future: 'static,
    S::Error: Into<BoxError>,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    let mut builder = auto::Builder::new(LoopExecutor);
    if !config.http2 {
        builder = builder.http1_only();
    }
    builder
        .http1()
        .timer(LoopTimer)
        .keep_alive(config.keep_alive)
        .header_read_timeout(config.header_read_timeout);
    builder.http2().timer(LoopTimer);
    let conn = builder.serve_connection_with_upgrades(LoopBound::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    let mut drain = std::pin::pin!(draining.wait());
    let mut draining_started = false;
    let result = std::future::poll_fn(|cx| {
        if !draining_started && drain.as_mut().poll(cx).is_ready() {
            draining_started = true;
            conn.as_mut().graceful_shutdown();
        }
        conn.as_mut().poll(cx)
    })
    .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "HTTP connection ended with an error");
    }
}

/// A value of this loop that may cross a `Send` bound (hyper's upgrades, a tower layer) but is
/// only ever touched on the thread that made it: every access from another thread panics, and
/// so does dropping it there (`send_wrapper`'s checks). It implements the I/O traits of what
/// it wraps (hyper's, and `futures-io`'s).
pub struct LoopBound<T>(send_wrapper::SendWrapper<T>);

impl<T> LoopBound<T> {
    /// Binds `value` to the calling thread.
    pub fn new(value: T) -> Self {
        Self(send_wrapper::SendWrapper::new(value))
    }

    /// The value back, on its thread.
    ///
    /// # Panics
    /// On another thread.
    pub fn into_inner(self) -> T {
        self.0.take()
    }

    /// Whether this is the thread the value belongs to.
    pub fn valid(&self) -> bool {
        self.0.valid()
    }

    /// The value, pinned (checked: panics on another thread).
    fn inner(self: Pin<&mut Self>) -> Pin<&mut T>
    where
        T: Unpin,
    {
        Pin::new(&mut *Pin::into_inner(self).0)
    }
}

impl<T> std::fmt::Debug for LoopBound<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopBound")
            .field("valid", &self.valid())
            .finish()
    }
}

impl<T: hyper::rt::Read + Unpin> hyper::rt::Read for LoopBound<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        self.inner().poll_read(cx, buf)
    }
}

impl<T: hyper::rt::Write + Unpin> hyper::rt::Write for LoopBound<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner().poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner().poll_write_vectored(cx, bufs)
    }
}

/// A hyper I/O object (an upgraded connection: `hyper::upgrade::on(req).await`) as a
/// `futures-io` stream, for the crates that speak those traits (async-tungstenite, say).
#[derive(Debug)]
pub struct FuturesIo<T>(pub T);

impl<T: hyper::rt::Read + Unpin> futures_io::AsyncRead for FuturesIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut rb = hyper::rt::ReadBuf::new(buf);
        match Pin::new(&mut self.0).poll_read(cx, rb.unfilled()) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: hyper::rt::Write + Unpin> futures_io::AsyncWrite for FuturesIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
