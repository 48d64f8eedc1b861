//! The login limiter's policy: progressive delays per account and per client
//! address instead of a hard lock-out.
//!
//! The first failures in the window cost nothing; after them, each further
//! attempt must wait after the latest failure: 1 s, 2 s, 4 s, … doubling up
//! to a ceiling. A correct password from a known device (see
//! [`super::device`]) is not delayed at all, so an attacker can slow an
//! account down but cannot lock its owner out. This module only computes;
//! it must not know the database or HTTP.

use chrono::{DateTime, TimeDelta, Utc};
use lms_store::auth::Failures;
use std::time::Duration;

/// The limits of one kind of key (an account, or a client address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Failures in the window that cost no delay.
    pub free_failures: i64,
    /// The longest delay the doubling reaches.
    pub max_delay: Duration,
}

impl Limit {
    /// The delay owed after `excess` failures beyond the free ones (≥ 1):
    /// 1 s, 2 s, 4 s, … capped at `max_delay`.
    pub fn delay_after(&self, excess: i64) -> Duration {
        let doublings = u32::try_from(excess.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        Duration::from_secs(1u64 << doublings).min(self.max_delay)
    }

    /// How long the current attempt must still wait, given the failures
    /// (which count the current attempt) and the time now; `None` when it
    /// may be checked at once.
    pub fn wait(&self, failures: Failures, now: DateTime<Utc>) -> Option<Duration> {
        let excess = failures.count - self.free_failures;
        if excess <= 0 {
            return None;
        }
        let latest = failures.latest_other?;
        let delay = TimeDelta::from_std(self.delay_after(excess)).unwrap_or(TimeDelta::MAX);
        let ready = latest.checked_add_signed(delay)?;
        (ready > now).then(|| (ready - now).to_std().unwrap_or_default())
    }
}

/// The longer of two waits.
pub fn longest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Whole seconds to tell the client in `Retry-After` (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit { free_failures: 5, max_delay: Duration::from_secs(300) };

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("time")
    }

    #[test]
    fn free_failures_cost_nothing() {
        for count in 0..=5 {
            assert_eq!(LIMIT.wait(Failures { count, latest_other: Some(at(0)) }, at(0)), None);
        }
    }

    #[test]
    fn delays_double_from_one_second_up_to_the_ceiling() {
        let delays: Vec<u64> = (1..=12).map(|e| LIMIT.delay_after(e).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(LIMIT.delay_after(i64::MAX).as_secs(), 300);
    }

    #[test]
    fn the_wait_runs_from_the_latest_other_failure() {
        // The 8th failure owes 4 s after the 7th.
        let f = Failures { count: 8, latest_other: Some(at(10)) };
        assert_eq!(LIMIT.wait(f, at(11)), Some(Duration::from_secs(3)));
        assert_eq!(LIMIT.wait(f, at(14)), None);
        assert_eq!(retry_after_secs(Duration::from_millis(2_100)), 3);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
    }

    #[test]
    fn the_longer_wait_wins() {
        let (a, b) = (Some(Duration::from_secs(2)), Some(Duration::from_secs(5)));
        assert_eq!(longest(a, b), b);
        assert_eq!(longest(None, a), a);
        assert_eq!(longest(None, None), None);
    }
}
