//! [`sleep`], [`sleep_until`] and the [`Sleep`] future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::runtime::console::Timer;
use crate::runtime::context::with_core;
use crate::runtime::task::raw::TaskWaker;
use crate::runtime::time::wheel::{Payload, TimerKey};

/// Waits for `duration` on the running loop's clock (asyncio's `sleep(delay)`).
///
/// The deadline is taken when `sleep` is called. A sleep never ends early; on a real clock it
/// ends as soon after its deadline as the OS wakes the loop (typically well under 1 ms). As in
/// asyncio, a sleep always gives the loop a turn: `sleep(Duration::ZERO)` (or a deadline that has
/// already passed) yields once, like [`yield_now`](super::yield_now), so a loop that sleeps a
/// computed delay of zero still lets the other tasks run.
///
/// # Cancel safety
/// Dropping the future cancels the timer; nothing is lost.
///
/// ```
/// use std::time::Duration;
/// asyncio::run(async {
///     let start = asyncio::time::now();
///     asyncio::time::sleep(Duration::from_millis(20)).await;
///     assert!(asyncio::time::now() - start >= Duration::from_millis(20));
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    made(super::deadline_after(duration), Turn::YieldOnce, "Sleep")
}

/// Waits until `deadline` on the running loop's clock. A deadline already passed yields once
/// (see [`sleep`]).
///
/// # Cancel safety
/// Dropping the future cancels the timer; nothing is lost.
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    made(deadline, Turn::YieldOnce, "Sleep")
}

/// A sleep that completes at once when its deadline has passed, without a turn (for timeouts
/// and intervals, whose due deadlines are not sleeps of their own); `concrete_type` is what
/// tokio-console calls it.
#[track_caller]
pub(crate) fn deadline_until(deadline: Instant, concrete_type: &'static str) -> Sleep {
    made(deadline, Turn::NoYield, concrete_type)
}

#[track_caller]
fn made(deadline: Instant, turn: Turn, concrete_type: &'static str) -> Sleep {
    let console = Timer::new(
        concrete_type,
        concrete_type,
        std::panic::Location::caller(),
        remaining(deadline),
    );
    Sleep {
        deadline,
        timer: None,
        turn,
        console,
    }
}

/// How long until `deadline` on the running loop's clock (zero outside a loop); only read for
/// tokio-console.
fn remaining(deadline: Instant) -> Duration {
    if cfg!(feature = "console") {
        deadline.saturating_duration_since(super::now())
    } else {
        Duration::ZERO
    }
}

/// Whether a sleep whose deadline has passed when first polled yields once (asyncio's rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    YieldOnce,
    Yielded,
    NoYield,
}

/// The future returned by [`sleep`] and [`sleep_until`]. `Send` and `Unpin`: it holds only its
/// deadline and, once waiting, the key of its timer in the loop's wheel.
///
/// # Cancel safety
/// Cancel-safe: dropping it cancels the timer.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    timer: Option<(u64, TimerKey)>,
    turn: Turn,
    /// tokio-console's timer resource (zero-sized without the `console` feature).
    console: Timer,
}

impl Sleep {
    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed on the running loop's clock.
    pub fn is_elapsed(&self) -> bool {
        super::now() >= self.deadline
    }

    /// Moves the deadline (earlier or later); the next poll waits for the new one.
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel_timer();
        self.deadline = deadline;
        self.console.reset(remaining(deadline));
        if self.turn == Turn::Yielded {
            self.turn = Turn::YieldOnce;
        }
    }

    fn cancel_timer(&mut self) {
        if let Some((loop_id, key)) = self.timer.take() {
            with_core(|core| {
                if let Some(core) = core.filter(|c| c.id() == loop_id) {
                    core.remove_timer(key);
                }
            });
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Sleep {
            deadline,
            timer,
            turn,
            console,
        } = &mut *self;
        console.poll(|| poll_timer(*deadline, timer, turn, cx))
    }
}

/// One poll of a sleep's timer.
fn poll_timer(
    deadline: Instant,
    timer: &mut Option<(u64, TimerKey)>,
    turn: &mut Turn,
    cx: &mut Context<'_>,
) -> Poll<()> {
    with_core(|core| {
        let core = core.expect("a sleep was polled outside a running event loop");
        if let Some((loop_id, key)) = *timer {
            if loop_id == core.id() {
                if core.timer_pending(key) {
                    core.update_timer_waker(key, cx.waker());
                    return Poll::Pending;
                }
                *timer = None;
                return Poll::Ready(());
            }
        }
        // The latest reading is never ahead of the true time: if the deadline passed by it, it
        // has passed. Otherwise register; if it passed since, the timer fires next iteration.
        if core.deadline_passed(deadline) {
            return match *turn {
                Turn::YieldOnce => {
                    *turn = Turn::Yielded;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                Turn::Yielded | Turn::NoYield => Poll::Ready(()),
            };
        }
        let key = core.insert_timer(
            core.deadline_ns(deadline),
            Payload::Waker(TaskWaker::new(cx.waker())),
        );
        *timer = Some((core.id(), key));
        Poll::Pending
    })
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel_timer();
    }
}
