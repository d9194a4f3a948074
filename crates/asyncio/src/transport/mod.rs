//! asyncio's low-level networking: transports and protocols.
//!
//! A [`Protocol`] is a set of callbacks (`connection_made`, `data_received`, `eof_received`,
//! `connection_lost`, `pause_writing`/`resume_writing`); a [`Transport`] is the connection
//! they get, with a non-blocking `write`, a write buffer with water marks, half-close, close
//! and abort. Each connection is driven by one task, with no per-read wake-up of a user task
//! and one receive buffer shared by the loop — where uvloop gets its speed.

mod create;
mod datagram;
mod protocol;
mod raw;
mod sink;
mod stream;

pub use create::{
    connect_accepted_socket, create_buffered_connection, create_buffered_server, create_connection,
    create_datagram_endpoint, create_server, create_unix_connection, create_unix_server,
    serve_protocol, AnyStream,
};
pub use datagram::DatagramTransport;
pub use protocol::{BufferedProtocol, DatagramProtocol, Protocol};
pub use stream::Transport;
