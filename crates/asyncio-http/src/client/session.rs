//! [`ClientSession`] and [`RequestBuilder`]: aiohttp's session — one shared pool, default
//! headers, a base URL, timeouts, redirects, decompression.

use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::Method;
use hyper::body::Body as _;

use super::body::Payload;
use super::connector::{Connector, ConnectorConfig, Key, Sender};
use super::decode::{Decoder, ACCEPT_ENCODING};
use super::{Attempt, Response, RetryPolicy, Tracers};
use crate::error::{Error, Result, TimeoutKind};
use crate::ClientTimeout;

/// Session settings.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// The pool's settings.
    pub connector: ConnectorConfig,
    /// Timeouts for every request (per request: [`RequestBuilder::timeout`]).
    pub timeout: ClientTimeout,
    /// Headers sent with every request.
    pub headers: HeaderMap,
    /// Relative URLs are joined to this.
    pub base_url: Option<url::Url>,
    /// Follow redirects (default on), at most `max_redirects` (default 10).
    pub follow_redirects: bool,
    /// The most redirects followed.
    pub max_redirects: usize,
    /// Decode gzip, deflate, brotli and zstd bodies, and ask for them (default on).
    pub auto_decompress: bool,
    /// Refuse bodies larger than this many bytes (default: no limit).
    pub max_body: Option<u64>,
    /// Opt-in retries with backoff (default: none).
    pub retry: Option<RetryPolicy>,
    /// Hooks called as requests progress.
    pub trace: Tracers,
}

impl Default for SessionConfig {
    fn default() -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("asyncio-http/", env!("CARGO_PKG_VERSION"))),
        );
        Self {
            connector: ConnectorConfig::default(),
            timeout: ClientTimeout::default(),
            headers,
            base_url: None,
            follow_redirects: true,
            max_redirects: 10,
            auto_decompress: true,
            max_body: None,
            retry: None,
            trace: Tracers::default(),
        }
    }
}

struct Inner {
    config: SessionConfig,
    connector: Rc<Connector>,
}

/// An HTTP client session (aiohttp's `ClientSession`): cheap to clone, one shared pool.
/// Belongs to the loop it is used on.
///
/// ```no_run
/// asyncio::run(async {
///     let session = asyncio_http::ClientSession::new();
///     let resp = session.get("https://example.com/").send().await.unwrap();
///     println!("{} {}", resp.status(), resp.text().await.unwrap().len());
/// });
/// ```
#[derive(Clone)]
pub struct ClientSession {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSession")
            .field("idle_connections", &self.inner.connector.idle_count())
            .finish()
    }
}

impl Default for ClientSession {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientSession {
    /// A session with aiohttp's defaults (100 connections, 300 s total timeout, redirects on).
    pub fn new() -> Self {
        Self::with_config(SessionConfig::default())
    }

    /// A session with `config`.
    pub fn with_config(config: SessionConfig) -> Self {
        Self {
            inner: Rc::new(Inner {
                connector: Connector::new(config.connector.clone()),
                config,
            }),
        }
    }

    /// Idle connections in the pool.
    pub fn idle_connections(&self) -> usize {
        self.inner.connector.idle_count()
    }

    /// A request with any method.
    ///
    /// The URL — a string (joined to the session's base URL, if any) or an already parsed
    /// [`url::Url`] — is parsed and checked here, once; a bad one makes [`send`](
    /// RequestBuilder::send) return [`Error::InvalidUrl`].
    pub fn request(&self, method: Method, url: impl IntoUrl) -> RequestBuilder {
        let (url, error) = match url.into_url(self.inner.config.base_url.as_ref()) {
            Ok(u) => (Some(u), None),
            Err(e) => (None, Some(e)),
        };
        RequestBuilder {
            session: self.clone(),
            method,
            url,
            headers: HeaderMap::new(),
            body: Payload::Bytes(Bytes::new()),
            query: Vec::new(),
            timeout: None,
            follow_redirects: None,
            error,
        }
    }

    /// A GET request.
    pub fn get(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A HEAD request.
    pub fn head(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }

    /// A POST request.
    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// A PUT request.
    pub fn put(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    /// A DELETE request.
    pub fn delete(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// A PATCH request.
    pub fn patch(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }
}

/// A request being built; [`send`](Self::send) runs it.
#[must_use = "a request does nothing until sent"]
pub struct RequestBuilder {
    session: ClientSession,
    method: Method,
    /// `None` when the URL was invalid (the error is in `error`).
    url: Option<url::Url>,
    headers: HeaderMap,
    body: Payload,
    query: Vec<(String, String)>,
    timeout: Option<ClientTimeout>,
    follow_redirects: Option<bool>,
    error: Option<Error>,
}

impl std::fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &self.url)
            .finish()
    }
}

impl RequestBuilder {
    /// The URL for an error message.
    fn url_text(&self) -> String {
        self.url
            .as_ref()
            .map(url::Url::to_string)
            .unwrap_or_default()
    }

    /// Adds a header (invalid names or values make `send` fail with `InvalidUrl`... no:
    /// with a clear error naming the header).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                self.headers.append(n, v);
            }
            _ => {
                self.error = Some(Error::InvalidUrl {
                    url: self.url_text(),
                    reason: format!("invalid header {name:?}"),
                })
            }
        }
        self
    }

    /// Adds query parameters (percent-encoded).
    pub fn query(mut self, params: &[(&str, &str)]) -> Self {
        self.query.extend(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self
    }

    /// A body of bytes.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Payload::Bytes(body.into());
        self
    }

    /// A body sent chunk by chunk as `stream` yields (chunked transfer encoding). A stream is
    /// sent once: a 307/308 redirect or a retry that would send it again ends with the
    /// response that asked for it instead.
    pub fn body_stream(
        mut self,
        stream: impl futures_core::Stream<Item = Bytes> + 'static,
    ) -> Self {
        self.body = Payload::stream(stream);
        self
    }

    /// A text body (`text/plain; charset=utf-8`).
    pub fn text(self, text: impl Into<String>) -> Self {
        self.header("content-type", "text/plain; charset=utf-8")
            .body(text.into())
    }

    /// A JSON body (`application/json`).
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(v) => self.header("content-type", "application/json").body(v),
            Err(e) => {
                self.error = Some(Error::Decode {
                    url: self.url_text(),
                    reason: format!("cannot encode the JSON body: {e}"),
                });
                self
            }
        }
    }

    /// A form body (`application/x-www-form-urlencoded`).
    pub fn form(self, fields: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }

    /// HTTP basic authentication.
    pub fn basic_auth(self, user: &str, password: Option<&str>) -> Self {
        use base64::Engine;
        let raw = format!("{user}:{}", password.unwrap_or(""));
        let token = base64::engine::general_purpose::STANDARD.encode(raw);
        self.header("authorization", &format!("Basic {token}"))
    }

    /// Bearer token authentication.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Timeouts for this request.
    pub fn timeout(mut self, timeout: ClientTimeout) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether to follow redirects (the session's setting by default).
    pub fn follow_redirects(mut self, on: bool) -> Self {
        self.follow_redirects = Some(on);
        self
    }

    /// Sends the request and waits for the response headers (the body is read from the
    /// [`Response`]).
    ///
    /// # Errors
    /// The [`Error`] that says what happened, with the URL.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the request; its connection is closed, not reused.
    pub async fn send(self) -> Result<Response> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let inner = self.session.inner.clone();
        let config = &inner.config;
        let timeout = self.timeout.unwrap_or(config.timeout);
        let deadline = timeout.total.map(|t| asyncio::time::now() + t);
        let mut url = self.url.expect("a builder without a URL carries its error");
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        let follow = self.follow_redirects.unwrap_or(config.follow_redirects);
        let mut method = self.method;
        let mut body = self.body;
        let mut headers = config.headers.clone();
        for (k, v) in &self.headers {
            headers.insert(k, v.clone());
        }
        if config.auto_decompress && !headers.contains_key(header::ACCEPT_ENCODING) {
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_static(ACCEPT_ENCODING),
            );
        }
        let mut history: Vec<url::Url> = Vec::new();
        loop {
            let resp = send_with_retries(&inner, &method, &url, &headers, &body, timeout, deadline)
                .await?;
            let redirect = follow
                && matches!(resp.status.as_u16(), 301 | 302 | 303 | 307 | 308)
                && resp.headers.contains_key(header::LOCATION);
            // A streamed body cannot be sent twice: a redirect that keeps it ends here.
            let keeps_body = matches!(resp.status.as_u16(), 307 | 308);
            if !redirect || (keeps_body && !body.replayable()) {
                let mut resp = resp;
                resp.history = history;
                return Ok(resp);
            }
            let location = resp.headers[header::LOCATION]
                .to_str()
                .unwrap_or("")
                .to_owned();
            let next = url.join(&location).map_err(|e| Error::InvalidUrl {
                url: location.clone(),
                reason: format!("bad redirect from {url}: {e}"),
            })?;
            if history.len() >= config.max_redirects {
                return Err(Error::TooManyRedirects {
                    url: url.to_string(),
                    max: config.max_redirects,
                    looped: false,
                });
            }
            if next == url || history.contains(&next) {
                return Err(Error::TooManyRedirects {
                    url: url.to_string(),
                    max: config.max_redirects,
                    looped: true,
                });
            }
            inner
                .config
                .trace
                .each(|t| t.redirect(&url, &next, resp.status));
            // 301/302/303 become GET without a body (HEAD stays HEAD); 307/308 keep both.
            if matches!(resp.status.as_u16(), 301..=303) && method != Method::HEAD {
                method = Method::GET;
                body = Payload::Bytes(Bytes::new());
                headers.remove(header::CONTENT_TYPE);
                headers.remove(header::CONTENT_LENGTH);
            }
            if next.host_str() != url.host_str()
                || next.port_or_known_default() != url.port_or_known_default()
            {
                headers.remove(header::AUTHORIZATION);
                headers.remove(header::COOKIE);
            }
            // Reading the redirect's small body lets its connection go back to the pool.
            drop(resp.bytes().await);
            history.push(std::mem::replace(&mut url, next));
        }
    }
}

/// What [`ClientSession::request`] accepts as a URL: a string, parsed (and joined to the
/// session's base URL), or a [`url::Url`] already parsed, used as it is. Either way it must be
/// `http` or `https` with a host.
pub trait IntoUrl {
    /// The URL, checked.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for bad syntax, another scheme, or no host.
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url>;
}

impl IntoUrl for url::Url {
    fn into_url(self, _base: Option<&url::Url>) -> Result<url::Url> {
        check_url(self)
    }
}

impl IntoUrl for &url::Url {
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url> {
        self.clone().into_url(base)
    }
}

impl IntoUrl for &str {
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url> {
        let parsed = match base {
            Some(b) => b.join(self),
            None => url::Url::parse(self),
        };
        check_url(parsed.map_err(|e| Error::InvalidUrl {
            url: self.to_owned(),
            reason: e.to_string(),
        })?)
    }
}

impl IntoUrl for &String {
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url> {
        self.as_str().into_url(base)
    }
}

impl IntoUrl for String {
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url> {
        self.as_str().into_url(base)
    }
}

fn check_url(url: url::Url) -> Result<url::Url> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::InvalidUrl {
            reason: format!("unsupported scheme {:?}", url.scheme()),
            url: url.into(),
        });
    }
    if url.host_str().is_none() {
        return Err(Error::InvalidUrl {
            url: url.into(),
            reason: "no host".into(),
        });
    }
    Ok(url)
}

/// One hop, bounded by the total deadline, with the session's retry policy and tracers.
async fn send_with_retries(
    inner: &Rc<Inner>,
    method: &Method,
    url: &url::Url,
    headers: &HeaderMap,
    body: &Payload,
    timeout: ClientTimeout,
    deadline: Option<Instant>,
) -> Result<Response> {
    let policy = inner
        .config
        .retry
        .filter(|_| RetryPolicy::idempotent(method));
    let mut attempt = 0u32;
    loop {
        let started = asyncio::time::now();
        inner.config.trace.each(|t| t.request_start(method, url));
        let one = send_once(inner, method, url, headers, body, timeout, deadline);
        let result = match deadline {
            Some(d) => asyncio::time::timeout_at(d, one).await.unwrap_or_else(|_| {
                Err(Error::Timeout {
                    url: url.to_string(),
                    kind: TimeoutKind::Total,
                })
            }),
            None => one.await,
        };
        match &result {
            Ok(r) => inner
                .config
                .trace
                .each(|t| t.request_end(method, url, r.status, started.elapsed())),
            Err(e) => inner
                .config
                .trace
                .each(|t| t.request_exception(method, url, e)),
        }
        let Some(policy) = policy else { return result };
        attempt += 1;
        let seed = started.elapsed().as_nanos() as u64 ^ u64::from(attempt);
        let outcome = match &result {
            Ok(r) => Attempt::Response(r.status, &r.headers),
            Err(e) => Attempt::Failed(e),
        };
        let Some(delay) = policy.next_delay(attempt, outcome, seed) else {
            return result;
        };
        if deadline.is_some_and(|d| asyncio::time::now() + delay >= d) {
            return result;
        }
        if let Ok(r) = result {
            // Read the small error body so the connection goes back to the pool.
            drop(r.bytes().await);
        }
        inner.config.trace.each(|t| t.retry(url, attempt, delay));
        asyncio::time::sleep(delay).await;
    }
}

fn key_of(url: &url::Url) -> Key {
    Key {
        https: url.scheme() == "https",
        host: url
            .host_str()
            .unwrap_or("")
            .trim_matches(['[', ']'])
            .to_owned(),
        port: url.port_or_known_default().unwrap_or(80),
    }
}

async fn send_once(
    inner: &Rc<Inner>,
    method: &Method,
    url: &url::Url,
    headers: &HeaderMap,
    body: &Payload,
    timeout: ClientTimeout,
    deadline: Option<Instant>,
) -> Result<Response> {
    let key = key_of(url);
    let url_s = url.to_string();
    let mut retried = false;
    loop {
        let acquire =
            inner
                .connector
                .acquire(&key, &url_s, timeout.sock_connect, &inner.config.trace);
        let mut lease = match timeout.connect {
            Some(d) => asyncio::time::timeout(d, acquire)
                .await
                .map_err(|_| Error::Timeout {
                    url: url_s.clone(),
                    kind: TimeoutKind::Connect,
                })??,
            None => acquire.await?,
        };
        let mut req = http::Request::builder().method(method.clone());
        let h2 = matches!(lease.sender, Sender::H2(_));
        req = if h2 {
            req.uri(url.as_str())
        } else {
            let path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            let host = match url.port() {
                Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
                None => url.host_str().unwrap_or("").to_owned(),
            };
            req.uri(path).header(header::HOST, host)
        };
        let mut request = req.body(body.to_body()).map_err(|e| Error::InvalidUrl {
            url: url_s.clone(),
            reason: e.to_string(),
        })?;
        request.headers_mut().extend(headers.clone());
        let sent = async {
            match &mut lease.sender {
                Sender::H1(s) => {
                    s.ready().await?;
                    s.send_request(request).await
                }
                Sender::H2(s) => {
                    s.ready().await?;
                    s.send_request(request).await
                }
            }
        };
        let result = match timeout.sock_read {
            Some(d) => asyncio::time::timeout(d, sent)
                .await
                .map_err(|_| Error::Timeout {
                    url: url_s.clone(),
                    kind: TimeoutKind::SockRead,
                })?,
            None => sent.await,
        };
        let response = match result {
            Ok(r) => r,
            Err(e)
                if lease.reused
                    && !retried
                    && RetryPolicy::idempotent(method)
                    && body.replayable()
                    && stale(&e) =>
            {
                // The server closed an idle keep-alive connection: once more, on a new one.
                retried = true;
                continue;
            }
            Err(e) => {
                return Err(Error::Protocol {
                    url: url_s,
                    reason: describe(&e),
                })
            }
        };
        let (parts, incoming) = response.into_parts();
        let encoding = parts
            .headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let decoder = if inner.config.auto_decompress {
            match Decoder::for_encoding(encoding.as_deref()) {
                Some(Decoder::Identity) => None,
                Some(d) => Some(d),
                None => {
                    return Err(Error::Decode {
                        url: url_s,
                        reason: format!("unsupported content encoding {encoding:?}"),
                    })
                }
            }
        } else {
            None
        };
        let empty = incoming.is_end_stream();
        let reason = parts
            .extensions
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| Bytes::copy_from_slice(r.as_bytes()));
        let peer = lease.peer;
        let mut resp = Response {
            status: parts.status,
            reason,
            peer,
            version: parts.version,
            headers: parts.headers,
            url: url.clone(),
            history: Vec::new(),
            body: Some(incoming),
            decoder,
            lease: Some(lease),
            connector: inner.connector.clone(),
            deadline,
            sock_read: timeout.sock_read,
            max_body: inner.config.max_body,
            received: 0,
            trace: inner.config.trace.clone(),
        };
        if empty || method == Method::HEAD {
            // Nothing to read: the connection can go back now.
            let _ = resp.chunk().await;
        }
        let _ = resp.key();
        return Ok(resp);
    }
}

/// A failure typical of a keep-alive connection the server had closed.
/// Whether a request on a reused connection failed because the server had closed it (then
/// it is safe to send again on a new one): hyper's own kinds, or an I/O error of the
/// closed-connection kinds anywhere in the error's chain.
fn stale(e: &hyper::Error) -> bool {
    use std::error::Error as _;
    if e.is_canceled() || e.is_incomplete_message() || e.is_closed() {
        return true;
    }
    let mut src = e.source();
    while let Some(inner) = src {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::NotConnected
            );
        }
        src = inner.source();
    }
    false
}

fn describe(e: &hyper::Error) -> String {
    use std::error::Error as _;
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}
