//! Unix-domain sockets: streams, listeners, datagrams.

mod datagram;
mod stream;

pub use datagram::UnixDatagram;
pub use stream::{UnixListener, UnixStream};
