//! [`RetryPolicy`]: opt-in retries with exponential backoff and jitter (beyond aiohttp).

use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};

/// Retries idempotent requests (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) on connect errors,
/// 429 and 5xx, waiting `base × 2^attempt` (capped at `max_delay`) with full jitter, or what a
/// `Retry-After` header asks (seconds), up to `max_delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// The first backoff.
    pub base: Duration,
    /// The longest wait (a longer `Retry-After` is cut to it).
    pub max_delay: Duration,
    /// Whether a timed-out attempt is retried too (connect errors, 429 and 5xx always are).
    pub retry_timeouts: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            retry_timeouts: false,
        }
    }
}

/// How an attempt ended, for [`RetryPolicy::next_delay`].
#[derive(Debug, Clone, Copy)]
pub enum Attempt<'a> {
    /// A response arrived with this status and these headers.
    Response(StatusCode, &'a HeaderMap),
    /// The request failed.
    Failed(&'a crate::Error),
}

impl RetryPolicy {
    /// After attempt number `attempt` (1-based) ended as `outcome`: how long to wait before the
    /// next one, or `None` to stop (not retryable, or no retries left). The wait honours
    /// `Retry-After` (in seconds) and is otherwise exponential backoff with full jitter from
    /// `seed`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncio_http::{Attempt, HeaderMap, RetryPolicy, StatusCode};
    /// let policy = RetryPolicy { max_retries: 2, ..RetryPolicy::default() };
    /// let headers = HeaderMap::new();
    /// assert!(policy.next_delay(1, Attempt::Response(StatusCode::BAD_GATEWAY, &headers), 7).is_some());
    /// assert!(policy.next_delay(3, Attempt::Response(StatusCode::BAD_GATEWAY, &headers), 7).is_none());
    /// assert!(policy.next_delay(1, Attempt::Response(StatusCode::NOT_FOUND, &headers), 7).is_none());
    /// ```
    pub fn next_delay(&self, attempt: u32, outcome: Attempt<'_>, seed: u64) -> Option<Duration> {
        if attempt > self.max_retries {
            return None;
        }
        match outcome {
            Attempt::Response(status, headers) if Self::retry_status(status) => {
                Some(self.delay(attempt, Some(headers), seed))
            }
            Attempt::Failed(crate::Error::Connect { .. }) => Some(self.delay(attempt, None, seed)),
            Attempt::Failed(crate::Error::Timeout { .. }) if self.retry_timeouts => {
                Some(self.delay(attempt, None, seed))
            }
            _ => None,
        }
    }

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
            retry_timeouts: false,
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

    #[test]
    fn timeouts_retry_only_when_asked_and_attempts_are_counted() {
        let timeout = crate::Error::Timeout {
            url: "http://x/".into(),
            kind: crate::TimeoutKind::Total,
        };
        let refused = crate::Error::Connect {
            url: "http://x/".into(),
            source: std::io::ErrorKind::ConnectionRefused.into(),
        };
        let mut p = RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        };
        assert_eq!(p.next_delay(1, Attempt::Failed(&timeout), 1), None);
        assert!(p.next_delay(1, Attempt::Failed(&refused), 1).is_some());
        p.retry_timeouts = true;
        assert!(p.next_delay(2, Attempt::Failed(&timeout), 1).is_some());
        assert_eq!(p.next_delay(3, Attempt::Failed(&timeout), 1), None);
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(
            p.next_delay(1, Attempt::Response(StatusCode::TOO_MANY_REQUESTS, &h), 1),
            Some(Duration::from_secs(2))
        );
    }
}
