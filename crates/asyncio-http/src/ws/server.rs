//! The server side: [`upgrade`] checks a request's WebSocket handshake and answers it, for any
//! hyper service (an axum handler included), and [`Upgrading`] becomes the [`WebSocket`] once
//! hyper hands over the connection.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use async_tungstenite::tungstenite::handshake::derive_accept_key;
use async_tungstenite::tungstenite::protocol::Role;
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use http_body_util::Full;

use super::{WebSocket, DEFAULT_MAX_MESSAGE};

/// The server's WebSocket settings.
#[derive(Clone, Debug)]
pub struct WsOptions {
    /// Subprotocols this server speaks, in order of preference: the first the client also
    /// offers is chosen.
    pub protocols: Vec<String>,
    /// The largest message (and frame) accepted (default 4 MiB, aiohttp's).
    pub max_message_size: Option<usize>,
    /// aiohttp's `heartbeat` (default none).
    pub heartbeat: Option<Duration>,
}

impl Default for WsOptions {
    fn default() -> Self {
        Self {
            protocols: Vec::new(),
            max_message_size: Some(DEFAULT_MAX_MESSAGE),
            heartbeat: None,
        }
    }
}

/// The connection, once hyper has sent the `101` answer and handed it over.
#[must_use = "the WebSocket exists once this is awaited"]
pub struct Upgrading {
    on: hyper::upgrade::OnUpgrade,
    options: WsOptions,
    protocol: Option<String>,
    url: String,
}

impl std::fmt::Debug for Upgrading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgrading").field("url", &self.url).finish()
    }
}

impl Upgrading {
    /// Waits for the upgraded connection.
    ///
    /// # Errors
    /// [`Error::WebSocket`](crate::Error::WebSocket) when the connection closed before
    /// hyper handed it over (or the service was not served with upgrades on).
    pub async fn connect(self) -> crate::Result<WebSocket> {
        let Upgrading {
            on,
            options,
            protocol,
            url,
        } = self;
        let upgraded = on.await.map_err(|e| crate::Error::WebSocket {
            url: url.clone(),
            reason: format!("the upgrade did not complete: {e}"),
        })?;
        let io: crate::client::BoxIo = Box::new(asyncio::compat::hyper::FuturesIo(upgraded));
        Ok(WebSocket::from_raw(
            io,
            Role::Server,
            super::config(options.max_message_size),
            url,
            protocol,
            options.heartbeat,
        )
        .await)
    }
}

impl IntoFuture for Upgrading {
    type Output = crate::Result<WebSocket>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.connect())
    }
}

/// A handshake refused: the answer to send back (`400` for a request that is not a
/// WebSocket handshake, `426` for another version).
pub type Refusal = http::Response<Full<Bytes>>;

/// Checks `req`'s WebSocket handshake (`GET`, `Upgrade: websocket`, `Connection: upgrade`,
/// version 13, a key) and makes the `101 Switching Protocols` answer, choosing the first
/// subprotocol in `options` that the client offers. Send the answer from the service, and
/// await the [`Upgrading`] (on the loop, in a task of its own) to get the [`WebSocket`].
///
/// Works in any hyper service served with upgrades — this crate's router,
/// `asyncio::compat::hyper::serve`, and axum handlers mounted on it:
///
/// ```ignore
/// async fn chat(mut req: axum::extract::Request) -> axum::response::Response {
///     match asyncio_http::ws::upgrade(&mut req, &Default::default()) {
///         Ok((answer, upgrading)) => {
///             asyncio::spawn(async move {
///                 let Ok(mut ws) = upgrading.await else { return };
///                 while let Ok(Some(m)) = ws.receive().await {
///                     let _ = ws.send(m).await;
///                 }
///             });
///             answer.map(axum::body::Body::new)
///         }
///         Err(refusal) => refusal.map(axum::body::Body::new),
///     }
/// }
/// ```
///
/// # Errors
/// The [`Refusal`] to send when the request is not a valid handshake.
pub fn upgrade<B>(
    req: &mut http::Request<B>,
    options: &WsOptions,
) -> Result<(http::Response<Full<Bytes>>, Upgrading), Box<Refusal>> {
    let refuse = |status: StatusCode, why: &str| {
        let mut r = http::Response::new(Full::new(Bytes::from(why.to_owned())));
        *r.status_mut() = status;
        if status == StatusCode::UPGRADE_REQUIRED {
            r.headers_mut().insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
        }
        Box::new(r)
    };
    let h = req.headers();
    let has = |name: header::HeaderName, token: &str| {
        h.get_all(name).iter().any(|v| {
            v.to_str()
                .map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
                .unwrap_or(false)
        })
    };
    if req.method() != http::Method::GET
        || !has(header::UPGRADE, "websocket")
        || !has(header::CONNECTION, "upgrade")
    {
        return Err(refuse(StatusCode::BAD_REQUEST, "not a WebSocket handshake"));
    }
    if h.get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(refuse(
            StatusCode::UPGRADE_REQUIRED,
            "WebSocket version 13 only",
        ));
    }
    let Some(key) = h.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(refuse(StatusCode::BAD_REQUEST, "no Sec-WebSocket-Key"));
    };
    let accept = derive_accept_key(key.as_bytes());
    let offered: Vec<String> = h
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_owned())
        .collect();
    let protocol = options
        .protocols
        .iter()
        .find(|p| offered.iter().any(|o| o == *p))
        .cloned();
    let url = req.uri().to_string();
    let mut answer = http::Response::new(Full::new(Bytes::new()));
    *answer.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let ah = answer.headers_mut();
    ah.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    ah.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::try_from(accept) {
        ah.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    if let Some(p) = &protocol {
        if let Ok(v) = HeaderValue::try_from(p.as_str()) {
            ah.insert(header::SEC_WEBSOCKET_PROTOCOL, v);
        }
    }
    let upgrading = Upgrading {
        on: hyper::upgrade::on(req),
        options: options.clone(),
        protocol,
        url,
    };
    Ok((answer, upgrading))
}
