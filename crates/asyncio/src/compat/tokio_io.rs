//! tokio's `AsyncRead`/`AsyncWrite` on asyncio-rs streams, so crates written against tokio's
//! I/O traits work on an asyncio-rs loop — without tokio's runtime (only its traits).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

/// Reads into tokio's buffer with `read` (over initialised memory).
pub(crate) fn read_buf(
    buf: &mut ReadBuf<'_>,
    read: impl FnOnce(&mut [u8]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    // `initialize_unfilled` zeroes only bytes never initialised before.
    let n = std::task::ready!(read(buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// Adapts any `futures-io` stream (a TLS stream, a buffered reader, a split half) to tokio's
/// I/O traits.
///
/// A `futures-io` read needs initialised memory, so each read zero-fills the part of tokio's
/// buffer not yet initialised; a codec that hands a fresh `ReadBuf` over its spare capacity to
/// every read (tokio-util's `FramedRead`, so tokio-postgres) pays for clearing all of it every
/// time. asyncio-rs's own sockets and pipes ([`TcpStream`](crate::net::TcpStream),
/// [`UnixStream`](crate::net::UnixStream), [`pipe`](crate::pipe)'s ends) implement tokio's
/// traits themselves with a `recv` straight into the buffer: pass them as they are.
#[derive(Debug)]
pub struct TokioIo<T>(pub T);

impl<T: futures_io::AsyncRead + Unpin> tokio::io::AsyncRead for TokioIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        read_buf(buf, |b| Pin::new(&mut self.0).poll_read(cx, b))
    }
}

impl<T: futures_io::AsyncWrite + Unpin> tokio::io::AsyncWrite for TokioIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}
