//! Synchronisation for the tasks of one loop: asyncio's queues, locks, semaphores, events,
//! conditions and barriers.
//! All are `!Send` (no atomics, no locks inside), serve waiters in arrival order, and are
//! cancel-safe: a waiter dropped after being granted an item, a permit or the lock passes it on.

mod barrier;
mod condition;
mod event;
mod lock;
pub mod queue;
mod rwlock;
mod semaphore;
pub(crate) mod waitlist;

pub use barrier::{Barrier, BrokenBarrierError};
pub use condition::Condition;
pub use event::{Event, Wait};
pub use lock::{Lock, LockGuard, Mutex, MutexGuard};
pub use queue::{
    GetError, LifoQueue, PriorityQueue, PutError, Queue, TaskDoneError, ThreadSafeQueue,
};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Acquire, BoundedSemaphore, Permit, ReleaseError, Semaphore};
