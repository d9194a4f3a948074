//! [`ClientTimeout`]: aiohttp's timeouts.

use std::time::Duration;

/// The timeouts of a request, as aiohttp's `ClientTimeout`. `None` means no limit. The
/// default is aiohttp's: 300 s in total, 30 s for the socket connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTimeout {
    /// The whole request: connecting, sending, the headers and the body.
    pub total: Option<Duration>,
    /// Waiting for a connection from the pool plus connecting.
    pub connect: Option<Duration>,
    /// The TCP (and TLS) connect alone.
    pub sock_connect: Option<Duration>,
    /// The longest gap between two reads, for the headers and each body chunk.
    pub sock_read: Option<Duration>,
}

impl Default for ClientTimeout {
    fn default() -> Self {
        Self {
            total: Some(Duration::from_secs(300)),
            connect: None,
            sock_connect: Some(Duration::from_secs(30)),
            sock_read: None,
        }
    }
}

impl ClientTimeout {
    /// No limits at all.
    pub fn none() -> Self {
        Self {
            total: None,
            connect: None,
            sock_connect: None,
            sock_read: None,
        }
    }

    /// Only a total limit.
    pub fn total(d: Duration) -> Self {
        Self {
            total: Some(d),
            ..Self::none()
        }
    }
}
