//! Which ARM answers deserve another try, and how long to wait before it.
//!
//! ARM's contract (RPC Addendum, throttling docs): retry on 408, 5xx,
//! socket errors and throttling; the Network RP adds 409
//! `AnotherOperationInProgress` and 429 `RetryableErrorDueToAnotherOperation`
//! while another operation holds the resource. The server's `Retry-After`
//! wins over our own backoff.

use std::fmt;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use time::OffsetDateTime;
use time::macros::format_description;

use cutover_core::model::azure::CloudError;

/// Time as the ARM client sees it. Production uses [`TokioClock`]; tests
/// and benchmarks inject a virtual clock so that a `Retry-After: 17` costs
/// no wall time and can be asserted on.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Instant;
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The real clock: `Instant::now` and `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Backoff, polling and per-operation budgets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First backoff step when the server gives no `Retry-After`.
    pub base_delay: Duration,
    /// Largest backoff step (before jitter).
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is shortened to it. ARM documents
    /// at most 10 minutes; drills may lower it.
    pub max_retry_after: Duration,
    /// Wait between long-running-operation polls when the server gives no
    /// `Retry-After`.
    pub poll_interval: Duration,
    /// The shortest wait between attempts or polls, whatever the server
    /// says: a `Retry-After: 0` answered forever must not become a busy
    /// loop.
    pub min_wait: Duration,
    /// Everything one read may take, retries and polls included.
    pub read_budget: Duration,
    /// Everything one peering change may take: GET, PUT, retries, polling
    /// and the settle reads.
    pub change_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(600),
            poll_interval: Duration::from_secs(5),
            min_wait: Duration::from_millis(500),
            read_budget: Duration::from_secs(120),
            change_budget: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first retry):
    /// exponential from `base_delay`, capped at `max_delay`, then "equal
    /// jitter" (between half and all of the step) so that several clients
    /// throttled together do not come back together.
    pub fn backoff(&self, retry: u32) -> Duration {
        self.backoff_with(retry, jitter_fraction())
    }

    /// [`Self::backoff`] with the random fraction (0.0..=1.0) given.
    pub fn backoff_with(&self, retry: u32, fraction: f64) -> Duration {
        let step = self
            .base_delay
            .checked_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let half = step / 2;
        half + half.mul_f64(fraction.clamp(0.0, 1.0))
    }

    /// The wait the server asked for, shortened to `max_retry_after`.
    pub fn honour(&self, retry_after: Duration) -> Duration {
        retry_after.min(self.max_retry_after)
    }
}

/// A uniform fraction in 0.0..1.0. The crate has no `rand`; a v4 UUID is
/// 122 bits from the OS generator, plenty for spreading retries.
fn jitter_fraction() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() >> 75; // 53 random bits
    bits as f64 / (1u64 << 53) as f64
}

/// The point in time an operation must be done by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub at: Instant,
    pub budget: Duration,
}

impl Deadline {
    pub fn after(clock: &dyn Clock, budget: Duration) -> Self {
        let now = clock.now();
        Self {
            at: now.checked_add(budget).unwrap_or(now),
            budget,
        }
    }

    /// Whether waiting `wait` from now still ends before the deadline.
    pub fn allows(&self, clock: &dyn Clock, wait: Duration) -> bool {
        clock
            .now()
            .checked_add(wait)
            .is_some_and(|end| end <= self.at)
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (IMF-fixdate),
/// the date measured from `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, format)
        .ok()?
        .assume_utc();
    let ahead = at - now;
    Some(Duration::try_from(ahead).unwrap_or(Duration::ZERO))
}

/// ARM codes that mean "the resource is busy with another operation; the
/// same request will work later".
const BUSY_CODES: &[&str] = &[
    "AnotherOperationInProgress",
    "RetryableErrorDueToAnotherOperation",
];

/// Whether an HTTP answer is transient: 408, 429, 5xx (except "not
/// implemented" and "version not supported", which never change), and 409
/// only when ARM says another operation holds the resource (any other 409
/// is a real conflict that a retry would not fix).
pub(crate) fn is_retryable(status: u16, error: Option<&CloudError>) -> bool {
    match status {
        408 | 429 => true,
        409 => error.is_some_and(|e| BUSY_CODES.iter().any(|c| e.has_code(c))),
        501 | 505 => false,
        500..=599 => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn backoff_grows_caps_and_jitters_within_half_to_full_step() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_with(0, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff_with(0, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff_with(3, 1.0), Duration::from_secs(8));
        assert_eq!(p.backoff_with(10, 1.0), Duration::from_secs(30));
        assert_eq!(p.backoff_with(u32::MAX, 0.0), Duration::from_secs(15));
        for retry in 0..8 {
            let d = p.backoff(retry);
            let step = p.backoff_with(retry, 1.0);
            assert!(d >= step / 2 && d <= step, "{retry}: {d:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = datetime!(2024-05-14 01:17:00 UTC);
        assert_eq!(parse_retry_after("17", now), Some(Duration::from_secs(17)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Tue, 14 May 2024 01:17:42 GMT", now),
            Some(Duration::from_secs(42))
        );
        assert_eq!(
            parse_retry_after("Tue, 14 May 2024 01:16:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn retryable_statuses_and_codes() {
        let busy = CloudError::new("AnotherOperationInProgress", "busy");
        let other = CloudError::new("Conflict", "name taken");
        assert!(is_retryable(409, Some(&busy)));
        assert!(!is_retryable(409, Some(&other)));
        assert!(!is_retryable(409, None));
        assert!(is_retryable(429, None));
        assert!(is_retryable(408, None));
        assert!(is_retryable(500, None));
        assert!(is_retryable(503, None));
        assert!(!is_retryable(501, None));
        for s in [200, 400, 401, 403, 404, 412] {
            assert!(!is_retryable(s, Some(&busy)), "{s}");
        }
    }
}
