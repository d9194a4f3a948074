//! The `&self` stream I/O that every socket and pipe type implements once ([`ReadIo`],
//! [`WriteIo`]), and the one macro that turns it into `futures-io`'s traits — and hyper's and
//! tokio's when the `hyper` and `tokio-io` features are on.

use std::io;
use std::task::{Context, Poll};

/// Reading from a stream through a shared reference. Implementations read through
/// [`PollEvented::poll_read_with`](crate::runtime::io::PollEvented::poll_read_with), which
/// applies the readiness rules.
pub(crate) trait ReadIo {
    /// Polls a read into `buf`; `Ok(0)` is end of file.
    fn poll_read_io(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Polls a read into uninitialised memory; on `Ok(n)` the first `n` bytes of `buf` must be
    /// initialised (hyper relies on it). The default zero-fills the buffer first; sockets
    /// override it with a `recv` straight into it.
    #[cfg(any(feature = "hyper", feature = "tokio-io"))]
    fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_io(cx, crate::io::uninit::zeroed(buf))
    }
}

/// Writing to a stream through a shared reference.
pub(crate) trait WriteIo {
    /// Polls a write of (some of) `buf`.
    fn poll_write_io(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Polls a vectored write; the default writes the first non-empty buffer.
    fn poll_write_vectored_io(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let buf = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &**b);
        self.poll_write_io(cx, buf)
    }

    /// Closes the write direction (`shutdown(SHUT_WR)` for sockets; nothing for a pipe, whose
    /// write end closes when dropped).
    fn shutdown_write(&self) -> io::Result<()>;
}

impl<T: ReadIo + ?Sized> ReadIo for &T {
    fn poll_read_io(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        (**self).poll_read_io(cx, buf)
    }

    #[cfg(any(feature = "hyper", feature = "tokio-io"))]
    fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        (**self).poll_read_uninit(cx, buf)
    }
}

impl<T: WriteIo + ?Sized> WriteIo for &T {
    fn poll_write_io(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        (**self).poll_write_io(cx, buf)
    }

    fn poll_write_vectored_io(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        (**self).poll_write_vectored_io(cx, bufs)
    }

    fn shutdown_write(&self) -> io::Result<()> {
        (**self).shutdown_write()
    }
}

/// Implements the I/O traits of `futures-io` (for `T` and `&T`), hyper (`hyper` feature) and
/// tokio (`tokio-io` feature) from a type's [`ReadIo`] (`read: T`) or [`WriteIo`]
/// (`write: T`).
macro_rules! stream_io_traits {
    (read: $ty:ty) => {
        $crate::io::stream_io_traits!(@futures_read $ty);
        $crate::io::stream_io_traits!(@futures_read &$ty);

        #[cfg(feature = "hyper")]
        impl hyper::rt::Read for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                cursor: hyper::rt::ReadBufCursor<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::io::uninit::read_into_cursor(cursor, |buf| {
                    $crate::io::ReadIo::poll_read_uninit(&*self, cx, buf)
                })
            }
        }

        #[cfg(feature = "tokio-io")]
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::io::uninit::read_tokio_buf(buf, |b| {
                    $crate::io::ReadIo::poll_read_uninit(&*self, cx, b)
                })
            }
        }
    };
    (write: $ty:ty) => {
        $crate::io::stream_io_traits!(@futures_write $ty);
        $crate::io::stream_io_traits!(@futures_write &$ty);

        #[cfg(feature = "hyper")]
        impl hyper::rt::Write for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::io::WriteIo::poll_write_io(&*self, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::io::WriteIo::poll_write_vectored_io(&*self, cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready($crate::io::WriteIo::shutdown_write(&*self))
            }
        }

        #[cfg(feature = "tokio-io")]
        impl tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::io::WriteIo::poll_write_io(&*self, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::io::WriteIo::poll_write_vectored_io(&*self, cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready($crate::io::WriteIo::shutdown_write(&*self))
            }
        }
    };
    (@futures_read $ty:ty) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::io::ReadIo::poll_read_io(&*self, cx, buf)
            }
        }
    };
    (@futures_write $ty:ty) => {
        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::io::WriteIo::poll_write_io(&*self, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::io::WriteIo::poll_write_vectored_io(&*self, cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready($crate::io::WriteIo::shutdown_write(&*self))
            }
        }
    };
}

pub(crate) use stream_io_traits;
