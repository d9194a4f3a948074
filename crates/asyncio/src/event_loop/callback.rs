//! Callbacks scheduled with `call_soon`/`call_later`/`call_at`, and their cancellable handles
//! (asyncio's `Handle` and `TimerHandle`).

use std::cell::Cell;
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Instant;

use super::core::Core;
use crate::time::wheel::TimerKey;

/// A scheduled callback: the closure and its cancelled flag. Kept behind a thin `Rc` so a ready
/// queue entry stays two words.
pub(crate) struct CallbackSlot {
    f: Cell<Option<Box<dyn FnOnce()>>>,
    cancelled: Cell<bool>,
}

impl CallbackSlot {
    /// Runs the callback unless it was cancelled or already ran.
    pub(crate) fn run(&self) {
        if let Some(f) = self.f.take() {
            f();
        }
    }

    /// Cancels the callback and drops the closure.
    pub(crate) fn cancel(&self) {
        self.cancelled.set(true);
        drop(self.f.take());
    }

    /// Whether it was cancelled.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

pub(crate) type CallbackRef = Rc<CallbackSlot>;

pub(crate) fn new_slot(f: impl FnOnce() + 'static) -> CallbackRef {
    new_slot_boxed(Box::new(f))
}

pub(crate) fn new_slot_boxed(f: Box<dyn FnOnce()>) -> CallbackRef {
    Rc::new(CallbackSlot {
        f: Cell::new(Some(f)),
        cancelled: Cell::new(false),
    })
}

/// The handle to a callback scheduled with [`call_soon`](crate::EventLoop::call_soon), like
/// asyncio's `Handle`. Dropping it does not cancel the callback.
#[derive(Clone)]
pub struct Handle {
    pub(crate) slot: CallbackRef,
}

impl Handle {
    /// Cancels the callback if it has not run yet; its closure is dropped at once.
    pub fn cancel(&self) {
        self.slot.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn cancelled(&self) -> bool {
        self.slot.cancelled()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

/// The handle to a callback scheduled with [`call_later`](crate::EventLoop::call_later) or
/// [`call_at`](crate::EventLoop::call_at), like asyncio's `TimerHandle`. Dropping it does not
/// cancel the callback.
#[derive(Clone)]
pub struct TimerHandle {
    pub(crate) slot: CallbackRef,
    pub(crate) when: Instant,
    pub(crate) key: TimerKey,
    pub(crate) core: Weak<Core>,
}

impl TimerHandle {
    /// Cancels the callback if it has not run yet: its timer is removed from the wheel and its
    /// closure dropped at once.
    pub fn cancel(&self) {
        self.slot.cancel();
        if let Some(core) = self.core.upgrade() {
            core.remove_timer(self.key);
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn cancelled(&self) -> bool {
        self.slot.cancelled()
    }

    /// When the callback is (or was) due, on the loop's clock.
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .field("cancelled", &self.cancelled())
            .finish()
    }
}
