//! The part of a loop other threads can reach: the remote queue and the poller's waker.
//!
//! asyncio's `call_soon` and `call_soon_threadsafe` have two queues behind them, and so does
//! asyncio-rs: the ready queue in [`Core`](super::core::Core) is touched only by the loop's
//! thread, and everything another thread sends goes through [`Shared`], under one mutex, and
//! wakes the poller if it may be asleep.

use crate::runtime::sync::atomic::{AtomicBool, Ordering};
use crate::runtime::sync::{Mutex, MutexGuard};

use crate::runtime::task::raw::{Hooks, Notified};

/// A closure sent from another thread, run on the loop.
pub(crate) type RemoteCallback = Box<dyn FnOnce() + Send>;

#[derive(Default)]
pub(crate) struct RemoteQueue {
    pub(crate) tasks: Vec<Notified>,
    pub(crate) callbacks: Vec<RemoteCallback>,
    pub(crate) mains: Vec<u64>,
    pub(crate) stop: bool,
    pub(crate) closed: bool,
}

/// Shared state of one loop (`Send + Sync`, behind an `Arc`).
pub(crate) struct Shared {
    remote: Mutex<RemoteQueue>,
    /// Set when the remote queue may hold something; the first setter wakes the poller.
    pending: AtomicBool,
    waker: mio::Waker,
    pub(crate) id: u64,
    /// How the loop's task cells reach its ready queue.
    pub(crate) hooks: &'static Hooks,
    /// The loop's figures as last published, for other threads.
    pub(crate) metrics: crate::runtime::metrics::Published,
}

impl Shared {
    pub(crate) fn new(waker: mio::Waker, id: u64, hooks: &'static Hooks) -> Self {
        Self {
            remote: Mutex::new(RemoteQueue::default()),
            pending: AtomicBool::new(false),
            waker,
            id,
            hooks,
            metrics: Default::default(),
        }
    }

    /// Entries other threads queued that the loop has not taken yet.
    pub(crate) fn remote_len(&self) -> usize {
        let q = self.lock();
        q.tasks.len() + q.callbacks.len() + q.mains.len()
    }

    fn lock(&self) -> MutexGuard<'_, RemoteQueue> {
        // A panic never happens while the lock is held (only pushes and swaps), but stay usable
        // if one did.
        self.remote.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a task woken from another thread (or from outside the running loop).
    pub(crate) fn push_remote_task(&self, task: Notified) {
        let mut q = self.lock();
        if q.closed {
            // Every task ended when the loop closed: the entry only releases what it holds.
            drop(q);
            task.discard();
            return;
        }
        q.tasks.push(task);
        drop(q);
        self.notify();
    }

    /// Queues the main future's wake-up from another thread (or from outside the running loop).
    pub(crate) fn push_remote_main(&self, generation: u64) {
        let mut q = self.lock();
        if q.closed {
            return;
        }
        q.mains.push(generation);
        drop(q);
        self.notify();
    }

    /// Queues a callback from any thread. Returns it back if the loop is closed.
    pub(crate) fn push_callback(&self, f: RemoteCallback) -> Result<(), RemoteCallback> {
        let mut q = self.lock();
        if q.closed {
            return Err(f);
        }
        q.callbacks.push(f);
        drop(q);
        self.notify();
        Ok(())
    }

    /// Queues several callbacks under one lock. Gives them back if the loop is closed.
    pub(crate) fn push_callbacks(
        &self,
        mut batch: Vec<RemoteCallback>,
    ) -> Result<(), Vec<RemoteCallback>> {
        let mut q = self.lock();
        if q.closed {
            return Err(batch);
        }
        if q.callbacks.is_empty() {
            std::mem::swap(&mut q.callbacks, &mut batch);
        } else {
            q.callbacks.append(&mut batch);
        }
        drop(q);
        self.notify();
        Ok(())
    }

    /// Asks the loop to stop, from any thread.
    pub(crate) fn request_stop(&self) {
        let mut q = self.lock();
        if q.closed {
            return;
        }
        q.stop = true;
        drop(q);
        self.notify();
    }

    /// Wakes the loop's poller (once until the loop takes the remote queue).
    pub(crate) fn notify(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            // An error here means the eventfd is full, which already means "wake up".
            let _ = self.waker.wake();
        }
    }

    /// Whether the loop was closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Whether the remote queue may hold something.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Takes everything queued remotely.
    pub(crate) fn take_remote(&self, into: &mut RemoteQueue) {
        self.pending.store(false, Ordering::Release);
        let mut q = self.lock();
        into.tasks.append(&mut q.tasks);
        into.callbacks.append(&mut q.callbacks);
        into.mains.append(&mut q.mains);
        into.stop |= std::mem::take(&mut q.stop);
    }

    /// Marks the loop closed and returns what was still queued.
    pub(crate) fn close(&self) -> RemoteQueue {
        let mut q = self.lock();
        let rest = std::mem::take(&mut *q);
        q.closed = true;
        rest
    }
}

/// What the loom tests of `Shared` and of `SharedRc` both start from.
#[cfg(all(test, asyncio_loom))]
pub(crate) mod loom_support {
    use super::Shared;
    use crate::runtime::task::raw::Hooks;

    static HOOKS: Hooks = Hooks {
        push_local: |_| unreachable!("no task in the loom tests"),
        give_back: drop,
    };

    /// A `Shared` with a real poller waker (its wake is a syscall, outside the model); keep
    /// the poller alive while the `Shared` is used.
    pub(crate) fn shared(id: u64) -> (mio::Poll, Shared) {
        let poll = mio::Poll::new().unwrap();
        let waker = mio::Waker::new(poll.registry(), mio::Token(0)).unwrap();
        (poll, Shared::new(waker, id, &HOOKS))
    }
}

#[cfg(all(test, asyncio_loom))]
mod loom_tests {
    use super::*;
    use crate::runtime::sync::Arc;

    fn shared() -> (mio::Poll, Arc<Shared>) {
        let (poll, shared) = loom_support::shared(1);
        (poll, Arc::new(shared))
    }

    /// The loop's side: one iteration takes what the flag says may be there.
    fn take_if_pending(shared: &Shared, taken: &mut usize) {
        if shared.has_pending() {
            let mut q = RemoteQueue::default();
            shared.take_remote(&mut q);
            *taken += q.callbacks.len();
        }
    }

    /// Whatever two threads push while the loop takes, nothing is left behind with the flag
    /// down: the flag goes up after the push, and the loop lowers it before it takes. (Raising
    /// it before pushing would strand a callback with no wake-up to come.)
    #[test]
    fn a_remote_push_is_never_stranded() {
        loom::model(|| {
            let (_poll, shared) = shared();
            let pushers: Vec<_> = (0..2)
                .map(|_| {
                    let s = shared.clone();
                    loom::thread::spawn(move || {
                        assert!(s.push_callback(Box::new(|| {})).is_ok());
                    })
                })
                .collect();
            let mut taken = 0;
            take_if_pending(&shared, &mut taken);
            for p in pushers {
                p.join().unwrap();
            }
            // The wake-up the last raise sent: the loop takes again if the flag is up.
            take_if_pending(&shared, &mut taken);
            assert_eq!(
                taken, 2,
                "a callback was left in the queue with the flag down"
            );
            assert!(!shared.has_pending());
        });
    }

    /// A push that races the loop's close either lands before the close (and is handed back
    /// by `close`) or is refused: it is never lost.
    #[test]
    fn a_push_racing_close_is_kept_or_refused() {
        loom::model(|| {
            let (_poll, shared) = shared();
            let s = shared.clone();
            let pusher = loom::thread::spawn(move || s.push_callback(Box::new(|| {})).is_ok());
            let rest = shared.close();
            let accepted = pusher.join().unwrap();
            assert_eq!(accepted, rest.callbacks.len() == 1);
            assert!(shared.is_closed());
        });
    }
}
