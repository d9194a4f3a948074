//! The cancellable handles of callbacks scheduled with `call_soon`/`call_later`/`call_at`
//! (asyncio's `Handle` and `TimerHandle`).

use std::fmt;
use std::rc::Weak;
use std::time::Instant;

use crate::runtime::callback::CallbackRef;
use crate::runtime::core::Core;
use crate::runtime::time::wheel::TimerKey;

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

/// The handle to a [`RawCallback`](crate::event_loop::RawCallback) scheduled with
/// [`call_at_raw`](crate::EventLoop::call_at_raw). Dropping it does not cancel the callback.
pub struct RawTimer {
    pub(crate) when: Instant,
    pub(crate) key: TimerKey,
    pub(crate) core: Weak<Core>,
}

impl RawTimer {
    /// Takes the callback out of the wheel if it has not fired yet, and drops it; whether it
    /// was still there.
    pub fn cancel(&self) -> bool {
        let Some(core) = self.core.upgrade() else {
            return false;
        };
        // The callback is dropped here, after the wheel is released: its drop may schedule.
        let removed = core.remove_timer(self.key);
        removed.is_some()
    }

    /// When the callback is (or was) due, on the loop's clock.
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for RawTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawTimer")
            .field("when", &self.when)
            .finish()
    }
}
