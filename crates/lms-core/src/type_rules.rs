//! Rules a leave type sets on each request, beyond the balance: the most
//! consecutive calendar days one request may cover, the least notice (days
//! between today and the first day), how far below zero the balance may go,
//! and whether a supporting document is expected (a flag shown to the
//! person and their approver; no file is kept). Values that cannot make
//! sense are refused when the rules are made.
//!
//! Pure: knows nothing of where rules are stored.

use crate::{DateRange, DomainError, LeaveAmount};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest a rule's day count may be.
pub const MAX_RULE_DAYS: u32 = 366;

/// A leave type's request rules; the default sets none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TypeRules {
    max_consecutive_days: Option<u32>,
    min_notice_days: Option<u32>,
    negative_limit: LeaveAmount,
    document_required: bool,
}

impl TypeRules {
    /// Rules with the given limits: day counts from 1 (consecutive) or 0
    /// (notice) to [`MAX_RULE_DAYS`], a negative-balance limit from 0 to
    /// [`MAX_RULE_DAYS`] days.
    pub fn new(
        max_consecutive_days: Option<u32>,
        min_notice_days: Option<u32>,
        negative_limit: LeaveAmount,
        document_required: bool,
    ) -> Result<Self, DomainError> {
        if max_consecutive_days.is_some_and(|d| !(1..=MAX_RULE_DAYS).contains(&d)) {
            return Err(DomainError::InvalidRule(format!(
                "max_consecutive_days must be between 1 and {MAX_RULE_DAYS} (or null for no limit)"
            )));
        }
        if min_notice_days.is_some_and(|d| d > MAX_RULE_DAYS) {
            return Err(DomainError::InvalidRule(format!(
                "min_notice_days must be between 0 and {MAX_RULE_DAYS} (or null for none)"
            )));
        }
        if negative_limit < LeaveAmount::ZERO || negative_limit > LeaveAmount::days(i64::from(MAX_RULE_DAYS)) {
            return Err(DomainError::InvalidRule(format!(
                "negative_limit_days must be between 0 and {MAX_RULE_DAYS} (how far below zero the balance may go)"
            )));
        }
        Ok(TypeRules { max_consecutive_days, min_notice_days, negative_limit, document_required })
    }

    /// The most calendar days one request may cover, if limited.
    pub fn max_consecutive_days(&self) -> Option<u32> {
        self.max_consecutive_days
    }
    /// The least notice in days, if any.
    pub fn min_notice_days(&self) -> Option<u32> {
        self.min_notice_days
    }
    /// How far below zero the balance may go.
    pub fn negative_limit(&self) -> LeaveAmount {
        self.negative_limit
    }
    /// Whether a supporting document is expected.
    pub fn document_required(&self) -> bool {
        self.document_required
    }

    /// Whether a request for `range`, asked on `today`, keeps the length and
    /// notice rules; the error says which and what would.
    pub fn check(&self, range: &DateRange, today: NaiveDate) -> Result<(), DomainError> {
        let days = (range.end() - range.start()).num_days() + 1;
        if let Some(max) = self.max_consecutive_days {
            if days > i64::from(max) {
                return Err(DomainError::TooLong { days, max });
            }
        }
        if let Some(min) = self.min_notice_days {
            let notice = (range.start() - today).num_days();
            if notice < i64::from(min) {
                let earliest = today + chrono::Duration::days(i64::from(min));
                return Err(DomainError::TooShortNotice { min, earliest: earliest.to_string() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn limits_that_make_no_sense_are_refused() {
        assert!(TypeRules::new(Some(0), None, LeaveAmount::ZERO, false).is_err());
        assert!(TypeRules::new(Some(367), None, LeaveAmount::ZERO, false).is_err());
        assert!(TypeRules::new(None, Some(367), LeaveAmount::ZERO, false).is_err());
        assert!(TypeRules::new(None, None, LeaveAmount::from_millidays(-1), false).is_err());
        assert!(TypeRules::new(Some(1), Some(0), LeaveAmount::days(5), true).is_ok());
    }

    #[test]
    fn length_and_notice() {
        // Worked example (docs/LEAVE-RULES.md): at most 10 consecutive days,
        // 14 days' notice; asked on Tuesday 1 December 2026.
        let rules = TypeRules::new(Some(10), Some(14), LeaveAmount::ZERO, false).expect("rules");
        let today = d("2026-12-01");
        let r = |a: &str, b: &str| DateRange::new(d(a), d(b)).expect("range");
        assert_eq!(rules.check(&r("2026-12-15", "2026-12-24"), today), Ok(()), "10 days, 14 days ahead");
        assert_eq!(rules.check(&r("2026-12-15", "2026-12-25"), today), Err(DomainError::TooLong { days: 11, max: 10 }));
        assert_eq!(
            rules.check(&r("2026-12-14", "2026-12-14"), today),
            Err(DomainError::TooShortNotice { min: 14, earliest: "2026-12-15".into() })
        );
        assert_eq!(TypeRules::default().check(&r("2026-01-01", "2026-12-31"), today), Ok(()));
    }
}
