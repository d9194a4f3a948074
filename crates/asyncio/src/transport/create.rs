//! `create_connection`, `create_server`, `create_datagram_endpoint` and their Unix variants.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use super::raw::RawStream;
use super::sink::{Buffered, Plain};
use super::{BufferedProtocol, DatagramProtocol, DatagramTransport, Protocol, Transport};
use crate::io::SharedStream;
use crate::net::{Listen, Server};
use crate::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket, UnixListener, UnixStream};

/// Connects over TCP and runs a protocol from `factory` on the connection (asyncio's
/// `loop.create_connection`). Returns the transport and the protocol, shared with the driver.
///
/// # Errors
/// Resolution and connect errors, naming the host or address.
///
/// # Cancel safety
/// Cancel-safe: dropped before it completes, the connection being made is closed and no
/// protocol method has been called.
pub async fn create_connection<P: Protocol>(
    factory: impl FnOnce() -> P,
    addr: impl ToSocketAddrs,
) -> io::Result<(Transport, Rc<RefCell<P>>)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(connect_accepted_socket(factory, stream))
}

/// Runs a protocol on an already connected stream (asyncio's `connect_accepted_socket`).
pub fn connect_accepted_socket<P: Protocol>(
    factory: impl FnOnce() -> P,
    stream: impl Into<AnyStream>,
) -> (Transport, Rc<RefCell<P>>) {
    let protocol = Rc::new(RefCell::new(factory()));
    let (transport, driver) = super::stream::start(stream.into().0, Plain(protocol.clone()));
    crate::task::spawn_named("transport", driver);
    (transport, protocol)
}

/// [`create_connection`] for a [`BufferedProtocol`].
///
/// # Errors
/// As [`create_connection`].
///
/// # Cancel safety
/// Cancel-safe: dropped before it completes, the connection being made is closed and no
/// protocol method has been called.
pub async fn create_buffered_connection<P: BufferedProtocol>(
    factory: impl FnOnce() -> P,
    addr: impl ToSocketAddrs,
) -> io::Result<(Transport, Rc<RefCell<P>>)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let protocol = Rc::new(RefCell::new(factory()));
    let (transport, driver) = super::stream::start(Rc::new(stream), Buffered(protocol.clone()));
    crate::task::spawn_named("transport", driver);
    Ok((transport, protocol))
}

/// [`create_connection`] over a Unix-domain socket.
///
/// # Errors
/// The connect error, naming the path.
///
/// # Cancel safety
/// Cancel-safe: dropped before it completes, the connection being made is closed and no
/// protocol method has been called.
pub async fn create_unix_connection<P: Protocol>(
    factory: impl FnOnce() -> P,
    path: impl AsRef<std::path::Path>,
) -> io::Result<(Transport, Rc<RefCell<P>>)> {
    let stream = UnixStream::connect(path).await?;
    Ok(connect_accepted_socket(factory, stream))
}

/// A connected TCP or Unix stream, for [`connect_accepted_socket`].
pub struct AnyStream(Rc<dyn RawStream>);

impl std::fmt::Debug for AnyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyStream")
            .field("fd", &self.0.fd())
            .finish()
    }
}

impl From<TcpStream> for AnyStream {
    fn from(s: TcpStream) -> Self {
        AnyStream(Rc::new(s))
    }
}

impl From<UnixStream> for AnyStream {
    fn from(s: UnixStream) -> Self {
        AnyStream(Rc::new(s))
    }
}

/// Listens on every address `addr` resolves to and runs a protocol from `factory` on each
/// connection (asyncio's `loop.create_server`). The [`Server`] is the streams' server: close,
/// `close_clients`, `abort_clients`, `shutdown(grace)` and `wait_closed` work the same.
///
/// # Errors
/// Resolution and bind errors.
///
/// # Cancel safety
/// Cancel-safe: listeners bound for a dropped future are closed.
pub async fn create_server<P: Protocol>(
    factory: impl Fn() -> P + 'static,
    addr: impl ToSocketAddrs,
) -> io::Result<Server<TcpListener>> {
    let listeners = TcpListener::bind_all(addr).await?;
    serve_protocol(listeners, factory)
}

/// [`create_server`] on listeners made elsewhere (`SO_REUSEPORT` sockets shared by one loop
/// per core, sockets passed in by a supervisor).
///
/// # Errors
/// When a listener's address cannot be read.
pub fn serve_protocol<P: Protocol, L: Listen<Stream = TcpStream>>(
    listeners: Vec<L>,
    factory: impl Fn() -> P + 'static,
) -> io::Result<Server<L>> {
    Server::serve_with(listeners, move |stream: SharedStream<TcpStream>| {
        let protocol = Rc::new(RefCell::new(factory()));
        super::stream::start(stream.into_rc(), Plain(protocol)).1
    })
}

/// [`create_server`] for a [`BufferedProtocol`].
///
/// # Errors
/// Resolution and bind errors.
///
/// # Cancel safety
/// Cancel-safe: listeners bound for a dropped future are closed.
pub async fn create_buffered_server<P: BufferedProtocol>(
    factory: impl Fn() -> P + 'static,
    addr: impl ToSocketAddrs,
) -> io::Result<Server<TcpListener>> {
    let listeners = TcpListener::bind_all(addr).await?;
    Server::serve_with(listeners, move |stream: SharedStream<TcpStream>| {
        let protocol = Rc::new(RefCell::new(factory()));
        super::stream::start(stream.into_rc(), Buffered(protocol)).1
    })
}

/// [`create_server`] on a Unix-domain socket path.
///
/// # Errors
/// Bind errors, naming the path.
pub fn create_unix_server<P: Protocol>(
    factory: impl Fn() -> P + 'static,
    path: impl AsRef<std::path::Path>,
) -> io::Result<Server<UnixListener>> {
    Server::serve_with(
        vec![UnixListener::bind(path)?],
        move |stream: SharedStream<UnixStream>| {
            let protocol = Rc::new(RefCell::new(factory()));
            super::stream::start(stream.into_rc(), Plain(protocol)).1
        },
    )
}

/// Opens a UDP endpoint bound to `local` (any port when `None`), connected to `remote` when
/// given, and runs a protocol from `factory` on it (asyncio's
/// `loop.create_datagram_endpoint`).
///
/// # Errors
/// Resolution, bind and connect errors.
///
/// # Cancel safety
/// Cancel-safe: a socket bound for a dropped future is closed.
pub async fn create_datagram_endpoint<P: DatagramProtocol>(
    factory: impl FnOnce() -> P,
    local: Option<std::net::SocketAddr>,
    remote: Option<std::net::SocketAddr>,
) -> io::Result<(DatagramTransport, Rc<RefCell<P>>)> {
    let local = local.unwrap_or_else(|| match remote {
        Some(r) if r.is_ipv6() => "[::]:0".parse().expect("valid"),
        _ => "0.0.0.0:0".parse().expect("valid"),
    });
    let socket = UdpSocket::bind(local).await?;
    if let Some(r) = remote {
        socket.connect(r).await?;
    }
    let protocol = Rc::new(RefCell::new(factory()));
    let transport = super::datagram::start(socket, protocol.clone());
    Ok((transport, protocol))
}
