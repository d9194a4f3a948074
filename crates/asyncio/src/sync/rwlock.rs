//! [`RwLock<T>`]: many readers or one writer, for the tasks of one loop; FIFO (a waiting writer
//! is not starved by readers arriving after it) and cancel-safe.

use std::cell::{Cell, Ref, RefCell, RefMut};
use std::fmt;
use std::future::poll_fn;
use std::ops::{Deref, DerefMut};
use std::task::Poll;

use super::waitlist::{WaitKey, WaitList};

const READ: u8 = 0;
const WRITE: u8 = 1;

/// A reader-writer lock guarding a value. Readers share it; a writer has it alone. Requests
/// are served in arrival order: once a writer waits, later readers queue behind it.
///
/// ```
/// asyncio::run(async {
///     let config = asyncio::sync::RwLock::new(String::from("v1"));
///     {
///         let a = config.read().await;
///         let b = config.read().await; // readers share
///         assert_eq!((a.as_str(), b.as_str()), ("v1", "v1"));
///     }
///     config.write().await.push_str("-patched");
///     assert_eq!(&*config.read().await, "v1-patched");
/// });
/// ```
pub struct RwLock<T> {
    value: RefCell<T>,
    readers: Cell<usize>,
    writer: Cell<bool>,
    waiters: RefCell<WaitList>,
}

/// Shared access to a [`RwLock`]'s value.
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T> {
    value: Option<Ref<'a, T>>,
    lock: &'a RwLock<T>,
}

/// Exclusive access to a [`RwLock`]'s value.
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T> {
    value: Option<RefMut<'a, T>>,
    lock: &'a RwLock<T>,
}

impl<T> RwLock<T> {
    /// A lock holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            value: RefCell::new(value),
            readers: Cell::new(0),
            writer: Cell::new(false),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// Grants waiters from the front while they are compatible with the holders.
    fn grant(&self) {
        let mut w = self.waiters.borrow_mut();
        loop {
            match w.front_tag() {
                Some(READ) if !self.writer.get() => {
                    self.readers.set(self.readers.get() + 1);
                    w.grant_front();
                }
                Some(WRITE) if !self.writer.get() && self.readers.get() == 0 => {
                    self.writer.set(true);
                    w.grant_front();
                    return;
                }
                _ => return,
            }
        }
    }

    /// Gives back what a granted waiter held without using it.
    fn undo(&self, tag: u8) {
        if tag == WRITE {
            self.writer.set(false);
        } else {
            self.readers.set(self.readers.get() - 1);
        }
        self.grant();
    }

    async fn wait_turn(&self, tag: u8) {
        struct Turn<'a, T> {
            lock: &'a RwLock<T>,
            key: Option<WaitKey>,
            tag: u8,
        }
        impl<T> Drop for Turn<'_, T> {
            fn drop(&mut self) {
                if let Some(key) = self.key.take() {
                    let granted = self.lock.waiters.borrow_mut().remove(key);
                    if granted {
                        self.lock.undo(self.tag);
                    }
                }
            }
        }
        let mut turn = Turn {
            lock: self,
            key: None,
            tag,
        };
        poll_fn(|cx| {
            let mut w = self.waiters.borrow_mut();
            match turn.key {
                None => {
                    turn.key = Some(w.push_tagged(cx.waker(), tag));
                    Poll::Pending
                }
                Some(key) => {
                    if w.poll_take(key, cx.waker()) {
                        turn.key = None;
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                }
            }
        })
        .await;
    }

    /// Waits for shared access.
    ///
    /// # Cancel safety
    /// Cancel-safe: a waiter dropped after being let in hands its turn on.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        if !self.writer.get() && !self.waiters.borrow().has_waiters() {
            self.readers.set(self.readers.get() + 1);
        } else {
            self.wait_turn(READ).await;
        }
        RwLockReadGuard {
            value: Some(self.value.borrow()),
            lock: self,
        }
    }

    /// Waits for exclusive access.
    ///
    /// # Cancel safety
    /// Cancel-safe: a waiter dropped after being let in hands its turn on.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        if !self.writer.get() && self.readers.get() == 0 && !self.waiters.borrow().has_waiters() {
            self.writer.set(true);
        } else {
            self.wait_turn(WRITE).await;
        }
        RwLockWriteGuard {
            value: Some(self.value.borrow_mut()),
            lock: self,
        }
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

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
            .as_ref()
            .expect("guard holds the value until dropped")
    }
}

impl<T> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.value.take()); // end the borrow before anyone else is let in
        let lock = self.lock;
        lock.readers.set(lock.readers.get() - 1);
        lock.grant();
    }
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
            .as_ref()
            .expect("guard holds the value until dropped")
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
            .as_mut()
            .expect("guard holds the value until dropped")
    }
}

impl<T> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.value.take());
        self.lock.writer.set(false);
        self.lock.grant();
    }
}

impl<T> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock")
            .field("readers", &self.readers.get())
            .field("writer", &self.writer.get())
            .finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RwLockReadGuard").field(&**self).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RwLockWriteGuard").field(&**self).finish()
    }
}
