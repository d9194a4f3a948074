//! Read and write helpers over `futures-io`'s traits: [`AsyncReadExt`], [`AsyncWriteExt`].

use std::future::poll_fn;
use std::io;
use std::pin::Pin;

use futures_io::{AsyncRead, AsyncWrite};

/// Fills `buf` from `r`.
pub(crate) async fn read_exact<R: AsyncRead + Unpin>(
    mut r: R,
    mut buf: &mut [u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut r).poll_read(cx, buf)).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the stream before the expected number of bytes",
            ));
        }
        buf = &mut buf[n..];
    }
    Ok(())
}

/// Writes all of `buf` to `w`.
pub(crate) async fn write_all<W: AsyncWrite + Unpin>(mut w: W, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut w).poll_write(cx, buf)).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "the stream accepted no bytes",
            ));
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// Async reading helpers for any `futures-io` reader (a small subset of `futures-util`'s, so
/// examples need no other crate).
pub trait AsyncReadExt: AsyncRead + Unpin {
    /// Reads into `buf`; `Ok(0)` is end of file. Cancel-safe for cancel-safe readers.
    #[expect(async_fn_in_trait, reason = "loop-local futures are never Send")]
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_read(cx, buf)).await
    }

    /// Fills `buf`; `UnexpectedEof` if the stream ends first. Not cancel-safe.
    #[expect(async_fn_in_trait, reason = "loop-local futures are never Send")]
    async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        read_exact(&mut *self, buf).await
    }

    /// Reads to end of file, appending to `out`; returns how many bytes were added.
    #[expect(async_fn_in_trait, reason = "loop-local futures are never Send")]
    async fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        let start = out.len();
        let mut chunk = [0u8; 8192];
        loop {
            let n = poll_fn(|cx| Pin::new(&mut *self).poll_read(cx, &mut chunk)).await?;
            if n == 0 {
                return Ok(out.len() - start);
            }
            out.extend_from_slice(&chunk[..n]);
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> AsyncReadExt for R {}

/// Async writing helpers for any `futures-io` writer.
pub trait AsyncWriteExt: AsyncWrite + Unpin {
    /// Writes some of `buf`, returning how much.
    #[expect(async_fn_in_trait, reason = "loop-local futures are never Send")]
    async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_write(cx, buf)).await
    }

    /// Writes all of `buf`. Not cancel-safe.
    #[expect(async_fn_in_trait, reason = "loop-local futures are never Send")]
    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        write_all(&mut *self, buf).await
    }

    /// Flushes buffered data.
    #[expect(async_fn_in_trait, reason = "loop-local futures are never Send")]
    async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| Pin::new(&mut *self).poll_flush(cx)).await
    }

    /// Flushes and closes the writing side.
    #[expect(async_fn_in_trait, reason = "loop-local futures are never Send")]
    async fn close(&mut self) -> io::Result<()> {
        poll_fn(|cx| Pin::new(&mut *self).poll_close(cx)).await
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> AsyncWriteExt for W {}

/// The OS error code of `e`, looking through the errors asyncio-rs wraps around it (an address
/// added to a connect error, say).
pub fn os_error(e: &std::io::Error) -> Option<i32> {
    if let Some(code) = e.raw_os_error() {
        return Some(code);
    }
    let mut inner: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
    while let Some(err) = inner {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(code) = io.raw_os_error() {
                return Some(code);
            }
        }
        inner = err.source();
    }
    None
}
