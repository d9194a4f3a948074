//! One exchange on the pool: a hop's request sent with the session's retry policy and
//! tracers ([`send_with_retries`]), on a pooled or new connection ([`send_once`]).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::Method;
use hyper::body::Body as _;
use tracing::Instrument as _;

use super::body::Payload;
use super::connector::{Key, Phases, Sender};
use super::decode::Decoder;
use super::proxy::Via;
use super::session::Inner;
use super::{Attempt, RequestRecord, Response, RetryPolicy};
use crate::error::{Error, Result, TimeoutKind};
use crate::ClientTimeout;

/// What one hop of a request sends.
pub(crate) struct Hop<'a> {
    pub(crate) method: &'a Method,
    pub(crate) url: &'a url::Url,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Payload,
    /// The proxy, if any.
    pub(crate) via: Option<&'a Via>,
}

/// One hop, bounded by the total deadline, with the session's retry policy and tracers.
pub(crate) async fn send_with_retries(
    inner: &Rc<Inner>,
    hop: &Hop<'_>,
    timeout: ClientTimeout,
    deadline: Option<Instant>,
) -> Result<Response> {
    let (method, url) = (hop.method, hop.url);
    let policy = inner
        .config
        .retry
        .filter(|_| RetryPolicy::idempotent(method));
    let mut attempt = 0u32;
    loop {
        let started = asyncio::time::now();
        inner.config.trace.each(|t| t.request_start(method, url));
        // One span per attempt (its fields filled as the attempt ends); free when no
        // subscriber listens.
        let span = tracing::info_span!(
            "http.request",
            method = %method,
            url = %super::trace::redacted(url),
            attempt = attempt + 1,
            status = tracing::field::Empty,
            error = tracing::field::Empty,
            reused = tracing::field::Empty,
            dns_ms = tracing::field::Empty,
            connect_ms = tracing::field::Empty,
            tls_ms = tracing::field::Empty,
            first_byte_ms = tracing::field::Empty,
        );
        let timing = Timing::default();
        let one = send_once(inner, hop, timeout, deadline, &timing);
        let result = match deadline {
            Some(d) => asyncio::time::timeout_at(d, one)
                .instrument(span.clone())
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Timeout {
                        url: url.to_string(),
                        kind: TimeoutKind::Total,
                    })
                }),
            None => one.instrument(span.clone()).await,
        };
        if !span.is_disabled() || !inner.config.trace.0.is_empty() {
            let record = timing.record(method, url, attempt + 1, &result, started.elapsed());
            record_span(&span, &record);
            inner.config.trace.each(|t| t.request_done(&record));
        }
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

pub(crate) fn key_for(url: &url::Url, via: Option<&Via>) -> Key {
    Key {
        via: via.cloned(),
        https: url.scheme() == "https",
        host: url
            .host_str()
            .unwrap_or("")
            .trim_matches(['[', ']'])
            .to_owned(),
        port: url.port_or_known_default().unwrap_or(80),
    }
}

/// What an attempt learns about its timings as it goes.
#[derive(Default)]
struct Timing {
    phases: Cell<Phases>,
    reused: Cell<bool>,
    first_byte: Cell<Option<Duration>>,
}

impl Timing {
    fn record(
        &self,
        method: &Method,
        url: &url::Url,
        attempt: u32,
        result: &Result<Response>,
        elapsed: Duration,
    ) -> RequestRecord {
        let phases = self.phases.get();
        RequestRecord {
            method: method.clone(),
            url: super::trace::redacted(url),
            attempt,
            status: result.as_ref().ok().map(|r| r.status),
            error: result.as_ref().err().map(Error::kind),
            reused: self.reused.get(),
            dns: phases.dns,
            connect: phases.connect,
            tls: phases.tls,
            first_byte: self.first_byte.get(),
            elapsed,
        }
    }
}

/// Fills the attempt's span with the record's figures.
fn record_span(span: &tracing::Span, r: &RequestRecord) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    if let Some(s) = r.status {
        span.record("status", s.as_u16());
    }
    if let Some(e) = r.error {
        span.record("error", e);
    }
    span.record("reused", r.reused);
    for (field, d) in [
        ("dns_ms", r.dns),
        ("connect_ms", r.connect),
        ("tls_ms", r.tls),
        ("first_byte_ms", r.first_byte),
    ] {
        if let Some(d) = d {
            span.record(field, ms(d));
        }
    }
}

async fn send_once(
    inner: &Rc<Inner>,
    hop: &Hop<'_>,
    timeout: ClientTimeout,
    deadline: Option<Instant>,
    timing: &Timing,
) -> Result<Response> {
    let (method, url, headers, body) = (hop.method, hop.url, hop.headers, hop.body);
    let key = key_for(url, hop.via);
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
        timing.phases.set(lease.phases);
        timing.reused.set(lease.reused);
        let mut req = http::Request::builder().method(method.clone());
        let h2 = matches!(lease.sender, Sender::H2(_));
        let forwarded = lease.key.forwarded();
        if let Some(auth) = forwarded.and_then(Via::authorization) {
            req = req.header(header::PROXY_AUTHORIZATION, auth);
        }
        req = if h2 {
            req.uri(url.as_str())
        } else if forwarded.is_some() {
            // A forward proxy takes the absolute form, without a fragment.
            let mut absolute = url.clone();
            absolute.set_fragment(None);
            let host = absolute.host_str().unwrap_or("").to_owned();
            let host = match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            };
            req.uri(absolute.as_str()).header(header::HOST, host)
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
                Sender::H1(s, _) => {
                    s.ready().await?;
                    s.send_request(request).await
                }
                Sender::H2(s) => {
                    s.ready().await?;
                    s.send_request(request).await
                }
            }
        };
        let sending = asyncio::time::now();
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
            Ok(r) => {
                timing.first_byte.set(Some(sending.elapsed()));
                r
            }
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
        if parts.status == http::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
            if let Some(via) = lease.key.forwarded() {
                return Err(Error::Proxy {
                    url: url_s,
                    status: Some(parts.status),
                    reason: format!("{via} answered 407 Proxy Authentication Required"),
                });
            }
        }
        if let Some(jar) = &inner.config.cookies {
            jar.store_response(&parts.headers, url);
        }
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
