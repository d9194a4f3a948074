//! Time: sleeping, timeouts, intervals, and the loop's clock (real or virtual).
//!
//! All functions here read the running loop's clock, so under virtual time
//! ([`Builder::virtual_time`](crate::event_loop::Builder::virtual_time)) they follow it.

mod interval;
mod scope;
pub(crate) mod sleep;
mod timeout;
mod yield_now;

pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use scope::{Scoped, TimeoutScope};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::{Duration, Instant};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
pub use yield_now::{yield_now, YieldNow};

use crate::runtime::context::with_core;

/// The running loop's time (asyncio's `loop.time()`), or `Instant::now()` outside a loop.
pub fn now() -> Instant {
    with_core(|core| core.map(|c| c.time())).unwrap_or_else(Instant::now)
}

/// Under virtual time, moves the clock forward by `by` and yields so that timers due by then
/// fire, and the callbacks and tasks they release take their turn, before this returns.
///
/// # Panics
/// If no loop runs on this thread or its time is not virtual.
///
/// # Cancel safety
/// Cancel-safe: the clock has moved when the future is first polled; dropping it only skips the
/// turns it would have given.
pub async fn advance(by: Duration) {
    let core = crate::runtime::context::running_core();
    assert!(
        core.is_virtual_time(),
        "advance() needs a loop with virtual time"
    );
    core.advance(by);
    // One turn moves the due timers to the ready queue (behind this task); the second lets
    // what they released run first.
    yield_now().await;
    yield_now().await;
}

/// How far "never" lies: ~30 years.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// An instant ~30 years after `now`, standing in for "never" where an `Instant` is needed.
pub(crate) fn far_future(now: Instant) -> Instant {
    now + FAR
}

/// `now + delay` on the running loop's clock, clamped to [`far_future`] when it overflows.
pub(crate) fn deadline_after(delay: Duration) -> Instant {
    add_clamped(now(), delay)
}

/// `at + delay`, clamped to [`far_future`] of `at` when it overflows or goes beyond it.
pub(crate) fn add_clamped(at: Instant, delay: Duration) -> Instant {
    if delay <= FAR {
        if let Some(t) = at.checked_add(delay) {
            return t;
        }
    }
    far_future(at)
}
