//! The hosts' clocks: requests to a host are at least the larger of `--rate`'s gap and its
//! robots.txt `Crawl-delay` apart. The clocks are shared by all lanes, and with `--redis` by
//! all workers (in Redis).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::shared::Politeness;

/// Each host's next request time.
#[derive(Debug, Default)]
pub(crate) struct Clocks(Mutex<HashMap<String, Instant>>);

/// The gap between two requests to a host: the larger of `rate_gap` and `crawl_delay`
/// (`None` when neither applies).
pub(crate) fn gap(rate_gap: Option<Duration>, crawl_delay: Option<Duration>) -> Option<Duration> {
    match (rate_gap, crawl_delay) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or_default().max(b.unwrap_or_default())),
    }
}

impl Clocks {
    /// Takes `host`'s next turn: returns when it is due. A shared job's turns come from
    /// Redis (its error is the message).
    ///
    /// # Cancel safety
    /// Dropped while waiting, the turn stays taken: the host's next request waits one gap
    /// more, never less.
    pub(crate) async fn pace(
        &self,
        shared: Option<&Politeness>,
        host: &str,
        gap: Option<Duration>,
    ) -> Result<(), String> {
        let Some(gap) = gap else {
            return Ok(());
        };
        if let Some(p) = shared {
            return p.pace(host, gap).await;
        }
        let at = self.take(host, gap, Instant::now());
        asyncio::time::sleep(at.saturating_duration_since(Instant::now())).await;
        Ok(())
    }

    /// The time of `host`'s next turn as of `now`; the one after is `gap` later.
    fn take(&self, host: &str, gap: Duration, now: Instant) -> Instant {
        let mut next_at = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let next = next_at.get(host).copied().unwrap_or(now).max(now);
        next_at.insert(host.to_owned(), next + gap);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_larger_gap_wins() {
        let s = Duration::from_secs;
        assert_eq!(gap(None, None), None);
        assert_eq!(gap(Some(s(1)), None), Some(s(1)));
        assert_eq!(gap(Some(s(1)), Some(s(3))), Some(s(3)));
        assert_eq!(gap(Some(s(5)), Some(s(3))), Some(s(5)));
    }

    #[test]
    fn turns_are_a_gap_apart_per_host() {
        let clocks = Clocks::default();
        let gap = Duration::from_millis(100);
        let t0 = Instant::now();
        assert_eq!(clocks.take("a", gap, t0), t0);
        assert_eq!(clocks.take("a", gap, t0), t0 + gap);
        assert_eq!(clocks.take("a", gap, t0), t0 + 2 * gap);
        // Another host has its own clock.
        assert_eq!(clocks.take("b", gap, t0), t0);
        // A host idle for long starts again from now, not from its old turn.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(clocks.take("a", gap, later), later);
    }
}
