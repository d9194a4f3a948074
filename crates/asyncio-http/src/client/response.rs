//! [`Response`]: status, headers, the final URL and redirect history, and the body — whole,
//! as text or JSON, or chunk by chunk — decoded, bounded and timed.

use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Version};
use http_body_util::BodyExt;

use super::connector::{Connector, Key, Lease, Sender};
use super::decode::Decoder;
use crate::error::{Error, Result, TimeoutKind};

/// A redirect that a request followed: one entry of [`Response::history`] (aiohttp's
/// `history`, without the redirect's body).
#[derive(Clone, Debug)]
pub struct Redirect {
    /// The URL that answered with the redirect.
    pub url: url::Url,
    /// Its status (301, 302, 303, 307 or 308).
    pub status: StatusCode,
    /// Its headers (`Location` among them).
    pub headers: HeaderMap,
}

/// A response (aiohttp's `ClientResponse`). The connection returns to the pool once the body
/// has been read to the end; dropping a response before that closes the connection.
pub struct Response {
    pub(crate) status: StatusCode,
    /// The server's own reason phrase, when it differs from the standard one.
    pub(crate) reason: Option<Bytes>,
    /// The server's address (for the record: WARC's `WARC-IP-Address`).
    pub(crate) peer: Option<std::net::SocketAddr>,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) url: url::Url,
    pub(crate) history: Vec<Redirect>,
    pub(crate) body: Option<hyper::body::Incoming>,
    pub(crate) decoder: Option<Decoder>,
    pub(crate) lease: Option<Lease>,
    pub(crate) connector: Rc<Connector>,
    pub(crate) deadline: Option<Instant>,
    pub(crate) sock_read: Option<Duration>,
    pub(crate) max_body: Option<u64>,
    pub(crate) received: u64,
    pub(crate) trace: super::Tracers,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url.as_str())
            .field("status", &self.status)
            .field("version", &self.version)
            .finish()
    }
}

impl Response {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase the server sent (`"OK"`, `"Not Found"`); the standard one for the
    /// status when the server's was the same, or for HTTP/2, which sends none.
    pub fn reason(&self) -> &str {
        match &self.reason {
            Some(r) => std::str::from_utf8(r).unwrap_or(""),
            None => self.status.canonical_reason().unwrap_or(""),
        }
    }

    /// The address of the server that sent the response (after redirects, the last one);
    /// `None` when the socket could not say.
    pub fn remote_addr(&self) -> Option<std::net::SocketAddr> {
        self.peer
    }

    /// The HTTP version spoken.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The final URL, after redirects.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// The responses that redirected here, in order.
    pub fn history(&self) -> &[Redirect] {
        &self.history
    }

    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// `Err(Error::Status)` for 4xx and 5xx (aiohttp's `raise_for_status`).
    ///
    /// # Errors
    /// As said.
    pub fn error_for_status(self) -> Result<Self> {
        if self.status.is_client_error() || self.status.is_server_error() {
            return Err(Error::Status {
                url: self.url.to_string(),
                status: self.status,
            });
        }
        Ok(self)
    }

    fn url_string(&self) -> String {
        self.url.to_string()
    }

    /// The next chunk of the decoded body, `None` at the end.
    ///
    /// # Errors
    /// Timeouts (`sock_read` between chunks, `total`), a body over the limit, a broken
    /// connection or bad compression.
    ///
    /// # Cancel safety
    /// Cancel-safe: a frame is only taken from the connection when the future completes, so a
    /// dropped call loses nothing and the next one goes on where it was.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        loop {
            let Some(body) = self.body.as_mut() else {
                return Ok(None);
            };
            let frame = {
                let next = body.frame();
                let limit = match (self.deadline, self.sock_read) {
                    (Some(d), Some(s)) => Some((
                        d.min(asyncio::time::now() + s),
                        d < asyncio::time::now() + s,
                    )),
                    (Some(d), None) => Some((d, true)),
                    (None, Some(s)) => Some((asyncio::time::now() + s, false)),
                    (None, None) => None,
                };
                match limit {
                    Some((at, is_total)) => match asyncio::time::timeout_at(at, next).await {
                        Ok(f) => f,
                        Err(_) => {
                            self.abandon();
                            return Err(Error::Timeout {
                                url: self.url_string(),
                                kind: if is_total {
                                    TimeoutKind::Total
                                } else {
                                    TimeoutKind::SockRead
                                },
                            });
                        }
                    },
                    None => next.await,
                }
            };
            match frame {
                None => {
                    // End of body: flush the decoder, give the connection back.
                    self.body = None;
                    let rest = match self.decoder.take() {
                        Some(d) => d.finish().map_err(|e| self.decode_error(e))?,
                        None => Vec::new(),
                    };
                    self.recycle();
                    return Ok((!rest.is_empty()).then(|| Bytes::from(rest)));
                }
                Some(Err(e)) => {
                    self.abandon();
                    return Err(Error::Protocol {
                        url: self.url_string(),
                        reason: self.body_error(&e),
                    });
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers
                    };
                    self.received += data.len() as u64;
                    if let Some(limit) = self.max_body {
                        if self.received > limit {
                            self.abandon();
                            return Err(Error::BodyTooLarge {
                                url: self.url_string(),
                                limit,
                            });
                        }
                    }
                    let plain = match &mut self.decoder {
                        Some(d) => Bytes::from(d.push(&data).map_err(|e| self.decode_error(e))?),
                        None => data,
                    };
                    if let Some(limit) = self.max_body {
                        // Compressed bombs: the decoded size counts too.
                        if plain.len() as u64 > limit {
                            self.abandon();
                            return Err(Error::BodyTooLarge {
                                url: self.url_string(),
                                limit,
                            });
                        }
                    }
                    if plain.is_empty() {
                        continue;
                    }
                    let url = &self.url;
                    self.trace.each(|t| t.chunk_received(url, plain.len()));
                    return Ok(Some(plain));
                }
            }
        }
    }

    /// Says why the body ended early, as curl does: how much of it came, or the cause (a
    /// reset connection) rather than only hyper's "error reading a body from connection".
    fn body_error(&self, e: &hyper::Error) -> String {
        let expected = self
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let mut cause = None;
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            if let Some(io) = inner.downcast_ref::<std::io::Error>() {
                cause = Some(io.to_string());
                if io.kind() == std::io::ErrorKind::ConnectionReset {
                    cause = Some("connection reset by peer".to_owned());
                }
            }
            src = inner.source();
        }
        let got = self.received;
        match (cause, expected) {
            (Some(c), Some(n)) => format!("{c} after {got} of {n} bytes"),
            (Some(c), None) => format!("{c} after {got} bytes"),
            (None, Some(n)) if e.is_incomplete_message() || got < n => {
                format!("connection closed with {got} of {n} bytes")
            }
            (None, _) if e.is_incomplete_message() => {
                format!("connection closed after {got} bytes, before the body's end")
            }
            (None, _) => e.to_string(),
        }
    }

    fn decode_error(&self, e: std::io::Error) -> Error {
        Error::Decode {
            url: self.url_string(),
            reason: e.to_string(),
        }
    }

    /// The whole decoded body.
    ///
    /// # Errors
    /// As [`chunk`](Self::chunk).
    ///
    /// # Cancel safety
    /// Not cancel-safe: the response is consumed; dropped midway, the bytes read so far are
    /// lost and the connection is closed, not returned to the pool.
    pub async fn bytes(mut self) -> Result<Bytes> {
        // Chunks are kept as they come and joined once at the end: a body of one chunk is
        // not copied at all, others once, into a buffer of the exact size.
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut total = 0usize;
        while let Some(c) = self.chunk().await? {
            total += c.len();
            if let Some(limit) = self.max_body {
                if total as u64 > limit {
                    return Err(Error::BodyTooLarge {
                        url: self.url_string(),
                        limit,
                    });
                }
            }
            chunks.push(c);
        }
        if chunks.len() == 1 {
            return Ok(chunks.pop().unwrap_or_default());
        }
        let mut out = Vec::with_capacity(total);
        for c in &chunks {
            out.extend_from_slice(c);
        }
        Ok(Bytes::from(out))
    }

    /// The body as text. The charset comes from `Content-Type` (UTF-8, Latin-1/ISO-8859-1,
    /// windows-1252 read as Latin-1); without one, UTF-8 when the bytes are valid UTF-8 (a BOM
    /// is dropped), Latin-1 otherwise. Invalid UTF-8 in a declared-UTF-8 body is replaced.
    ///
    /// # Errors
    /// As [`chunk`](Self::chunk).
    ///
    /// # Cancel safety
    /// As [`bytes`](Self::bytes).
    pub async fn text(self) -> Result<String> {
        let charset = self.content_type().and_then(|ct| {
            ct.split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase())
        });
        let bytes = self.bytes().await?;
        Ok(decode_text(&bytes, charset.as_deref()))
    }

    /// The body parsed as JSON into `T`.
    ///
    /// # Errors
    /// As [`chunk`](Self::chunk), or `Error::Decode` for invalid JSON.
    ///
    /// # Cancel safety
    /// As [`bytes`](Self::bytes).
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        let url = self.url_string();
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            url,
            reason: e.to_string(),
        })
    }

    /// Gives the connection back to the pool (HTTP/1 after a complete body).
    fn recycle(&mut self) {
        if let Some(lease) = self.lease.take() {
            if let Sender::H1(s, conn) = lease.sender {
                self.connector.release(&lease.key, s, conn, lease.peer);
            }
        }
    }

    /// Drops the body and the connection: it cannot be reused mid-message.
    fn abandon(&mut self) {
        self.body = None;
        self.lease = None;
    }

    pub(crate) fn key(&self) -> Option<&Key> {
        self.lease.as_ref().map(|l| &l.key)
    }
}

/// Decodes `bytes` as text (see [`Response::text`]).
pub(crate) fn decode_text(bytes: &[u8], charset: Option<&str>) -> String {
    let latin1 = |b: &[u8]| b.iter().map(|&c| c as char).collect::<String>();
    match charset {
        Some("iso-8859-1" | "latin1" | "latin-1" | "windows-1252" | "cp1252" | "us-ascii") => {
            latin1(bytes)
        }
        Some(_) => String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
            .into_owned(),
        None => {
            let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            match std::str::from_utf8(b) {
                Ok(s) => s.to_owned(),
                Err(_) => latin1(bytes),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::decode_text;

    #[test]
    fn charset_from_the_header_then_detection() {
        assert_eq!(decode_text(b"caf\xe9", Some("iso-8859-1")), "café");
        assert_eq!(decode_text("café".as_bytes(), Some("utf-8")), "café");
        assert_eq!(decode_text("café".as_bytes(), None), "café");
        assert_eq!(decode_text(b"caf\xe9", None), "café");
        assert_eq!(decode_text(b"\xEF\xBB\xBFhi", None), "hi");
        assert_eq!(decode_text(b"caf\xe9", Some("utf-8")), "caf\u{fffd}");
    }
}
