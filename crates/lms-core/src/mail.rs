//! The rules of mail delivery from the outbox: what state a mail is in, and
//! after a failed attempt whether (and when) it is tried again —
//! exponential back-off with jitter, capped, giving up after a number of
//! attempts or at once on a permanent refusal.
//!
//! Pure: the caller passes the jitter (a random fraction) and the time. It
//! must not know SMTP, the outbox's tables or the clock.

use crate::DomainError;
use std::time::Duration;

/// Where a mail of the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailStatus {
    /// Owed: waiting for its next attempt (or being attempted under a lease).
    Queued,
    /// The SMTP server accepted it.
    Sent,
    /// Given up on: too many attempts, or refused for good. HR may retry it.
    Failed,
    /// Not to be sent: the recipient is deactivated.
    Skipped,
}

impl MailStatus {
    pub const ALL: [MailStatus; 4] = [MailStatus::Queued, MailStatus::Sent, MailStatus::Failed, MailStatus::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
            MailStatus::Skipped => "skipped",
        }
    }
}

impl std::str::FromStr for MailStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        MailStatus::ALL.into_iter().find(|m| m.as_str() == s.trim()).ok_or_else(|| {
            DomainError::InvalidRule(format!("`{s}` is not a mail status (queued, sent, failed or skipped)"))
        })
    }
}

/// How failed attempts are retried: the delay before attempt `n + 1` is
/// `base · 2^(n−1)`, at most `cap`, times a jitter between 0.8 and 1.2;
/// after `max_attempts` attempts (or a permanent refusal) the mail fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    base: Duration,
    cap: Duration,
    max_attempts: u32,
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again once this long has passed.
    RetryIn(Duration),
    /// Stop: the mail is failed (HR sees it and may retry it).
    GiveUp,
}

impl RetryPolicy {
    /// 1 minute, doubling, at most an hour, 8 attempts.
    pub const DEFAULT: RetryPolicy =
        RetryPolicy { base: Duration::from_secs(60), cap: Duration::from_secs(3600), max_attempts: 8 };

    /// A policy; the base must be positive, the cap at least the base, and
    /// at least one attempt made.
    pub fn new(base: Duration, cap: Duration, max_attempts: u32) -> Result<Self, DomainError> {
        if base.is_zero() || cap < base {
            return Err(DomainError::InvalidRule(format!(
                "the retry delay must be positive and at most its cap ({base:?}, cap {cap:?})"
            )));
        }
        if max_attempts == 0 || max_attempts > 100 {
            return Err(DomainError::InvalidRule(format!("a mail is attempted 1 to 100 times, not {max_attempts}")));
        }
        Ok(RetryPolicy { base, cap, max_attempts })
    }

    pub fn max_attempts(self) -> u32 {
        self.max_attempts
    }

    /// After attempt number `attempts` (1 for the first) failed: retry when,
    /// or give up. `jitter` is a random number in `[0, 1)` (outside, it is
    /// clamped); a `permanent` refusal (an SMTP 5xx answer) is not retried.
    pub fn after_failure(self, attempts: u32, permanent: bool, jitter: f64) -> AfterFailure {
        if permanent || attempts >= self.max_attempts {
            return AfterFailure::GiveUp;
        }
        let doublings = attempts.saturating_sub(1).min(31);
        let delay = self.base.saturating_mul(1u32 << doublings).min(self.cap);
        let factor = 0.8 + 0.4 * if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.5 };
        AfterFailure::RetryIn(delay.mul_f64(factor))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(d: AfterFailure) -> f64 {
        match d {
            AfterFailure::RetryIn(d) => d.as_secs_f64(),
            AfterFailure::GiveUp => f64::INFINITY,
        }
    }

    #[test]
    fn the_default_doubles_from_a_minute_to_an_hour_and_gives_up_after_eight() {
        let p = RetryPolicy::DEFAULT;
        // Without jitter (0.5 is the middle: factor 1.0).
        let delays: Vec<f64> = (1..=8).map(|n| secs(p.after_failure(n, false, 0.5))).collect();
        assert_eq!(delays, vec![60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0, f64::INFINITY]);
        assert_eq!(p.after_failure(1, true, 0.5), AfterFailure::GiveUp, "a permanent refusal is not retried");
        assert_eq!(secs(p.after_failure(1, false, 0.0)), 48.0);
        assert_eq!(secs(p.after_failure(1, false, 1.0)), 72.0);
    }

    #[test]
    fn a_policy_is_checked() {
        assert!(RetryPolicy::new(Duration::ZERO, Duration::from_secs(1), 3).is_err());
        assert!(RetryPolicy::new(Duration::from_secs(2), Duration::from_secs(1), 3).is_err());
        assert!(RetryPolicy::new(Duration::from_secs(1), Duration::from_secs(1), 0).is_err());
        assert!(RetryPolicy::new(Duration::from_millis(200), Duration::from_secs(1), 3).is_ok());
    }

    #[test]
    fn statuses_round_trip() {
        for s in MailStatus::ALL {
            assert_eq!(s.as_str().parse::<MailStatus>().ok(), Some(s));
        }
        assert!("sending".parse::<MailStatus>().is_err());
    }

    proptest! {
        /// Every delay lies within ±20 % of the capped doubling, never
        /// beyond 1.2 × the cap, and the un-jittered delays never shrink.
        #[test]
        fn delays_are_bounded_and_grow(base_ms in 1u64..120_000, cap_factor in 1u64..200, max in 1u32..20,
                                       n in 1u32..25, jitter in -1.0f64..2.0) {
            let base = Duration::from_millis(base_ms);
            let cap = base * cap_factor as u32;
            let p = RetryPolicy::new(base, cap, max).unwrap();
            match p.after_failure(n, false, jitter) {
                AfterFailure::GiveUp => prop_assert!(n >= max),
                AfterFailure::RetryIn(d) => {
                    prop_assert!(n < max);
                    let nominal = base.saturating_mul(1u32 << (n - 1).min(31)).min(cap).as_secs_f64();
                    prop_assert!(d.as_secs_f64() >= nominal * 0.8 - 1e-6 && d.as_secs_f64() <= nominal * 1.2 + 1e-6);
                    prop_assert!(d.as_secs_f64() <= cap.as_secs_f64() * 1.2 + 1e-6);
                    if let AfterFailure::RetryIn(next) = p.after_failure(n + 1, false, 0.5) {
                        prop_assert!(next >= p.after_failure(n, false, 0.5).retry_in().unwrap());
                    }
                }
            }
        }
    }

    impl AfterFailure {
        fn retry_in(self) -> Option<Duration> {
            match self {
                AfterFailure::RetryIn(d) => Some(d),
                AfterFailure::GiveUp => None,
            }
        }
    }
}
