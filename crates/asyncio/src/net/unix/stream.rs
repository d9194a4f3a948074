//! [`UnixStream`] and [`UnixListener`]: stream sockets on file-system paths.

use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use crate::io::{stream_io_traits, ReadIo, WriteIo};
use crate::runtime::io::reactor::Direction;
use crate::runtime::io::PollEvented;

/// A connected Unix-domain stream socket.
///
/// Writes use `send(MSG_NOSIGNAL)`: writing to a peer that left is an `EPIPE` error, never a
/// `SIGPIPE` — also in programs that did not ignore the signal (Python, C hosts).
#[derive(Debug)]
pub struct UnixStream {
    io: PollEvented<mio::net::UnixStream>,
}

impl UnixStream {
    pub(crate) fn io_ref(&self) -> &mio::net::UnixStream {
        self.io.get()
    }

    /// Connects to the socket at `path`.
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future closes the socket.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let stream = mio::net::UnixStream::connect(path).map_err(named)?;
        let io = PollEvented::new(stream)?;
        std::future::poll_fn(|cx| io.poll_ready(cx, Direction::Write)).await?;
        if let Some(e) = io.get().take_error()? {
            return Err(named(e));
        }
        Ok(Self { io })
    }

    /// A connected pair.
    ///
    /// # Errors
    /// The system's error, or no running loop.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((Self::from_mio(a)?, Self::from_mio(b)?))
    }

    pub(crate) fn from_mio(s: mio::net::UnixStream) -> io::Result<Self> {
        Ok(Self {
            io: PollEvented::new(s)?,
        })
    }

    /// Adopts a connected standard-library stream (made non-blocking here).
    ///
    /// # Errors
    /// When no loop runs on this thread.
    pub fn from_std(s: std::os::unix::net::UnixStream) -> io::Result<Self> {
        s.set_nonblocking(true)?;
        Self::from_mio(mio::net::UnixStream::from_std(s))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// Shuts down reading, writing or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self.io.get().shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            r => r,
        }
    }

    /// Polls a read; `Ok(0)` is end of file.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }

    /// Polls a write.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        // `MSG_NOSIGNAL`: a departed peer gives `EPIPE`, never `SIGPIPE`.
        self.io.poll_write_with(cx, buf.len(), |s| {
            socket2::SockRef::from(s).send_with_flags(buf, libc::MSG_NOSIGNAL)
        })
    }

    /// Reads into `buf`. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: if dropped before completing, nothing was read.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Writes some of `buf`. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: if dropped before completing, nothing was written.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Writes all of `buf` (not cancel-safe).
    ///
    /// # Cancel safety
    /// Not cancel-safe: an unknown prefix of `buf` may have been written.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        crate::io::write_all(self, buf).await
    }

    /// Reads exactly `buf.len()` bytes (not cancel-safe).
    ///
    /// # Cancel safety
    /// Not cancel-safe: bytes already read are lost with the future.
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        crate::io::read_exact(self, buf).await
    }
}

impl ReadIo for UnixStream {
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

impl WriteIo for UnixStream {
    fn poll_write_io(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write(cx, buf)
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

stream_io_traits!(read: UnixStream);
stream_io_traits!(write: UnixStream);

/// A Unix-domain socket accepting connections on a path.
#[derive(Debug)]
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl UnixListener {
    pub(crate) fn io_ref(&self) -> &mio::net::UnixListener {
        self.io.get()
    }

    /// Binds to `path` (which must not exist).
    ///
    /// # Errors
    /// The system's error, naming the path; or no running loop.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let path = path.as_ref();
        let l = mio::net::UnixListener::bind(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(Self {
            io: PollEvented::new(l)?,
        })
    }

    /// Adopts a standard-library listener (made non-blocking here).
    ///
    /// # Errors
    /// When no loop runs on this thread.
    pub fn from_std(l: std::os::unix::net::UnixListener) -> io::Result<Self> {
        l.set_nonblocking(true)?;
        Ok(Self {
            io: PollEvented::new(mio::net::UnixListener::from_std(l))?,
        })
    }

    /// Waits for the next connection. Cancel-safe.
    ///
    /// # Errors
    /// The system's error (`EMFILE` when out of descriptors).
    ///
    /// # Cancel safety
    /// Cancel-safe: a connection is only taken from the backlog when the future completes.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for the next connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (s, addr) = std::task::ready!(self.io.poll_op(cx, Direction::Read, |l| l.accept()))?;
        Poll::Ready(UnixStream::from_mio(s).map(|s| (s, addr)))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }
}
