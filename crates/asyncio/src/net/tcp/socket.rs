//! [`TcpSocket`]: a TCP socket being configured before it listens or connects.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::{TcpListener, TcpStream};

/// A TCP socket not yet listening or connected, for setting options first (socket2 underneath).
///
/// ```
/// asyncio::run(async {
///     let addr = "127.0.0.1:0".parse().unwrap();
///     let socket = asyncio::net::TcpSocket::new_v4().unwrap();
///     socket.set_reuseport(true).unwrap();
///     socket.set_recv_buffer_size(1 << 16).unwrap();
///     socket.bind(addr).unwrap();
///     let listener = socket.listen(128).unwrap();
///     assert_ne!(listener.local_addr().unwrap().port(), 0);
/// });
/// ```
#[derive(Debug)]
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// An IPv4 socket.
    pub fn new_v4() -> io::Result<Self> {
        Self::new(Domain::IPV4)
    }

    /// An IPv6 socket.
    pub fn new_v6() -> io::Result<Self> {
        Self::new(Domain::IPV6)
    }

    /// A socket of `addr`'s family.
    pub fn for_addr(addr: SocketAddr) -> io::Result<Self> {
        Self::new(Domain::for_address(addr))
    }

    fn new(domain: Domain) -> io::Result<Self> {
        let inner = Socket::new(
            domain,
            Type::STREAM.nonblocking().cloexec(),
            Some(Protocol::TCP),
        )?;
        Ok(Self { inner })
    }

    /// `SO_REUSEADDR`.
    pub fn set_reuseaddr(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_address(on)
    }

    /// `SO_REUSEPORT`: several sockets (one per loop, one loop per core) share a port.
    pub fn set_reuseport(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_port(on)
    }

    /// `SO_RCVBUF`.
    pub fn set_recv_buffer_size(&self, size: usize) -> io::Result<()> {
        self.inner.set_recv_buffer_size(size)
    }

    /// `SO_SNDBUF`.
    pub fn set_send_buffer_size(&self, size: usize) -> io::Result<()> {
        self.inner.set_send_buffer_size(size)
    }

    /// `SO_LINGER`.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(linger)
    }

    /// `SO_KEEPALIVE`.
    pub fn set_keepalive(&self, on: bool) -> io::Result<()> {
        self.inner.set_keepalive(on)
    }

    /// `TCP_NODELAY`.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.inner.set_nodelay(on)
    }

    /// `IPV6_V6ONLY`.
    pub fn set_only_v6(&self, on: bool) -> io::Result<()> {
        self.inner.set_only_v6(on)
    }

    /// Binds to `addr`.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&addr.into())
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("not an IP socket"))
    }

    /// The underlying socket2 socket.
    pub fn socket(&self) -> &Socket {
        &self.inner
    }

    /// Starts listening with room for `backlog` pending connections.
    ///
    /// # Errors
    /// The system's error, or no running loop.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.inner.listen(backlog.min(i32::MAX as u32) as i32)?;
        let std: std::net::TcpListener = self.inner.into();
        TcpListener::from_mio(mio::net::TcpListener::from_std(std))
    }

    /// Connects to `addr`.
    ///
    /// # Errors
    /// The connect error, naming the address.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future closes the half-open socket.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        match self.inner.connect(&addr.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(super::stream::with_addr(e, addr)),
        }
        let std: std::net::TcpStream = self.inner.into();
        TcpStream::finish_connect(mio::net::TcpStream::from_std(std), addr).await
    }
}
