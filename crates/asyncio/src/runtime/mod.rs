//! The runtime's machinery, in one private module (tokio's `runtime/` is the model): the loop
//! core and one iteration, the thread-shared remote queue, the poller and reactor with every
//! source's readiness, the clock and timer wheel, the task cell, the per-loop signal pipe and
//! the thread pool. The public modules (`event_loop`, `task`, `time`, `io`, `net`, `sync`,
//! `signal`, `blocking`, ...) are thin and safe wrappers over the narrow methods here.
//!
//! Nothing in here depends on a public module; `tests/module_cycles.rs` checks, with the rest
//! of the test suite, that the top-level modules form no cycle and that `runtime` reaches up
//! into none of them.

pub(crate) mod arena;
pub(crate) mod callback;
pub(crate) mod console;
pub(crate) mod context;
pub(crate) mod core;
pub(crate) mod exception;
pub(crate) mod io;
pub(crate) mod main_future;
pub(crate) mod metrics;
pub(crate) mod poller;
pub(crate) mod pool;
#[expect(
    unsafe_code,
    reason = "a ready-queue item that is its own pointer: taken back by its vtable"
)]
pub(crate) mod raw_callback;
pub(crate) mod shared;
pub(crate) mod signal_pipe;
pub(crate) mod sync;
pub(crate) mod task;
pub(crate) mod time;
