//! The protocol traits: what a transport calls when bytes arrive, the peer closes, or the
//! write buffer fills (asyncio's `Protocol`, `BufferedProtocol`, `DatagramProtocol`).

use std::io;
use std::net::SocketAddr;

use super::{DatagramTransport, Transport};

/// Callbacks for a stream connection (asyncio's `asyncio.Protocol`).
///
/// The transport calls them from its driver task, one at a time, never re-entrantly: a write
/// inside `data_received` that crosses the high-water mark calls `pause_writing` right after
/// `data_received` returns, not inside `write` as asyncio does.
pub trait Protocol: 'static {
    /// The connection is up; keep the transport to write.
    fn connection_made(&mut self, transport: &Transport) {
        let _ = transport;
    }

    /// Bytes arrived.
    fn data_received(&mut self, data: &[u8]);

    /// The peer closed its writing side. Return `true` to keep the connection half-open (to
    /// go on writing); `false` closes it, as asyncio does.
    fn eof_received(&mut self) -> bool {
        false
    }

    /// The connection ended: `None` after a close or end of file, the error otherwise. Called
    /// exactly once, after `connection_made`.
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }

    /// The write buffer went above the high-water mark: stop producing.
    fn pause_writing(&mut self) {}

    /// The write buffer fell to the low-water mark: produce again.
    fn resume_writing(&mut self) {}
}

/// A protocol that receives into its own buffer, sparing a copy (asyncio's
/// `BufferedProtocol`).
pub trait BufferedProtocol: 'static {
    /// The connection is up.
    fn connection_made(&mut self, transport: &Transport) {
        let _ = transport;
    }

    /// A buffer to read into, of at least one byte (`size_hint` is what the transport would
    /// like).
    fn get_buffer(&mut self, size_hint: usize) -> &mut [u8];

    /// `nbytes` were written at the start of the last buffer.
    fn buffer_updated(&mut self, nbytes: usize);

    /// As [`Protocol::eof_received`].
    fn eof_received(&mut self) -> bool {
        false
    }

    /// As [`Protocol::connection_lost`].
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }

    /// As [`Protocol::pause_writing`].
    fn pause_writing(&mut self) {}

    /// As [`Protocol::resume_writing`].
    fn resume_writing(&mut self) {}
}

/// Callbacks for a datagram endpoint (asyncio's `DatagramProtocol`).
pub trait DatagramProtocol: 'static {
    /// The endpoint is ready.
    fn connection_made(&mut self, transport: &DatagramTransport) {
        let _ = transport;
    }

    /// A datagram arrived from `addr`.
    fn datagram_received(&mut self, data: &[u8], addr: SocketAddr);

    /// A send or receive failed (ICMP port unreachable, say); the endpoint stays open.
    fn error_received(&mut self, error: io::Error) {
        let _ = error;
    }

    /// The endpoint closed.
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }
}
