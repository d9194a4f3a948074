//! hyper's `Read`/`Write` on asyncio-rs streams. The one unsafe step: hyper lends an
//! uninitialised buffer, and we tell it how much of it the read filled.

use std::io;
use std::mem::MaybeUninit;

use super::uninit::zeroed;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::rt::ReadBufCursor;

/// Reads into hyper's cursor with `read`, which must initialise the first `n` bytes of the
/// slice it gets when it returns `Ok(n)`.
pub(crate) fn read_into_cursor(
    mut cursor: ReadBufCursor<'_>,
    read: impl FnOnce(&mut [MaybeUninit<u8>]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    // SAFETY: we only write into the slice (through `read`) and never de-initialise bytes.
    let uninit = unsafe { cursor.as_mut() };
    let len = uninit.len();
    let n = std::task::ready!(read(uninit))?;
    assert!(n <= len, "a read reported more bytes than the buffer holds");
    // SAFETY: `read` initialised the first `n` bytes (its contract, upheld by the two callers
    // below: a socket `recv` into the slice, or a read into a zero-filled slice).
    unsafe { cursor.advance(n) };
    Poll::Ready(Ok(()))
}

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

#[cfg(test)]
mod tests {
    use std::mem::MaybeUninit;
    use std::task::Poll;

    use super::{read_into_cursor, zeroed};

    #[test]
    fn a_read_fills_and_advances_the_cursor() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 16];
        let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
        let r = read_into_cursor(buf.unfilled(), |uninit| {
            let bytes = zeroed(uninit);
            bytes[..5].copy_from_slice(b"hello");
            Poll::Ready(Ok(5))
        });
        assert!(matches!(r, Poll::Ready(Ok(()))));
        assert_eq!(buf.filled(), b"hello");
        // A pending read advances nothing.
        let r = read_into_cursor(buf.unfilled(), |_| Poll::Pending);
        assert!(r.is_pending());
        assert_eq!(buf.filled(), b"hello");
    }

    #[test]
    #[should_panic(expected = "more bytes than the buffer holds")]
    fn a_read_cannot_claim_more_than_the_buffer() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 4];
        let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
        let _ = read_into_cursor(buf.unfilled(), |_| Poll::Ready(Ok(5)));
    }
}
