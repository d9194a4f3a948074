//! [`Promise`]: asyncio's `Future` role — a result that callback-style code sets and async code
//! awaits — under a name that does not collide with `std::future::Future`.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Why a [`Promise`] produced no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromiseError<E> {
    /// [`Promise::cancel`] was called (asyncio's `CancelledError`).
    Cancelled,
    /// [`Promise::set_error`] was called (asyncio's `set_exception`).
    Failed(E),
    /// Another await already took the outcome.
    Taken,
}

impl<E: fmt::Display> fmt::Display for PromiseError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromiseError::Cancelled => f.write_str("promise was cancelled"),
            PromiseError::Failed(e) => write!(f, "promise failed: {e}"),
            PromiseError::Taken => f.write_str("promise outcome was already taken"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for PromiseError<E> {}

/// Setting an outcome on a promise that already has one (asyncio's `InvalidStateError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidStateError;

impl fmt::Display for InvalidStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid state: the promise is already done")
    }
}

impl std::error::Error for InvalidStateError {}

type DoneCallback<T, E> = Box<dyn FnOnce(&Promise<T, E>)>;

struct State<T, E> {
    outcome: Option<Result<T, PromiseError<E>>>,
    done: bool,
    cancelled: bool,
    /// Awaiters and done callbacks in registration order: asyncio's awaiter wake-up is itself a
    /// done callback, so all of them run in the order they were added.
    waiters: Vec<Waiter<T, E>>,
}

enum Waiter<T, E> {
    Awaiter(Waker),
    Callback(DoneCallback<T, E>),
}

/// A settable result for one loop's thread, like asyncio's `Future`: completed by
/// [`set_result`](Self::set_result), [`set_error`](Self::set_error) or
/// [`cancel`](Self::cancel), awaited by async code, observed by done callbacks.
///
/// Cloning gives another handle to the same promise. Awaiting *takes* the outcome: the first
/// await to see it gets it, later ones get [`PromiseError::Taken`]; use
/// [`result`](Self::result) (for `Clone` values) or done callbacks to observe it several times.
/// For completing from another thread, use [`ThreadSafePromise`](super::ThreadSafePromise).
///
/// ```
/// use std::time::Duration;
/// use asyncio::future::Promise;
///
/// asyncio::run(async {
///     let p: Promise<u32, String> = Promise::new();
///     let setter = p.clone();
///     asyncio::get_running_loop().call_later(Duration::from_millis(5), move || {
///         setter.set_result(7).unwrap();
///     });
///     assert_eq!(p.await, Ok(7));
/// });
/// ```
pub struct Promise<T, E = Box<dyn std::error::Error>> {
    inner: Rc<RefCell<State<T, E>>>,
}

impl<T, E> Clone for Promise<T, E> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T: 'static, E: 'static> Default for Promise<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static, E: 'static> Promise<T, E> {
    /// A pending promise.
    pub fn new() -> Self {
        Self {
            inner: Rc::new(RefCell::new(State {
                outcome: None,
                done: false,
                cancelled: false,
                waiters: Vec::new(),
            })),
        }
    }

    fn complete(&self, outcome: Result<T, PromiseError<E>>) -> Result<(), InvalidStateError> {
        let waiters = {
            let mut s = self.inner.borrow_mut();
            if s.done {
                return Err(InvalidStateError);
            }
            s.cancelled = matches!(outcome, Err(PromiseError::Cancelled));
            s.outcome = Some(outcome);
            s.done = true;
            std::mem::take(&mut s.waiters)
        };
        for waiter in waiters {
            match waiter {
                Waiter::Awaiter(w) => w.wake(),
                Waiter::Callback(cb) => self.schedule_callback(cb),
            }
        }
        Ok(())
    }

    fn schedule_callback(&self, cb: DoneCallback<T, E>) {
        let me = self.clone();
        match crate::runtime::context::try_running_core() {
            Some(core) => {
                core.push_callback(move || cb(&me));
            }
            None => cb(&me),
        }
    }

    /// Completes the promise with a value.
    ///
    /// # Errors
    /// [`InvalidStateError`] if it is already done.
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError> {
        self.complete(Ok(value))
    }

    /// Completes the promise with an error.
    ///
    /// # Errors
    /// [`InvalidStateError`] if it is already done.
    pub fn set_error(&self, error: E) -> Result<(), InvalidStateError> {
        self.complete(Err(PromiseError::Failed(error)))
    }

    /// Cancels the promise; returns `false` if it was already done.
    pub fn cancel(&self) -> bool {
        self.complete(Err(PromiseError::Cancelled)).is_ok()
    }

    /// Whether it has an outcome.
    pub fn is_done(&self) -> bool {
        self.inner.borrow().done
    }

    /// Whether it was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.borrow().cancelled
    }

    /// Adds a callback run when the promise is done (with `call_soon` when a loop runs on this
    /// thread, as asyncio does; immediately otherwise). If it is done already, the callback is
    /// scheduled now.
    pub fn add_done_callback(&self, callback: impl FnOnce(&Promise<T, E>) + 'static) {
        let done = self.inner.borrow().done;
        if done {
            self.schedule_callback(Box::new(callback));
        } else {
            let cb = Waiter::Callback(Box::new(callback));
            self.inner.borrow_mut().waiters.push(cb);
        }
    }

    /// A copy of the outcome without taking it: `None` while pending.
    pub fn result(&self) -> Option<Result<T, PromiseError<E>>>
    where
        T: Clone,
        E: Clone,
    {
        let s = self.inner.borrow();
        if !s.done {
            return None;
        }
        Some(s.outcome.clone().unwrap_or(Err(PromiseError::Taken)))
    }
}

impl<T, E> Future for Promise<T, E> {
    type Output = Result<T, PromiseError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.inner.borrow_mut();
        if s.done {
            return Poll::Ready(s.outcome.take().unwrap_or(Err(PromiseError::Taken)));
        }
        let known = s.waiters.iter().any(|w| match w {
            Waiter::Awaiter(w) => w.will_wake(cx.waker()),
            Waiter::Callback(_) => false,
        });
        if !known {
            s.waiters.push(Waiter::Awaiter(cx.waker().clone()));
        }
        Poll::Pending
    }
}

impl<T, E> fmt::Debug for Promise<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.inner.borrow();
        f.debug_struct("Promise")
            .field("done", &s.done)
            .field("cancelled", &s.cancelled)
            .finish()
    }
}
