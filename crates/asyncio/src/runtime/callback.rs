//! A scheduled callback (`call_soon`/`call_later`/`call_at`): the closure and its cancelled
//! flag, shared by the ready queue or the timer wheel and the public handle.

use std::cell::Cell;
use std::rc::Rc;

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
