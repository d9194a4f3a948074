//! [`TcpListener`]: a listening TCP socket on the loop.

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::TcpStream;
use crate::net::addr::{resolve_nonempty, ToSocketAddrs};
use crate::runtime::io::reactor::Direction;
use crate::runtime::io::PollEvented;

/// A socket accepting TCP connections.
///
/// [`bind`](Self::bind) sets `SO_REUSEADDR` (as asyncio's `create_server` does on Unix) and a
/// backlog of 1024; use [`TcpSocket`](super::TcpSocket) for other options (`SO_REUSEPORT`,
/// buffer sizes, the backlog).
#[derive(Debug)]
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
}

impl TcpListener {
    pub(crate) fn io_ref(&self) -> &mio::net::TcpListener {
        self.io.get()
    }

    /// Binds to the first address of `addr` that works.
    ///
    /// # Errors
    /// The last address's error, naming it.
    ///
    /// # Cancel safety
    /// Cancel-safe: a listener bound by a dropped future is closed.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for a in resolve_nonempty(&addr).await? {
            let attempt = super::TcpSocket::for_addr(a).and_then(|s| {
                s.set_reuseaddr(true)?;
                s.bind(a)?;
                s.listen(1024)
            });
            match attempt {
                Ok(l) => return Ok(l),
                Err(e) => last = Some(super::stream::with_addr(e, a)),
            }
        }
        Err(last.expect("at least one address"))
    }

    /// Binds a listener to every address `addr` resolves to (asyncio's `create_server` and
    /// `start_server` listen on all of them: `"localhost:8080"` gives one for IPv4 and one for
    /// IPv6).
    ///
    /// # Errors
    /// The resolution error, or the first bind error, naming the address.
    ///
    /// # Cancel safety
    /// Cancel-safe: listeners bound so far are closed with the future.
    pub async fn bind_all(addr: impl ToSocketAddrs) -> io::Result<Vec<TcpListener>> {
        let mut listeners = Vec::new();
        for a in resolve_nonempty(&addr).await? {
            listeners.push(TcpListener::bind(a).await?);
        }
        Ok(listeners)
    }

    pub(crate) fn from_mio(listener: mio::net::TcpListener) -> io::Result<Self> {
        Ok(Self {
            io: PollEvented::new(listener)?,
        })
    }

    /// Adopts a bound, listening standard-library listener (made non-blocking here).
    ///
    /// # Errors
    /// When no loop runs on this thread, or registration fails.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Self::from_mio(mio::net::TcpListener::from_std(listener))
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    /// The system's error: `EMFILE`/`ENFILE` when out of descriptors (the pending connection
    /// stays queued; [`start_server`](crate::streams::start_server) backs off and retries).
    ///
    /// # Cancel safety
    /// Cancel-safe: a connection is only taken when the future completes.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for the next connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, addr) =
            std::task::ready!(self.io.poll_op(cx, Direction::Read, |l| l.accept()))?;
        Poll::Ready(TcpStream::from_mio(stream).map(|s| (s, addr)))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// A socket2 view for options not wrapped here.
    pub fn socket(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(self.io.get())
    }
}
