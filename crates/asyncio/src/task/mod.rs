//! Tasks: spawning, handles, cancellation, introspection.
//!
//! A task is a future the loop drives to completion. [`spawn`] returns a typed [`JoinHandle`];
//! [`Task`] is the untyped view used by [`current_task`](crate::current_task) and
//! [`all_tasks`](crate::all_tasks).

mod builder;
mod catch;
mod combinators;
mod error;
mod gather;
mod group;
mod handle;
mod join;
mod maybe_done;
#[expect(
    unsafe_code,
    reason = "the task cell: allocation, state word, waker vtable"
)]
pub(crate) mod raw;

pub use builder::{spawn, Builder};
pub use combinators::{
    as_completed, race, shield, wait, AsCompleted, AsCompletedError, ReturnWhen,
};
pub use error::TaskError;
pub use gather::{gather, try_gather};
pub use group::{ChildError, GroupError, Started, TaskGroup};
pub use handle::{Task, TaskId, TaskState};
pub use join::JoinHandle;
pub use maybe_done::MaybeDone;
