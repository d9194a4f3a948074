//! TLS through rustls: [`TlsConnector`] (verification on by default, SNI, ALPN, custom roots),
//! [`TlsAcceptor`] (from PEM), and the stream helpers asyncio has — [`open_connection`] with
//! `ssl=`, [`start_server`] with `ssl=`, and [`upgrade_client`]/[`upgrade_server`] for
//! `start_tls` on an open connection.
//!
//! The only way to skip verification is
//! [`danger_accept_invalid_certs`](TlsConnectorBuilder::danger_accept_invalid_certs).

mod acceptor;
mod connector;
mod danger;
mod stream;

use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

pub use acceptor::TlsAcceptor;
pub use connector::{TlsConnector, TlsConnectorBuilder};
pub use stream::TlsStream;

use crate::io::{split_owned, Exclusive, ReadHalf, SharedStream, WriteHalf};
use crate::net::Server;
use crate::net::{TcpListener, TcpStream, ToSocketAddrs};
use crate::streams::{StreamReader, StreamWriter};

/// How long a server waits for a client's handshake (asyncio's `ssl_handshake_timeout`).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// The reader of a TLS stream connection.
pub type TlsReader<S> = StreamReader<ReadHalf<Exclusive<TlsStream<S>>>>;
/// The writer of a TLS stream connection.
pub type TlsWriter<S> = StreamWriter<WriteHalf<Exclusive<TlsStream<S>>>>;

pub(crate) fn certs_from_pem(pem: &[u8]) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no certificate in PEM",
        ));
    }
    Ok(certs)
}

fn into_streams<S>(stream: TlsStream<S>) -> (TlsReader<S>, TlsWriter<S>)
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin + 'static,
{
    let (r, w) = split_owned(stream);
    (StreamReader::new(r), StreamWriter::new(w))
}

/// Connects over TCP, then TLS with `server_name` (asyncio's `open_connection(ssl=...)`).
///
/// # Errors
/// Connect errors name the address; handshake errors the server.
///
/// # Cancel safety
/// Cancel-safe: dropped before it completes, the connection is closed.
pub async fn open_connection(
    addr: impl ToSocketAddrs,
    server_name: &str,
    connector: &TlsConnector,
) -> io::Result<(TlsReader<TcpStream>, TlsWriter<TcpStream>)> {
    let tcp = TcpStream::connect(addr).await?;
    Ok(into_streams(connector.connect(server_name, tcp).await?))
}

/// Upgrades an open stream connection to TLS as the client (asyncio's
/// `StreamWriter.start_tls`). Buffered writes are flushed first.
///
/// # Errors
/// `InvalidData` if the reader holds unread bytes (they would belong to the handshake); the
/// handshake's error.
///
/// # Cancel safety
/// Dropping the future abandons the handshake; the plain stream is closed with it.
pub async fn upgrade_client<S>(
    reader: StreamReader<ReadHalf<S>>,
    writer: StreamWriter<WriteHalf<S>>,
    connector: &TlsConnector,
    server_name: &str,
) -> io::Result<(TlsReader<SharedStream<S>>, TlsWriter<SharedStream<S>>)>
where
    S: 'static,
    for<'a> &'a S: futures_io::AsyncRead + futures_io::AsyncWrite,
    ReadHalf<S>: futures_io::AsyncRead + Unpin,
    WriteHalf<S>: futures_io::AsyncWrite + Unpin,
{
    let stream = reunite(reader, writer).await?;
    Ok(into_streams(connector.connect(server_name, stream).await?))
}

/// Upgrades an open stream connection to TLS as the server (asyncio's `loop.start_tls(...,
/// server_side=True)`).
///
/// # Errors
/// As [`upgrade_client`].
///
/// # Cancel safety
/// Dropping the future abandons the handshake; the plain stream is closed with it.
pub async fn upgrade_server<S>(
    reader: StreamReader<ReadHalf<S>>,
    writer: StreamWriter<WriteHalf<S>>,
    acceptor: &TlsAcceptor,
) -> io::Result<(TlsReader<SharedStream<S>>, TlsWriter<SharedStream<S>>)>
where
    S: 'static,
    for<'a> &'a S: futures_io::AsyncRead + futures_io::AsyncWrite,
    ReadHalf<S>: futures_io::AsyncRead + Unpin,
    WriteHalf<S>: futures_io::AsyncWrite + Unpin,
{
    let stream = reunite(reader, writer).await?;
    Ok(into_streams(acceptor.accept(stream).await?))
}

/// The plain stream under a reader and writer, as one `SharedStream`.
async fn reunite<S>(
    reader: StreamReader<ReadHalf<S>>,
    writer: StreamWriter<WriteHalf<S>>,
) -> io::Result<SharedStream<S>>
where
    S: 'static,
    for<'a> &'a S: futures_io::AsyncRead + futures_io::AsyncWrite,
    ReadHalf<S>: futures_io::AsyncRead + Unpin,
    WriteHalf<S>: futures_io::AsyncWrite + Unpin,
{
    let (r, unread) = reader.into_parts();
    if !unread.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} unread bytes before the TLS upgrade", unread.len()),
        ));
    }
    let w = writer.into_inner().await?;
    let stream = r
        .reunite_rc(w)
        .map_err(|_| io::Error::other("reader and writer belong to different connections"))?;
    Ok(SharedStream::from_rc(stream))
}

/// The reader a TLS server handler gets.
pub type ServerReader = TlsReader<SharedStream<TcpStream>>;
/// The writer a TLS server handler gets.
pub type ServerWriter = TlsWriter<SharedStream<TcpStream>>;

/// Serves TLS over TCP (asyncio's `start_server(ssl=...)`): each connection's handshake runs
/// in its task (bounded by [`HANDSHAKE_TIMEOUT`]); a failed handshake closes that connection and
/// is logged, and the handler never sees it.
///
/// # Errors
/// Resolution and bind errors.
///
/// # Cancel safety
/// Cancel-safe: listeners bound for a dropped future are closed.
pub async fn start_server<H, F>(
    handler: H,
    addr: impl ToSocketAddrs,
    acceptor: TlsAcceptor,
) -> io::Result<Server<TcpListener>>
where
    H: Fn(ServerReader, ServerWriter) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let listeners = TcpListener::bind_all(addr).await?;
    let handler = Rc::new(handler);
    Server::serve_with(listeners, move |stream: SharedStream<TcpStream>| {
        let acceptor = acceptor.clone();
        let handler = handler.clone();
        async move {
            let peer = stream.peer_addr().ok();
            let handshake = crate::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
            match handshake.await {
                Ok(Ok(tls)) => {
                    let (r, w) = into_streams(tls);
                    handler(r, w).await;
                }
                Ok(Err(e)) => tracing::debug!(?peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(?peer, "TLS handshake timed out"),
            }
        }
    })
}
