//! [`RequestBuilder`]: a request being built — URL, query, headers, body (bytes, stream,
//! form, JSON, multipart), credentials, cookies, proxy, timeouts.

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::Method;

use super::body::Payload;
use super::proxy::Rules;
use super::{Auth, ClientSession, Form, Proxies, Response};
use crate::error::{Error, Result};
use crate::ClientTimeout;

/// A request being built; [`send`](Self::send) runs it.
#[must_use = "a request does nothing until sent"]
pub struct RequestBuilder {
    pub(crate) session: ClientSession,
    pub(crate) method: Method,
    /// `None` when the URL was invalid (the error is in `error`).
    pub(crate) url: Option<url::Url>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Payload,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) timeout: Option<ClientTimeout>,
    pub(crate) follow_redirects: Option<bool>,
    pub(crate) max_redirects: Option<usize>,
    /// Cookies for this request only, after the jar's.
    pub(crate) cookies: Vec<(String, String)>,
    pub(crate) auth: Option<Auth>,
    /// This request's proxies instead of the session's.
    pub(crate) proxy: Option<Rules>,
    pub(crate) error: Option<Error>,
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

    /// Adds a header (an invalid name or value makes `send` fail with an error naming it).
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
        self.body = Payload::stream(stream, None);
        self
    }

    /// A body sent chunk by chunk as `stream` yields, where a chunk may be an error: the
    /// error aborts the request (the connection is closed mid-body, so the server never sees a
    /// short body as a complete one) and `send` fails with [`Error::Protocol`]. Sent once, as
    /// [`body_stream`](Self::body_stream).
    pub fn body_try_stream(
        mut self,
        stream: impl futures_core::Stream<Item = std::io::Result<Bytes>> + 'static,
    ) -> Self {
        self.body = Payload::fallible(Box::pin(stream), None);
        self
    }

    /// A streamed body of a known length, sent with `Content-Length` (a stream that ends
    /// early or runs long fails the request). Sent once, as [`body_stream`](Self::body_stream).
    pub fn body_stream_sized(
        mut self,
        stream: impl futures_core::Stream<Item = Bytes> + 'static,
        len: u64,
    ) -> Self {
        self.body = Payload::stream(stream, Some(len));
        self
    }

    /// A `multipart/form-data` body (aiohttp's `FormData`), streamed: file parts are read
    /// from disk as the connection takes them, with `Content-Length` known up front. Sent
    /// once, as [`body_stream`](Self::body_stream).
    pub fn multipart(mut self, form: Form) -> Self {
        let content_type = form.content_type();
        let (stream, len) = form.into_stream();
        self.body = Payload::fallible(stream, Some(len));
        self.header("content-type", &content_type)
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

    /// HTTP basic authentication (aiohttp's `auth=BasicAuth(…)`), over the URL's credentials
    /// and the session's. Dropped by a redirect to another origin.
    pub fn basic_auth(self, user: &str, password: Option<&str>) -> Self {
        self.auth(Auth::basic(user, password))
    }

    /// Bearer token authentication. Dropped by a redirect to another origin.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.auth(Auth::bearer(token))
    }

    /// Credentials for this request.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// A cookie for this request only, sent after the jar's (aiohttp's `cookies=` on a
    /// request). Dropped by a redirect to another origin.
    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        self.cookies.push((name.to_owned(), value.to_owned()));
        self
    }

    /// This request's proxy (aiohttp's `proxy=`): `http://`, `https://`, `socks5://` or
    /// `socks5h://`, credentials in the URL. [`Proxies::none`] goes direct.
    pub fn proxy(mut self, proxies: Proxies) -> Self {
        self.proxy = Some(proxies.compile());
        self
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

    /// The most redirects followed for this request (the session's `max_redirects` by
    /// default).
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = Some(max);
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
        super::send::send(self).await
    }
}
