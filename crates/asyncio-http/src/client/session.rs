//! [`ClientSession`]: aiohttp's session — one shared pool, default headers, a base URL,
//! timeouts, redirects, decompression, a cookie jar, credentials and proxies — and
//! [`SessionConfig`], its settings.

use std::rc::Rc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::Method;

use super::body::Payload;
use super::connector::{Connector, ConnectorConfig};
use super::proxy::Rules;
use super::{Auth, CookieJar, IntoUrl, Netrc, Proxies, RequestBuilder, RetryPolicy, Tracers};
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
    /// The cookie jar (default: a new, empty one; `None`: no cookies are kept or sent but a
    /// request's own).
    pub cookies: Option<CookieJar>,
    /// Credentials for every request (below a request's own and a URL's).
    pub auth: Option<Auth>,
    /// Proxies for every request (per request: [`RequestBuilder::proxy`]).
    pub proxy: Proxies,
    /// Credentials per host from a `.netrc` file, used when a request has none of its own.
    pub netrc: Option<Netrc>,
    /// Also read `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`, and `~/.netrc` (or
    /// `$NETRC`) when `netrc` is not set (aiohttp's `trust_env`; default off). When `proxy`
    /// sets any proxy, the environment's proxies are not used (its `NO_PROXY` still is).
    pub trust_env: bool,
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
            cookies: Some(CookieJar::new()),
            auth: None,
            proxy: Proxies::none(),
            netrc: None,
            trust_env: false,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) config: SessionConfig,
    pub(crate) connector: Rc<Connector>,
    /// The session's proxies with the environment's merged in.
    pub(crate) proxies: Rules,
    /// The session's `.netrc`, or the environment's.
    pub(crate) netrc: Option<Netrc>,
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
    pub(crate) inner: Rc<Inner>,
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
        let mut proxies = config.proxy.clone();
        let mut netrc = config.netrc.clone();
        if config.trust_env {
            let env = Proxies::from_env();
            if proxies.is_empty() {
                proxies.all = env.all;
                proxies.http = env.http;
                proxies.https = env.https;
            }
            proxies.no_proxy = proxies.no_proxy.or(env.no_proxy);
            if netrc.is_none() {
                netrc = Netrc::default_path().and_then(|p| Netrc::load(p).ok());
            }
        }
        Self {
            inner: Rc::new(Inner {
                connector: Connector::new(config.connector.clone()),
                proxies: proxies.compile(),
                netrc,
                config,
            }),
        }
    }

    /// The session's cookie jar (`None` when cookies are off).
    pub fn cookie_jar(&self) -> Option<&CookieJar> {
        self.inner.config.cookies.as_ref()
    }

    /// Idle connections in the pool.
    pub fn idle_connections(&self) -> usize {
        self.inner.connector.idle_count()
    }

    /// A request with any method.
    ///
    /// The URL — a string (joined to the session's base URL, if any) or an already parsed
    /// [`url::Url`] — is parsed and checked here, once; a bad one makes [`send`](
    /// RequestBuilder::send) return [`Error::InvalidUrl`](crate::Error::InvalidUrl).
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
            max_redirects: None,
            cookies: Vec::new(),
            auth: None,
            proxy: None,
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
