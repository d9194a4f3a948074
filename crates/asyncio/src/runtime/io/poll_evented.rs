//! [`PollEvented`]: a mio source plus its registration, the body of every socket type.

use std::io::{self, Read, Write};
use std::task::{Context, Poll};

use super::registration::Registration;
use crate::runtime::io::reactor::Direction;

/// A mio source registered with the running loop; deregistered when dropped.
pub(crate) struct PollEvented<S: mio::event::Source> {
    io: Option<S>,
    reg: Registration,
}

impl<S: mio::event::Source> PollEvented<S> {
    pub(crate) fn new(mut io: S) -> io::Result<Self> {
        let reg = Registration::new(&mut io)?;
        Ok(Self { io: Some(io), reg })
    }

    /// Registers `io` with `core`'s loop, running or not.
    pub(crate) fn new_on(
        core: std::rc::Rc<crate::runtime::core::Core>,
        mut io: S,
    ) -> io::Result<Self> {
        let reg = Registration::new_on(core, &mut io)?;
        Ok(Self { io: Some(io), reg })
    }

    pub(crate) fn get(&self) -> &S {
        self.io.as_ref().expect("present until dropped")
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.reg
    }

    /// Deregisters and hands back the source.
    pub(crate) fn into_inner(mut self) -> S {
        let mut io = self.io.take().expect("present until dropped");
        self.reg.deregister(&mut io);
        io
    }

    /// `op` on the source once `dir` is ready, retried after each `WouldBlock`.
    pub(crate) fn poll_op<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get();
        self.reg.poll_io(cx, dir, || op(io))
    }

    /// `op` on the source now; `WouldBlock` is returned (and clears the readiness).
    pub(crate) fn try_op<R>(
        &self,
        dir: Direction,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get();
        self.reg.try_io(dir, || op(io))
    }

    /// Waits until `dir` may proceed (without doing anything).
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        self.reg.poll_ready(cx, dir).map(|_| Ok(()))
    }
}

impl<S: mio::event::Source> PollEvented<S> {
    /// A stream read of up to `len` bytes by `op`, with the readiness rule every stream source
    /// follows: a short read (some bytes, fewer than asked) drained the source, so its read
    /// readiness is cleared and the next read waits for the next event instead of spending a
    /// system call to learn that it would block. End of file (`Ok(0)`) keeps it set.
    pub(crate) fn poll_read_with(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let n = std::task::ready!(self.poll_op(cx, Direction::Read, op))?;
        if n > 0 && n < len {
            self.reg.clear(Direction::Read);
        }
        Poll::Ready(Ok(n))
    }

    /// A stream read into uninitialised memory with the socket's `recv`, which fills it without
    /// zeroing it first (hyper lends such buffers); the first `n` bytes are initialised on
    /// `Ok(n)`. Follows the same readiness rule as [`poll_read_with`](Self::poll_read_with).
    #[cfg(any(feature = "hyper", feature = "tokio-io"))]
    pub(crate) fn poll_recv_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>>
    where
        S: std::os::fd::AsFd,
    {
        let len = buf.len();
        self.poll_read_with(cx, len, |s| socket2::SockRef::from(s).recv(&mut *buf))
    }

    /// A stream write of `len` bytes by `op`: a short write filled the send buffer, so the
    /// write readiness is cleared until the next event.
    pub(crate) fn poll_write_with(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let n = std::task::ready!(self.poll_op(cx, Direction::Write, op))?;
        if n < len {
            self.reg.clear(Direction::Write);
        }
        Poll::Ready(Ok(n))
    }
}

impl<S: mio::event::Source> PollEvented<S>
where
    for<'a> &'a S: Read + Write,
{
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.poll_read_with(cx, len, |mut io| io.read(buf))
    }

    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, buf.len(), |mut io| io.write(buf))
    }

    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.poll_write_with(cx, len, |mut io| io.write_vectored(bufs))
    }
}

impl<S: mio::event::Source> Drop for PollEvented<S> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            self.reg.deregister(&mut io);
        }
    }
}

impl<S: mio::event::Source + std::fmt::Debug> std::fmt::Debug for PollEvented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.io.fmt(f)
    }
}
