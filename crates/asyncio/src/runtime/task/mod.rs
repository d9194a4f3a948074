//! Tasks: the cell (`raw/`, the unsafe part), and the handles built on it — [`Task`],
//! [`JoinHandle`] and [`TaskError`], re-exported by the public `task` module.

mod error;
mod handle;
mod join;
#[expect(
    unsafe_code,
    reason = "the task cell: allocation, state word, waker vtable"
)]
pub(crate) mod raw;

pub use error::TaskError;
pub use handle::{Task, TaskId, TaskState};
pub use join::JoinHandle;
