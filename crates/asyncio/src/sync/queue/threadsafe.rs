//! [`ThreadSafeQueue`]: a FIFO queue that connects loops and plain threads (asyncio's `Queue`
//! cannot). Async `put`/`get` on any loop, blocking `put_blocking`/`get_blocking` on threads,
//! `task_done`/`join`, `shutdown`.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use super::{GetError, PutError, TaskDoneError};

struct State<T> {
    items: VecDeque<T>,
    maxsize: usize,
    unfinished: usize,
    shutdown: bool,
    getters: VecDeque<(u64, Waker)>,
    putters: VecDeque<(u64, Waker)>,
    joiners: Vec<Waker>,
    next_id: u64,
    /// Threads blocked in a `*_blocking` call: the condition variable is notified only when
    /// there are some (a notification is a system call even with no one waiting).
    blocked: usize,
}

struct Inner<T> {
    state: Mutex<State<T>>,
    /// For blocked threads.
    changed: Condvar,
}

/// A FIFO queue for any number of loops and threads. `maxsize` 0 means unbounded. Cloning
/// gives another handle.
///
/// Items never wait in a reservation: a `get` dropped while waiting loses nothing, and one
/// that was woken but dropped passes the wake-up on. Across threads the order in which
/// waiting callers are served is first come, first served on a best-effort basis (a caller
/// arriving just as an item is put may take it before a woken waiter runs); for strict FIFO
/// within one loop use [`Queue`](super::Queue).
///
/// ```
/// use asyncio::sync::ThreadSafeQueue;
///
/// let q = ThreadSafeQueue::new(16);
/// let producer = {
///     let q = q.clone();
///     std::thread::spawn(move || {
///         for i in 0..5 {
///             q.put_blocking(i).unwrap(); // a plain thread
///         }
///         q.shutdown(false);
///     })
/// };
/// let sum = asyncio::run(async move {
///     let mut sum = 0;
///     while let Ok(v) = q.get().await {
///         sum += v;
///         q.task_done().unwrap();
///     }
///     sum
/// });
/// producer.join().unwrap();
/// assert_eq!(sum, 10);
/// ```
pub struct ThreadSafeQueue<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for ThreadSafeQueue<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T> State<T> {
    fn has_space(&self) -> bool {
        self.maxsize == 0 || self.items.len() < self.maxsize
    }

    fn wake_getter(&mut self) {
        if let Some((_, w)) = self.getters.pop_front() {
            w.wake();
        }
    }

    fn wake_putter(&mut self) {
        if let Some((_, w)) = self.putters.pop_front() {
            w.wake();
        }
    }

    fn register(
        list: &mut VecDeque<(u64, Waker)>,
        id: &mut Option<u64>,
        next: &mut u64,
        waker: &Waker,
    ) {
        match id.and_then(|i| list.iter_mut().find(|(k, _)| *k == i)) {
            Some((_, w)) => {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
            }
            None => {
                let i = *next;
                *next += 1;
                *id = Some(i);
                list.push_back((i, waker.clone()));
            }
        }
    }
}

impl<T> ThreadSafeQueue<T> {
    /// A queue holding at most `maxsize` items (0: unbounded).
    pub fn new(maxsize: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    items: VecDeque::new(),
                    maxsize,
                    unfinished: 0,
                    shutdown: false,
                    getters: VecDeque::new(),
                    putters: VecDeque::new(),
                    joiners: Vec::new(),
                    next_id: 0,
                    blocked: 0,
                }),
                changed: Condvar::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes the blocked threads, if any (the caller holds the lock, so none can start to
    /// wait unseen).
    fn notify(&self, st: &State<T>) {
        if st.blocked > 0 {
            self.inner.changed.notify_all();
        }
    }

    /// Blocks until notified, counted in `blocked` meanwhile.
    fn wait<'a>(&'a self, mut st: MutexGuard<'a, State<T>>) -> MutexGuard<'a, State<T>> {
        st.blocked += 1;
        let mut st = self
            .inner
            .changed
            .wait(st)
            .unwrap_or_else(|e| e.into_inner());
        st.blocked -= 1;
        st
    }

    fn pushed(&self, st: &mut State<T>, item: T) {
        st.items.push_back(item);
        st.unfinished += 1;
        st.wake_getter();
        self.notify(st);
    }

    fn popped(&self, st: &mut State<T>) -> T {
        let item = st.items.pop_front().expect("an item is there");
        st.wake_putter();
        self.notify(st);
        item
    }

    /// Puts an item now.
    ///
    /// # Errors
    /// [`PutError::Full`] or [`PutError::ShutDown`], with the item.
    pub fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
        let mut st = self.lock();
        if st.shutdown {
            return Err(PutError::ShutDown(item));
        }
        if !st.has_space() {
            return Err(PutError::Full(item));
        }
        self.pushed(&mut st, item);
        Ok(())
    }

    /// Puts an item, waiting (asynchronously) while the queue is full.
    ///
    /// # Errors
    /// [`PutError::ShutDown`] with the item.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropped while waiting, the item is not put.
    pub async fn put(&self, item: T) -> Result<(), PutError<T>> {
        let mut item = Some(item);
        let mut id = None;
        let result = poll_fn(|cx| {
            let mut st = self.lock();
            if st.shutdown {
                return Poll::Ready(Err(PutError::ShutDown(item.take().expect("once"))));
            }
            if st.has_space() {
                self.pushed(&mut st, item.take().expect("once"));
                return Poll::Ready(Ok(()));
            }
            let st = &mut *st;
            State::<T>::register(&mut st.putters, &mut id, &mut st.next_id, cx.waker());
            Poll::Pending
        })
        .await;
        result
    }

    /// Puts an item, blocking the thread while the queue is full. Never call it on a loop's
    /// thread.
    ///
    /// # Errors
    /// [`PutError::ShutDown`] with the item.
    pub fn put_blocking(&self, item: T) -> Result<(), PutError<T>> {
        let mut st = self.lock();
        loop {
            if st.shutdown {
                return Err(PutError::ShutDown(item));
            }
            if st.has_space() {
                self.pushed(&mut st, item);
                return Ok(());
            }
            st = self.wait(st);
        }
    }

    /// Takes an item now.
    ///
    /// # Errors
    /// [`GetError::Empty`], or [`GetError::ShutDown`] once shut down and empty.
    pub fn get_nowait(&self) -> Result<T, GetError> {
        let mut st = self.lock();
        if !st.items.is_empty() {
            return Ok(self.popped(&mut st));
        }
        Err(if st.shutdown {
            GetError::ShutDown
        } else {
            GetError::Empty
        })
    }

    /// Takes an item, waiting (asynchronously) while the queue is empty.
    ///
    /// # Errors
    /// [`GetError::ShutDown`] once shut down and empty.
    ///
    /// # Cancel safety
    /// Cancel-safe: no item is lost; a wake-up it received is passed on.
    pub async fn get(&self) -> Result<T, GetError> {
        struct Registration<'a, T> {
            queue: &'a ThreadSafeQueue<T>,
            id: Option<u64>,
        }
        impl<T> Drop for Registration<'_, T> {
            fn drop(&mut self) {
                if let Some(id) = self.id {
                    let mut st = self.queue.lock();
                    let before = st.getters.len();
                    st.getters.retain(|(k, _)| *k != id);
                    if st.getters.len() == before && !st.items.is_empty() {
                        // It had been woken for an item it will not take: wake the next.
                        st.wake_getter();
                    }
                }
            }
        }
        let mut reg = Registration {
            queue: self,
            id: None,
        };
        let result = poll_fn(|cx| {
            let mut st = self.lock();
            if !st.items.is_empty() {
                if let Some(id) = reg.id.take() {
                    st.getters.retain(|(k, _)| *k != id);
                }
                return Poll::Ready(Ok(self.popped(&mut st)));
            }
            if st.shutdown {
                return Poll::Ready(Err(GetError::ShutDown));
            }
            let st = &mut *st;
            State::<T>::register(&mut st.getters, &mut reg.id, &mut st.next_id, cx.waker());
            Poll::Pending
        })
        .await;
        reg.id = None;
        result
    }

    /// Takes an item, blocking the thread while the queue is empty. Never call it on a loop's
    /// thread.
    ///
    /// # Errors
    /// [`GetError::ShutDown`] once shut down and empty.
    pub fn get_blocking(&self) -> Result<T, GetError> {
        let mut st = self.lock();
        loop {
            if !st.items.is_empty() {
                return Ok(self.popped(&mut st));
            }
            if st.shutdown {
                return Err(GetError::ShutDown);
            }
            st = self.wait(st);
        }
    }

    /// Marks one item processed.
    ///
    /// # Errors
    /// [`TaskDoneError`] if called more times than items were put.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut st = self.lock();
        if st.unfinished == 0 {
            return Err(TaskDoneError);
        }
        st.unfinished -= 1;
        if st.unfinished == 0 {
            for w in st.joiners.drain(..) {
                w.wake();
            }
            self.notify(&st);
        }
        Ok(())
    }

    /// Waits until every item put has been marked done.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn join(&self) {
        poll_fn(|cx| {
            let mut st = self.lock();
            if st.unfinished == 0 {
                return Poll::Ready(());
            }
            if !st.joiners.iter().any(|w| w.will_wake(cx.waker())) {
                st.joiners.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await;
    }

    /// Blocks the thread until every item put has been marked done.
    pub fn join_blocking(&self) {
        let mut st = self.lock();
        while st.unfinished > 0 {
            st = self.wait(st);
        }
    }

    /// Shuts the queue down, as [`Queue::shutdown`](super::Queue::shutdown).
    pub fn shutdown(&self, immediate: bool) {
        let mut st = self.lock();
        st.shutdown = true;
        if immediate {
            let n = st.items.len();
            st.items.clear();
            st.unfinished = st.unfinished.saturating_sub(n);
            if st.unfinished == 0 {
                for w in st.joiners.drain(..) {
                    w.wake();
                }
            }
        }
        let st = &mut *st;
        let waiting: Vec<(u64, Waker)> = st.getters.drain(..).chain(st.putters.drain(..)).collect();
        for (_, w) in waiting {
            w.wake();
        }
        self.notify(st);
    }

    /// Number of items in the queue.
    pub fn qsize(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether the queue holds no item.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether the queue holds `maxsize` items.
    pub fn full(&self) -> bool {
        let st = self.lock();
        st.maxsize > 0 && st.items.len() >= st.maxsize
    }

    /// The bound given at creation (0: unbounded).
    pub fn maxsize(&self) -> usize {
        self.lock().maxsize
    }
}

impl<T> fmt::Debug for ThreadSafeQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("ThreadSafeQueue")
            .field("qsize", &st.items.len())
            .field("maxsize", &st.maxsize)
            .field("shutdown", &st.shutdown)
            .finish()
    }
}
