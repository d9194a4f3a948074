//! asyncio's queues: [`Queue`] (FIFO), [`LifoQueue`], [`PriorityQueue`], with `task_done`/`join`
//! and `shutdown`.
//!
//! These queues connect the tasks of one loop: no locks, no atomics. Waiting `get`s and `put`s
//! are served in arrival order, and each is cancel-safe: a `get` dropped while waiting never
//! loses an item (an item reserved for it goes to the next getter), and a `put` dropped while
//! waiting never inserts its item.

mod error;
mod futures;
mod state;
mod store;
mod threadsafe;

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

pub use error::{GetError, PutError, TaskDoneError};
pub use futures::{Get, Join, Put};
pub use store::{Fifo, Lifo, Priority, Store};
pub use threadsafe::ThreadSafeQueue;

use state::State;

/// An asyncio-style queue for the tasks of one loop. `S` chooses the order (FIFO by default);
/// see [`LifoQueue`] and [`PriorityQueue`]. Cloning gives another handle to the same queue.
///
/// Seed 004's producer and consumer:
///
/// ```
/// use std::time::Duration;
/// use asyncio::sync::Queue;
///
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// lp.run_until_complete(async {
///     let queue = Queue::new(0);
///     let (q1, q2) = (queue.clone(), queue.clone());
///     let producer = asyncio::spawn(async move {
///         for i in 0..3 {
///             asyncio::time::sleep(Duration::from_secs(1)).await;
///             q1.put(i).await.unwrap();
///         }
///     });
///     let consumer = asyncio::spawn(async move {
///         let mut seen = Vec::new();
///         loop {
///             let item = q2.get().await.unwrap();
///             seen.push(item);
///             q2.task_done().unwrap();
///             if seen.len() == 3 {
///                 return seen;
///             }
///         }
///     });
///     producer.await.unwrap();
///     queue.join().await; // every item put has been marked done
///     assert_eq!(consumer.await.unwrap(), [0, 1, 2]);
/// });
/// ```
///
/// It belongs to one loop's thread (`!Send`):
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<asyncio::sync::Queue<u8>>();
/// ```
pub struct Queue<T, S: Store<T> = Fifo<T>> {
    state: Rc<RefCell<State<T, S>>>,
}

/// A last-in, first-out queue (asyncio's `LifoQueue`).
pub type LifoQueue<T> = Queue<T, Lifo<T>>;

/// A smallest-first queue (asyncio's `PriorityQueue`).
pub type PriorityQueue<T> = Queue<T, Priority<T>>;

impl<T, S: Store<T>> Clone for Queue<T, S> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
        }
    }
}

impl<T> Queue<T> {
    /// A FIFO queue holding at most `maxsize` items (0: unbounded), like `asyncio.Queue`.
    pub fn new(maxsize: usize) -> Self {
        Self::with_store(maxsize)
    }
}

impl<T, S: Store<T>> Queue<T, S> {
    /// A queue with the order of `S` (`LifoQueue::with_store(0)`, `PriorityQueue::with_store(0)`).
    pub fn with_store(maxsize: usize) -> Self {
        Self {
            state: Rc::new(RefCell::new(State::new(maxsize))),
        }
    }

    /// Puts an item, waiting while the queue is full.
    ///
    /// # Errors
    /// [`PutError::ShutDown`] with the item if the queue is (or gets) shut down.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropped while waiting, the item is not put (it is dropped with the future).
    pub fn put(&self, item: T) -> Put<'_, T, S> {
        Put {
            queue: self,
            item: Some(item),
            key: None,
        }
    }

    /// Puts an item now.
    ///
    /// # Errors
    /// [`PutError::Full`] if there is no room (or putters are already waiting for room),
    /// [`PutError::ShutDown`] after `shutdown`; the item comes back in both.
    pub fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
        let mut st = self.state.borrow_mut();
        if st.shutdown {
            return Err(PutError::ShutDown(item));
        }
        if !st.has_space() || st.putters.has_waiters() {
            return Err(PutError::Full(item));
        }
        st.push(item);
        Ok(())
    }

    /// Takes an item, waiting while the queue is empty.
    ///
    /// # Errors
    /// [`GetError::ShutDown`] once the queue is shut down and holds nothing for this caller.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropped while waiting, no item is lost.
    pub fn get(&self) -> Get<'_, T, S> {
        Get {
            queue: self,
            key: None,
        }
    }

    /// Takes an item now.
    ///
    /// # Errors
    /// [`GetError::Empty`] if none is available (items reserved for waiting getters do not
    /// count), [`GetError::ShutDown`] if the queue is shut down and empty.
    pub fn get_nowait(&self) -> Result<T, GetError> {
        let mut st = self.state.borrow_mut();
        if st.available() > 0 {
            return Ok(st.pop());
        }
        if st.shutdown {
            Err(GetError::ShutDown)
        } else {
            Err(GetError::Empty)
        }
    }

    /// Marks one item taken with `get` as processed; when every item put has been, `join`
    /// returns.
    ///
    /// # Errors
    /// [`TaskDoneError`] if called more times than items were put.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        if self.state.borrow_mut().task_done() {
            Ok(())
        } else {
            Err(TaskDoneError)
        }
    }

    /// Waits until every item put has been marked done with `task_done`.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub fn join(&self) -> Join<'_, T, S> {
        Join { queue: self }
    }

    /// Shuts the queue down (asyncio 3.13): `put` fails from now on; `get` returns the items
    /// left, then fails. With `immediate`, the items left are dropped (and count as done for
    /// `join`) and `get` fails at once. Every waiting `put` and `get` wakes up.
    pub fn shutdown(&self, immediate: bool) {
        self.state.borrow_mut().shutdown(immediate);
    }

    /// Whether `shutdown` was called.
    pub fn is_shutdown(&self) -> bool {
        self.state.borrow().shutdown
    }

    /// Number of items in the queue.
    pub fn qsize(&self) -> usize {
        self.state.borrow().items.len()
    }

    /// Whether the queue holds no item.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether the queue holds `maxsize` items (never for an unbounded queue).
    pub fn full(&self) -> bool {
        self.state.borrow().is_full()
    }

    /// The bound given at creation (0: unbounded).
    pub fn maxsize(&self) -> usize {
        self.state.borrow().maxsize
    }

    /// How many `get`s are waiting.
    pub fn getters_waiting(&self) -> usize {
        self.state.borrow().getters.waiting()
    }
}

impl<T, S: Store<T>> fmt::Debug for Queue<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct("Queue")
            .field("qsize", &st.items.len())
            .field("maxsize", &st.maxsize)
            .field("unfinished", &st.unfinished)
            .field("shutdown", &st.shutdown)
            .finish()
    }
}
