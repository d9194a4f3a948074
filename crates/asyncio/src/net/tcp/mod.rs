//! TCP: [`TcpListener`], [`TcpStream`], [`TcpSocket`] for options.

mod listener;
mod socket;
pub(crate) mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;

pub use stream::TcpStream;
