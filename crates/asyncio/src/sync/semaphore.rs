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
}

impl State {
    /// Hands free permits to waiters, front first. A granted waiter owns its permit.
    fn grant(&mut self) {
        while self.permits > 0 && self.waiters.grant_front() {
            self.permits -= 1;
        }
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
        Self::with_bound(permits, None)
    }

    fn with_bound(permits: usize, bound: Option<usize>) -> Self {
        Self {
            state: Rc::new(RefCell::new(State {
                permits,
                bound,
                waiters: WaitList::new(),
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

    /// Takes a permit now, if one is free and nobody waits for one.
    pub fn try_acquire(&self) -> Option<Permit> {
        let mut st = self.state.borrow_mut();
        if st.permits > 0 && !st.waiters.has_waiters() {
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
        let st = self.state.borrow();
        st.permits == 0 || st.waiters.has_waiters()
    }
}

impl BoundedSemaphore {
    /// A bounded semaphore with `permits` permits, the most it may ever hold.
    pub fn new(permits: usize) -> Self {
        Self {
            inner: Semaphore::with_bound(permits, Some(permits)),
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
            if !st.waiters.poll_granted(key, cx.waker()) {
                return Poll::Pending;
            }
            st.waiters.remove(key);
            this.key = None;
            drop(st);
            return Poll::Ready(this.semaphore.permit());
        }
        if st.permits > 0 && !st.waiters.has_waiters() {
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
