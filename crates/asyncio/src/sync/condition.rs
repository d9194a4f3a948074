//! [`Condition`] (asyncio's `Condition`): wait for a notification with a [`Lock`] released,
//! get the lock back when notified.

use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use super::lock::{Lock, LockGuard};
use super::waitlist::{WaitKey, WaitList};

/// asyncio's `Condition`: tasks wait, with its lock released, until notified. The Rust shape
/// passes the lock's guard through [`wait`](Self::wait). Cloning gives another handle.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use asyncio::sync::Condition;
///
/// asyncio::run(async {
///     let cond = Condition::new();
///     let items = Rc::new(Cell::new(0));
///     let (c, i) = (cond.clone(), items.clone());
///     let consumer = asyncio::spawn(async move {
///         let guard = c.acquire().await;
///         let _guard = c.wait_for(guard, || i.get() > 0).await;
///         i.get()
///     });
///     asyncio::time::yield_now().await;
///     let _guard = cond.acquire().await;
///     items.set(3);
///     cond.notify(1);
///     drop(_guard);
///     assert_eq!(consumer.await.unwrap(), 3);
/// });
/// ```
#[derive(Clone, Default)]
pub struct Condition {
    lock: Lock,
    waiters: Rc<RefCell<WaitList>>,
}

/// A waiter's registration; if dropped after being notified without having used it, the
/// notification passes to the next waiter.
struct Registered {
    waiters: Rc<RefCell<WaitList>>,
    key: Option<WaitKey>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut w = self.waiters.borrow_mut();
            if w.remove(key) {
                w.grant_front();
            }
        }
    }
}

impl Condition {
    /// A condition with its own lock.
    pub fn new() -> Self {
        Self::default()
    }

    /// A condition using `lock` (asyncio's `Condition(lock)`).
    pub fn with_lock(lock: Lock) -> Self {
        Self {
            lock,
            waiters: Rc::default(),
        }
    }

    /// Waits for the condition's lock.
    ///
    /// # Cancel safety
    /// Cancel-safe: a waiter dropped after the lock was handed to it passes the lock on.
    pub async fn acquire(&self) -> LockGuard {
        self.lock.acquire().await
    }

    /// Whether the lock is held.
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Releases the lock (`guard`), waits for a notification, takes the lock back.
    ///
    /// # Cancel safety
    /// Dropped after being notified, the notification goes to the next waiter. Dropped while
    /// re-taking the lock, the lock is not held (asyncio re-acquires before propagating the
    /// cancellation; Rust cannot run async code in a destructor).
    pub async fn wait(&self, guard: LockGuard) -> LockGuard {
        let mut reg = Registered {
            waiters: self.waiters.clone(),
            key: None,
        };
        let mut guard = Some(guard);
        poll_fn(|cx| {
            let mut w = self.waiters.borrow_mut();
            match reg.key {
                None => {
                    reg.key = Some(w.push(cx.waker()));
                    drop(guard.take()); // release the lock only once registered
                    Poll::Pending
                }
                Some(key) => {
                    if w.poll_take(key, cx.waker()) {
                        reg.key = None;
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                }
            }
        })
        .await;
        self.lock.acquire().await
    }

    /// Waits until `predicate` holds, checking it with the lock held each time it is notified.
    ///
    /// # Cancel safety
    /// Cancel-safe as to notifications (one handed to a dropped waiter passes on); the guard
    /// given to it is dropped with the future, so the lock is released.
    pub async fn wait_for(
        &self,
        mut guard: LockGuard,
        mut predicate: impl FnMut() -> bool,
    ) -> LockGuard {
        while !predicate() {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes up to `n` waiters, longest-waiting first.
    pub fn notify(&self, n: usize) {
        let mut w = self.waiters.borrow_mut();
        for _ in 0..n {
            if !w.grant_front() {
                break;
            }
        }
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        self.waiters.borrow_mut().grant_all();
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.locked())
            .field("waiting", &self.waiters.borrow().waiting())
            .finish()
    }
}
