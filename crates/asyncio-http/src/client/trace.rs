//! [`Trace`]: hooks into a request's life (aiohttp's `TraceConfig`), for metrics and `tracing`
//! spans.

use std::time::Duration;

use http::{Method, StatusCode};

/// Callbacks a session calls as requests progress. Every method has an empty default;
/// implement the ones you need and add the tracer with
/// [`SessionConfig::trace`](crate::SessionConfig).
pub trait Trace {
    /// A request is about to be sent (each redirect hop and retry counts as one).
    fn request_start(&self, method: &Method, url: &url::Url) {
        let _ = (method, url);
    }

    /// The response headers arrived.
    fn request_end(&self, method: &Method, url: &url::Url, status: StatusCode, elapsed: Duration) {
        let _ = (method, url, status, elapsed);
    }

    /// The request failed.
    fn request_exception(&self, method: &Method, url: &url::Url, error: &crate::Error) {
        let _ = (method, url, error);
    }

    /// A redirect is being followed.
    fn redirect(&self, from: &url::Url, to: &url::Url, status: StatusCode) {
        let _ = (from, to, status);
    }

    /// A pooled connection was reused.
    fn connection_reuse(&self, host: &str) {
        let _ = host;
    }

    /// A new connection is being made.
    fn connection_create_start(&self, host: &str) {
        let _ = host;
    }

    /// A new connection is ready.
    fn connection_create_end(&self, host: &str, elapsed: Duration) {
        let _ = (host, elapsed);
    }

    /// A name lookup starts (not called for cache hits).
    fn dns_start(&self, host: &str) {
        let _ = host;
    }

    /// A name lookup ended.
    fn dns_end(&self, host: &str, elapsed: Duration) {
        let _ = (host, elapsed);
    }

    /// A body chunk arrived (decoded size).
    fn chunk_received(&self, url: &url::Url, len: usize) {
        let _ = (url, len);
    }

    /// A request is retried (see [`RetryPolicy`](crate::RetryPolicy)).
    fn retry(&self, url: &url::Url, attempt: u32, delay: Duration) {
        let _ = (url, attempt, delay);
    }

    /// An attempt ended (headers in, or failed), with its timings: one call per attempt, per
    /// redirect hop. The same figures are the fields of its `http.request` span.
    fn request_done(&self, record: &RequestRecord) {
        let _ = record;
    }
}

/// One attempt of one request, as [`Trace::request_done`] reports it and its `http.request`
/// `tracing` span records it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The method.
    pub method: Method,
    /// The URL, its password (if any) replaced by `***`.
    pub url: String,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// The status, when headers arrived.
    pub status: Option<StatusCode>,
    /// The error's kind ([`Error::kind`](crate::Error::kind)), when it failed.
    pub error: Option<&'static str>,
    /// Whether a pooled connection carried it.
    pub reused: bool,
    /// The name lookup of a new connection (`None`: pooled, or an IP address).
    pub dns: Option<Duration>,
    /// The TCP connect of a new connection.
    pub connect: Option<Duration>,
    /// The TLS handshake of a new connection.
    pub tls: Option<Duration>,
    /// From sending the request to its response's headers.
    pub first_byte: Option<Duration>,
    /// The whole attempt, waiting for a connection included.
    pub elapsed: Duration,
}

impl RequestRecord {
    /// The record as one JSON object (durations in milliseconds), for `--trace` files.
    pub fn to_json(&self) -> serde_json::Value {
        let ms = |d: Option<Duration>| d.map(|d| d.as_secs_f64() * 1000.0);
        serde_json::json!({
            "method": self.method.as_str(),
            "url": self.url,
            "attempt": self.attempt,
            "status": self.status.map(|s| s.as_u16()),
            "error": self.error,
            "reused": self.reused,
            "dns_ms": ms(self.dns),
            "connect_ms": ms(self.connect),
            "tls_ms": ms(self.tls),
            "first_byte_ms": ms(self.first_byte),
            "elapsed_ms": self.elapsed.as_secs_f64() * 1000.0,
        })
    }
}

/// `url` with its password replaced by `***`, for logs and traces.
pub(crate) fn redacted(url: &url::Url) -> String {
    if url.password().is_none() {
        return url.to_string();
    }
    let mut u = url.clone();
    let _ = u.set_password(Some("***"));
    u.to_string()
}

/// A [`Trace`] that emits `tracing` events at debug level.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingTrace;

impl Trace for TracingTrace {
    fn request_start(&self, method: &Method, url: &url::Url) {
        tracing::debug!(%method, %url, "request start");
    }

    fn request_end(&self, method: &Method, url: &url::Url, status: StatusCode, elapsed: Duration) {
        tracing::debug!(%method, %url, %status, ?elapsed, "request end");
    }

    fn request_exception(&self, method: &Method, url: &url::Url, error: &crate::Error) {
        tracing::debug!(%method, %url, %error, "request failed");
    }

    fn redirect(&self, from: &url::Url, to: &url::Url, status: StatusCode) {
        tracing::debug!(%from, %to, %status, "redirect");
    }

    fn connection_reuse(&self, host: &str) {
        tracing::debug!(host, "connection reused");
    }

    fn connection_create_end(&self, host: &str, elapsed: Duration) {
        tracing::debug!(host, ?elapsed, "connection created");
    }
}

/// The tracers of a session (a shared list).
#[derive(Clone, Default)]
pub struct Tracers(pub(crate) Vec<std::rc::Rc<dyn Trace>>);

impl Tracers {
    /// Adds a tracer.
    pub fn push(&mut self, t: impl Trace + 'static) {
        self.0.push(std::rc::Rc::new(t));
    }

    pub(crate) fn each(&self, f: impl Fn(&dyn Trace)) {
        for t in &self.0 {
            f(&**t);
        }
    }
}

impl std::fmt::Debug for Tracers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tracers({})", self.0.len())
    }
}
