//! [`WsConnect`]: `session.ws_connect(url)`, aiohttp's, on the session's settings (headers,
//! cookies, credentials, proxies, TLS).

use std::time::Duration;

use async_tungstenite::tungstenite::{self, client::IntoClientRequest};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::{WebSocket, DEFAULT_MAX_MESSAGE};
use crate::client::{key_for, ClientSession, Proxies, Rules};
use crate::error::{Error, Result, TimeoutKind};

/// A WebSocket connection being set up; [`connect`](Self::connect) opens it.
///
/// ```
/// use asyncio_http::server::{serve, Router};
/// use asyncio_http::ws::Message;
/// asyncio::run(async {
///     let router = Router::new().websocket("/echo", |_req, mut ws| async move {
///         while let Ok(Some(msg)) = ws.receive().await {
///             if msg.is_text() || msg.is_binary() {
///                 let _ = ws.send(msg).await;
///             }
///         }
///     });
///     let server = serve("127.0.0.1:0", router).await.unwrap();
///     let url = format!("ws://{}/echo", server.local_addr().unwrap());
///     let session = asyncio_http::ClientSession::new();
///     let mut ws = session.ws_connect(&url).connect().await.unwrap();
///     ws.send_text("hi").await.unwrap();
///     assert_eq!(ws.receive().await.unwrap(), Some(Message::text("hi")));
///     ws.close(1000, "bye").await.unwrap();
///     server.shutdown(std::time::Duration::from_secs(1)).await;
/// });
/// ```
#[must_use = "nothing connects until `connect` is awaited"]
pub struct WsConnect {
    session: ClientSession,
    url: String,
    protocols: Vec<String>,
    headers: HeaderMap,
    heartbeat: Option<Duration>,
    autoping: bool,
    max_message: Option<usize>,
    timeout: Option<Duration>,
    proxy: Option<Rules>,
    error: Option<Error>,
}

impl std::fmt::Debug for WsConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsConnect").field("url", &self.url).finish()
    }
}

impl ClientSession {
    /// A WebSocket to `url` (`ws://`, `wss://`, or `http(s)://`; relative URLs join the base
    /// URL), with the session's headers, cookies, credentials, proxies and TLS settings.
    pub fn ws_connect(&self, url: &str) -> WsConnect {
        WsConnect {
            session: self.clone(),
            url: url.to_owned(),
            protocols: Vec::new(),
            headers: HeaderMap::new(),
            heartbeat: None,
            autoping: true,
            max_message: Some(DEFAULT_MAX_MESSAGE),
            timeout: Some(Duration::from_secs(10)),
            proxy: None,
            error: None,
        }
    }
}

impl WsConnect {
    /// Subprotocols to offer, in order of preference (`Sec-WebSocket-Protocol`). The server
    /// must choose one of them.
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// An extra handshake header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                self.headers.append(n, v);
            }
            _ => {
                self.error = Some(Error::InvalidUrl {
                    url: self.url.clone(),
                    reason: format!("invalid header {name:?}"),
                })
            }
        }
        self
    }

    /// aiohttp's `heartbeat`: ping after each quiet interval, close if no pong comes within
    /// half of it.
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = Some(every);
        self
    }

    /// Whether pings and pongs are handled out of sight (default on).
    pub fn autoping(mut self, on: bool) -> Self {
        self.autoping = on;
        self
    }

    /// The largest message (and frame) accepted, in bytes (default 4 MiB, aiohttp's;
    /// `None`: no limit).
    pub fn max_message_size(mut self, bytes: Option<usize>) -> Self {
        self.max_message = bytes;
        self
    }

    /// How long the connection and the handshake may take (default 10 s).
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// This connection's proxy instead of the session's.
    pub fn proxy(mut self, proxies: Proxies) -> Self {
        self.proxy = Some(proxies.compile());
        self
    }

    /// Connects and runs the opening handshake.
    ///
    /// # Errors
    /// The connection's errors as for a request ([`Error::Connect`], [`Error::Tls`],
    /// [`Error::Proxy`], ...), [`Error::Timeout`], or [`Error::WebSocket`] when the server
    /// refuses the upgrade (its status in the message) or picks a subprotocol not offered.
    ///
    /// # Cancel safety
    /// Dropping the future closes the connection being made.
    pub async fn connect(self) -> Result<WebSocket> {
        let timeout = self.timeout;
        let url_text = self.url.clone();
        let run = self.run();
        match timeout {
            Some(t) => asyncio::time::timeout(t, run)
                .await
                .unwrap_or(Err(Error::Timeout {
                    url: url_text,
                    kind: TimeoutKind::Connect,
                })),
            None => run.await,
        }
    }

    async fn run(self) -> Result<WebSocket> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let inner = &self.session.inner;
        let config = &inner.config;
        let invalid = |reason: String| Error::InvalidUrl {
            url: self.url.clone(),
            reason,
        };
        let parsed = match &config.base_url {
            Some(b) => b.join(&self.url),
            None => url::Url::parse(&self.url),
        }
        .map_err(|e| invalid(e.to_string()))?;
        // The HTTP twin of the URL: proxies, cookies and the pool speak in http(s).
        let mut http_url = parsed.clone();
        let scheme = match parsed.scheme() {
            "ws" | "http" => "http",
            "wss" | "https" => "https",
            other => return Err(invalid(format!("unsupported scheme {other:?}"))),
        };
        let _ = http_url.set_scheme(scheme);
        let mut ws_url = parsed;
        let _ = ws_url.set_scheme(if scheme == "https" { "wss" } else { "ws" });
        let auth = crate::Auth::from_url(&ws_url)
            .or_else(|| config.auth.clone())
            .or_else(|| inner.netrc.as_ref()?.auth_for(http_url.host_str()?));
        crate::client::strip_credentials(&mut ws_url);
        crate::client::strip_credentials(&mut http_url);
        let url_s = ws_url.to_string();
        let proxies = self.proxy.as_ref().unwrap_or(&inner.proxies);
        let via = proxies.via(&http_url)?;
        let key = key_for(&http_url, via.as_ref());
        let stream = inner
            .connector
            .open_stream(&key, &url_s, &config.trace)
            .await?;

        let ws_error = |reason: String| Error::WebSocket {
            url: url_s.clone(),
            reason,
        };
        let mut request = ws_url
            .as_str()
            .into_client_request()
            .map_err(|e| ws_error(e.to_string()))?;
        let headers = request.headers_mut();
        for (k, v) in &config.headers {
            if k != header::ACCEPT_ENCODING {
                headers.insert(k, v.clone());
            }
        }
        for (k, v) in &self.headers {
            headers.insert(k, v.clone());
        }
        if let Some(a) = auth {
            headers
                .entry(header::AUTHORIZATION)
                .or_insert(a.header_value());
        }
        if let Some(c) = config
            .cookies
            .as_ref()
            .and_then(|j| j.header_for(&http_url, &[]))
        {
            headers.insert(header::COOKIE, c);
        }
        if !self.protocols.is_empty() {
            let list = self.protocols.join(", ");
            let v = HeaderValue::try_from(list).map_err(|e| ws_error(e.to_string()))?;
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, v);
        }
        let ws_config = super::config(self.max_message);
        let (stream, response) =
            async_tungstenite::client_async_with_config(request, stream, Some(ws_config))
                .await
                .map_err(|e| match e {
                    tungstenite::Error::Http(resp) => ws_error(format!(
                        "the server refused the upgrade with {}",
                        resp.status()
                    )),
                    other => ws_error(format!("handshake failed: {other}")),
                })?;
        if let Some(jar) = &config.cookies {
            jar.store_response(response.headers(), &http_url);
        }
        let protocol = response
            .headers()
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(WebSocket::new(
            stream,
            url_s,
            protocol,
            self.heartbeat,
            self.autoping,
        ))
    }
}
