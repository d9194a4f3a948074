//! How a loop learns of signals: one pipe per listening loop, written by the process-wide
//! handler, read by whichever listener polls; per-signal counters say what arrived.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::rc::{Rc, Weak};
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::task::{Context, Poll};

use crate::runtime::io::reactor::Direction;
use crate::runtime::io::PollEvented;
use crate::sys;

/// Pipes of loops that closed, kept for the next loop: the handler may still hold a released
/// write end's number for an instant, so those descriptors are never closed (and never reused
/// for anything else).
static SPARE_PIPES: Mutex<Vec<(mio::unix::pipe::Sender, mio::unix::pipe::Receiver)>> =
    Mutex::new(Vec::new());

/// One listener's count of deliveries not yet taken.
pub(crate) struct Listener {
    pub(crate) pending: Cell<u64>,
}

/// A loop's signal state.
pub(crate) struct LoopSignals {
    pipe: Option<PollEvented<mio::unix::pipe::Receiver>>,
    sender: Option<mio::unix::pipe::Sender>,
    slot: usize,
    state: RefCell<HashMap<i32, SignalState>>,
}

struct SignalState {
    seen: u64,
    listeners: Vec<Weak<Listener>>,
}

/// A loop's signal state, made when something first listens (a loop extension).
#[derive(Default)]
struct SignalSlot(RefCell<Option<Rc<LoopSignals>>>);

impl LoopSignals {
    fn new(core: Rc<crate::runtime::core::Core>) -> io::Result<Self> {
        let spare = SPARE_PIPES.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let (sender, receiver) = match spare {
            Some(p) => p,
            None => mio::unix::pipe::new()?,
        };
        let slot = sys::claim_slot(sender.as_raw_fd()).ok_or_else(|| {
            io::Error::other("too many event loops listen for signals at once (128)")
        })?;
        let pipe = match PollEvented::new_on(core, receiver) {
            Ok(p) => p,
            Err(e) => {
                sys::SIGNAL_PIPES[slot].store(-1, Ordering::SeqCst);
                return Err(e);
            }
        };
        Ok(Self {
            pipe: Some(pipe),
            sender: Some(sender),
            slot,
            state: RefCell::new(HashMap::new()),
        })
    }

    /// The running loop's signal state, made on first use.
    pub(crate) fn current() -> io::Result<Rc<LoopSignals>> {
        let core = crate::runtime::context::with_core(|c| c.cloned())
            .ok_or_else(|| io::Error::other("no running event loop on this thread"))?;
        Self::of(&core)
    }

    /// `core`'s signal state, made on first use.
    pub(crate) fn of(core: &Rc<crate::runtime::core::Core>) -> io::Result<Rc<LoopSignals>> {
        let slot = core.extension::<SignalSlot>();
        let mut slot = slot.0.borrow_mut();
        if let Some(s) = &*slot {
            return Ok(s.clone());
        }
        let s = Rc::new(LoopSignals::new(core.clone())?);
        *slot = Some(s.clone());
        Ok(s)
    }

    /// Adds a listener for `sig` (the handler must be installed).
    pub(crate) fn listen(&self, sig: i32) -> Rc<Listener> {
        let listener = Rc::new(Listener {
            pending: Cell::new(0),
        });
        sys::SIGNAL_LISTENERS[sig as usize].fetch_add(1, Ordering::SeqCst);
        let mut state = self.state.borrow_mut();
        let entry = state.entry(sig).or_insert_with(|| SignalState {
            seen: sys::SIGNAL_COUNTS[sig as usize].load(Ordering::SeqCst),
            listeners: Vec::new(),
        });
        entry.listeners.retain(|w| w.strong_count() > 0);
        entry.listeners.push(Rc::downgrade(&listener));
        listener
    }

    /// Drains the pipe and hands what arrived to the listeners.
    fn collect(&self) {
        let pipe = self.pipe.as_ref().expect("open");
        let mut buf = [0u8; 64];
        loop {
            match pipe.try_op(Direction::Read, |mut r| r.read(&mut buf)) {
                Ok(n) if n > 0 => continue,
                _ => break,
            }
        }
        let mut state = self.state.borrow_mut();
        for (sig, s) in state.iter_mut() {
            let now = sys::SIGNAL_COUNTS[*sig as usize].load(Ordering::SeqCst);
            let delta = now.wrapping_sub(s.seen);
            if delta == 0 {
                continue;
            }
            s.seen = now;
            s.listeners.retain(|w| match w.upgrade() {
                Some(l) => {
                    l.pending.set(l.pending.get() + delta);
                    true
                }
                None => false,
            });
        }
    }

    /// Waits until `listener` has a delivery and takes it.
    pub(crate) fn poll_recv(&self, listener: &Listener, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            self.collect();
            if listener.pending.get() > 0 {
                listener.pending.set(listener.pending.get() - 1);
                return Poll::Ready(());
            }
            let pipe = self.pipe.as_ref().expect("open");
            if pipe.poll_ready(cx, Direction::Read).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// Forgets a listener of `sig`.
    pub(crate) fn unlisten(&self, sig: i32) {
        sys::SIGNAL_LISTENERS[sig as usize].fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for LoopSignals {
    fn drop(&mut self) {
        sys::SIGNAL_PIPES[self.slot].store(-1, Ordering::SeqCst);
        if let (Some(pipe), Some(sender)) = (self.pipe.take(), self.sender.take()) {
            let receiver = pipe.into_inner();
            SPARE_PIPES
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((sender, receiver));
        }
    }
}
