//! The I/O reactor: which sockets are registered with the poller, the readiness each last
//! reported, and the tasks waiting for it.
//!
//! mio is edge-triggered: an event says "something changed", once. Each source keeps the bits it
//! was last told (`readable`, `writable`, closed, error) until an operation answers
//! `WouldBlock`, which clears the bit and parks the caller's waker. The loop is one thread and
//! events only arrive while no task runs, so "clear, then wait" cannot miss an event in between
//! (the race tokio's readiness ticks exist for).
//!
//! A source may also carry a *ready callback* per direction (asyncio's `add_reader` model, what
//! the Python transports read and write with): instead of a task waiting, the loop runs the
//! callback in its own turn, once per iteration while the direction stays ready, until an
//! operation's `WouldBlock` clears the bit or the callback is removed.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

/// Readable data, or a pending connection on a listener.
pub(crate) const READABLE: u8 = 1;
/// Room in the send buffer, or a finished connect.
pub(crate) const WRITABLE: u8 = 1 << 1;
/// The peer shut down its writing side: reads will see end of file.
pub(crate) const READ_CLOSED: u8 = 1 << 2;
/// Writing can no longer succeed.
pub(crate) const WRITE_CLOSED: u8 = 1 << 3;
/// The socket has a pending error.
pub(crate) const ERROR: u8 = 1 << 4;

/// The bits that let a waiting reader proceed.
const READ_MASK: u8 = READABLE | READ_CLOSED | ERROR;
/// The bits that let a waiting writer proceed.
const WRITE_MASK: u8 = WRITABLE | WRITE_CLOSED | ERROR;

/// Which side of a source an operation waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::Read => 0,
            Direction::Write => 1,
        }
    }

    fn mask(self) -> u8 {
        match self {
            Direction::Read => READ_MASK,
            Direction::Write => WRITE_MASK,
        }
    }

    fn ready_bit(self) -> u8 {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }
}

/// A callback the loop runs while a direction is ready (see the module docs).
pub(crate) type ReadyCallback = Rc<dyn Fn()>;

/// One registered source's readiness and waiters.
#[derive(Default)]
pub(crate) struct IoState {
    readiness: Cell<u8>,
    readers: RefCell<Vec<Waker>>,
    writers: RefCell<Vec<Waker>>,
    /// The ready callbacks, by direction (read, write).
    callbacks: [RefCell<Option<ReadyCallback>>; 2],
    /// Whether a direction's callback has a turn in the ready queue.
    queued: [Cell<bool>; 2],
}

impl IoState {
    fn waiters(&self, dir: Direction) -> &RefCell<Vec<Waker>> {
        match dir {
            Direction::Read => &self.readers,
            Direction::Write => &self.writers,
        }
    }

    /// `Ready` with the readiness bits if `dir` may proceed; otherwise parks the waker.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<u8> {
        let bits = self.readiness.get();
        if bits & dir.mask() != 0 {
            return Poll::Ready(bits);
        }
        let mut waiters = self.waiters(dir).borrow_mut();
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Forgets that `dir` was ready, after an operation answered `WouldBlock`. Closed and error
    /// bits stay: they do not go away.
    pub(crate) fn clear(&self, dir: Direction) {
        self.readiness.set(self.readiness.get() & !dir.ready_bit());
    }

    /// Records an event and wakes whoever it lets proceed; returns the directions whose
    /// callback now needs a turn in the ready queue (see [`claim_turn`](Self::claim_turn)).
    fn set(&self, bits: u8) -> [bool; 2] {
        self.readiness.set(self.readiness.get() | bits);
        if bits & READ_MASK != 0 {
            wake_all(&self.readers);
        }
        if bits & WRITE_MASK != 0 {
            wake_all(&self.writers);
        }
        [
            bits & READ_MASK != 0 && self.claim_turn(Direction::Read),
            bits & WRITE_MASK != 0 && self.claim_turn(Direction::Write),
        ]
    }

    /// Wakes every waiter and forgets the callbacks, for a source that goes away.
    fn wake_everyone(&self) {
        wake_all(&self.readers);
        wake_all(&self.writers);
        self.forget_callbacks();
    }

    /// Drops both ready callbacks, outside the borrows (dropping what a callback holds may
    /// reach this source again).
    fn forget_callbacks(&self) {
        for callback in &self.callbacks {
            let taken = callback.borrow_mut().take();
            drop(taken);
        }
    }

    /// Sets or removes `dir`'s ready callback. Returns whether it needs a turn now (it is set,
    /// `dir` is ready and no turn is queued); the caller then queues one. The callback it
    /// replaces is dropped outside the borrow, as in `forget_callbacks`.
    pub(crate) fn set_callback(&self, dir: Direction, callback: Option<ReadyCallback>) -> bool {
        let old = self.callbacks[dir.index()].replace(callback);
        drop(old);
        self.claim_turn(dir)
    }

    /// Whether `dir`'s callback needs a turn (set, ready, none queued); if so, the turn is
    /// recorded as queued and the caller must queue it.
    pub(crate) fn claim_turn(&self, dir: Direction) -> bool {
        let i = dir.index();
        let wanted = !self.queued[i].get()
            && self.readiness.get() & dir.mask() != 0
            && self.callbacks[i].borrow().is_some();
        if wanted {
            self.queued[i].set(true);
        }
        wanted
    }

    /// Starts a queued turn: the callback to run, if it is still set and `dir` still ready.
    pub(crate) fn take_turn(&self, dir: Direction) -> Option<ReadyCallback> {
        let i = dir.index();
        self.queued[i].set(false);
        if self.readiness.get() & dir.mask() == 0 {
            return None;
        }
        self.callbacks[i].borrow().clone()
    }
}

fn wake_all(waiters: &RefCell<Vec<Waker>>) {
    // Take them out first: a waker may run code that parks a new waiter on this source.
    let taken = std::mem::take(&mut *waiters.borrow_mut());
    for waker in taken {
        waker.wake();
    }
}

/// The loop's table of registered sources, indexed by mio token.
pub(crate) struct Reactor {
    registry: mio::Registry,
    sources: RefCell<Slab<Rc<IoState>>>,
}

impl Reactor {
    pub(crate) fn new(registry: mio::Registry) -> Self {
        Self {
            registry,
            sources: RefCell::new(Slab::with_capacity(64)),
        }
    }

    /// Registers `source` for both directions; it starts out assumed ready, so the first
    /// operation tries the system call instead of waiting for an event.
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
    ) -> io::Result<(usize, Rc<IoState>)> {
        let state = Rc::new(IoState::default());
        state.readiness.set(READABLE | WRITABLE);
        let token = self.sources.borrow_mut().insert(state.clone());
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        if let Err(e) = self.registry.register(source, mio::Token(token), interest) {
            self.sources.borrow_mut().remove(token);
            return Err(e);
        }
        Ok((token, state))
    }

    /// Removes `source` from the poller and wakes anyone still waiting on it.
    pub(crate) fn deregister(&self, token: usize, source: &mut impl mio::event::Source) {
        // A source closed by the kernel side may already be gone from epoll; nothing to undo.
        let _ = self.registry.deregister(source);
        let state = self.sources.borrow_mut().try_remove(token);
        if let Some(state) = state {
            state.wake_everyone();
        }
    }

    /// Applies one poller event; `queue` is given each direction whose ready callback needs
    /// a turn.
    pub(crate) fn dispatch(
        &self,
        event: &mio::event::Event,
        queue: &mut impl FnMut(Rc<IoState>, Direction),
    ) {
        let state = self.sources.borrow().get(event.token().0).cloned();
        let Some(state) = state else {
            // Deregistered earlier in this batch.
            return;
        };
        let mut bits = 0;
        if event.is_readable() {
            bits |= READABLE;
        }
        if event.is_writable() {
            bits |= WRITABLE;
        }
        if event.is_read_closed() {
            bits |= READ_CLOSED;
        }
        if event.is_write_closed() {
            bits |= WRITE_CLOSED;
        }
        if event.is_error() {
            bits |= ERROR;
        }
        let [read, write] = state.set(bits);
        if read {
            queue(state.clone(), Direction::Read);
        }
        if write {
            queue(state, Direction::Write);
        }
    }

    /// Forgets every source's ready callbacks (the loop closes): what they hold is dropped,
    /// outside any borrow of the table, since dropping it may deregister a source.
    pub(crate) fn drop_callbacks(&self) {
        let states: Vec<Rc<IoState>> = self
            .sources
            .borrow()
            .iter()
            .map(|(_, s)| s.clone())
            .collect();
        for state in states {
            state.forget_callbacks();
        }
    }

    /// How many sources are registered.
    pub(crate) fn len(&self) -> usize {
        self.sources.borrow().len()
    }
}
