//! [`JoinHandle`]: the typed, awaitable handle that `spawn` returns.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::raw::{self, OutputRef, DETACHED, ENDED_PANICKED, OUTPUT_GONE};
use super::{Task, TaskError};

/// The handle to a spawned task: await it for the task's output.
///
/// Like an asyncio `Task` and unlike tokio's handle, it is only a view: the task runs to the end
/// whether or not the handle is kept, and dropping the handle does not cancel the task (call
/// [`cancel`](Task::cancel) for that). Awaiting it yields `Ok(output)`, or a [`TaskError`] if the
/// task was cancelled or panicked. It dereferences to [`Task`] for the id, name, state,
/// cancellation and done callbacks.
///
/// If the task panicked and the handle is dropped without the error having been read, the loop's
/// exception handler is told ("Task exception was never retrieved", as asyncio says).
///
/// # Cancel safety
/// Awaiting is cancel-safe: dropping the `await` leaves the output in the task for a later await.
///
/// ```
/// let sum = asyncio::run(async {
///     let handle = asyncio::spawn(async { 40 + 2 });
///     handle.await.unwrap()
/// });
/// assert_eq!(sum, 42);
/// ```
pub struct JoinHandle<T> {
    inner: OutputRef<T>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(inner: OutputRef<T>) -> Self {
        Self { inner }
    }

    /// The untyped handle, for keeping after this one is awaited.
    pub fn task(&self) -> &Task {
        &self.inner.task
    }

    /// Takes the output if the task has ended: `None` if it is still running or the output was
    /// already taken.
    pub fn try_take(&mut self) -> Option<Result<T, TaskError>> {
        self.inner.take()
    }
}

impl<T> Deref for JoinHandle<T> {
    type Target = Task;

    fn deref(&self) -> &Task {
        &self.inner.task
    }
}

impl<T> Unpin for JoinHandle<T> {}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(output) = this.try_take() {
            return Poll::Ready(output);
        }
        assert!(
            !this.inner.task.raw.is_complete(),
            "JoinHandle polled after it returned its output"
        );
        let raw = &this.inner.task.raw;
        if raw::is_current(raw) {
            panic!("a task cannot await itself (asyncio: \"Task cannot await on itself\")");
        }
        raw.local().set_join_waker(cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let raw = &self.inner.task.raw;
        let local = raw.local();
        if !raw.is_complete() {
            local.set(DETACHED);
            drop(local.take_join_waker());
            return;
        }
        if local.has(OUTPUT_GONE) {
            return;
        }
        if local.has(ENDED_PANICKED) {
            crate::runtime::context::report_unretrieved(&self.inner.task);
        }
        raw.drop_output();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JoinHandle").field(&self.inner.task).finish()
    }
}
