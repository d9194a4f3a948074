//! Blocking calls moved off the loop: [`to_thread`] (asyncio's `to_thread`, tokio's
//! `spawn_blocking`) runs a closure on a shared pool of threads and awaits its result.
//!
//! DNS lookups use this pool too.

mod pool;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::future::ThreadSafePromise;
use crate::task::TaskError;

/// Runs `f` on the blocking pool and resolves to its result; a panic in `f` becomes a
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
pub fn to_thread<F, T>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let promise = ThreadSafePromise::new();
    let setter = promise.clone();
    pool::Pool::global().submit(Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(f))
            .map_err(|p| TaskError::panicked(crate::task::raw::panic_message(&*p)));
        setter.set(result);
    }));
    ToThread { promise }
}

/// The future of [`to_thread`].
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
