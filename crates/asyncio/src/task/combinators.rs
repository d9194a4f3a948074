//! asyncio's other waiting tools: [`shield`], [`race`], [`wait`] with [`ReturnWhen`], and
//! [`as_completed`].

use std::cell::Cell;
use std::fmt;
use std::future::{poll_fn, Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_core::Stream;

use super::{JoinHandle, TaskError};
use crate::time::{Elapsed, Sleep};

/// Runs `future` as a task of its own, so that dropping (cancelling) the returned handle's
/// await does not cancel it (asyncio's `shield`). The task runs to the end; await the handle
/// again, or not.
///
/// ```
/// use std::time::Duration;
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// lp.run_until_complete(async {
///     let mut saving = asyncio::task::shield(async {
///         asyncio::time::sleep(Duration::from_secs(5)).await;
///         "saved"
///     });
///     // The caller gives up after one second; the shielded work goes on.
///     assert!(asyncio::time::timeout(Duration::from_secs(1), &mut saving).await.is_err());
///     assert_eq!(saving.await.unwrap(), "saved");
/// });
/// ```
///
/// # Panics
/// If no loop is running on this thread.
#[track_caller]
pub fn shield<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    crate::spawn(future)
}

/// Waits for the first of several futures to complete; returns its index and output, and
/// drops (cancels) the others.
///
/// ```
/// use std::time::Duration;
/// use asyncio::time::sleep;
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// let (index, secs) = lp.run_until_complete(asyncio::task::race([3u64, 1, 2].map(|s| async move {
///     sleep(Duration::from_secs(s)).await;
///     s
/// })));
/// assert_eq!((index, secs), (1, 1));
/// ```
///
/// # Panics
/// If `futures` is empty (it would never complete).
///
/// # Cancel safety
/// Dropping the future drops every racer.
pub async fn race<I>(futures: I) -> (usize, <I::Item as IntoFuture>::Output)
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let mut running: Vec<Pin<Box<<I::Item as IntoFuture>::IntoFuture>>> = futures
        .into_iter()
        .map(|f| Box::pin(f.into_future()))
        .collect();
    assert!(!running.is_empty(), "race of no futures");
    poll_fn(|cx| {
        for (i, f) in running.iter_mut().enumerate() {
            if let Poll::Ready(v) = f.as_mut().poll(cx) {
                return Poll::Ready((i, v));
            }
        }
        Poll::Pending
    })
    .await
}

/// When [`wait`] returns (asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as one task ends.
    FirstCompleted,
    /// As soon as one task panics (a cancelled task does not count, as in asyncio), or when
    /// all have ended.
    FirstException,
    /// When every task has ended.
    AllCompleted,
}

/// Waits for tasks without taking their outputs (asyncio's `wait`): returns `(done, pending)`,
/// each in input order, once `return_when` is met or `timeout` passes. Nothing is cancelled.
///
/// ```
/// use std::time::Duration;
/// use asyncio::task::{wait, ReturnWhen};
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// lp.run_until_complete(async {
///     let tasks: Vec<_> = [2u64, 1, 3]
///         .map(|s| asyncio::spawn(asyncio::time::sleep(Duration::from_secs(s))))
///         .into();
///     let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted, None).await;
///     assert_eq!((done.len(), pending.len()), (1, 2));
/// });
/// ```
///
/// # Cancel safety
/// Dropping the future drops the handles it was given: the tasks keep running (dropping a
/// handle never cancels), but their outputs can no longer be read.
pub async fn wait<T: 'static>(
    tasks: Vec<JoinHandle<T>>,
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> (Vec<JoinHandle<T>>, Vec<JoinHandle<T>>) {
    let waker: Rc<Cell<Option<Waker>>> = Rc::new(Cell::new(None));
    for t in tasks.iter().filter(|t| !t.is_done()) {
        let w = waker.clone();
        t.add_done_callback(move |_| {
            if let Some(w) = w.take() {
                w.wake();
            }
        });
    }
    let mut sleep = timeout.map(crate::time::sleep);
    poll_fn(|cx| {
        let done = tasks.iter().filter(|t| t.is_done()).count();
        let met = match return_when {
            ReturnWhen::AllCompleted => done == tasks.len(),
            ReturnWhen::FirstCompleted => done > 0 || tasks.is_empty(),
            ReturnWhen::FirstException => {
                done == tasks.len() || tasks.iter().any(|t| t.is_panicked())
            }
        };
        if met {
            return Poll::Ready(());
        }
        if let Some(s) = sleep.as_mut() {
            if Pin::new(s).poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        waker.set(Some(cx.waker().clone()));
        Poll::Pending
    })
    .await;
    tasks.into_iter().partition(|t| t.is_done())
}

/// What [`as_completed`] yields when it cannot yield an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsCompletedError {
    /// The task was cancelled or panicked.
    Task(TaskError),
    /// The overall timeout passed (asyncio raises `TimeoutError`); the stream ends after this.
    Timeout,
}

impl fmt::Display for AsCompletedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsCompletedError::Task(e) => e.fmt(f),
            AsCompletedError::Timeout => Elapsed::new().fmt(f),
        }
    }
}

impl std::error::Error for AsCompletedError {}

/// The outputs of tasks in the order they complete (asyncio's `as_completed`), as a
/// [`Stream`]; an optional overall `timeout`.
///
/// ```
/// use std::time::Duration;
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// lp.run_until_complete(async {
///     let tasks: Vec<_> = [3u64, 1, 2]
///         .map(|s| asyncio::spawn(async move {
///             asyncio::time::sleep(Duration::from_secs(s)).await;
///             s
///         }))
///         .into();
///     let mut in_order = asyncio::task::as_completed(tasks, None);
///     let mut got = Vec::new();
///     while let Some(r) = in_order.next().await {
///         got.push(r.unwrap());
///     }
///     assert_eq!(got, [1, 2, 3]);
/// });
/// ```
pub fn as_completed<T>(tasks: Vec<JoinHandle<T>>, timeout: Option<Duration>) -> AsCompleted<T> {
    AsCompleted {
        tasks: tasks.into_iter().map(Some).collect(),
        left: 0,
        sleep: timeout.map(crate::time::sleep),
        timed_out: false,
    }
    .counted()
}

/// The stream returned by [`as_completed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<T> {
    tasks: Vec<Option<JoinHandle<T>>>,
    left: usize,
    sleep: Option<Sleep>,
    timed_out: bool,
}

impl<T> AsCompleted<T> {
    fn counted(mut self) -> Self {
        self.left = self.tasks.len();
        self
    }

    /// The next output in completion order; `None` when all were yielded (or after the
    /// timeout was reported).
    ///
    /// # Cancel safety
    /// Cancel-safe: an output is only taken from its task when `next` returns it.
    pub async fn next(&mut self) -> Option<Result<T, AsCompletedError>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl<T> Unpin for AsCompleted<T> {}

impl<T> Stream for AsCompleted<T> {
    type Item = Result<T, AsCompletedError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.left == 0 || this.timed_out {
            return Poll::Ready(None);
        }
        for slot in this.tasks.iter_mut() {
            if let Some(handle) = slot {
                if let Poll::Ready(r) = Pin::new(handle).poll(cx) {
                    *slot = None;
                    this.left -= 1;
                    return Poll::Ready(Some(r.map_err(AsCompletedError::Task)));
                }
            }
        }
        if let Some(s) = this.sleep.as_mut() {
            if Pin::new(s).poll(cx).is_ready() {
                this.timed_out = true;
                return Poll::Ready(Some(Err(AsCompletedError::Timeout)));
            }
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("left", &self.left)
            .finish()
    }
}
