//! [`RetryPolicy`]: opt-in retries with exponential backoff and jitter (beyond aiohttp).

use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};

/// Retries idempotent requests (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) on connect errors,
/// 429 and 5xx, waiting `base × 2^attempt` (capped at `max_delay`) with full jitter, or what a
/// `Retry-After` header asks (seconds), up to `max_delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff.
    pub base: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Whether `method` may be retried at all.
    pub(crate) fn idempotent(method: &Method) -> bool {
        matches!(
            *method,
            Method::GET
                | Method::HEAD
                | Method::OPTIONS
                | Method::TRACE
                | Method::PUT
                | Method::DELETE
        )
    }

    /// Whether a response with `status` is worth a retry.
    pub(crate) fn retry_status(status: StatusCode) -> bool {
        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
    }

    /// How long to wait before retry number `attempt` (1-based).
    pub(crate) fn delay(&self, attempt: u32, headers: Option<&HeaderMap>, seed: u64) -> Duration {
        if let Some(secs) = headers
            .and_then(|h| h.get(http::header::RETRY_AFTER))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            return Duration::from_secs(secs).min(self.max_delay);
        }
        let exp = self
            .base
            .saturating_mul(
                1u32.checked_shl(attempt.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max_delay);
        // Full jitter: uniform in [0, exp], from a cheap mixed seed.
        let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        let frac = (x % 10_000) as f64 / 10_000.0;
        exp.mul_f64(frac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let p = RetryPolicy {
            max_retries: 5,
            base: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for attempt in 1..6 {
            for seed in 0..50 {
                let d = p.delay(attempt, None, seed);
                let cap =
                    Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_secs(1));
                assert!(d <= cap, "{attempt} {d:?}");
            }
        }
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(p.delay(1, Some(&h), 1), Duration::from_secs(1));
        h.insert(http::header::RETRY_AFTER, "0".parse().unwrap());
        assert_eq!(p.delay(1, Some(&h), 1), Duration::ZERO);
        assert!(RetryPolicy::retry_status(StatusCode::TOO_MANY_REQUESTS));
        assert!(RetryPolicy::retry_status(StatusCode::BAD_GATEWAY));
        assert!(!RetryPolicy::retry_status(StatusCode::NOT_FOUND));
        assert!(!RetryPolicy::idempotent(&Method::POST));
    }
}
