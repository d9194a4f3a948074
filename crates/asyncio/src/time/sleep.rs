//! [`sleep`], [`sleep_until`] and the [`Sleep`] future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::wheel::{Payload, TimerKey};
use crate::event_loop::with_core;
use crate::task::raw::TaskWaker;

/// Waits for `duration` on the running loop's clock (asyncio's `sleep(delay)`; use
/// [`yield_now`](super::yield_now) for `sleep(0)`).
///
/// The deadline is taken when `sleep` is called. A sleep never ends early; on a real clock it
/// ends as soon after its deadline as the OS wakes the loop (typically well under 1 ms).
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
pub fn sleep(duration: Duration) -> Sleep {
    let now = super::now();
    sleep_until(
        now.checked_add(duration)
            .unwrap_or_else(|| super::far_future(now)),
    )
}

/// Waits until `deadline` on the running loop's clock.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        timer: None,
    }
}

/// The future returned by [`sleep`] and [`sleep_until`]. `Send` and `Unpin`: it holds only its
/// deadline and, once waiting, the key of its timer in the loop's wheel.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    timer: Option<(u64, TimerKey)>,
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
        let this = &mut *self;
        with_core(|core| {
            let core = core.expect("a sleep was polled outside a running event loop");
            if let Some((loop_id, key)) = this.timer {
                if loop_id == core.id() {
                    if core.timer_pending(key) {
                        core.update_timer_waker(key, cx.waker());
                        return Poll::Pending;
                    }
                    this.timer = None;
                    return Poll::Ready(());
                }
            }
            let deadline = core.clock.ns_of(this.deadline);
            // The latest reading is never ahead of the true time: if the deadline passed by it, it
            // has passed. Otherwise register; if it passed since, the timer fires next iteration.
            if deadline <= core.clock.last_ns() {
                return Poll::Ready(());
            }
            let key = core.insert_timer(deadline, Payload::Waker(TaskWaker::new(cx.waker())));
            this.timer = Some((core.id(), key));
            Poll::Pending
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel_timer();
    }
}
