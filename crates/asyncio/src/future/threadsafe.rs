//! [`ThreadSafePromise`]: a settable result shared between threads (the role of
//! `concurrent.futures.Future` next to asyncio).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

struct State<T> {
    value: Option<T>,
    done: bool,
    waker: Option<Waker>,
    cancel_requested: bool,
    canceller: Option<Waker>,
}

struct Inner<T> {
    state: Mutex<State<T>>,
    cond: Condvar,
}

/// A one-shot result that any thread can set once and one consumer can take, by awaiting it on
/// any loop or by blocking a plain thread on [`wait`](Self::wait).
///
/// ```
/// use asyncio::future::ThreadSafePromise;
/// let p = ThreadSafePromise::new();
/// let setter = p.clone();
/// std::thread::spawn(move || setter.set("from a thread"));
/// assert_eq!(asyncio::run(p), "from a thread");
/// ```
///
/// # Cancel safety
/// Cancel-safe: the value stays in the promise for a later await or `wait()`.
pub struct ThreadSafePromise<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for ThreadSafePromise<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Default for ThreadSafePromise<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> ThreadSafePromise<T> {
    /// A promise with no value yet.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    value: None,
                    done: false,
                    waker: None,
                    cancel_requested: false,
                    canceller: None,
                }),
                cond: Condvar::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the value and wakes the waiter. Returns `false` (dropping `value`) if a value was
    /// already set.
    pub fn set(&self, value: T) -> bool {
        let mut s = self.lock();
        if s.done {
            return false;
        }
        s.value = Some(value);
        s.done = true;
        let waker = s.waker.take();
        drop(s);
        self.inner.cond.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// Whether a value was set (taken or not).
    pub fn is_done(&self) -> bool {
        self.lock().done
    }

    /// Blocks the thread until the value is set, then takes it.
    ///
    /// # Panics
    /// If the value was already taken.
    pub fn wait(&self) -> T {
        let mut s = self.lock();
        while !s.done {
            s = self.inner.cond.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        s.value
            .take()
            .expect("ThreadSafePromise value already taken")
    }

    /// Like [`wait`](Self::wait), for at most `timeout`; `None` if it ran out (or the value was
    /// taken already).
    pub fn wait_timeout(&self, timeout: Duration) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut s = self.lock();
        while !s.done {
            let left = deadline.checked_duration_since(Instant::now())?;
            s = self
                .inner
                .cond
                .wait_timeout(s, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        s.value.take()
    }

    /// Asks the producer to give up; it learns through [`cancel_requested`](Self::cancel_requested)
    /// and is woken through the waker it registered with [`set_canceller`](Self::set_canceller).
    pub fn request_cancel(&self) {
        let mut s = self.lock();
        s.cancel_requested = true;
        let w = s.canceller.take();
        drop(s);
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Whether [`request_cancel`](Self::request_cancel) was called.
    pub fn cancel_requested(&self) -> bool {
        self.lock().cancel_requested
    }

    /// Registers the producer's waker, woken by [`request_cancel`](Self::request_cancel).
    pub fn set_canceller(&self, waker: &Waker) {
        let mut s = self.lock();
        match &mut s.canceller {
            Some(w) if w.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }
}

impl<T> Future for ThreadSafePromise<T> {
    type Output = T;

    /// # Panics
    /// If the value was already taken.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut s = self.lock();
        if s.done {
            return Poll::Ready(
                s.value
                    .take()
                    .expect("ThreadSafePromise value already taken"),
            );
        }
        match &mut s.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for ThreadSafePromise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadSafePromise")
            .field("done", &self.is_done())
            .finish()
    }
}
