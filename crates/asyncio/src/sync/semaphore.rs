//! [`Semaphore`] and its bounded flavour (asyncio's `Semaphore`, `BoundedSemaphore`): FIFO and
//! cancel-safe.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::waitlist::{WaitKey, WaitList};

struct State {
    permits: usize,
    /// For a bounded semaphore: the initial count, never to be exceeded.
    bound: Option<usize>,
    waiters: WaitList,
    /// Fair (asyncio's): a freed permit is granted to the front waiter. Unfair: it stays free
    /// for whoever polls first, and the front waiter is only woken to compete.
    fair: bool,
}

impl State {
    /// Hands free permits to waiters, front first: granted (a granted waiter owns its
    /// permit), or, unfair, the front waiter woken to compete for them.
    fn grant(&mut self) {
        if !self.fair {
            self.waiters.wake_first(self.permits);
            return;
        }
        while self.permits > 0 && self.waiters.grant_front() {
            self.permits -= 1;
        }
    }

    /// Whether a poller arriving now may take a free permit: any time if unfair, only when
    /// nobody waits if fair.
    fn may_take(&self) -> bool {
        self.permits > 0 && (!self.fair || !self.waiters.has_waiters())
    }
}

/// A counter of permits for the tasks of one loop: `acquire` waits while there is none.
/// Waiters are served in arrival order, and a waiter dropped after being granted a permit
/// passes it on. Cloning gives another handle to the same semaphore.
///
/// ```
/// use std::time::Duration;
/// use asyncio::sync::Semaphore;
///
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// lp.run_until_complete(async {
///     let limit = Semaphore::new(2); // at most two at a time
///     let t0 = asyncio::time::now();
///     let jobs = (0..4).map(|_| {
///         let limit = limit.clone();
///         async move {
///             let _permit = limit.acquire().await;
///             asyncio::time::sleep(Duration::from_secs(1)).await;
///         }
///     });
///     asyncio::task::gather(jobs).await;
///     assert_eq!(asyncio::time::now() - t0, Duration::from_secs(2));
/// });
/// ```
#[derive(Clone)]
pub struct Semaphore {
    state: Rc<RefCell<State>>,
}

/// A [`Semaphore`] whose `release` may not raise the count above its initial value (asyncio's
/// `BoundedSemaphore`).
#[derive(Clone, Debug)]
pub struct BoundedSemaphore {
    inner: Semaphore,
}

/// `release` would raise a bounded semaphore above its initial value (asyncio raises
/// `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseError;

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl std::error::Error for ReleaseError {}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(permits: usize) -> Self {
        Self::build(permits, None, true)
    }

    /// An unfair semaphore: a freed permit goes to whoever asks first, so a task that
    /// releases and at once acquires again keeps it without a switch to a waiter. Faster
    /// under contention; a waiter may wait while others keep taking it. Still cancel-safe.
    ///
    /// ```
    /// asyncio::run(async {
    ///     let sem = asyncio::sync::Semaphore::new_unfair(1);
    ///     let held = sem.acquire().await;
    ///     let waiter = asyncio::spawn({
    ///         let sem = sem.clone();
    ///         async move { drop(sem.acquire().await) }
    ///     });
    ///     asyncio::time::yield_now().await; // the waiter now waits
    ///     drop(held);
    ///     // Unfair: the permit is free for the first to ask, not handed to the waiter.
    ///     assert!(sem.try_acquire().is_some());
    ///     waiter.await.unwrap();
    /// });
    /// ```
    pub fn new_unfair(permits: usize) -> Self {
        Self::build(permits, None, false)
    }

    fn build(permits: usize, bound: Option<usize>, fair: bool) -> Self {
        Self {
            state: Rc::new(RefCell::new(State {
                permits,
                bound,
                waiters: WaitList::new(),
                fair,
            })),
        }
    }

    /// Waits for a permit; it is given back when the [`Permit`] drops.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropped while waiting, no permit is lost (a granted one goes to the next
    /// waiter).
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            key: None,
        }
    }

    /// Takes a permit now, if one is free and (fair) nobody waits for one.
    pub fn try_acquire(&self) -> Option<Permit> {
        let mut st = self.state.borrow_mut();
        if st.may_take() {
            st.permits -= 1;
            Some(self.permit())
        } else {
            None
        }
    }

    fn permit(&self) -> Permit {
        Permit {
            semaphore: Some(self.clone()),
        }
    }

    /// Adds a permit (asyncio's `release`), waking the first waiter.
    pub fn release(&self) {
        let mut st = self.state.borrow_mut();
        st.permits += 1;
        st.grant();
    }

    /// Free permits.
    pub fn available_permits(&self) -> usize {
        self.state.borrow().permits
    }

    /// Whether `acquire` would wait (asyncio's `locked`).
    pub fn locked(&self) -> bool {
        !self.state.borrow().may_take()
    }
}

impl BoundedSemaphore {
    /// A bounded semaphore with `permits` permits, the most it may ever hold.
    pub fn new(permits: usize) -> Self {
        Self {
            inner: Semaphore::build(permits, Some(permits), true),
        }
    }

    /// An unfair bounded semaphore (see [`Semaphore::new_unfair`]).
    pub fn new_unfair(permits: usize) -> Self {
        Self {
            inner: Semaphore::build(permits, Some(permits), false),
        }
    }

    /// See [`Semaphore::acquire`].
    pub fn acquire(&self) -> Acquire<'_> {
        self.inner.acquire()
    }

    /// See [`Semaphore::try_acquire`].
    pub fn try_acquire(&self) -> Option<Permit> {
        self.inner.try_acquire()
    }

    /// Adds a permit back.
    ///
    /// # Errors
    /// [`ReleaseError`] if that would exceed the initial count (permits held by [`Permit`]
    /// guards count as out).
    pub fn release(&self) -> Result<(), ReleaseError> {
        let mut st = self.inner.state.borrow_mut();
        if Some(st.permits) >= st.bound {
            return Err(ReleaseError);
        }
        st.permits += 1;
        st.grant();
        Ok(())
    }

    /// Free permits.
    pub fn available_permits(&self) -> usize {
        self.inner.available_permits()
    }

    /// Whether `acquire` would wait.
    pub fn locked(&self) -> bool {
        self.inner.locked()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct("Semaphore")
            .field("permits", &st.permits)
            .field("waiting", &st.waiters.waiting())
            .finish()
    }
}

/// A held permit: given back to its semaphore when dropped.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct Permit {
    semaphore: Option<Semaphore>,
}

impl Permit {
    /// Keeps the permit out of the semaphore for good (give it back with `release`).
    pub fn forget(mut self) {
        self.semaphore = None;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(s) = self.semaphore.take() {
            s.release();
        }
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permit")
    }
}

/// The future of [`Semaphore::acquire`].
///
/// # Cancel safety
/// Cancel-safe: a permit granted to a dropped waiter passes to the next one; none is lost.
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    key: Option<WaitKey>,
}

impl Future for Acquire<'_> {
    type Output = Permit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let this = &mut *self;
        let mut st = this.semaphore.state.borrow_mut();
        if let Some(key) = this.key {
            if !st.fair && st.permits > 0 {
                // Unfair: a waiter takes a free permit when it polls, granted or not.
                st.permits -= 1;
                st.waiters.remove(key);
                this.key = None;
                drop(st);
                return Poll::Ready(this.semaphore.permit());
            }
            if !st.waiters.poll_take(key, cx.waker()) {
                return Poll::Pending;
            }
            this.key = None;
            drop(st);
            return Poll::Ready(this.semaphore.permit());
        }
        if st.may_take() {
            st.permits -= 1;
            drop(st);
            return Poll::Ready(this.semaphore.permit());
        }
        this.key = Some(st.waiters.push(cx.waker()));
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut st = self.semaphore.state.borrow_mut();
            if st.waiters.remove(key) {
                // Granted a permit it will not use: pass it on.
                st.permits += 1;
                st.grant();
            } else if !st.fair {
                // It may have been the waiter woken for a free permit: wake the next one.
                st.grant();
            }
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
