//! asyncio's `start_server`: a [`Server`] whose handlers get a [`StreamReader`] and a
//! [`StreamWriter`]. The server itself is the one core in [`net`](crate::net).

use std::future::Future;
use std::io;

use super::{StreamReader, StreamWriter};
use crate::io::{ReadHalf, WriteHalf};
use crate::net::{Listen, Server, TcpListener, TcpStream, UnixListener, UnixStream};

/// The reader a stream handler gets.
pub type Reader<S> = StreamReader<ReadHalf<S>>;
/// The writer a stream handler gets.
pub type Writer<S> = StreamWriter<WriteHalf<S>>;

/// Accepts TCP connections on every address `addr` resolves to and runs
/// `handler(reader, writer)` in a task for each (asyncio's `start_server`).
///
/// ```
/// use asyncio::streams::{open_connection, start_server};
/// asyncio::run(async {
///     let server = start_server(
///         |mut r, w| async move {
///             let line = r.readline().await.unwrap();
///             w.write(&line.to_ascii_uppercase()).unwrap();
///             w.close();
///         },
///         "127.0.0.1:0",
///     )
///     .await
///     .unwrap();
///     let (mut r, w) = open_connection(server.local_addr().unwrap()).await.unwrap();
///     w.write(b"shout\n").unwrap();
///     assert_eq!(r.readline().await.unwrap(), b"SHOUT\n");
///     server.close();
///     server.wait_closed().await;
/// });
/// ```
///
/// # Errors
/// Resolution or bind errors, naming the address.
///
/// # Cancel safety
/// Cancel-safe: listeners bound for a dropped future are closed.
pub async fn start_server<H, F>(
    handler: H,
    addr: impl crate::net::ToSocketAddrs,
) -> io::Result<Server<TcpListener>>
where
    H: Fn(Reader<TcpStream>, Writer<TcpStream>) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    Server::serve(TcpListener::bind_all(addr).await?, handler)
}

/// [`start_server`] on a Unix-domain socket path.
///
/// # Errors
/// Bind errors, naming the path.
pub fn start_unix_server<H, F>(
    handler: H,
    path: impl AsRef<std::path::Path>,
) -> io::Result<Server<UnixListener>>
where
    H: Fn(Reader<UnixStream>, Writer<UnixStream>) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    Server::serve(vec![UnixListener::bind(path)?], handler)
}

impl<L: Listen> Server<L>
where
    for<'a> &'a L::Stream: futures_io::AsyncRead + futures_io::AsyncWrite,
{
    /// Serves connections from `listeners` with `handler`, a task per connection.
    ///
    /// # Errors
    /// When a listener's address cannot be read.
    pub fn serve<H, F>(listeners: Vec<L>, handler: H) -> io::Result<Self>
    where
        H: Fn(Reader<L::Stream>, Writer<L::Stream>) -> F + 'static,
        F: Future<Output = ()> + 'static,
    {
        Self::serve_with(listeners, move |stream| {
            let (r, w) = crate::io::split_rc(stream.into_rc());
            handler(StreamReader::new(r), StreamWriter::new(w))
        })
    }
}
