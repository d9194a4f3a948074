//! [`Task`]: an untyped handle to a task, for inspection and cancellation.

use std::fmt;
use std::panic::Location;

use super::raw::{self, TaskRef, CANCEL_REQUESTED, ENDED_CANCELLED, ENDED_PANICKED};

/// A handle to a task of any output type: its id, name, state and cancellation.
///
/// Returned by [`current_task`](crate::current_task) and [`all_tasks`](crate::all_tasks), and
/// reachable from every [`JoinHandle`](super::JoinHandle) through `Deref`. Holding a `Task`
/// keeps the task's bookkeeping alive, never the task's result; dropping it does nothing to the
/// task. `Task` is `!Send`: tasks belong to their loop's thread.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<asyncio::task::Task>();
/// ```
#[derive(Clone)]
pub struct Task {
    pub(crate) raw: TaskRef,
}

/// A task's id: unique within its loop, increasing in spawn order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a task is in its life, as the task dump shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Queued to run in the loop's next iteration.
    Scheduled,
    /// Being polled right now (only ever the current task).
    Running,
    /// Waiting for a wake-up (a timer, I/O, another task...).
    Waiting,
    /// Ended with an output.
    Finished,
    /// Ended by cancellation.
    Cancelled,
    /// Ended by a panic.
    Panicked,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Waiting => "waiting",
            TaskState::Finished => "finished",
            TaskState::Cancelled => "cancelled",
            TaskState::Panicked => "panicked",
        })
    }
}

impl Task {
    /// The task's id.
    pub fn id(&self) -> TaskId {
        TaskId(self.raw.local().id)
    }

    /// The task's name: the one given at spawn or by [`set_name`](Self::set_name), otherwise
    /// `Task-<id>` as asyncio names them.
    pub fn name(&self) -> String {
        self.raw
            .local()
            .peek_extra(|x| x.and_then(|x| x.name.as_deref().map(str::to_owned)))
            .unwrap_or_else(|| format!("Task-{}", self.raw.local().id))
    }

    /// Renames the task.
    pub fn set_name(&self, name: impl Into<String>) {
        let name = std::borrow::Cow::Owned(name.into());
        self.raw.local().with_extra(|x| x.name = Some(name));
    }

    /// The task awaiting this one's [`JoinHandle`](super::JoinHandle), when that is a task of
    /// this loop (not a combinator's own waker): the link `python -m asyncio pstree` draws.
    /// `None` while nobody awaits it, and once it has ended.
    pub fn awaited_by(&self) -> Option<TaskId> {
        if self.raw.is_complete() {
            return None;
        }
        self.raw.local().awaiter_id().map(TaskId)
    }

    /// Where the task was spawned (the caller of `spawn`).
    pub fn location(&self) -> &'static Location<'static> {
        self.raw.local().location
    }

    /// Requests cancellation, like asyncio's `Task.cancel()`.
    ///
    /// The task is woken and, the next time the loop runs it, its future is dropped instead of
    /// polled (running its destructors: that is where cleanup code goes), and the task ends with
    /// [`TaskError::is_cancelled`](super::TaskError::is_cancelled). Returns `false` if the task
    /// had already ended. Cancelling a task that is running (the current task) takes effect at
    /// its next suspension; if it finishes without suspending again it still ends cancelled and
    /// its output is dropped, as in asyncio.
    pub fn cancel(&self) -> bool {
        if self.raw.is_complete() {
            return false;
        }
        self.raw.local().set(CANCEL_REQUESTED);
        self.raw.wake();
        true
    }

    /// Whether cancellation was requested and the task has not ended yet (asyncio's
    /// `cancelling()`, as a flag rather than a count).
    pub fn cancelling(&self) -> bool {
        self.raw.local().has(CANCEL_REQUESTED) && !self.raw.is_complete()
    }

    /// Whether the task has ended, by output, cancellation or panic.
    pub fn is_done(&self) -> bool {
        self.raw.is_complete()
    }

    /// Whether the task ended by cancellation.
    pub fn is_cancelled(&self) -> bool {
        self.raw.is_complete() && self.raw.local().has(ENDED_CANCELLED)
    }

    /// Whether the task ended by a panic.
    pub fn is_panicked(&self) -> bool {
        self.raw.is_complete() && self.raw.local().has(ENDED_PANICKED)
    }

    /// The message of the panic the task ended with, if any.
    pub fn panic_message(&self) -> Option<String> {
        self.raw
            .local()
            .peek_extra(|x| x.and_then(|x| x.panic_message.as_deref().map(str::to_owned)))
    }

    /// The task's current state.
    pub fn state(&self) -> TaskState {
        let local = self.raw.local();
        if self.raw.is_complete() {
            if local.has(ENDED_PANICKED) {
                TaskState::Panicked
            } else if local.has(ENDED_CANCELLED) {
                TaskState::Cancelled
            } else {
                TaskState::Finished
            }
        } else if raw::current().is_some_and(|c| c.ptr_eq(&self.raw)) {
            TaskState::Running
        } else if self.raw.is_scheduled() {
            TaskState::Scheduled
        } else {
            TaskState::Waiting
        }
    }

    /// Adds a callback to run when the task ends, scheduled with `call_soon` as asyncio does. If
    /// the task has already ended, the callback is scheduled right away.
    ///
    /// # Panics
    /// If the task has ended and its loop is not running on this thread.
    pub fn add_done_callback(&self, callback: impl FnOnce(&Task) + 'static) {
        if self.raw.is_complete() {
            let task = self.clone();
            let core = crate::runtime::context::with_core(|c| c.cloned())
                .expect("no running event loop on this thread");
            core.push_callback(move || callback(&task));
        } else {
            self.raw
                .local()
                .with_extra(|x| x.done_callbacks.push(Box::new(callback)));
        }
    }

    /// Whether two handles name the same task.
    pub fn same_task(&self, other: &Task) -> bool {
        self.raw.ptr_eq(&other.raw)
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("state", &self.state())
            .field("location", &format_args!("{}", self.location()))
            .finish()
    }
}
