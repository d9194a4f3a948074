//! The event loop: one per thread, with a ready queue, a timer wheel, an I/O poller and a queue
//! for other threads.

mod builder;
pub(crate) mod callback;
mod context;
pub(crate) mod core;
mod dump;
mod exception;
mod fd_callbacks;
mod handle;
mod main_future;
mod poller;
pub(crate) mod reactor;
mod remote;
mod runner;
mod shared;

pub use builder::Builder;
pub use callback::{Handle, TimerHandle};
pub use context::{get_running_loop, try_get_running_loop};
pub use exception::{default_exception_handler, ExceptionContext, ExceptionKind};
pub use handle::EventLoop;
pub use remote::{LoopClosed, RemoteHandle, RemoteJoinHandle, ThreadsafeHandle};
pub use runner::{run, Runner};

pub(crate) use context::{try_push_local, with_core};
pub(crate) use shared::Shared;

use crate::task::Task;

/// Reports a panicked task whose error was never read to the running loop's exception handler
/// (or the default one when no loop runs on this thread).
pub(crate) fn report_unretrieved(task: &Task) {
    let core = with_core(|core| core.cloned());
    if let Some(core) = core {
        core.report_unretrieved(task);
    } else {
        let ctx = ExceptionContext {
            message: "Task exception was never retrieved".to_owned(),
            kind: ExceptionKind::UnretrievedTaskPanic,
            task: Some(task.clone()),
            panic_message: task.panic_message(),
            duration: None,
        };
        default_exception_handler(&ctx);
    }
}

/// Gives a freed task's `Shared` count back to the running loop's pool when it is that loop's,
/// sparing an atomic decrement; drops it otherwise.
pub(crate) fn give_back_shared(shared: crate::task::raw::SharedRc) {
    let mut shared = Some(shared);
    with_core(|core| {
        if let Some(core) = core {
            core.give_back_shared(shared.take().expect("taken once"));
        }
    });
    drop(shared);
}

/// The task being polled on this thread, like `asyncio.current_task()`.
pub fn current_task() -> Option<Task> {
    crate::task::raw::current().map(|raw| Task { raw })
}

/// Every task of the running loop that has not ended, like `asyncio.all_tasks()`.
///
/// # Panics
/// If no loop is running on this thread.
pub fn all_tasks() -> Vec<Task> {
    get_running_loop().all_tasks()
}
