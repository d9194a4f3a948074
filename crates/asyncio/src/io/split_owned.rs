//! [`split_owned`]: read and write halves of a stream that needs `&mut` to read or write (a
//! TLS stream), sharing it through an `Rc<RefCell<_>>`.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// Splits `stream` into halves for two tasks. The loop runs one task at a time and a poll
/// never re-enters the other half, so the `RefCell` is never contended.
pub fn split_owned<S>(stream: S) -> (SharedReadHalf<S>, SharedWriteHalf<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let shared = Rc::new(RefCell::new(stream));
    (
        SharedReadHalf {
            stream: shared.clone(),
        },
        SharedWriteHalf { stream: shared },
    )
}

/// The reading half of [`split_owned`].
#[derive(Debug)]
pub struct SharedReadHalf<S> {
    stream: Rc<RefCell<S>>,
}

/// The writing half of [`split_owned`].
#[derive(Debug)]
pub struct SharedWriteHalf<S> {
    stream: Rc<RefCell<S>>,
}

impl<S> SharedReadHalf<S> {
    /// Calls `f` with the stream.
    pub fn with<T>(&self, f: impl FnOnce(&S) -> T) -> T {
        f(&self.stream.borrow())
    }
}

impl<S> SharedWriteHalf<S> {
    /// Calls `f` with the stream.
    pub fn with<T>(&self, f: impl FnOnce(&S) -> T) -> T {
        f(&self.stream.borrow())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for SharedReadHalf<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.stream.borrow_mut()).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SharedWriteHalf<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.stream.borrow_mut()).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.stream.borrow_mut()).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.stream.borrow_mut()).poll_close(cx)
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
