//! The server's [`Request`] and [`Response`].

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use hyper::body::{Body, Frame};

/// A request as a handler sees it: the body is already read (up to the router's limit).
#[derive(Debug)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) params: HashMap<String, String>,
    pub(crate) body: Bytes,
}

impl Request {
    pub(crate) fn new(
        parts: http::request::Parts,
        params: HashMap<String, String>,
        body: Bytes,
    ) -> Self {
        Self {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            params,
            body,
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URI (path and query).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A `:name` path parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A query parameter.
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.uri.query()?;
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    /// Invalid JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_slice(&self.body)
    }
}

pub(crate) enum Payload {
    Full(Option<Bytes>),
    Stream(Pin<Box<dyn Stream<Item = Bytes>>>),
}

/// A handler's answer: text, JSON, bytes or a stream of chunks, with a status and headers.
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) payload: Payload,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .finish()
    }
}

impl Response {
    fn with(content_type: &'static str, body: Bytes) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        Self {
            status: StatusCode::OK,
            headers,
            payload: Payload::Full(Some(body)),
        }
    }

    /// `text/plain; charset=utf-8`.
    pub fn text(body: impl Into<String>) -> Self {
        Self::with("text/plain; charset=utf-8", Bytes::from(body.into()))
    }

    /// `text/html; charset=utf-8`.
    pub fn html(body: impl Into<String>) -> Self {
        Self::with("text/html; charset=utf-8", Bytes::from(body.into()))
    }

    /// `application/json`.
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(v) => Self::with("application/json", Bytes::from(v)),
            Err(e) => Self::text(format!("cannot encode JSON: {e}"))
                .status(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// `application/octet-stream`.
    pub fn bytes(body: impl Into<Bytes>) -> Self {
        Self::with("application/octet-stream", body.into())
    }

    /// A body sent chunk by chunk as `stream` yields (chunked transfer encoding).
    pub fn stream(stream: impl Stream<Item = Bytes> + 'static) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        Self {
            status: StatusCode::OK,
            headers,
            payload: Payload::Stream(Box::pin(stream)),
        }
    }

    /// An empty body with `status`.
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            payload: Payload::Full(None),
        }
    }

    /// A redirect to `location` with `status` (301, 302, 303, 307, 308).
    pub fn redirect(status: StatusCode, location: &str) -> Self {
        Self::empty(status).header("location", location)
    }

    /// Sets the status.
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Sets a header (ignored when the name or value is invalid).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (
            http::header::HeaderName::try_from(name),
            HeaderValue::try_from(value),
        ) {
            self.headers.insert(n, v);
        }
        self
    }

    pub(crate) fn into_hyper(self) -> http::Response<ResponseBody> {
        let mut r = http::Response::new(ResponseBody(self.payload));
        *r.status_mut() = self.status;
        *r.headers_mut() = self.headers;
        r
    }
}

/// The body type the server gives hyper.
pub(crate) struct ResponseBody(pub(crate) Payload);

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseBody")
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match &mut self.0 {
            Payload::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Payload::Stream(s) => s
                .as_mut()
                .poll_next(cx)
                .map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(&self.0, Payload::Full(None))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match &self.0 {
            Payload::Full(Some(b)) => hyper::body::SizeHint::with_exact(b.len() as u64),
            Payload::Full(None) => hyper::body::SizeHint::with_exact(0),
            Payload::Stream(_) => hyper::body::SizeHint::default(),
        }
    }
}
