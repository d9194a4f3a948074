//! [`OnThread`]: a value that only its loop's thread may use (Rust's loop parts are `Rc`s).
//! Python objects, though, can be reached from any thread: the wrapper checks the thread on
//! each use, and a value dropped elsewhere (the garbage collector ran there) is sent home to
//! be dropped on its own thread.

use std::mem::ManuallyDrop;

use pyo3::exceptions::PyRuntimeError;
use pyo3::PyResult;

/// Names the current thread among the live ones (`pthread_self`: a register read, where
/// `std::thread::current()` touches a reference count). A token is reused only after its
/// thread exited; a value bound to that thread then has no other user left, so the check
/// that a value is used on one thread at a time still holds.
pub(crate) type ThreadToken = libc::pthread_t;

/// The current thread's token.
pub(crate) fn thread_token() -> ThreadToken {
    // SAFETY: `pthread_self` has no preconditions and cannot fail.
    unsafe { libc::pthread_self() }
}

pub(crate) struct OnThread<T: 'static> {
    value: ManuallyDrop<T>,
    thread: ThreadToken,
    /// Where a value dropped on another thread goes to be dropped.
    home: asyncio::RemoteHandle,
}

/// Carries a value to its own thread inside a `Send` closure: dropped there, it drops the
/// value; dropped anywhere else (the loop closed and refused the closure), it leaks it.
struct Homebound<T> {
    value: ManuallyDrop<T>,
    thread: ThreadToken,
}

// SAFETY: the value is never touched on a foreign thread: `Drop` opens it only on its own
// thread and leaks it everywhere else.
unsafe impl<T> Send for Homebound<T> {}

impl<T> Drop for Homebound<T> {
    fn drop(&mut self) {
        if thread_token() == self.thread {
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
            thread: thread_token(),
            home,
        }
    }

    /// The value, on its own thread; an error anywhere else.
    pub(crate) fn get(&self) -> PyResult<&T> {
        if thread_token() != self.thread {
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
        if thread_token() == self.thread {
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

/// A value any thread may reach, one thread at a time: every access shows a `Python` token,
/// so the GIL is held. The `RefCell` inside catches re-entry (a panic, not a data race). For
/// state a Python object shares across threads where a `Mutex` would cost its atomics on the
/// hot path.
pub(crate) struct GilCell<T>(std::cell::RefCell<T>);

// SAFETY: each access takes a `Python<'_>` token, so it happens with the GIL held, and the GIL
// lets one thread run at a time (handing over with the memory ordering of a lock). The module
// does not declare itself free of the GIL (`gil_used` stays on), so even a free-threaded
// interpreter keeps its GIL while this module is loaded.
unsafe impl<T: Send> Sync for GilCell<T> {}

impl<T> GilCell<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(std::cell::RefCell::new(value))
    }

    /// Borrows the value. Run no Python code while the borrow lives (it may run another
    /// thread, or re-enter here).
    pub(crate) fn borrow<'a>(&'a self, _py: pyo3::Python<'a>) -> std::cell::Ref<'a, T> {
        self.0.borrow()
    }

    /// Puts `value` in and returns the old one (dropped by the caller, outside the cell).
    pub(crate) fn replace(&self, _py: pyo3::Python<'_>, value: T) -> T {
        self.0.replace(value)
    }
}

impl<T: Default> GilCell<T> {
    /// Takes the value out, leaving the default.
    pub(crate) fn take(&self, py: pyo3::Python<'_>) -> T {
        self.replace(py, T::default())
    }
}
