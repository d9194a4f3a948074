//! TCP: [`TcpListener`], [`TcpStream`] and its halves, [`TcpSocket`] for options.

mod listener;
mod socket;
mod split;
pub(crate) mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::TcpStream;
