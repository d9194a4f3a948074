//! [`AsyncFd`]: any file descriptor driven by the loop (asyncio's `add_reader`/`add_writer` and
//! `sock_*` methods, for raw sockets and callback-style C libraries).

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};

use mio::unix::SourceFd;

use crate::runtime::io::reactor::Direction;
use crate::runtime::io::registration::Registration;

/// Which readiness an [`AsyncFd`] operation waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    /// Readable (or a pending connection, end of file, an error).
    Readable,
    /// Writable (or an error).
    Writable,
}

impl Interest {
    fn dir(self) -> Direction {
        match self {
            Interest::Readable => Direction::Read,
            Interest::Writable => Direction::Write,
        }
    }
}

/// Whether `fd` is ready for `interest` this instant: a zero-timeout `poll`, where an error or
/// a hang-up counts as ready. The reactor's edge-triggered readiness can be stale (a new
/// registration starts ready); this asks the kernel.
///
/// ```
/// use asyncio::io::{ready_now, Interest};
/// use std::io::Write;
/// use std::os::fd::AsRawFd;
/// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
/// assert!(!ready_now(a.as_raw_fd(), Interest::Readable).unwrap());
/// b.write_all(b"x").unwrap();
/// assert!(ready_now(a.as_raw_fd(), Interest::Readable).unwrap());
/// ```
///
/// # Errors
/// When `poll` fails.
pub fn ready_now(fd: RawFd, interest: Interest) -> io::Result<bool> {
    crate::sys::ready_now(fd, interest == Interest::Writable)
}

/// A file descriptor registered with the running loop. The descriptor must be in non-blocking
/// mode; `AsyncFd` does not own it beyond holding `T` (dropping the `AsyncFd` deregisters, then
/// drops `T`).
///
/// ```
/// use asyncio::io::{AsyncFd, Interest};
/// use std::io::{Read, Write};
/// asyncio::run(async {
///     let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
///     a.set_nonblocking(true).unwrap();
///     let fd = AsyncFd::new(a).unwrap();
///     b.write_all(b"x").unwrap();
///     let mut buf = [0; 1];
///     let n = fd.async_io(Interest::Readable, |mut s| s.read(&mut buf)).await.unwrap();
///     assert_eq!((n, buf[0]), (1, b'x'));
/// });
/// ```
pub struct AsyncFd<T: AsRawFd> {
    inner: Option<T>,
    reg: Registration,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner`'s descriptor with the running loop.
    ///
    /// # Errors
    /// When no loop runs on this thread, or the poller refuses the descriptor (a regular
    /// file, say: epoll does not take those).
    pub fn new(inner: T) -> io::Result<Self> {
        let fd = inner.as_raw_fd();
        let reg = Registration::new(&mut SourceFd(&fd))?;
        Ok(Self {
            inner: Some(inner),
            reg,
        })
    }

    /// Registers `inner` with `core`'s reactor (running or not).
    pub(crate) fn new_on(
        core: std::rc::Rc<crate::runtime::core::Core>,
        inner: T,
    ) -> io::Result<Self> {
        let fd = inner.as_raw_fd();
        let reg = Registration::new_on(core, &mut SourceFd(&fd))?;
        Ok(Self {
            inner: Some(inner),
            reg,
        })
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        self.inner.as_ref().expect("present until dropped")
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("present until dropped")
    }

    /// Deregisters and hands back the value.
    pub fn into_inner(mut self) -> T {
        let inner = self.inner.take().expect("present until dropped");
        self.reg.deregister(&mut SourceFd(&inner.as_raw_fd()));
        inner
    }

    /// Waits until `interest` is ready (it may turn out spurious: the next operation can still
    /// say `WouldBlock`; use [`async_io`](Self::async_io) to retry automatically).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn ready(&self, interest: Interest) {
        std::future::poll_fn(|cx| self.poll_ready(cx, interest)).await
    }

    /// Polls readiness for `interest`.
    pub fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<()> {
        self.reg.poll_ready(cx, interest.dir()).map(|_| ())
    }

    /// Forgets `interest`'s readiness, after an operation outside [`async_io`](Self::async_io)
    /// said `WouldBlock`.
    pub fn clear_ready(&self, interest: Interest) {
        self.reg.clear(interest.dir());
    }

    /// Sets (or, with `None`, removes) a callback the loop runs while `interest` is ready, as
    /// asyncio's `add_reader`/`add_writer` run theirs: in the loop's own turn, once per
    /// iteration, for as long as the descriptor stays ready. Readiness ends when an operation
    /// says `WouldBlock` ([`try_io`](Self::try_io), or [`clear_ready`](Self::clear_ready)
    /// after your own), so a callback that reads until `WouldBlock` runs once per event, and
    /// one that reads a bit at a time runs again on the next iteration. No task is needed to
    /// watch the descriptor, and none is woken: the way to drive many mostly idle
    /// descriptors (the Python loop's transports read and write this way).
    ///
    /// A new registration counts as ready in both directions (the first operation finds out),
    /// so setting a callback gives it a turn at once. A panic in the callback goes to the
    /// loop's exception handler; the callback stays set. It is dropped when the `AsyncFd` is;
    /// let it hold the `AsyncFd` weakly (as below), since a strong reference would keep both
    /// alive.
    ///
    /// ```
    /// use asyncio::io::{AsyncFd, Interest};
    /// use std::cell::RefCell;
    /// use std::io::{Read, Write};
    /// use std::rc::Rc;
    /// asyncio::run(async {
    ///     let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    ///     a.set_nonblocking(true).unwrap();
    ///     let fd = Rc::new(AsyncFd::new(a).unwrap());
    ///     let got = Rc::new(RefCell::new(Vec::new()));
    ///     let (f, g) = (Rc::downgrade(&fd), got.clone());
    ///     fd.set_ready_callback(
    ///         Interest::Readable,
    ///         Some(Rc::new(move || {
    ///             let Some(fd) = f.upgrade() else { return };
    ///             let mut buf = [0; 16];
    ///             // Read until `WouldBlock`, which ends this turn's readiness.
    ///             while let Ok(n @ 1..) = fd.try_io(Interest::Readable, |mut s| s.read(&mut buf)) {
    ///                 g.borrow_mut().extend_from_slice(&buf[..n]);
    ///             }
    ///         })),
    ///     );
    ///     b.write_all(b"hello").unwrap();
    ///     while got.borrow().len() < 5 {
    ///         asyncio::time::yield_now().await;
    ///     }
    ///     assert_eq!(&got.borrow()[..], b"hello");
    /// });
    /// ```
    pub fn set_ready_callback(&self, interest: Interest, callback: Option<std::rc::Rc<dyn Fn()>>) {
        self.reg.set_callback(interest.dir(), callback);
    }

    /// Runs `op` when `interest` is ready, retrying after each `WouldBlock`.
    ///
    /// # Cancel safety
    /// Cancel-safe when `op` is atomic (one system call).
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.get_ref();
        std::future::poll_fn(|cx| self.reg.poll_io(cx, interest.dir(), || op(inner))).await
    }

    /// Runs `op` once; a `WouldBlock` clears the readiness.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        op: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.get_ref();
        self.reg.try_io(interest.dir(), || op(inner))
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd> Drop for AsyncFd<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            self.reg.deregister(&mut SourceFd(&inner.as_raw_fd()));
        }
    }
}

impl<T: AsRawFd + std::fmt::Debug> std::fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", &self.inner)
            .finish()
    }
}
