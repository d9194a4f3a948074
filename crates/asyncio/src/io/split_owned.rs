//! [`split_owned`]: the read and write halves of a stream that needs `&mut` to read or write
//! (a TLS stream) — the same [`ReadHalf`]/[`WriteHalf`] that [`split`](super::split) gives,
//! over an [`Exclusive`] wrapper that lends the stream to one half at a time — and
//! [`RcStream`], a socket shared with another owner.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::{ReadHalf, WriteHalf};

/// Splits `stream` into halves for two tasks. They are the same [`ReadHalf`] and
/// [`WriteHalf`] as [`split`](super::split)'s; the stream sits in an [`Exclusive`], which
/// lends it to whichever half polls. The loop runs one task at a time and a poll never
/// re-enters the other half, so the loan is never contended.
pub fn split_owned<S>(stream: S) -> (ReadHalf<Exclusive<S>>, WriteHalf<Exclusive<S>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    super::split_rc(Rc::new(Exclusive(RefCell::new(stream))))
}

/// A stream that needs `&mut` to read or write, made readable and writable through a shared
/// reference by lending it to one caller at a time (what [`split_owned`]'s halves share).
#[derive(Debug)]
pub struct Exclusive<S>(RefCell<S>);

impl<S> Exclusive<S> {
    /// Wraps `stream`.
    pub fn new(stream: S) -> Self {
        Self(RefCell::new(stream))
    }

    /// Calls `f` with the stream.
    ///
    /// # Panics
    /// If called from inside a read or write of the same stream.
    pub fn with<T>(&self, f: impl FnOnce(&S) -> T) -> T {
        f(&self.0.borrow())
    }

    /// Gives the stream back.
    pub fn into_inner(self) -> S {
        self.0.into_inner()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for &Exclusive<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for &Exclusive<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_close(cx)
    }
}

/// A stream shared through an `Rc`, reading and writing through `&S` (every asyncio-rs socket
/// can): for wrapping a socket another owner also holds, such as a server's client list.
#[derive(Debug)]
pub struct RcStream<S>(pub Rc<S>);

impl<S> AsyncRead for RcStream<S>
where
    for<'a> &'a S: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_read(cx, buf)
    }
}

impl<S> AsyncWrite for RcStream<S>
where
    for<'a> &'a S: AsyncWrite,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_close(cx)
    }
}
