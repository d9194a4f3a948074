//! [`OnThread`]: a value that only its loop's thread may use (Rust's loop parts are `Rc`s).
//! Python objects, though, can be reached from any thread: the wrapper checks the thread on
//! each use, and a value dropped elsewhere (the garbage collector ran there) is sent home to
//! be dropped on its own thread.

use std::mem::ManuallyDrop;
use std::thread::ThreadId;

use pyo3::exceptions::PyRuntimeError;
use pyo3::PyResult;

pub(crate) struct OnThread<T: 'static> {
    value: ManuallyDrop<T>,
    thread: ThreadId,
    /// Where a value dropped on another thread goes to be dropped.
    home: asyncio::RemoteHandle,
}

/// Carries a value to its own thread inside a `Send` closure: dropped there, it drops the
/// value; dropped anywhere else (the loop closed and refused the closure), it leaks it.
struct Homebound<T> {
    value: ManuallyDrop<T>,
    thread: ThreadId,
}

// SAFETY: the value is never touched on a foreign thread: `Drop` opens it only on its own
// thread and leaks it everywhere else.
unsafe impl<T> Send for Homebound<T> {}

impl<T> Drop for Homebound<T> {
    fn drop(&mut self) {
        if std::thread::current().id() == self.thread {
            // SAFETY: taken once, on the value's own thread.
            drop(unsafe { ManuallyDrop::take(&mut self.value) });
        }
    }
}

// SAFETY: the value is only reached through `get`, which checks the thread, and dropped only
// on its own thread (see `Drop`).
unsafe impl<T> Send for OnThread<T> {}
// SAFETY: as above: no access from another thread reaches the value.
unsafe impl<T> Sync for OnThread<T> {}

impl<T: 'static> OnThread<T> {
    /// Binds `value` to the current thread, the thread of the loop `home` reaches.
    pub(crate) fn new(value: T, home: asyncio::RemoteHandle) -> Self {
        Self {
            value: ManuallyDrop::new(value),
            thread: std::thread::current().id(),
            home,
        }
    }

    /// The value, on its own thread; an error anywhere else.
    pub(crate) fn get(&self) -> PyResult<&T> {
        if std::thread::current().id() != self.thread {
            return Err(PyRuntimeError::new_err(
                "this object belongs to its event loop's thread (use call_soon_threadsafe)",
            ));
        }
        Ok(&self.value)
    }
}

impl<T: 'static> Drop for OnThread<T> {
    fn drop(&mut self) {
        // SAFETY: taken once, here; `self.value` is not used again.
        let value = unsafe { ManuallyDrop::take(&mut self.value) };
        if std::thread::current().id() == self.thread {
            drop(value);
            return;
        }
        let parcel = Homebound {
            value: ManuallyDrop::new(value),
            thread: self.thread,
        };
        // Refused (the loop is closed), the closure and the parcel are dropped here: leaked.
        let _ = self.home.call_soon_threadsafe(move || drop(parcel));
    }
}
