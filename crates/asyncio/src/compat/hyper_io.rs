//! hyper's `Read`/`Write` on asyncio-rs streams (the unsafe step, reading into hyper's
//! uninitialised buffer, is `io/uninit.rs`).

use std::io;

use crate::io::uninit::{read_into_cursor, zeroed};
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::rt::ReadBufCursor;

/// hyper's traits on a server's [`SharedStream`](crate::io::SharedStream) of a socket: reads
/// `recv` straight into hyper's uninitialised buffer (no zero-fill, which `HyperIo` must do
/// for an arbitrary stream); writes go through the stream's `futures-io` side.
macro_rules! shared_stream_hyper {
    ($ty:ty) => {
        impl hyper::rt::Read for crate::io::SharedStream<$ty> {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                read_into_cursor(buf, |uninit| {
                    crate::io::ReadIo::poll_read_uninit(&**self, cx, uninit)
                })
            }
        }

        impl hyper::rt::Write for crate::io::SharedStream<$ty> {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_flush(self, cx)
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_close(self, cx)
            }
        }
    };
}

shared_stream_hyper!(crate::net::TcpStream);
shared_stream_hyper!(crate::net::UnixStream);

/// Adapts any `futures-io` stream (a TLS stream, a split half) to hyper's I/O traits.
#[derive(Debug)]
pub struct HyperIo<T>(pub T);

impl<T: futures_io::AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        read_into_cursor(buf, |uninit| {
            Pin::new(&mut self.0).poll_read(cx, zeroed(uninit))
        })
    }
}

impl<T: futures_io::AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}
