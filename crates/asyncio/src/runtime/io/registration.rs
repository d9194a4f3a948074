//! [`Registration`]: one source's place in the running loop's reactor.

use std::io;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use crate::runtime::core::Core;
use crate::runtime::core::Ready;
use crate::runtime::io::reactor::{Direction, IoState, ReadyCallback};

/// A source registered with the loop that was running when it was created. Operations must
/// happen on that loop's thread (the types holding one are `!Send`).
pub(crate) struct Registration {
    core: Rc<Core>,
    token: usize,
    state: Rc<IoState>,
}

impl Registration {
    /// Registers `source` with the running loop.
    ///
    /// # Errors
    /// `Other` when no loop runs on this thread; the poller's error otherwise.
    pub(crate) fn new(source: &mut impl mio::event::Source) -> io::Result<Self> {
        let core = crate::runtime::context::with_core(|c| c.cloned()).ok_or_else(|| {
            io::Error::other("no running event loop on this thread: sockets belong to a loop")
        })?;
        Self::new_on(core, source)
    }

    /// Registers `source` with `core`'s loop (running or not).
    pub(crate) fn new_on(core: Rc<Core>, source: &mut impl mio::event::Source) -> io::Result<Self> {
        let (token, state) = core.reactor.register(source)?;
        Ok(Self { core, token, state })
    }

    /// Waits until `dir` may proceed; returns the readiness bits.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<u8> {
        self.state.poll_ready(cx, dir)
    }

    /// Sets or removes the callback the loop runs while `dir` is ready (see the reactor's
    /// docs); a turn is queued at once if `dir` is ready now.
    pub(crate) fn set_callback(&self, dir: Direction, callback: Option<ReadyCallback>) {
        if self.state.set_callback(dir, callback) {
            self.core.push_ready(Ready::Io(self.state.clone(), dir));
        }
    }

    /// Forgets `dir`'s readiness (after `WouldBlock`).
    pub(crate) fn clear(&self, dir: Direction) {
        self.state.clear(dir);
    }

    /// Runs `op` when `dir` is ready, again after each `WouldBlock` (which parks the caller).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            ready!(self.poll_ready(cx, dir));
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear(dir),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                result => return Poll::Ready(result),
            }
        }
    }

    /// Runs `op` once without waiting; a `WouldBlock` clears the readiness and is returned.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let result = op();
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.clear(dir);
        }
        result
    }

    /// Removes `source` from the reactor. Call before the source closes.
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) {
        self.core.reactor.deregister(self.token, source);
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("token", &self.token)
            .finish()
    }
}
