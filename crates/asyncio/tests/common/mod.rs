//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code, unreachable_pub)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Counts how many times the value it guards is dropped.
#[derive(Clone, Default, Debug)]
pub struct DropCounter(pub Rc<Cell<usize>>);

impl DropCounter {
    /// A guard that counts one drop.
    pub fn guard(&self) -> DropGuard {
        DropGuard(self.0.clone())
    }
    /// Drops so far.
    pub fn count(&self) -> usize {
        self.0.get()
    }
}

/// Counts one drop when dropped.
#[derive(Debug)]
pub struct DropGuard(Rc<Cell<usize>>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// An append-only log of events, to assert on orderings.
#[derive(Clone, Default, Debug)]
pub struct Log(pub Rc<RefCell<Vec<String>>>);

impl Log {
    /// Appends an event.
    pub fn push(&self, s: impl Into<String>) {
        self.0.borrow_mut().push(s.into());
    }
    /// Takes the events so far.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// A loop on virtual time.
pub fn virtual_loop() -> asyncio::EventLoop {
    asyncio::EventLoop::builder()
        .virtual_time(true)
        .build()
        .unwrap()
}
