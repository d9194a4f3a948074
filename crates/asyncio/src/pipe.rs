//! Pipes and FIFOs on the loop (asyncio's `connect_read_pipe` / `connect_write_pipe`):
//! [`pipe()`], and [`Receiver`]/[`Sender`] from any pipe descriptor (a child's extra fds, a
//! FIFO opened with `O_NONBLOCK`).
//!
//! Writing to a pipe whose reader is gone is `EPIPE`; Rust programs ignore `SIGPIPE` from
//! startup, programs embedding asyncio-rs in another runtime must do the same.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use crate::io::{stream_io_traits, ReadIo, WriteIo};
use crate::runtime::io::PollEvented;

/// A new pipe: `(write end, read end)`, both non-blocking and close-on-exec.
///
/// ```
/// asyncio::run(async {
///     let (tx, rx) = asyncio::pipe::pipe().unwrap();
///     tx.write_all(b"through the pipe").await.unwrap();
///     drop(tx);
///     let mut out = Vec::new();
///     use asyncio::io::AsyncReadExt;
///     (&rx).read_to_end(&mut out).await.unwrap();
///     assert_eq!(out, b"through the pipe");
/// });
/// ```
///
/// # Errors
/// The system's error, or no running loop.
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let (s, r) = mio::unix::pipe::new()?;
    Ok((Sender::from_mio(s)?, Receiver::from_mio(r)?))
}

/// The read end of a pipe.
#[derive(Debug)]
pub struct Receiver {
    io: PollEvented<mio::unix::pipe::Receiver>,
}

/// The write end of a pipe.
#[derive(Debug)]
pub struct Sender {
    io: PollEvented<mio::unix::pipe::Sender>,
}

impl Receiver {
    pub(crate) fn from_mio(r: mio::unix::pipe::Receiver) -> io::Result<Self> {
        r.set_nonblocking(true)?;
        Ok(Self {
            io: PollEvented::new(r)?,
        })
    }

    /// Adopts the read end of a pipe or FIFO (made non-blocking here).
    ///
    /// # Errors
    /// When the descriptor is not pollable, or no loop runs.
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Self> {
        Self::from_mio(mio::unix::pipe::Receiver::from(fd))
    }

    /// Polls a read; `Ok(0)` when every write end is closed.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.io
            .poll_read_with(cx, len, |mut r| io::Read::read(&mut r, buf))
    }

    /// Reads into `buf`. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: if dropped before completing, nothing was read.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Hands back the descriptor, in blocking mode again (ready to become another process's
    /// standard input: `Stdio::from(fd)`).
    pub fn into_owned_fd(self) -> OwnedFd {
        let r = self.io.into_inner();
        let _ = r.set_nonblocking(false);
        r.into()
    }
}

impl Sender {
    pub(crate) fn from_mio(s: mio::unix::pipe::Sender) -> io::Result<Self> {
        s.set_nonblocking(true)?;
        Ok(Self {
            io: PollEvented::new(s)?,
        })
    }

    /// Adopts the write end of a pipe or FIFO (made non-blocking here).
    ///
    /// # Errors
    /// When the descriptor is not pollable, or no loop runs.
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Self> {
        Self::from_mio(mio::unix::pipe::Sender::from(fd))
    }

    /// Polls a write.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_write_with(cx, buf.len(), |mut s| io::Write::write(&mut s, buf))
    }

    /// Writes some of `buf`. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: if dropped before completing, nothing was written.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Writes all of `buf` (not cancel-safe).
    ///
    /// # Cancel safety
    /// Not cancel-safe: an unknown prefix of `buf` may have been written.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        crate::io::write_all(self, buf).await
    }

    /// Hands back the descriptor, in blocking mode again.
    pub fn into_owned_fd(self) -> OwnedFd {
        let s = self.io.into_inner();
        let _ = s.set_nonblocking(false);
        s.into()
    }
}

macro_rules! fd_impls {
    ($ty:ty) => {
        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.io.get().as_raw_fd()
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.get().as_fd()
            }
        }
    };
}

fd_impls!(Receiver);
fd_impls!(Sender);

impl ReadIo for Receiver {
    fn poll_read_io(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read(cx, buf)
    }
}

impl WriteIo for Sender {
    fn poll_write_io(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write(cx, buf)
    }

    fn shutdown_write(&self) -> io::Result<()> {
        // A pipe's write end "closes" when dropped; nothing to flush.
        Ok(())
    }
}

stream_io_traits!(read: Receiver);
stream_io_traits!(write: Sender);
