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
