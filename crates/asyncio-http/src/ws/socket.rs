//! [`WebSocket`]: one connection, client or server side, with aiohttp's heartbeat and close
//! handshake.

use std::pin::Pin;
use std::time::{Duration, Instant};

use async_tungstenite::tungstenite::{self, protocol::Role};
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_core::Stream;
use futures_io::AsyncWrite as _;

use super::{CloseCode, CloseFrame, Message};
use crate::client::BoxIo;
use crate::error::{Error, Result};

/// How long [`WebSocket::close`] waits for the peer's close frame (aiohttp: 10 s).
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// A WebSocket connection (aiohttp's `ClientWebSocketResponse` and `WebSocketResponse`).
///
/// Pings from the peer are answered by tungstenite; with `autoping` on (the default) pings
/// and pongs are not returned by [`receive`](Self::receive). With a heartbeat, a ping goes
/// out after each quiet `heartbeat` interval and the connection is closed with code 1006 if no
/// pong (or any other frame) arrives within half an interval. The heartbeat runs while the
/// program awaits `receive` — as aiohttp's only matters to a program that reads.
///
/// # Cancel safety
/// [`receive`](Self::receive) is cancel-safe: a message is only taken from the stream when it
/// is returned. [`send`](Self::send) is not: dropped mid-write, part of a frame may have gone
/// out, and the connection must be dropped.
pub struct WebSocket {
    inner: WebSocketStream<BoxIo>,
    url: String,
    protocol: Option<String>,
    heartbeat: Option<Duration>,
    autoping: bool,
    /// When the next heartbeat ping is due.
    ping_at: Option<Instant>,
    /// When a pong must have arrived.
    pong_by: Option<Instant>,
    close_code: Option<u16>,
    closed: bool,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("url", &self.url)
            .field("protocol", &self.protocol)
            .field("closed", &self.closed)
            .field("close_code", &self.close_code)
            .finish()
    }
}

impl WebSocket {
    pub(crate) fn new(
        inner: WebSocketStream<BoxIo>,
        url: String,
        protocol: Option<String>,
        heartbeat: Option<Duration>,
        autoping: bool,
    ) -> Self {
        let ping_at = heartbeat.map(|h| asyncio::time::now() + h);
        Self {
            inner,
            url,
            protocol,
            heartbeat,
            autoping,
            ping_at,
            pong_by: None,
            close_code: None,
            closed: false,
        }
    }

    pub(crate) async fn from_raw(
        io: BoxIo,
        role: Role,
        config: super::WebSocketConfig,
        url: String,
        protocol: Option<String>,
        heartbeat: Option<Duration>,
    ) -> Self {
        let inner = WebSocketStream::from_raw_socket(io, role, Some(config)).await;
        Self::new(inner, url, protocol, heartbeat, true)
    }

    /// The subprotocol both sides agreed on.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The close code: the peer's when it closed first, ours when we did (aiohttp's
    /// `close_code`), 1006 when the connection was lost.
    pub fn close_code(&self) -> Option<u16> {
        self.close_code
    }

    /// Whether the connection is closed (or closing).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn error(&mut self, e: tungstenite::Error) -> Error {
        self.closed = true;
        if self.close_code.is_none() {
            self.close_code = Some(1006);
        }
        let reason = match e {
            tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            ) => "the peer disappeared without a close frame".to_owned(),
            other => other.to_string(),
        };
        Error::WebSocket {
            url: self.url.clone(),
            reason,
        }
    }

    /// Sends a message, waiting until the socket has taken it (backpressure: a slow reader
    /// slows the sender down).
    ///
    /// # Errors
    /// [`Error::WebSocket`] when the connection is closed or broken.
    pub async fn send(&mut self, msg: Message) -> Result<()> {
        if self.closed && !matches!(msg, Message::Close(_)) {
            return Err(Error::WebSocket {
                url: self.url.clone(),
                reason: "send on a closed WebSocket".into(),
            });
        }
        match self.inner.send(msg).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Sends a text message.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_text(&mut self, text: impl Into<String>) -> Result<()> {
        self.send(Message::text(text.into())).await
    }

    /// Sends a binary message.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<()> {
        self.send(Message::Binary(data.into())).await
    }

    /// Sends a value as a JSON text message.
    ///
    /// # Errors
    /// As [`send`](Self::send), or [`Error::Decode`] when it does not serialise.
    pub async fn send_json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).map_err(|e| Error::Decode {
            url: self.url.clone(),
            reason: e.to_string(),
        })?;
        self.send_text(text).await
    }

    /// Sends a ping.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn ping(&mut self, payload: impl Into<Bytes>) -> Result<()> {
        self.send(Message::Ping(payload.into())).await
    }

    /// Sends a pong.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn pong(&mut self, payload: impl Into<Bytes>) -> Result<()> {
        self.send(Message::Pong(payload.into())).await
    }

    /// The next message: text, binary, a close (after which `receive` returns `Ok(None)`),
    /// and pings and pongs when autoping is off. Fragmented messages arrive whole.
    ///
    /// # Errors
    /// [`Error::WebSocket`] when the peer breaks the protocol, sends a message over the size
    /// limit, stops answering the heartbeat, or disappears without a close frame; the
    /// connection is then closed.
    pub async fn receive(&mut self) -> Result<Option<Message>> {
        loop {
            if self.closed {
                return Ok(None);
            }
            let deadline = match (self.pong_by, self.ping_at) {
                (Some(p), _) => Some(p),
                (None, a) => a,
            };
            let next = std::future::poll_fn(|cx| Pin::new(&mut self.inner).poll_next(cx));
            let item = match deadline {
                Some(at) => match asyncio::time::timeout_at(at, next).await {
                    Ok(item) => item,
                    Err(_) => {
                        self.beat().await?;
                        continue;
                    }
                },
                None => next.await,
            };
            if let Some(h) = self.heartbeat {
                self.ping_at = Some(asyncio::time::now() + h);
                self.pong_by = None;
            }
            match item {
                None => {
                    self.closed = true;
                    return Ok(None);
                }
                Some(Err(
                    tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed,
                )) => {
                    self.closed = true;
                    return Ok(None);
                }
                Some(Err(e)) => return Err(self.error(e)),
                Some(Ok(Message::Close(frame))) => {
                    self.close_code = Some(frame.as_ref().map_or(1005, |f| u16::from(f.code)));
                    self.closed = true;
                    // tungstenite queued the reply; reading on sends it, and ends when the
                    // peer has closed the connection.
                    self.drain().await;
                    return Ok(Some(Message::Close(frame)));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) if self.autoping => {}
                Some(Ok(Message::Frame(_))) => {}
                Some(Ok(m)) => return Ok(Some(m)),
            }
        }
    }

    /// Reads (and drops) whatever still arrives until the connection ends, for at most 10 s:
    /// this sends a queued close reply and notes the peer's close code.
    async fn drain(&mut self) {
        let inner = &mut self.inner;
        let code = &mut self.close_code;
        let drain = async {
            loop {
                let next = std::future::poll_fn(|cx| Pin::new(&mut *inner).poll_next(cx));
                match next.await {
                    Some(Ok(Message::Close(frame))) if code.is_none() => {
                        *code = Some(frame.as_ref().map_or(1005, |f| u16::from(f.code)));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                }
            }
        };
        let _ = asyncio::time::timeout(CLOSE_WAIT, drain).await;
    }

    /// The heartbeat's timer fired: a ping is due, or the pong is late.
    async fn beat(&mut self) -> Result<()> {
        let Some(h) = self.heartbeat else {
            return Ok(());
        };
        if self.pong_by.is_some() {
            self.close_code = Some(1006);
            // As aiohttp: no close frame (1006 is never sent), the connection is shut.
            let io = self.inner.get_mut();
            let shut = std::future::poll_fn(|cx| Pin::new(&mut *io).poll_close(cx));
            let _ = asyncio::time::timeout(Duration::from_secs(1), shut).await;
            self.closed = true;
            return Err(Error::WebSocket {
                url: self.url.clone(),
                reason: format!("no pong within {:?} of a heartbeat ping", h / 2),
            });
        }
        self.pong_by = Some(asyncio::time::now() + h / 2);
        self.ping_at = None;
        match self.inner.send(Message::Ping(Bytes::new())).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Receives a text (or binary) message and parses it as JSON.
    ///
    /// # Errors
    /// As [`receive`](Self::receive); [`Error::Decode`] for invalid JSON or a message that is
    /// not data; [`Error::WebSocket`] when the connection closed instead.
    pub async fn receive_json<T: serde::de::DeserializeOwned>(&mut self) -> Result<T> {
        let data = match self.receive().await? {
            Some(Message::Text(t)) => Bytes::from(t),
            Some(Message::Binary(b)) => b,
            other => {
                return Err(Error::WebSocket {
                    url: self.url.clone(),
                    reason: format!("expected a data message, got {other:?}"),
                })
            }
        };
        serde_json::from_slice(&data).map_err(|e| Error::Decode {
            url: self.url.clone(),
            reason: e.to_string(),
        })
    }

    /// Closes the connection: sends a close frame with `code` and `reason`, then waits (up to
    /// 10 s) for the peer's, dropping any messages still in flight.
    ///
    /// # Errors
    /// [`Error::WebSocket`] when the close frame cannot be sent.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        self.close_code = Some(code);
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.to_owned().into(),
        };
        match self.inner.close(Some(frame)).await {
            Ok(()) | Err(tungstenite::Error::ConnectionClosed) => {}
            Err(e) => return Err(self.error(e)),
        }
        self.drain().await;
        Ok(())
    }
}
