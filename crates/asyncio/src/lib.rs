#![doc = include_str!("../../../README.md")]
#![deny(unsafe_code)]

pub mod blocking;
#[cfg(any(feature = "hyper", feature = "tokio-io"))]
pub mod compat;
pub mod cores;
pub mod debug;
pub mod event_loop;
pub mod fs;
pub mod future;
pub mod guest;
pub mod io;
pub mod net;
pub mod pipe;
pub mod process;
mod runtime;
pub mod signal;
pub mod streams;
pub mod sync;
#[expect(
    unsafe_code,
    reason = "system calls mio does not wrap (timerfd, pidfd, preadv2, ...)"
)]
mod sys;
pub mod task;
pub mod time;
#[cfg(feature = "tls")]
pub mod tls;
pub mod transport;

pub use asyncio_macros::{main, test};
pub use cores::Runtime;
pub use event_loop::{
    all_tasks, current_task, get_running_loop, run, try_get_running_loop, EventLoop, RemoteHandle,
    Runner,
};
pub use task::{spawn, JoinHandle, Task, TaskError};

/// The Rust snippets of the manual in `docs/`, compiled and run as this crate's doctests (the
/// README's are the crate's own documentation above), so that none of them goes stale.
#[cfg(doctest)]
mod doc_snippets {
    #[doc = include_str!("../../../docs/ARCHITECTURE.md")]
    struct Architecture;
    #[doc = include_str!("../../../docs/asyncio-names.md")]
    struct AsyncioNames;
    #[doc = include_str!("../../../docs/benchmarks.md")]
    struct Benchmarks;
    #[doc = include_str!("../../../docs/cancellation.md")]
    struct Cancellation;
    #[doc = include_str!("../../../docs/ecosystem.md")]
    struct Ecosystem;
    #[doc = include_str!("../../../docs/examples.md")]
    struct Examples;
    #[doc = include_str!("../../../docs/fetch.md")]
    struct Fetch;
    #[cfg(feature = "glib")]
    #[doc = include_str!("../../../docs/guest.md")]
    struct Guest;
    #[doc = include_str!("../../../docs/http.md")]
    struct Http;
    #[doc = include_str!("../../../docs/multicore.md")]
    struct Multicore;
    #[doc = include_str!("../../../docs/observability.md")]
    struct Observability;
    #[doc = include_str!("../../../docs/python.md")]
    struct Python;
}
