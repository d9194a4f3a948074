//! [`TcpStream`]: a connected TCP socket on the loop.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::io::{stream_io_traits, ReadIo, WriteIo};
use crate::net::addr::{resolve_nonempty, ToSocketAddrs};
use crate::net::happy_eyeballs;
use crate::runtime::io::reactor::Direction;
use crate::runtime::io::PollEvented;

/// A TCP connection driven by the running loop (asyncio's transport socket; tokio's
/// `TcpStream`).
///
/// Reads and writes take `&self`: the loop is one thread, so one task may read while another
/// writes through a shared reference (or an `Rc` from [`into_split`](Self::into_split)).
/// Implements `futures-io`'s `AsyncRead`/`AsyncWrite`, also for `&TcpStream`.
///
/// ```
/// use asyncio::net::{TcpListener, TcpStream};
/// asyncio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = asyncio::spawn(async move {
///         let s = TcpStream::connect(addr).await.unwrap();
///         s.write_all(b"ping").await.unwrap();
///     });
///     let (server, _) = listener.accept().await.unwrap();
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
///     client.await.unwrap();
/// });
/// ```
pub struct TcpStream {
    io: PollEvented<mio::net::TcpStream>,
}

impl TcpStream {
    pub(crate) fn io_ref(&self) -> &mio::net::TcpStream {
        self.io.get()
    }

    /// Connects to `addr`. A name with several addresses is tried with Happy Eyeballs
    /// (RFC 8305): families interleaved, a new attempt every 250 ms until one succeeds.
    ///
    /// # Errors
    /// Resolution errors name the host; connection errors name the address (all of them when
    /// every attempt failed).
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future closes any half-open attempt.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let addrs = resolve_nonempty(&addr).await?;
        happy_eyeballs::connect(addrs, happy_eyeballs::DEFAULT_DELAY).await
    }

    /// Connects to one address.
    pub(crate) async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = mio::net::TcpStream::connect(addr).map_err(|e| with_addr(e, addr))?;
        Self::finish_connect(stream, addr).await
    }

    /// Waits for a non-blocking connect started on `stream` to finish.
    pub(crate) async fn finish_connect(
        stream: mio::net::TcpStream,
        addr: SocketAddr,
    ) -> io::Result<TcpStream> {
        let io = PollEvented::new(stream)?;
        // The first writable (or error) event ends the connect.
        std::future::poll_fn(|cx| loop {
            std::task::ready!(io.poll_ready(cx, Direction::Write))?;
            if let Some(e) = io.get().take_error()? {
                return Poll::Ready(Err(with_addr(e, addr)));
            }
            match io.get().peer_addr() {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    io.registration().clear(Direction::Write)
                }
                Err(e) => return Poll::Ready(Err(with_addr(e, addr))),
            }
        })
        .await?;
        Ok(TcpStream { io })
    }

    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<Self> {
        Ok(Self {
            io: PollEvented::new(stream)?,
        })
    }

    /// Adopts a connected standard-library stream (made non-blocking here).
    ///
    /// # Errors
    /// When no loop runs on this thread, or registration fails.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Self::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Leaves the loop, handing back a (still non-blocking) standard-library stream.
    pub fn into_std(self) -> std::net::TcpStream {
        self.io.into_inner().into()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// Disables (`true`) or enables Nagle's algorithm.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get().set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is disabled.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get().nodelay()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get().set_ttl(ttl)
    }

    /// Sets `SO_LINGER` (`None`: the default, close returns at once).
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        socket2::SockRef::from(self.io.get()).set_linger(linger)
    }

    /// Turns TCP keep-alive probes on (`Some(idle time)`) or off.
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        let sock = socket2::SockRef::from(self.io.get());
        match idle {
            Some(t) => sock.set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(t)),
            None => sock.set_keepalive(false),
        }
    }

    /// A socket2 view for options not wrapped here (buffer sizes, marks, …).
    pub fn socket(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(self.io.get())
    }

    /// Shuts down reading, writing or both (`write` side: the peer reads end of file; asyncio's
    /// `write_eof`).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self.io.get().shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            r => r,
        }
    }

    /// Waits until a read may make progress.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.io.poll_ready(cx, Direction::Read)).await
    }

    /// Waits until a write may make progress.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.io.poll_ready(cx, Direction::Write)).await
    }

    /// Reads what is there now, or `WouldBlock`.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .try_op(Direction::Read, |mut s| io::Read::read(&mut s, buf))
    }

    /// Writes what fits now, or `WouldBlock`.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_op(Direction::Write, |mut s| io::Write::write(&mut s, buf))
    }

    /// Polls a read into `buf`; `Ok(0)` is end of file.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }

    /// Polls a write of `buf`.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    /// Polls a vectored write.
    pub fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    /// Reads into `buf`; `Ok(0)` is end of file.
    ///
    /// # Cancel safety
    /// Cancel-safe: if dropped before completing, no data was read.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    /// `UnexpectedEof` when the peer closes first.
    ///
    /// # Cancel safety
    /// Not cancel-safe: bytes already read are lost with the future.
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        crate::io::read_exact(self, buf).await
    }

    /// Writes some of `buf`, returning how much.
    ///
    /// # Cancel safety
    /// Cancel-safe: if dropped before completing, nothing was written.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`.
    ///
    /// # Cancel safety
    /// Not cancel-safe: an unknown prefix may have been written.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        crate::io::write_all(self, buf).await
    }

    /// Looks at incoming data without taking it.
    ///
    /// # Cancel safety
    /// Cancel-safe: peeking consumes nothing.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.io.poll_op(cx, Direction::Read, |s| s.peek(buf))).await
    }

    /// Splits into owned halves that can move into different tasks (both share this socket
    /// through an `Rc`; see [`asyncio::io::split`](crate::io::split)).
    pub fn into_split(
        self,
    ) -> (
        crate::io::ReadHalf<TcpStream>,
        crate::io::WriteHalf<TcpStream>,
    ) {
        crate::io::split(self)
    }
}

/// Adds the address to an I/O error's message.
/// The original error stays reachable as the new one's `source()` (and its `raw_os_error`
/// through [`os_error`]), so callers can still tell `EMFILE` from `ECONNREFUSED`.
pub(crate) fn with_addr(e: io::Error, addr: SocketAddr) -> io::Error {
    io::Error::new(e.kind(), AddrError { addr, source: e })
}

/// An I/O error and the address it happened with.
#[derive(Debug)]
struct AddrError {
    addr: SocketAddr,
    source: io::Error,
}

impl std::fmt::Display for AddrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.addr, self.source)
    }
}

impl std::error::Error for AddrError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl std::fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

impl ReadIo for TcpStream {
    fn poll_read_io(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read(cx, buf)
    }

    #[cfg(any(feature = "hyper", feature = "tokio-io"))]
    fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_recv_uninit(cx, buf)
    }
}

impl WriteIo for TcpStream {
    fn poll_write_io(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write(cx, buf)
    }

    fn poll_write_vectored_io(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, bufs)
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

stream_io_traits!(read: TcpStream);
stream_io_traits!(write: TcpStream);
