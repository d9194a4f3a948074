//! WebSockets on the loop, on tungstenite's framing (through async-tungstenite's `futures-io`
//! face): [`WebSocket`], one connection from either side; the client's
//! [`ClientSession::ws_connect`](crate::ClientSession::ws_connect) ([`WsConnect`]); the
//! server's [`upgrade`] for any hyper service (axum's handlers included) and the router's
//! [`Router::websocket`](crate::server::Router::websocket) route.

mod client;
mod server;
mod socket;

pub use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
pub use async_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
pub use async_tungstenite::tungstenite::Message;
pub use client::WsConnect;
pub use server::{upgrade, Refusal, Upgrading, WsOptions};
pub use socket::WebSocket;

/// aiohttp's default largest message: 4 MiB.
pub const DEFAULT_MAX_MESSAGE: usize = 4 << 20;

/// Bytes asked of the socket per read. tungstenite zero-fills this much of its buffer before
/// every read (even one that finds nothing): its default of 128 KiB made that fill a quarter of
/// an echo server's time (perf: `memset` at 24%). A large message still arrives whole, in
/// more reads.
const READ_SIZE: usize = 16 * 1024;

/// tungstenite's settings with aiohttp's message limit.
pub(crate) fn config(max_message: Option<usize>) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_SIZE)
        .max_message_size(max_message)
        .max_frame_size(max_message)
}
