//! Blocking calls moved off the loop: [`to_thread`] (asyncio's `to_thread`, tokio's
//! `spawn_blocking`) runs a closure on a shared [`ThreadPool`] and awaits its result;
//! [`run_in_executor`] does the same on a pool you pass.
//!
//! DNS lookups and [`fs`](crate::fs) use the default pool too.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

pub use crate::runtime::pool::{Builder, ThreadPool};

use crate::future::ThreadSafePromise;
use crate::runtime::task::TaskError;

static DEFAULT: OnceLock<ThreadPool> = OnceLock::new();
static CPU: OnceLock<ThreadPool> = OnceLock::new();

/// The process's default pool (built with [`Builder::default`] unless
/// [`set_default_pool`] ran first).
pub fn default_pool() -> &'static ThreadPool {
    DEFAULT.get_or_init(|| Builder::default().build())
}

/// Sets the default pool; only before its first use.
///
/// # Errors
/// Gives the pool back if the default pool already exists.
pub fn set_default_pool(pool: ThreadPool) -> Result<(), ThreadPool> {
    DEFAULT.set(pool)
}

/// Runs `f` on the running loop's default executor (see
/// [`EventLoop::set_default_executor`](crate::EventLoop::set_default_executor); the process's
/// [`default_pool`] otherwise) and resolves to its result; a panic in `f` becomes a
/// [`TaskError`] for the awaiting task.
///
/// ```
/// asyncio::run(async {
///     let n = asyncio::blocking::to_thread(|| (1..=10).sum::<u32>()).await.unwrap();
///     assert_eq!(n, 55);
///     let err = asyncio::blocking::to_thread(|| panic!("boom")).await.unwrap_err();
///     assert!(err.is_panic());
/// });
/// ```
///
/// # Cancel safety
/// Dropping the future does not stop `f` (a thread cannot be interrupted); its result is
/// dropped when it finishes.
#[track_caller]
pub fn to_thread<F, T>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    to_thread_named(None, f)
}

/// [`to_thread`] for a job asyncio-rs runs on the user's behalf, named for tokio-console
/// (`dns`, `fs`, ...).
#[track_caller]
pub(crate) fn to_thread_named<F, T>(name: Option<&'static str>, f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let pool = crate::runtime::context::with_core(|c| c.and_then(|c| c.default_executor()));
    let location = std::panic::Location::caller();
    match pool {
        Some(p) => submit(&p, name, location, f),
        None => submit(default_pool(), name, location, f),
    }
}

/// Runs `f` on `pool` (the process's [`default_pool`] with `None`), like asyncio's
/// `loop.run_in_executor(executor, f)`.
///
/// # Errors
/// The output is `Err(TaskError)` if `f` panicked, or (cancelled) if the pool was shut down.
#[track_caller]
pub fn run_in_executor<F, T>(pool: Option<&ThreadPool>, f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.unwrap_or_else(|| default_pool());
    submit(pool, None, std::panic::Location::caller(), f)
}

fn submit<F, T>(
    pool: &ThreadPool,
    name: Option<&'static str>,
    location: &'static std::panic::Location<'static>,
    f: F,
) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let promise = ThreadSafePromise::new();
    let setter = promise.clone();
    let console = crate::runtime::console::Blocking::new(name, location);
    let accepted = pool.submit(Box::new(move || {
        let result = console
            .run(|| catch_unwind(AssertUnwindSafe(f)))
            .map_err(|p| TaskError::panicked(crate::runtime::task::raw::panic_message(&*p)));
        setter.set(result);
    }));
    if !accepted {
        promise.set(Err(TaskError::cancelled()));
    }
    ToThread { promise }
}

/// The process's pool for CPU-bound work: one thread per available core, named `asyncio-cpu`,
/// apart from the [`default_pool`] so that a burst of blocking calls (files, DNS, a slow
/// library) cannot hold back computation, nor computation the blocking calls.
pub fn cpu_pool() -> &'static ThreadPool {
    CPU.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Builder::default()
            .max_threads(cores)
            .thread_name("asyncio-cpu")
            .build()
    })
}

/// Runs CPU-bound `f` on the [`cpu_pool`] and resolves to its result (seed 002's reason for
/// `multiprocessing`, without leaving the process: Rust has no GIL). A panic in `f` becomes a
/// [`TaskError`].
///
/// ```
/// asyncio::run(async {
///     let primes = asyncio::blocking::run_cpu(|| {
///         (2u32..10_000).filter(|n| (2..*n).take_while(|d| d * d <= *n).all(|d| n % d != 0)).count()
///     });
///     assert_eq!(primes.await.unwrap(), 1229);
/// });
/// ```
///
/// # Cancel safety
/// As [`to_thread`]: dropping the future does not stop `f`; its result is dropped.
#[track_caller]
pub fn run_cpu<F, T>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    run_in_executor(Some(cpu_pool()), f)
}

/// Shuts the process's default pool down, waiting up to `timeout` for running calls (asyncio's
/// `loop.shutdown_default_executor(timeout)`). Later calls on it fail as cancelled. Returns
/// whether every thread finished in time.
pub fn shutdown_default_pool(timeout: Duration) -> bool {
    DEFAULT.get().is_none_or(|p| p.shutdown(timeout))
}

/// The future of [`to_thread`] and [`run_in_executor`].
///
/// # Cancel safety
/// Dropping it does not stop the closure, which runs to its end on the pool; its result is
/// discarded.
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct ToThread<T> {
    promise: ThreadSafePromise<Result<T, TaskError>>,
}

impl<T> Future for ToThread<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.promise).poll(cx)
    }
}
