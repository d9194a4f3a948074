//! [`split_owned`]: the read and write halves of a stream that needs `&mut` to read or write
//! (a TLS stream) — the same [`ReadHalf`]/[`WriteHalf`] that [`split`](super::split) gives,
//! over an [`Exclusive`] wrapper that lends the stream to one half at a time — and
//! [`SharedStream`], a socket held by several owners.

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

/// A stream held by several owners — the halves of a split, a server's list of its
/// connections — read and written through `&S` (every asyncio-rs socket can). Cloning gives
/// another handle to the same stream; it derefs to the stream for its addresses and options.
/// Servers hand one to each connection's handler (see
/// [`Server::serve_with`](crate::net::Server::serve_with)).
#[derive(Debug)]
pub struct SharedStream<S>(Rc<S>);

impl<S> SharedStream<S> {
    /// Shares `stream`.
    pub fn new(stream: S) -> Self {
        Self(Rc::new(stream))
    }

    pub(crate) fn from_rc(stream: Rc<S>) -> Self {
        Self(stream)
    }

    pub(crate) fn into_rc(self) -> Rc<S> {
        self.0
    }
}

impl<S> Clone for SharedStream<S> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<S> std::ops::Deref for SharedStream<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.0
    }
}

impl<S> AsyncRead for SharedStream<S>
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

impl<S> AsyncWrite for SharedStream<S>
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
