//! [`ThreadSafePromise`]: a settable result shared between threads (the role of
//! `concurrent.futures.Future` next to asyncio).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::runtime::sync::{Arc, Condvar, Mutex, MutexGuard};

struct State<T> {
    value: Option<T>,
    done: bool,
    waker: Option<Waker>,
    cancel_requested: bool,
    canceller: Option<Waker>,
    /// Threads blocked in `wait`/`wait_timeout`: `set` notifies the condition variable only
    /// when there are some (a notification is a system call even with no one waiting).
    blocked: usize,
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
                    blocked: 0,
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
        let blocked = s.blocked > 0;
        drop(s);
        if blocked {
            self.inner.cond.notify_all();
        }
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
            s.blocked += 1;
            s = self.inner.cond.wait(s).unwrap_or_else(|e| e.into_inner());
            s.blocked -= 1;
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
            s.blocked += 1;
            s = self
                .inner
                .cond
                .wait_timeout(s, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            s.blocked -= 1;
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

#[cfg(all(test, asyncio_loom))]
mod loom_tests {
    use std::task::Wake;

    use super::*;
    use crate::runtime::sync::atomic::{AtomicUsize, Ordering};

    /// A waker that counts its wakes.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_blocking_waiter_gets_the_value_set_on_another_thread() {
        loom::model(|| {
            let p = ThreadSafePromise::new();
            let q = p.clone();
            let setter = loom::thread::spawn(move || assert!(q.set(7)));
            assert_eq!(p.wait(), 7);
            setter.join().unwrap();
        });
    }

    /// No lost wake-up: a poll that saw no value left its waker, which the set then woke.
    #[test]
    fn a_pending_poll_is_woken_by_the_set() {
        loom::model(|| {
            let mut p = ThreadSafePromise::new();
            let q = p.clone();
            let count = std::sync::Arc::new(Count(AtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let setter = loom::thread::spawn(move || assert!(q.set(3)));
            let mut cx = Context::from_waker(&waker);
            let first = Pin::new(&mut p).poll(&mut cx);
            setter.join().unwrap();
            if first.is_pending() {
                assert_eq!(
                    count.0.load(Ordering::SeqCst),
                    1,
                    "the set did not wake the poller"
                );
                assert_eq!(Pin::new(&mut p).poll(&mut cx), Poll::Ready(3));
            } else {
                assert_eq!(first, Poll::Ready(3));
            }
        });
    }

    /// Two setters race: exactly one wins, and the waiter gets the winner's value.
    #[test]
    fn one_of_two_racing_sets_wins() {
        loom::model(|| {
            let p = ThreadSafePromise::new();
            let (q1, q2) = (p.clone(), p.clone());
            let a = loom::thread::spawn(move || q1.set(1));
            let b = loom::thread::spawn(move || q2.set(2));
            let (won_a, won_b) = (a.join().unwrap(), b.join().unwrap());
            assert!(won_a != won_b, "exactly one set wins");
            assert_eq!(p.wait(), if won_a { 1 } else { 2 });
        });
    }

    /// A cancel requested from another thread reaches a task that registered its waker: it is
    /// woken, or it sees the request when it looks.
    #[test]
    fn a_cancel_request_is_seen_or_wakes_the_canceller() {
        loom::model(|| {
            let p: ThreadSafePromise<()> = ThreadSafePromise::new();
            let q = p.clone();
            let count = std::sync::Arc::new(Count(AtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let requester = loom::thread::spawn(move || q.request_cancel());
            p.set_canceller(&waker);
            let seen = p.cancel_requested();
            requester.join().unwrap();
            assert!(seen || count.0.load(Ordering::SeqCst) == 1);
            assert!(p.cancel_requested());
        });
    }
}
