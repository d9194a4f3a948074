//! [`Lock`] (asyncio's `Lock`) and [`Mutex<T>`], the Rust-shaped lock that guards a value.
//! Both are FIFO and cancel-safe, built on [`Semaphore`](super::Semaphore).

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::semaphore::{BoundedSemaphore, Permit, ReleaseError};
use super::Semaphore;

/// asyncio's `Lock`: one holder at a time, waiters served in arrival order. `acquire` returns a
/// guard that releases on drop; for asyncio's manual style, [`LockGuard::forget`] it and call
/// [`Lock::release`]. Cloning gives another handle to the same lock.
///
/// ```
/// asyncio::run(async {
///     let lock = asyncio::sync::Lock::new();
///     let guard = lock.acquire().await;
///     assert!(lock.locked());
///     drop(guard);
///     assert!(!lock.locked());
/// });
/// ```
#[derive(Clone, Debug)]
pub struct Lock {
    sem: BoundedSemaphore,
}

/// A held [`Lock`]; released when dropped.
#[derive(Debug)]
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard {
    permit: Permit,
}

impl LockGuard {
    /// Keeps the lock held after the guard is gone; release it with [`Lock::release`].
    pub fn forget(self) {
        self.permit.forget();
    }
}

impl Default for Lock {
    fn default() -> Self {
        Self::new()
    }
}

impl Lock {
    /// An unlocked lock.
    pub fn new() -> Self {
        Self {
            sem: BoundedSemaphore::new(1),
        }
    }

    /// An unfair lock: released, it is free for whoever asks first (the releaser may take it
    /// straight back) instead of handed to the longest waiter; the waiter is only woken to try.
    /// Faster under contention, at the price of asyncio's first-come order: a waiter may wait
    /// while others keep taking it.
    pub fn new_unfair() -> Self {
        Self {
            sem: BoundedSemaphore::new_unfair(1),
        }
    }

    /// Waits for the lock.
    ///
    /// # Cancel safety
    /// Cancel-safe: a waiter dropped after being handed the lock passes it on.
    pub async fn acquire(&self) -> LockGuard {
        LockGuard {
            permit: self.sem.acquire().await,
        }
    }

    /// Takes the lock now if it is free and (fair) nobody waits.
    pub fn try_acquire(&self) -> Option<LockGuard> {
        self.sem.try_acquire().map(|permit| LockGuard { permit })
    }

    /// Whether the lock is held.
    pub fn locked(&self) -> bool {
        self.sem.available_permits() == 0
    }

    /// Releases a lock whose guard was forgotten.
    ///
    /// # Errors
    /// [`ReleaseError`] if the lock is not held (asyncio raises `RuntimeError`).
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.sem.release()
    }
}

/// A lock that guards a value, like `std::sync::Mutex` but awaited, for the tasks of one loop.
/// FIFO and cancel-safe. Share it with `Rc<Mutex<T>>`.
///
/// ```
/// use std::rc::Rc;
/// asyncio::run(async {
///     let counter = Rc::new(asyncio::sync::Mutex::new(0));
///     let tasks: Vec<_> = (0..10)
///         .map(|_| {
///             let counter = counter.clone();
///             asyncio::spawn(async move {
///                 let mut n = counter.lock().await;
///                 asyncio::time::yield_now().await; // still held across the await
///                 *n += 1;
///             })
///         })
///         .collect();
///     for t in tasks {
///         t.await.unwrap();
///     }
///     assert_eq!(*counter.lock().await, 10);
/// });
/// ```
pub struct Mutex<T> {
    sem: Semaphore,
    value: RefCell<T>,
}

/// Access to a [`Mutex`]'s value; the lock is released when it drops.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    // Declared first: the borrow ends before the permit is given back.
    value: RefMut<'a, T>,
    _permit: Permit,
}

impl<T> Mutex<T> {
    /// A mutex holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            sem: Semaphore::new(1),
            value: RefCell::new(value),
        }
    }

    /// An unfair mutex holding `value` (see [`Lock::new_unfair`]): the releaser may take it
    /// straight back past the waiters.
    pub fn new_unfair(value: T) -> Self {
        Self {
            sem: Semaphore::new_unfair(1),
            value: RefCell::new(value),
        }
    }

    /// Waits for the lock.
    ///
    /// # Cancel safety
    /// Cancel-safe: a waiter dropped after being handed the lock passes it on.
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        let permit = self.sem.acquire().await;
        MutexGuard {
            // The semaphore admits one holder at a time, so this borrow is never contended.
            value: self.value.borrow_mut(),
            _permit: permit,
        }
    }

    /// Takes the lock now if it is free and (fair) nobody waits.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let permit = self.sem.try_acquire()?;
        Some(MutexGuard {
            value: self.value.borrow_mut(),
            _permit: permit,
        })
    }

    /// The value, without locking (`&mut self` proves nobody else holds it).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MutexGuard").field(&*self.value).finish()
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("locked", &(self.sem.available_permits() == 0))
            .finish()
    }
}
