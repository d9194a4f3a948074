//! `asyncio::run` and [`Runner`]: the usual way in.

use std::fmt;
use std::future::Future;

use super::EventLoop;

/// How many rounds of cancellation [`Runner::close`] runs before dropping what is left.
const SHUTDOWN_ROUNDS: usize = 16;

/// How long closing waits for the loop's own executor (asyncio's default is 300 s).
const EXECUTOR_SHUTDOWN: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs `future` on a new loop and returns its output, like `asyncio.run`: when it completes,
/// the tasks still running are cancelled and given an iteration to drop (running their
/// destructors), then the loop is closed.
///
/// # Panics
/// If a loop is already running on this thread, or if `future` panics.
///
/// ```
/// use std::time::Duration;
///
/// async fn greet() -> &'static str {
///     println!("Hello ...");
///     asyncio::time::sleep(Duration::from_millis(10)).await;
///     println!("... World!");
///     "done"
/// }
///
/// assert_eq!(asyncio::run(greet()), "done");
/// ```
pub fn run<F: Future>(future: F) -> F::Output {
    Runner::new().run(future)
}

/// A loop reused across several `run` calls, like `asyncio.Runner`. Closing (explicitly or on
/// drop) cancels the remaining tasks and closes the loop.
///
/// ```
/// let runner = asyncio::Runner::new();
/// let a = runner.run(async { 1 });
/// let b = runner.run(async { 2 });
/// assert_eq!(a + b, 3);
/// ```
pub struct Runner {
    event_loop: EventLoop,
    handle_sigint: bool,
}

impl Default for Runner {
    fn default() -> Self {
        Self::new()
    }
}

impl Runner {
    /// A runner with a default loop.
    pub fn new() -> Self {
        Self::with_loop(EventLoop::new())
    }

    /// A runner around a loop you built (for virtual time or debug mode).
    pub fn with_loop(event_loop: EventLoop) -> Self {
        Self {
            event_loop,
            handle_sigint: true,
        }
    }

    /// Leaves Ctrl-C alone (see [`run`](Self::run)).
    pub fn without_sigint_handling(mut self) -> Self {
        self.handle_sigint = false;
        self
    }

    /// Runs `future` to completion on the runner's loop. Tasks it spawned and did not await
    /// keep running in later `run` calls, as in asyncio.
    ///
    /// Ctrl-C, as asyncio's `Runner` does it: on the main thread, when nothing else handles
    /// `SIGINT`, the first Ctrl-C drops `future` (its destructors run: the cleanup), the runner
    /// closes (cancelling the other tasks), and the process then ends by `SIGINT` as it would
    /// have without a handler (exit status 130 in a shell). A second Ctrl-C during that cleanup
    /// ends it at once.
    ///
    /// # Panics
    /// As [`EventLoop::run_until_complete`].
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        if !self.handle_sigint {
            return self.event_loop.run_until_complete(future);
        }
        match run_interruptible(&self.event_loop, future) {
            Some(v) => v,
            None => {
                // The main future is gone (its cleanup ran); stop the rest, then end as Ctrl-C
                // ends a program.
                self.close();
                crate::sys::reraise_default(libc::SIGINT);
                panic!("interrupted by Ctrl-C");
            }
        }
    }

    /// The runner's loop.
    pub fn get_loop(&self) -> &EventLoop {
        &self.event_loop
    }

    /// Cancels every remaining task, lets the cancellations run, and closes the loop.
    pub fn close(&self) {
        let lp = &self.event_loop;
        if lp.is_closed() || lp.is_running() {
            return;
        }
        cancel_remaining(lp);
        // asyncio.run's `shutdown_default_executor`: a pool set on this loop is this loop's to
        // shut down. The process-wide pool serves every loop and outlives them (its idle
        // threads exit by themselves).
        if let Some(pool) = lp.core.default_executor() {
            if !pool.shutdown(EXECUTOR_SHUTDOWN) {
                tracing::warn!("the loop's executor did not finish within {EXECUTOR_SHUTDOWN:?}");
            }
        }
        lp.close();
    }
}

/// Runs `future` on `lp`; on the main thread, when nothing else handles `SIGINT`, a Ctrl-C drops
/// `future` (its destructors run) and returns `None`. The caller cleans up and re-raises.
pub(crate) fn run_interruptible<F: Future>(lp: &EventLoop, future: F) -> Option<F::Output> {
    if !sigint_is_ours() {
        return Some(lp.run_until_complete(future));
    }
    lp.run_until_complete(interruptible(future))
}

/// Whether a run should take Ctrl-C for itself: on the main thread, when nothing else handles
/// `SIGINT`.
pub(crate) fn sigint_is_ours() -> bool {
    crate::sys::is_main_thread() && crate::sys::signal_is_default(libc::SIGINT)
}

/// `future`, or `None` as soon as a Ctrl-C arrives (the future is then dropped with it). Must
/// first be polled on the loop that should receive the signal.
pub(crate) async fn interruptible<F: Future>(future: F) -> Option<F::Output> {
    let mut ctrl_c = crate::signal::signal(crate::signal::SignalKind::interrupt()).ok();
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(v));
        }
        if let Some(s) = &mut ctrl_c {
            if s.poll_recv(cx).is_ready() {
                return std::task::Poll::Ready(None);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// Cancels every task left on `lp` and gives the cancellations turns to run (a bounded number
/// of rounds: a task that keeps spawning cannot hold the close forever).
pub(crate) fn cancel_remaining(lp: &EventLoop) {
    for _ in 0..SHUTDOWN_ROUNDS {
        if lp.core.task_count() == 0 {
            break;
        }
        lp.core.cancel_all();
        lp.run_until_complete(crate::time::yield_now());
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.close();
        } else if !self.event_loop.is_running() {
            self.event_loop.close();
        }
    }
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("loop", &self.event_loop)
            .finish()
    }
}
