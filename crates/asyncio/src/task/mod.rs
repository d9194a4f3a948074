//! Tasks: spawning, handles, cancellation, introspection.
//!
//! A task is a future the loop drives to completion. [`spawn`] returns a typed [`JoinHandle`];
//! [`Task`] is the untyped view used by [`current_task`](crate::current_task) and
//! [`all_tasks`](crate::all_tasks).

mod builder;
mod catch;
mod combinators;
mod gather;
mod group;
mod maybe_done;
#[expect(unsafe_code, reason = "pinning a boxed slice of futures in place")]
mod pinned_slice;

pub use crate::runtime::task::{JoinHandle, Task, TaskError, TaskId, TaskState};
pub(crate) use builder::spawn_named;
pub use builder::{spawn, Builder};
pub use combinators::{
    as_completed, race, shield, wait, AsCompleted, AsCompletedError, ReturnWhen,
};
pub use gather::{gather, try_gather};
pub use group::{ChildError, GroupError, Started, TaskGroup};
pub use maybe_done::MaybeDone;
