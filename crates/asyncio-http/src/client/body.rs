//! [`RequestBody`]: bytes (replayable for redirects and retries) or a stream (sent once).

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use hyper::body::{Body, Frame, SizeHint};

type BoxStream = Pin<Box<dyn Stream<Item = Bytes>>>;

/// What a request sends.
#[derive(Clone)]
pub(crate) enum Payload {
    Bytes(Bytes),
    /// Taken by the first send; a second send (a redirect that keeps the body, a retry) finds
    /// it gone.
    Stream(Rc<RefCell<Option<BoxStream>>>),
}

impl Payload {
    pub(crate) fn stream(s: impl Stream<Item = Bytes> + 'static) -> Self {
        Payload::Stream(Rc::new(RefCell::new(Some(Box::pin(s)))))
    }

    /// Whether it can be sent again.
    pub(crate) fn replayable(&self) -> bool {
        matches!(self, Payload::Bytes(_))
    }

    pub(crate) fn to_body(&self) -> RequestBody {
        match self {
            Payload::Bytes(b) => RequestBody::Bytes((!b.is_empty()).then(|| b.clone())),
            Payload::Stream(s) => match s.borrow_mut().take() {
                Some(s) => RequestBody::Stream(s),
                None => RequestBody::Bytes(None),
            },
        }
    }
}

/// The body given to hyper.
pub(crate) enum RequestBody {
    Bytes(Option<Bytes>),
    Stream(BoxStream),
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match &mut *self {
            RequestBody::Bytes(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            RequestBody::Stream(s) => s
                .as_mut()
                .poll_next(cx)
                .map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, RequestBody::Bytes(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RequestBody::Bytes(Some(b)) => SizeHint::with_exact(b.len() as u64),
            RequestBody::Bytes(None) => SizeHint::with_exact(0),
            RequestBody::Stream(_) => SizeHint::default(),
        }
    }
}
