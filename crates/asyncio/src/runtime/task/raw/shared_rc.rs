//! [`SharedRc`]: a counted pointer to a loop's [`Shared`], like `Arc`, whose counts can also be
//! reserved in bulk and handed out without an atomic operation each.
//!
//! Every task cell keeps its loop's `Shared` alive (a waker may outlive the loop). With `Arc`,
//! that is two atomic operations per task. Here the loop's [`SharedPool`] reserves counts a
//! thousand at a time and hands one to each new task; a task freed on the loop's own thread
//! gives its count back to the pool. Only a task freed elsewhere pays an atomic decrement.

use crate::runtime::shared::Shared;
use crate::runtime::sync::atomic::{fence, AtomicUsize, Ordering};
use std::cell::Cell;
use std::fmt;
use std::ptr::NonNull;

struct Inner {
    count: AtomicUsize,
    shared: Shared,
}

/// One counted reference to a loop's [`Shared`].
pub(crate) struct SharedRc {
    ptr: NonNull<Inner>,
}

// SAFETY: `SharedRc` gives shared access to a `Shared`, which is `Send + Sync`, and its count
// is atomic: it is as thread-safe as `Arc<Shared>`.
unsafe impl Send for SharedRc {}
// SAFETY: as above.
unsafe impl Sync for SharedRc {}

impl SharedRc {
    pub(crate) fn new(shared: Shared) -> Self {
        let inner = Box::new(Inner {
            count: AtomicUsize::new(1),
            shared,
        });
        Self {
            ptr: NonNull::from(Box::leak(inner)),
        }
    }

    fn inner(&self) -> &Inner {
        // SAFETY: a SharedRc holds a count, so the allocation is alive.
        unsafe { self.ptr.as_ref() }
    }

    /// Adds `n` counts at once.
    fn reserve(&self, n: usize) {
        if self.inner().count.fetch_add(n, Ordering::Relaxed) > usize::MAX / 2 {
            std::process::abort();
        }
    }
}

/// The loop's own reference plus a pool of reserved counts for its tasks. `!Send`: the pool is
/// a plain `Cell`, used on the loop's thread.
pub(crate) struct SharedPool {
    shared: SharedRc,
    credits: Cell<usize>,
}

/// How many counts are reserved at a time.
const BATCH: usize = 1024;

impl SharedPool {
    pub(crate) fn new(shared: SharedRc) -> Self {
        Self {
            shared,
            credits: Cell::new(0),
        }
    }

    /// The loop's own reference.
    pub(crate) fn get(&self) -> &SharedRc {
        &self.shared
    }

    /// A counted reference for a new task: one reserved count, no atomic operation (but one
    /// per `BATCH` tasks).
    pub(crate) fn for_task(&self) -> SharedRc {
        let mut credits = self.credits.get();
        if credits == 0 {
            self.shared.reserve(BATCH);
            credits = BATCH;
        }
        self.credits.set(credits - 1);
        // The new reference owns the count just taken from the pool.
        SharedRc {
            ptr: self.shared.ptr,
        }
    }

    /// Takes a reference's count back into the pool (no atomic operation) if it points to this
    /// pool's `Shared`; drops it otherwise.
    pub(crate) fn give_back(&self, shared: SharedRc) {
        if shared.ptr == self.shared.ptr {
            std::mem::forget(shared);
            self.credits.set(self.credits.get() + 1);
        }
    }
}

impl Drop for SharedPool {
    fn drop(&mut self) {
        // The pool's own reference keeps the allocation alive, so this cannot reach zero.
        let n = self.credits.replace(0);
        self.shared.inner().count.fetch_sub(n, Ordering::Release);
    }
}

impl fmt::Debug for SharedPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedPool")
            .field("credits", &self.credits.get())
            .finish()
    }
}

impl std::ops::Deref for SharedRc {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.inner().shared
    }
}

impl Clone for SharedRc {
    fn clone(&self) -> Self {
        self.reserve(1);
        Self { ptr: self.ptr }
    }
}

impl Drop for SharedRc {
    fn drop(&mut self) {
        if self.inner().count.fetch_sub(1, Ordering::Release) == 1 {
            fence(Ordering::Acquire);
            // SAFETY: that was the last count; the allocation came from `Box::leak` in `new`.
            drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
        }
    }
}

impl fmt::Debug for SharedRc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedRc").field("loop", &self.id).finish()
    }
}

#[cfg(all(test, asyncio_loom))]
mod loom_tests {
    use super::*;
    use crate::runtime::shared::loom_support;
    use crate::runtime::sync::atomic::AtomicUsize;
    use crate::runtime::sync::Arc;

    /// Counts its drops: queued in the `Shared`, it is dropped when the `Shared` is.
    struct DropCount(Arc<AtomicUsize>);

    impl Drop for DropCount {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A loop's pool over a `Shared` that holds a drop counter (the `Shared`'s drops), and
    /// the poller its waker needs.
    fn pool(id: u64) -> (mio::Poll, SharedPool, Arc<AtomicUsize>) {
        let (poll, shared) = loom_support::shared(id);
        let drops = Arc::new(AtomicUsize::new(0));
        let pool = SharedPool::new(SharedRc::new(shared));
        let canary = DropCount(drops.clone());
        assert!(pool
            .get()
            .push_callback(Box::new(move || drop(canary)))
            .is_ok());
        (poll, pool, drops)
    }

    /// The last count dropped, on whichever thread, frees the `Shared` once, and only after
    /// every other holder is done with it.
    #[test]
    fn the_shared_is_freed_once_whichever_thread_drops_last() {
        loom::model(|| {
            let (_poll, pool, drops) = pool(7);
            // Two tasks' references: one reserved from the pool, one cloned (atomic).
            let a = pool.for_task();
            let b = a.clone();
            let elsewhere = loom::thread::spawn(move || {
                assert_eq!(b.id, 7);
                drop(b);
            });
            drop(a);
            drop(pool);
            elsewhere.join().unwrap();
            assert_eq!(drops.load(Ordering::Relaxed), 1);
        });
    }

    /// A reference given back to the pool returns its count without an atomic operation;
    /// the pool's drop settles the reserved counts, so the `Shared` is freed once at the end.
    #[test]
    fn counts_given_back_to_the_pool_settle_on_its_drop() {
        loom::model(|| {
            let (_poll, pool, drops) = pool(1);
            let a = pool.for_task();
            let b = pool.for_task();
            pool.give_back(a);
            let keeper = loom::thread::spawn(move || drop(b));
            drop(pool);
            keeper.join().unwrap();
            assert_eq!(drops.load(Ordering::Relaxed), 1);
        });
    }
}
