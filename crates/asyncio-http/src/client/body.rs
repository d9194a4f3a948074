//! [`RequestBody`]: bytes (replayable for redirects and retries) or a stream (sent once).

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use hyper::body::{Body, Frame, SizeHint};

/// A body's chunks; an error (a file that cannot be read mid-upload) fails the request.
pub(crate) type BoxStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>>>>;

/// What a request sends.
#[derive(Clone)]
pub(crate) enum Payload {
    Bytes(Bytes),
    /// Taken by the first send; a second send (a redirect that keeps the body, a retry) finds
    /// it gone. With a length, it is sent with `Content-Length`; without, chunked.
    Stream(Rc<RefCell<Option<BoxStream>>>, Option<u64>),
}

impl Payload {
    pub(crate) fn stream(s: impl Stream<Item = Bytes> + 'static, len: Option<u64>) -> Self {
        Self::fallible(Box::pin(Infallible(Box::pin(s))), len)
    }

    pub(crate) fn fallible(s: BoxStream, len: Option<u64>) -> Self {
        Payload::Stream(Rc::new(RefCell::new(Some(s))), len)
    }

    /// Whether it can be sent again.
    pub(crate) fn replayable(&self) -> bool {
        matches!(self, Payload::Bytes(_))
    }

    pub(crate) fn to_body(&self) -> RequestBody {
        match self {
            Payload::Bytes(b) => RequestBody::Bytes((!b.is_empty()).then(|| b.clone())),
            Payload::Stream(s, len) => match s.borrow_mut().take() {
                Some(s) => RequestBody::Stream(s, *len),
                None => RequestBody::Bytes(None),
            },
        }
    }
}

/// The body given to hyper.
pub(crate) enum RequestBody {
    Bytes(Option<Bytes>),
    Stream(BoxStream, Option<u64>),
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match &mut *self {
            RequestBody::Bytes(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            RequestBody::Stream(s, _) => s
                .as_mut()
                .poll_next(cx)
                .map(|o| o.map(|b| b.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, RequestBody::Bytes(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RequestBody::Bytes(Some(b)) => SizeHint::with_exact(b.len() as u64),
            RequestBody::Bytes(None) => SizeHint::with_exact(0),
            RequestBody::Stream(_, Some(len)) => SizeHint::with_exact(*len),
            RequestBody::Stream(_, None) => SizeHint::default(),
        }
    }
}

/// A stream of chunks that cannot fail, as a body stream.
struct Infallible(Pin<Box<dyn Stream<Item = Bytes>>>);

impl Stream for Infallible {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx).map(|o| o.map(Ok))
    }
}
