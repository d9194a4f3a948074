//! Subprocesses (asyncio's `asyncio.subprocess`): [`Command`] starts a [`Child`] whose pipes
//! are async; `wait`, `communicate`, `output` never deadlock on large outputs; exits are
//! noticed through a pidfd on the loop (`SIGCHLD` where pidfds are missing), with no helper
//! thread, and dropped children are reaped in the background.

mod child;
mod command;
mod reap;

pub use child::{Child, ChildStderr, ChildStdin, ChildStdout};
pub use command::Command;
pub use std::process::{ExitStatus, Output, Stdio};
