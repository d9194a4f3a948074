//! [`RemoteHandle`]: reaching a loop from other threads (`call_soon_threadsafe`,
//! `run_coroutine_threadsafe`, `stop`).

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::future::ThreadSafePromise;
use crate::runtime::shared::RemoteCallback;
use crate::runtime::task::raw::panic_message;
use crate::runtime::task::raw::SharedRc;
use crate::runtime::task::TaskError;

/// The loop is closed: what was sent to it was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event loop is closed")
    }
}

impl std::error::Error for LoopClosed {}

/// The handle to a callback sent with [`RemoteHandle::call_soon_threadsafe`]: cancellable from
/// any thread until the callback starts.
#[derive(Debug, Clone)]
pub struct ThreadsafeHandle {
    cancelled: Arc<AtomicBool>,
}

impl ThreadsafeHandle {
    /// Cancels the callback if it has not started yet.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

/// A `Send + Sync + Clone` handle to a loop, for other threads.
///
/// ```
/// let lp = asyncio::EventLoop::new();
/// let remote = lp.remote();
/// let worker = std::thread::spawn(move || {
///     // asyncio.run_coroutine_threadsafe: run a Send future on the loop, wait from here.
///     let answer = remote.spawn(async { 6 * 7 }).unwrap().wait();
///     remote.stop();
///     answer
/// });
/// lp.run_forever();
/// assert_eq!(worker.join().unwrap().unwrap(), 42);
/// ```
#[derive(Clone)]
pub struct RemoteHandle {
    shared: SharedRc,
}

impl RemoteHandle {
    pub(crate) fn new(shared: SharedRc) -> Self {
        Self { shared }
    }

    /// The loop's figures as it last published them (see [`LoopMetrics`](super::LoopMetrics)):
    /// cheap, from any thread, never waiting for the loop.
    pub fn metrics(&self) -> super::LoopMetrics {
        let mut s = self.shared.metrics.load();
        // The remote queue's depth is read here, from the queue itself.
        s.remote_depth = self.shared.remote_len() as u64;
        s.into()
    }

    /// Schedules `f` on the loop from any thread (asyncio's `call_soon_threadsafe`), waking the
    /// loop if it sleeps. Callbacks sent from one thread run in the order sent. The returned
    /// handle cancels the callback from any thread, if it has not started yet.
    ///
    /// # Errors
    /// [`LoopClosed`] if the loop was closed.
    pub fn call_soon_threadsafe(
        &self,
        f: impl FnOnce() + Send + 'static,
    ) -> Result<ThreadsafeHandle, LoopClosed> {
        let cancelled = Arc::new(AtomicBool::new(false));
        let flag = cancelled.clone();
        let callback = move || {
            if !flag.load(Ordering::Acquire) {
                f();
            }
        };
        self.shared
            .push_callback(Box::new(callback))
            .map_err(|_| LoopClosed)?;
        Ok(ThreadsafeHandle { cancelled })
    }

    /// Spawns a `Send` future on the loop from any thread (asyncio's
    /// `run_coroutine_threadsafe`). The result can be awaited on any loop or waited for from a
    /// plain thread.
    ///
    /// # Errors
    /// [`LoopClosed`] if the loop was closed.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<RemoteJoinHandle<F::Output>, LoopClosed>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let promise = ThreadSafePromise::new();
        let task = RemoteTask {
            future: Some(future),
            promise: promise.clone(),
        };
        let location = std::panic::Location::caller();
        self.shared
            .push_callback(Box::new(move || {
                drop(crate::runtime::context::running_core().spawn_at(task, None, location));
            }))
            .map_err(|_| LoopClosed)?;
        Ok(RemoteJoinHandle { promise })
    }

    /// Builds a future on the loop with `make` and spawns it there, from any thread (glommio's
    /// and monoio's shape): the future itself need not be `Send`, so it may hold `Rc`s, the
    /// loop's sockets and locks; only `make` and the output cross threads.
    ///
    /// ```
    /// use std::rc::Rc;
    /// let lp = asyncio::EventLoop::new();
    /// let remote = lp.remote();
    /// let worker = std::thread::spawn(move || {
    ///     let out = remote
    ///         .spawn_with(|| async {
    ///             let local = Rc::new(20); // not Send: fine, it never leaves the loop
    ///             asyncio::time::sleep(std::time::Duration::from_millis(1)).await;
    ///             *local + 1
    ///         })
    ///         .unwrap()
    ///         .wait();
    ///     remote.stop();
    ///     out
    /// });
    /// lp.run_forever();
    /// assert_eq!(worker.join().unwrap().unwrap(), 21);
    /// ```
    ///
    /// # Errors
    /// [`LoopClosed`] if the loop was closed.
    #[track_caller]
    pub fn spawn_with<M, F>(&self, make: M) -> Result<RemoteJoinHandle<F::Output>, LoopClosed>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let (callback, handle) = Self::prepare_spawn_with(make);
        self.shared
            .push_callback(callback)
            .map_err(|_| LoopClosed)?;
        Ok(handle)
    }

    /// The callback that builds and spawns `make`'s future on the loop it runs on, and the
    /// handle to its output: [`spawn_with`](Self::spawn_with) in two halves, for senders that
    /// batch.
    #[track_caller]
    pub(crate) fn prepare_spawn_with<M, F>(make: M) -> (RemoteCallback, RemoteJoinHandle<F::Output>)
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let promise = ThreadSafePromise::new();
        let mut unsent = CancelUnrun(Some(promise.clone()));
        let location = std::panic::Location::caller();
        let callback: RemoteCallback = Box::new(move || {
            let setter = unsent.0.take().expect("a callback runs once");
            if setter.cancel_requested() {
                setter.set(Err(TaskError::cancelled()));
                return;
            }
            let task = RemoteTask {
                future: Some(make()),
                promise: setter,
            };
            drop(crate::runtime::context::running_core().spawn_at(task, None, location));
        });
        (callback, RemoteJoinHandle { promise })
    }

    /// Queues several callbacks at once (one lock, at most one wake-up).
    ///
    /// # Errors
    /// Gives them back if the loop was closed.
    pub(crate) fn push_callbacks(
        &self,
        batch: Vec<RemoteCallback>,
    ) -> Result<(), Vec<RemoteCallback>> {
        self.shared.push_callbacks(batch)
    }

    /// Whether the loop was closed (sending to it fails).
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Asks the loop to stop after its current batch, from any thread.
    pub fn stop(&self) {
        self.shared.request_stop();
    }
}

impl fmt::Debug for RemoteHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteHandle")
            .field("loop", &self.shared.id)
            .finish()
    }
}

/// Ends the handle as cancelled if its callback is dropped without running (the loop closed
/// first): a waiter never hangs on a task that will not exist.
struct CancelUnrun<T>(Option<ThreadSafePromise<Result<T, TaskError>>>);

impl<T> Drop for CancelUnrun<T> {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            p.set(Err(TaskError::cancelled()));
        }
    }
}

pin_project_lite::pin_project! {
    /// The loop-side wrapper: delivers the output (or the panic, or the cancellation) to the
    /// promise. The future lives inline (one allocation: the task's).
    struct RemoteTask<F: Future> {
        #[pin]
        future: Option<F>,
        promise: ThreadSafePromise<Result<F::Output, TaskError>>,
    }

    impl<F: Future> PinnedDrop for RemoteTask<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.future.is_some() {
                this.promise.set(Err(TaskError::cancelled()));
            }
        }
    }
}

impl<F: Future> Future for RemoteTask<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if this.promise.cancel_requested() {
            this.future.set(None);
            this.promise.set(Err(TaskError::cancelled()));
            return Poll::Ready(());
        }
        this.promise.set_canceller(cx.waker());
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => {
                this.future.set(None);
                this.promise.set(Ok(v));
                Poll::Ready(())
            }
            Err(payload) => {
                this.future.set(None);
                this.promise
                    .set(Err(TaskError::panicked(panic_message(&*payload))));
                Poll::Ready(())
            }
        }
    }
}

/// Cancels a task spawned on a loop from another thread: from
/// [`RemoteJoinHandle::canceller`]. `Send + Sync + Clone`.
#[derive(Clone)]
pub struct RemoteCanceller(Arc<dyn Fn() + Send + Sync>);

impl RemoteCanceller {
    /// Requests cancellation of the task (from any thread).
    pub fn cancel(&self) {
        (self.0)();
    }
}

impl fmt::Debug for RemoteCanceller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RemoteCanceller")
    }
}

/// The result of [`RemoteHandle::spawn`]: awaitable on any loop, or waited for from a plain
/// thread with [`wait`](Self::wait) (like `concurrent.futures.Future.result()`).
///
/// # Cancel safety
/// Cancel-safe: dropping the await leaves the output in the handle for a later await or
/// `wait()`; the task keeps running.
pub struct RemoteJoinHandle<T> {
    promise: ThreadSafePromise<Result<T, TaskError>>,
}

impl<T> RemoteJoinHandle<T> {
    /// Blocks the calling thread until the task ends. Never call it on the loop's own thread.
    ///
    /// # Errors
    /// The task's [`TaskError`] if it was cancelled or panicked.
    pub fn wait(self) -> Result<T, TaskError> {
        self.promise.wait()
    }

    /// Like [`wait`](Self::wait), giving up after `timeout` (returning `None`).
    pub fn wait_timeout(&self, timeout: std::time::Duration) -> Option<Result<T, TaskError>> {
        self.promise.wait_timeout(timeout)
    }

    /// Requests cancellation of the task on its loop (from any thread).
    pub fn cancel(&self) {
        self.promise.request_cancel();
    }

    /// Whether the task has ended.
    pub fn is_done(&self) -> bool {
        self.promise.is_done()
    }

    /// A `Send` handle that cancels the task without holding its output.
    pub fn canceller(&self) -> RemoteCanceller
    where
        T: Send + 'static,
    {
        let promise = self.promise.clone();
        RemoteCanceller(Arc::new(move || promise.request_cancel()))
    }
}

impl<T> Future for RemoteJoinHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().promise).poll(cx)
    }
}

impl<T> fmt::Debug for RemoteJoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJoinHandle")
            .field("done", &self.is_done())
            .finish()
    }
}
