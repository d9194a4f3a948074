//! [`UdpSocket`]: datagrams on the loop.

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use crate::net::addr::{resolve_nonempty, ToSocketAddrs};
use crate::runtime::io::reactor::Direction;
use crate::runtime::io::PollEvented;

/// A UDP socket (asyncio's datagram endpoint socket). Several tasks may send and receive on one
/// socket at once through `&self`.
///
/// ```
/// use asyncio::net::UdpSocket;
/// asyncio::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr().unwrap()));
/// });
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    pub(crate) fn io_ref(&self) -> &mio::net::UdpSocket {
        self.io.get()
    }

    /// Binds to the first address of `addr` that works.
    ///
    /// # Errors
    /// The last error, naming the address.
    ///
    /// # Cancel safety
    /// Cancel-safe: a socket bound by a dropped future is closed.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last = None;
        for a in resolve_nonempty(&addr).await? {
            match mio::net::UdpSocket::bind(a) {
                Ok(s) => return Self::from_mio(s),
                Err(e) => last = Some(super::tcp::stream::with_addr(e, a)),
            }
        }
        Err(last.expect("at least one address"))
    }

    fn from_mio(s: mio::net::UdpSocket) -> io::Result<Self> {
        Ok(Self {
            io: PollEvented::new(s)?,
        })
    }

    /// Adopts a bound standard-library socket (made non-blocking here).
    ///
    /// # Errors
    /// When no loop runs on this thread.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        Self::from_mio(mio::net::UdpSocket::from_std(socket))
    }

    /// Sets the default peer for [`send`](Self::send) and filters what [`recv`](Self::recv)
    /// gets.
    ///
    /// # Errors
    /// Resolution or the system's error.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropped during name resolution, the socket is left unconnected.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let addrs = resolve_nonempty(&addr).await?;
        self.io.get().connect(addrs[0])
    }

    /// Sends one datagram to `target`. Cancel-safe.
    ///
    /// # Errors
    /// Resolution or the system's error.
    ///
    /// # Cancel safety
    /// Cancel-safe: a datagram is sent whole or not at all.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = resolve_nonempty(&target).await?[0];
        std::future::poll_fn(|cx| self.poll_send_to(cx, buf, addr)).await
    }

    /// Polls a send of one datagram to `addr`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        addr: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_op(cx, Direction::Write, |s| s.send_to(buf, addr))
    }

    /// Receives one datagram and its sender. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: a datagram is only taken when the future completes.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Polls a receive of one datagram.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_op(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// Polls a send of one datagram to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_op(cx, Direction::Write, |s| s.send(buf))
    }

    /// Sends now to the connected peer or fails with `WouldBlock`.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_op(Direction::Write, |s| s.send(buf))
    }

    /// Sends one datagram to the connected peer. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: a datagram is sent whole or not at all.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.io.poll_op(cx, Direction::Write, |s| s.send(buf))).await
    }

    /// Receives one datagram from the connected peer. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: a datagram is only taken when the future completes.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.io.poll_op(cx, Direction::Read, |s| s.recv(buf))).await
    }

    /// Sends now or fails with `WouldBlock`.
    pub fn try_send_to(&self, buf: &[u8], addr: SocketAddr) -> io::Result<usize> {
        self.io.try_op(Direction::Write, |s| s.send_to(buf, addr))
    }

    /// Receives now or fails with `WouldBlock`.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_op(Direction::Read, |s| s.recv_from(buf))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// The connected peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get().set_broadcast(on)
    }

    /// A socket2 view for other options.
    pub fn socket(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(self.io.get())
    }
}
