//! # asyncio-rs
//!
//! Python's asyncio, built in Rust: one event loop per thread, tasks that need not be `Send`,
//! a timer wheel with virtual time, asyncio's callback API (`call_soon`, `call_later`,
//! `call_at`), and a `Send` handle for other threads.
//!
//! ```
//! use std::time::Duration;
//!
//! async fn call_api(message: &str, result: u32) -> u32 {
//!     println!("{message}");
//!     asyncio::time::sleep(Duration::from_millis(30)).await;
//!     result
//! }
//!
//! #[asyncio::main]
//! async fn main() {
//!     let start = asyncio::time::now();
//!     let t1 = asyncio::spawn(call_api("Get stock price of GOOG...", 300));
//!     let t2 = asyncio::spawn(call_api("Get stock price of APPL...", 300));
//!     assert_eq!(t1.await.unwrap() + t2.await.unwrap(), 600);
//!     // Both ran at once: ~30 ms, not 60.
//!     assert!(asyncio::time::now() - start < Duration::from_millis(60));
//! }
//! # fn _unused() {}
//! ```
//!
//! See `docs/ARCHITECTURE.md` for how the pieces fit, and the README for the table mapping
//! asyncio's names to these.

#![deny(unsafe_code)]

pub mod blocking;
#[cfg(any(feature = "hyper", feature = "tokio-io"))]
pub mod compat;
pub mod cores;
pub mod event_loop;
pub mod fs;
pub mod future;
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
