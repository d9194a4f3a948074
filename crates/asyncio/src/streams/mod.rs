//! asyncio's streams: [`open_connection`] and [`start_server`] hand out a [`StreamReader`]
//! (buffered, with `readline`, `readexactly`, `readuntil` and a buffer limit) and a
//! [`StreamWriter`] (non-blocking `write`, `drain` with water marks, `write_eof`, `close`).

mod error;
mod reader;
mod server;
mod writer;

pub use crate::net::{Connection, Listen, Server};
pub use error::ReadError;
pub use reader::{StreamReader, DEFAULT_LIMIT};
pub use server::{start_server, start_unix_server, Reader, Writer};
pub use writer::{StreamWriter, DEFAULT_HIGH_WATER};

use std::io;

use crate::net::{TcpStream, ToSocketAddrs, UnixStream};

/// Connects over TCP and returns a reader and a writer (asyncio's `open_connection`). Names
/// with several addresses use Happy Eyeballs; `TCP_NODELAY` is set, as asyncio does.
///
/// # Errors
/// Resolution errors name the host; connect errors the address.
///
/// # Cancel safety
/// Cancel-safe: dropped before it completes, the connection is closed.
pub async fn open_connection(
    addr: impl ToSocketAddrs,
) -> io::Result<(Reader<TcpStream>, Writer<TcpStream>)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (r, w) = crate::io::split(stream);
    Ok((StreamReader::new(r), StreamWriter::new(w)))
}

/// Connects to a Unix-domain socket (asyncio's `open_unix_connection`).
///
/// # Errors
/// The connect error, naming the path.
///
/// # Cancel safety
/// Cancel-safe: dropped before it completes, the connection is closed.
pub async fn open_unix_connection(
    path: impl AsRef<std::path::Path>,
) -> io::Result<(Reader<UnixStream>, Writer<UnixStream>)> {
    let stream = UnixStream::connect(path).await?;
    let (r, w) = crate::io::split(stream);
    Ok((StreamReader::new(r), StreamWriter::new(w)))
}
