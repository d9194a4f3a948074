//! [`timeout`] and [`timeout_at`] (asyncio's `wait_for`), and the [`Elapsed`] error.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::deadline_until;
use super::Sleep;

/// The deadline passed before the future completed (asyncio's `TimeoutError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Self {
        Self(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

/// Runs `future` for at most `duration` (asyncio's `wait_for(aw, timeout)`).
///
/// Returns `Ok(output)` if the future completes first, else `Err(Elapsed)`. When the deadline
/// passes the future is not polled again; it is dropped (cancelled) with the returned `Timeout`.
/// If both are ready at once, the output wins. The timer is only armed if the future does not
/// complete on its first poll.
///
/// # Cancel safety
/// As cancel-safe as `future` itself.
///
/// ```
/// use std::time::Duration;
/// use asyncio::time::{sleep, timeout};
/// asyncio::run(async {
///     assert!(timeout(Duration::from_millis(5), sleep(Duration::from_secs(10))).await.is_err());
///     assert_eq!(timeout(Duration::from_secs(10), async { 1 }).await, Ok(1));
/// });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        sleep: deadline_until(super::deadline_after(duration), "Timeout"),
    }
}

/// Runs `future` until `deadline` at most.
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        sleep: deadline_until(deadline, "Timeout"),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    ///
    /// # Cancel safety
    /// As cancel-safe as the inner future, which is dropped with it; the timer is cancelled.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }

    /// The inner future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// Gives the inner future back.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed::new())),
            Poll::Pending => Poll::Pending,
        }
    }
}
