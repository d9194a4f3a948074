//! `gather`: wait for several futures at once and collect their outputs in argument order
//! (asyncio's `gather`), plus the fail-fast [`try_gather`].
//!
//! asyncio's `gather` wraps each coroutine in a task; these poll the futures in place, inside
//! the task that awaits them: no allocation per future for `gather!`, and the futures may
//! borrow. Spawn them first (`asyncio::spawn`) when they should run as tasks of their own.
//!
//! On errors, asyncio's `gather(...)` raises the first exception *without* cancelling the
//! others (they keep running as tasks); `gather(..., return_exceptions=True)` returns every
//! outcome. Here [`gather!`](crate::gather) and [`gather`] always return every output (for
//! `Result` outputs that is `return_exceptions=True`), and [`try_gather`] returns the first
//! `Err` and drops — cancels — the futures still running.

use std::future::{poll_fn, Future, IntoFuture};
use std::pin::Pin;
use std::task::Poll;

use super::pinned_slice::PinnedSlice;

/// Waits for futures of different types together; yields a tuple of their outputs in argument
/// order (asyncio's `gather(a, b, c)`; `futures::join!` in the Rust ecosystem).
///
/// ```
/// use std::time::Duration;
/// use asyncio::time::sleep;
///
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// lp.run_until_complete(async {
///     let start = asyncio::time::now();
///     let (a, b) = asyncio::gather!(
///         async { sleep(Duration::from_secs(3)).await; "three" },
///         async { sleep(Duration::from_secs(2)).await; 2 },
///     )
///     .await;
///     assert_eq!((a, b), ("three", 2));
///     assert_eq!(asyncio::time::now() - start, Duration::from_secs(3)); // the maximum
/// });
/// ```
#[macro_export]
macro_rules! gather {
    ($($future:expr),+ $(,)?) => {
        $crate::__gather!(@pair []
            [__g0 __g1 __g2 __g3 __g4 __g5 __g6 __g7 __g8 __g9 __g10 __g11
             __g12 __g13 __g14 __g15 __g16 __g17 __g18 __g19]
            $($future,)+)
    };
}

/// Implementation detail of [`gather!`]: pairs each future with a fresh name.
#[doc(hidden)]
#[macro_export]
macro_rules! __gather {
    (@pair [$($done:tt)*] [$name:ident $($names:ident)*] $future:expr, $($rest:tt)*) => {
        $crate::__gather!(@pair [$($done)* ($name $future)] [$($names)*] $($rest)*)
    };
    (@pair [$(($name:ident $future:expr))*] [$($unused:ident)*]) => {
        async {
            $(
                let mut $name = ::core::pin::pin!($crate::task::MaybeDone::new(
                    ::core::future::IntoFuture::into_future($future),
                ));
            )*
            ::core::future::poll_fn(|cx| {
                let mut all = true;
                $( all &= $name.as_mut().poll_done(cx); )*
                if all {
                    ::core::task::Poll::Ready(())
                } else {
                    ::core::task::Poll::Pending
                }
            })
            .await;
            ( $( $name.as_mut().take_output(), )* )
        }
    };
    (@pair $($tail:tt)*) => {
        ::core::compile_error!("gather! takes at most 20 futures; use asyncio::task::gather for more")
    };
}

/// A collection's future, pinned on the heap so it can be polled where it sits.
type Boxed<F> = Pin<Box<<F as IntoFuture>::IntoFuture>>;

/// Waits for every future of a collection together; yields their outputs in input order
/// (asyncio's `gather(*aws)`).
///
/// ```
/// asyncio::run(async {
///     let squares = asyncio::task::gather((1..=4).map(|i| async move { i * i })).await;
///     assert_eq!(squares, [1, 4, 9, 16]);
/// });
/// ```
///
/// # Cancel safety
/// Dropping the future drops every future it was polling, finished or not (they are polled in
/// place, not spawned); spawn them to keep them running.
pub async fn gather<I>(futures: I) -> Vec<<I::Item as IntoFuture>::Output>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let mut all = PinnedSlice::new(futures.into_iter().map(IntoFuture::into_future));
    if all.len() > 0 {
        poll_fn(|cx| {
            if all.poll_all(cx) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
    all.take_outputs()
}

/// Like [`gather()`] for futures yielding `Result`: the first `Err` is returned at once and the
/// futures still running are dropped (cancelled). asyncio's `gather` does not cancel the rest;
/// this is the behaviour people usually want from it.
///
/// ```
/// asyncio::run(async {
///     let ok: Result<Vec<u8>, String> =
///         asyncio::task::try_gather((1..=2).map(|i| async move { Ok(i) })).await;
///     assert_eq!(ok, Ok(vec![1, 2]));
///     let err = asyncio::task::try_gather((1..=3).map(|i| async move {
///         if i == 2 { Err(format!("item {i} failed")) } else { Ok(i) }
///     }))
///     .await;
///     assert_eq!(err, Err("item 2 failed".to_owned()));
/// });
/// ```
///
/// # Errors
/// The first error any future returns.
///
/// # Cancel safety
/// Dropping the future drops every future it was polling (they are polled in place, not
/// spawned).
pub async fn try_gather<I, T, E>(futures: I) -> Result<Vec<T>, E>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    let mut running: Vec<Option<Boxed<I::Item>>> = futures
        .into_iter()
        .map(|f| Some(Box::pin(f.into_future())))
        .collect();
    let mut outputs: Vec<Option<T>> = (0..running.len()).map(|_| None).collect();
    let mut left = running.len();
    let result = poll_fn(|cx| {
        for (slot, output) in running.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                if let Poll::Ready(r) = future.as_mut().poll(cx) {
                    *slot = None;
                    match r {
                        Ok(v) => {
                            *output = Some(v);
                            left -= 1;
                        }
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
            }
        }
        if left == 0 {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    })
    .await;
    drop(running); // on error, cancels the futures still running
    result.map(|()| {
        outputs
            .into_iter()
            .map(|o| o.expect("every future completed"))
            .collect()
    })
}
