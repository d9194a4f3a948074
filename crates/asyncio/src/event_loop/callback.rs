//! Callbacks scheduled with `call_soon`/`call_later`/`call_at`, and their cancellable handles
//! (asyncio's `Handle` and `TimerHandle`).

use std::cell::Cell;
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Instant;

use super::core::Core;
use crate::time::wheel::TimerKey;

/// A scheduled callback, type-erased: one allocation holding the closure and its flags.
pub(crate) trait CallbackSlot {
    /// Runs the callback unless it was cancelled or already ran.
    fn run(&self);
    /// Cancels the callback and drops the closure.
    fn cancel(&self);
    /// Whether it was cancelled.
    fn cancelled(&self) -> bool;
}

pub(crate) type CallbackRef = Rc<dyn CallbackSlot>;

struct Slot<F> {
    f: Cell<Option<F>>,
    cancelled: Cell<bool>,
}

impl<F: FnOnce()> CallbackSlot for Slot<F> {
    fn run(&self) {
        if let Some(f) = self.f.take() {
            f();
        }
    }

    fn cancel(&self) {
        self.cancelled.set(true);
        drop(self.f.take());
    }

    fn cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

pub(crate) fn new_slot(f: impl FnOnce() + 'static) -> CallbackRef {
    Rc::new(Slot {
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
