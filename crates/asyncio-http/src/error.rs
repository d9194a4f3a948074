//! [`Error`]: what went wrong with a request, and for which URL.

use std::fmt;

/// Which timeout of a [`ClientTimeout`](crate::ClientTimeout) expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutKind {
    /// The whole request, body included.
    Total,
    /// Waiting for a pooled connection plus connecting.
    Connect,
    /// The TCP connect alone.
    SockConnect,
    /// The gap between two reads (headers or body).
    SockRead,
}

/// A request's failure: one enum that says what happened and to which URL (aiohttp's
/// `ClientError` hierarchy in one type).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL cannot be requested (bad syntax, unsupported scheme, no host).
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The host name did not resolve.
    Dns {
        /// The URL requested.
        url: String,
        /// The resolver's error.
        source: std::io::Error,
    },
    /// No connection could be made (refused, unreachable, reset during connect).
    Connect {
        /// The URL requested.
        url: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// The TLS handshake failed (untrusted or mismatched certificate, protocol error).
    Tls {
        /// The URL requested.
        url: String,
        /// The handshake's error.
        source: std::io::Error,
    },
    /// A timeout expired.
    Timeout {
        /// The URL requested.
        url: String,
        /// Which one.
        kind: TimeoutKind,
    },
    /// More redirects than allowed, or a redirect loop.
    TooManyRedirects {
        /// The URL of the last response.
        url: String,
        /// The limit.
        max: usize,
        /// Whether a URL repeated.
        looped: bool,
    },
    /// The body is larger than the configured maximum.
    BodyTooLarge {
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The response could not be decoded (bad compression, JSON, text).
    Decode {
        /// The URL requested.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The server broke the protocol or the connection (a garbage status line, a truncated
    /// body, a reset mid-body, oversized headers).
    Protocol {
        /// The URL requested.
        url: String,
        /// hyper's or the socket's description.
        reason: String,
    },
    /// The proxy refused or failed: it could not be reached, it answered `CONNECT` with
    /// anything but 200 (`407` when it wants credentials), it spoke garbage, or a SOCKS5
    /// server replied with an error, a wrong version or an unknown address type.
    Proxy {
        /// The URL requested.
        url: String,
        /// The proxy's status line status (`407`, `502`, ...), when it answered in HTTP.
        status: Option<http::StatusCode>,
        /// What failed.
        reason: String,
    },
    /// A WebSocket failed: the handshake was refused, or the peer broke the protocol (an
    /// oversized message, invalid UTF-8 in a text frame, a fragmented control frame, a masked
    /// frame from a server, data after close) or disappeared without a close frame.
    WebSocket {
        /// The URL of the WebSocket.
        url: String,
        /// What failed.
        reason: String,
    },
    /// `error_for_status` on a 4xx or 5xx response.
    Status {
        /// The URL of the response.
        url: String,
        /// Its status.
        status: http::StatusCode,
    },
}

impl Error {
    /// The URL the error concerns.
    pub fn url(&self) -> &str {
        match self {
            Error::InvalidUrl { url, .. }
            | Error::Dns { url, .. }
            | Error::Connect { url, .. }
            | Error::Tls { url, .. }
            | Error::Timeout { url, .. }
            | Error::TooManyRedirects { url, .. }
            | Error::BodyTooLarge { url, .. }
            | Error::Decode { url, .. }
            | Error::Protocol { url, .. }
            | Error::Proxy { url, .. }
            | Error::WebSocket { url, .. }
            | Error::Status { url, .. } => url,
        }
    }

    /// A short name for the kind of error (for logs and JSON output): `invalid_url`, `dns`,
    /// `connect`, `tls`, `timeout`, `too_many_redirects`, `body_too_large`, `decode`,
    /// `protocol`, `proxy`, `websocket`, `status`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidUrl { .. } => "invalid_url",
            Error::Dns { .. } => "dns",
            Error::Connect { .. } => "connect",
            Error::Tls { .. } => "tls",
            Error::Timeout { .. } => "timeout",
            Error::TooManyRedirects { .. } => "too_many_redirects",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::Decode { .. } => "decode",
            Error::Protocol { .. } => "protocol",
            Error::Proxy { .. } => "proxy",
            Error::WebSocket { .. } => "websocket",
            Error::Status { .. } => "status",
        }
    }

    /// Whether it is a timeout (of any kind).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }
}

impl Error {
    /// What happened, without the URL (for output that shows the URL already, such as
    /// asyncio-fetch's JSON lines): `cannot connect: 127.0.0.1:1: Connection refused`.
    pub fn detail(&self) -> String {
        Detail(self).to_string()
    }
}

/// The message after the URL.
struct Detail<'a>(&'a Error);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::InvalidUrl { reason, .. } => write!(f, "invalid URL: {reason}"),
            Error::Dns { source, .. } => write!(f, "name resolution failed: {source}"),
            Error::Connect { source, .. } => write!(f, "cannot connect: {source}"),
            Error::Tls { source, .. } => write!(f, "TLS failed: {source}"),
            Error::Timeout { kind, .. } => write!(f, "{kind:?} timeout"),
            Error::TooManyRedirects { max, looped, .. } => {
                if *looped {
                    write!(f, "redirect loop")
                } else {
                    write!(f, "more than {max} redirects")
                }
            }
            Error::BodyTooLarge { limit, .. } => write!(f, "body larger than {limit} bytes"),
            Error::Decode { reason, .. } => write!(f, "cannot decode the body: {reason}"),
            Error::Protocol { reason, .. } => write!(f, "{reason}"),
            Error::Proxy {
                status: Some(s), ..
            } if *s == http::StatusCode::PROXY_AUTHENTICATION_REQUIRED => write!(
                f,
                "the proxy wants credentials (407 Proxy Authentication Required): \
                 give them in the proxy URL, http://user:password@proxy:port"
            ),
            Error::Proxy { reason, .. } => write!(f, "proxy: {reason}"),
            Error::WebSocket { reason, .. } => write!(f, "WebSocket: {reason}"),
            Error::Status { status, .. } => write!(f, "HTTP status {status}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl { url, reason } => write!(f, "invalid URL {url:?}: {reason}"),
            other => write!(f, "{}: {}", other.url(), Detail(other)),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Dns { source, .. }
            | Error::Connect { source, .. }
            | Error::Tls { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
