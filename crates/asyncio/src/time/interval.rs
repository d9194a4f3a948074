//! [`interval`]: a periodic tick with a policy for missed ticks.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::deadline_until;
use super::{add_clamped, Sleep};

/// What an [`Interval`] does when ticks were missed (the loop was busy past one or more
/// deadlines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks back to back, keeping the original schedule.
    #[default]
    Burst,
    /// Fire once now, then every `period` from now.
    Delay,
    /// Fire once now, then at the next tick of the original schedule.
    Skip,
}

/// Ticks every `period`, the first tick at once.
///
/// # Panics
/// If `period` is zero.
///
/// ```
/// use std::time::Duration;
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// lp.run_until_complete(async {
///     let start = asyncio::time::now();
///     let mut every = asyncio::time::interval(Duration::from_secs(60));
///     for _ in 0..3 {
///         every.tick().await;
///     }
///     assert_eq!(asyncio::time::now() - start, Duration::from_secs(120));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(super::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
/// If `period` is zero.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(!period.is_zero(), "an interval's period must be positive");
    Interval {
        next: start,
        period,
        behavior: MissedTickBehavior::default(),
        sleep: deadline_until(start, "Interval"),
    }
}

/// See [`interval`].
#[derive(Debug)]
pub struct Interval {
    next: Instant,
    period: Duration,
    behavior: MissedTickBehavior,
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled time.
    ///
    /// # Cancel safety
    /// Cancel-safe: a dropped `tick()` consumes no tick.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.next;
        let now = super::now();
        // Huge periods are clamped to "decades from now", as `sleep` and `call_later` do.
        self.next = match self.behavior {
            MissedTickBehavior::Burst => add_clamped(scheduled, self.period),
            MissedTickBehavior::Delay => add_clamped(now, self.period),
            MissedTickBehavior::Skip => {
                let mut next = add_clamped(scheduled, self.period);
                if next <= now {
                    let behind = (now - scheduled).as_nanos() / self.period.as_nanos();
                    let steps = u32::try_from(behind + 1).unwrap_or(u32::MAX);
                    let ahead = self.period.checked_mul(steps).unwrap_or(Duration::MAX);
                    next = add_clamped(scheduled, ahead);
                }
                next
            }
        };
        self.sleep.reset(self.next);
        Poll::Ready(scheduled)
    }

    /// Sets the missed-tick policy.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.behavior = behavior;
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }
}

use std::future::Future;
