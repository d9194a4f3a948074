//! TCP: [`TcpListener`], [`TcpStream`] and its halves, [`TcpSocket`] for options.

mod listener;
mod socket;
pub(crate) mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;

/// The reading half of [`TcpStream::into_split`].
pub type OwnedReadHalf = crate::io::ReadHalf<TcpStream>;
/// The writing half of [`TcpStream::into_split`].
pub type OwnedWriteHalf = crate::io::WriteHalf<TcpStream>;
pub use stream::TcpStream;
