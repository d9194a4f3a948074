//! Synchronisation for the tasks of one loop: asyncio's queues (and, next, its locks).

pub mod queue;
pub(crate) mod waitlist;

pub use queue::{GetError, LifoQueue, PriorityQueue, PutError, Queue, TaskDoneError};
