//! The event loop: one per thread, with a ready queue, a timer wheel, an I/O poller and a queue
//! for other threads.

mod builder;
mod callback;
mod context;
mod dump;
mod fd_callbacks;
mod handle;
mod metrics;
mod remote;
pub(crate) mod runner;

pub use crate::runtime::exception::{default_exception_handler, ExceptionContext, ExceptionKind};
pub use crate::runtime::raw_callback::RawCallback;
pub use builder::Builder;
pub use callback::{Handle, RawTimer, TimerHandle};
pub use context::{get_running_loop, try_get_running_loop};
pub use handle::{EventLoop, WaitHook};
pub use metrics::LoopMetrics;
pub use remote::{LoopClosed, RemoteCanceller, RemoteHandle, RemoteJoinHandle, ThreadsafeHandle};
pub(crate) use runner::{cancel_remaining, run_interruptible};
pub use runner::{run, Runner};

use crate::runtime::task::Task;

/// The task being polled on this thread, like `asyncio.current_task()`.
pub fn current_task() -> Option<Task> {
    crate::runtime::task::raw::current().map(|raw| Task { raw })
}

/// Every task of the running loop that has not ended, like `asyncio.all_tasks()`.
///
/// # Panics
/// If no loop is running on this thread.
pub fn all_tasks() -> Vec<Task> {
    get_running_loop().all_tasks()
}
