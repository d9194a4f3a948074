//! [`split`]: a stream's read and write halves as two owned values, for two tasks.

use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// Splits a stream whose shared reference reads and writes (every asyncio-rs socket) into
/// owned halves sharing it through an `Rc`. Closing the write half shuts the writing side down
/// (the peer reads end of file); the socket closes when both halves are gone.
///
/// ```
/// asyncio::run(async {
///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
///     let (r, mut w) = asyncio::io::split(a);
///     use asyncio::io::{AsyncReadExt, AsyncWriteExt};
///     w.write_all(b"hi").await.unwrap();
///     let mut buf = [0; 2];
///     b.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
///     let _whole = r.reunite(w).unwrap();
/// });
/// ```
pub fn split<S>(stream: S) -> (ReadHalf<S>, WriteHalf<S>)
where
    for<'a> &'a S: AsyncRead + AsyncWrite,
{
    split_rc(Rc::new(stream))
}

/// [`split`] of a stream already shared.
pub(crate) fn split_rc<S>(shared: Rc<S>) -> (ReadHalf<S>, WriteHalf<S>) {
    (
        ReadHalf {
            stream: shared.clone(),
        },
        WriteHalf { stream: shared },
    )
}

/// The reading half of [`split`].
#[derive(Debug)]
pub struct ReadHalf<S> {
    stream: Rc<S>,
}

/// The writing half of [`split`].
#[derive(Debug)]
pub struct WriteHalf<S> {
    stream: Rc<S>,
}

/// The halves given to [`reunite`](ReadHalf::reunite) came from different streams.
#[derive(Debug)]
pub struct ReuniteError<S>(pub ReadHalf<S>, pub WriteHalf<S>);

impl<S: std::fmt::Debug> std::fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the halves belong to different streams")
    }
}

impl<S: std::fmt::Debug> std::error::Error for ReuniteError<S> {}

impl<S> ReadHalf<S> {
    /// Joins the halves back into the stream.
    ///
    /// # Errors
    /// When the halves come from different streams, or something else still shares the
    /// stream (a server tracking its connections, say).
    pub fn reunite(self, write: WriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Rc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        drop(write);
        Rc::try_unwrap(self.stream)
            .map_err(|rc| ReuniteError(ReadHalf { stream: rc.clone() }, WriteHalf { stream: rc }))
    }

    /// Joins the halves back into the shared stream.
    pub(crate) fn reunite_rc(self, write: WriteHalf<S>) -> Result<Rc<S>, ReuniteError<S>> {
        if !Rc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        Ok(self.stream)
    }

    /// The whole stream, shared.
    pub fn stream(&self) -> &S {
        &self.stream
    }
}

impl<S> WriteHalf<S> {
    /// The whole stream, shared.
    pub fn stream(&self) -> &S {
        &self.stream
    }
}

impl<S> AsyncRead for ReadHalf<S>
where
    for<'a> &'a S: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_read(cx, buf)
    }
}

impl<S> AsyncWrite for WriteHalf<S>
where
    for<'a> &'a S: AsyncWrite,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.stream).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.stream).poll_close(cx)
    }
}
