//! Balances and the entitlement ledger. An entitlement is the sum of ledger
//! entries (allocation, adjustments, and later accrual, carry-over, expiry)
//! for one employee, type and leave year; a balance subtracts approved and
//! pending requests from it.

use crate::{DomainError, LeaveAmount, LeaveUnit, Quantity};
use serde::Serialize;
use std::str::FromStr;

/// The kind of a ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    /// The yearly allowance, written once per employee, type and year (by
    /// HR, or by the entitlement job from a policy, pro-rata for joiners).
    Allocation,
    /// An HR change, positive or negative, always with a reason.
    Adjustment,
    /// An HR fix of a wrong line, always with a reason naming it.
    Correction,
    /// One month's accrual (the entitlement job).
    Accrual,
    /// The difference a leaving date makes to the year's allocation (the
    /// entitlement job).
    ProRata,
    /// Unused days brought from the year before (the entitlement job).
    CarryOver,
    /// Carried days not used by their expiry date (the entitlement job).
    Expiry,
}

impl LedgerKind {
    pub const ALL: [LedgerKind; 7] = [
        LedgerKind::Allocation,
        LedgerKind::Adjustment,
        LedgerKind::Correction,
        LedgerKind::Accrual,
        LedgerKind::ProRata,
        LedgerKind::CarryOver,
        LedgerKind::Expiry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Allocation => "allocation",
            LedgerKind::Adjustment => "adjustment",
            LedgerKind::Correction => "correction",
            LedgerKind::Accrual => "accrual",
            LedgerKind::ProRata => "pro_rata",
            LedgerKind::CarryOver => "carry_over",
            LedgerKind::Expiry => "expiry",
        }
    }

    /// Whether only the entitlement job writes lines of this kind.
    pub fn written_by_job(self) -> bool {
        matches!(self, LedgerKind::Accrual | LedgerKind::ProRata | LedgerKind::CarryOver | LedgerKind::Expiry)
    }
}

impl FromStr for LedgerKind {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        LedgerKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            DomainError::InvalidAmount(format!(
                "unknown ledger kind {s}; use one of: {}",
                LedgerKind::ALL.map(LedgerKind::as_str).join(", ")
            ))
        })
    }
}

/// One leave type's balance for one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub entitled: LeaveAmount,
    pub taken: LeaveAmount,
    pub pending: LeaveAmount,
}

impl Balance {
    pub fn available(&self) -> LeaveAmount {
        self.entitled - self.taken - self.pending
    }

    /// Checks that `requested` fits; types that do not deduct always fit.
    pub fn check_fits(
        &self,
        requested: LeaveAmount,
        deducts: bool,
        leave_type: &str,
        year: i32,
    ) -> Result<(), DomainError> {
        self.check_fits_within(requested, deducts, LeaveAmount::ZERO, leave_type, year)
    }

    /// Checks that `requested` fits when the balance may go down to
    /// `-negative_limit`; `available` in the error counts that limit in.
    pub fn check_fits_within(
        &self,
        requested: LeaveAmount,
        deducts: bool,
        negative_limit: LeaveAmount,
        leave_type: &str,
        year: i32,
    ) -> Result<(), DomainError> {
        self.check_fits_in(LeaveUnit::Days, requested, deducts, negative_limit, leave_type, year)
    }

    /// [`Balance::check_fits_within`] for a type measured in `unit`: every
    /// amount is that unit's integer (millidays or minutes), and the error
    /// says the amounts in it ("needs 22 hours …").
    pub fn check_fits_in(
        &self,
        unit: LeaveUnit,
        requested: LeaveAmount,
        deducts: bool,
        negative_limit: LeaveAmount,
        leave_type: &str,
        year: i32,
    ) -> Result<(), DomainError> {
        let available = self.available() + negative_limit;
        if deducts && requested > available {
            let show = |a: LeaveAmount| Quantity::new(unit, a.millidays()).to_string();
            return Err(DomainError::InsufficientBalance {
                leave_type: leave_type.to_string(),
                year,
                requested: show(requested),
                available: show(available),
                unit: unit.as_str(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn available_and_fit() {
        let b = Balance {
            entitled: LeaveAmount::days(25),
            taken: LeaveAmount::days(5),
            pending: LeaveAmount::from_millidays(2500),
        };
        assert_eq!(b.available(), LeaveAmount::from_millidays(17500));
        assert!(b.check_fits(LeaveAmount::from_millidays(17500), true, "annual", 2026).is_ok());
        let e = b.check_fits(LeaveAmount::days(18), true, "annual", 2026).unwrap_err();
        assert_eq!(e.code(), "insufficient_balance");
        assert!(e.to_string().contains("17.5"));
        assert!(b.check_fits(LeaveAmount::days(100), false, "unpaid", 2026).is_ok());
        // The same integers in minutes: 20 hours left, 22 asked.
        let toil = Balance {
            entitled: LeaveAmount::from_millidays(1200),
            taken: LeaveAmount::ZERO,
            pending: LeaveAmount::ZERO,
        };
        let e = toil
            .check_fits_in(LeaveUnit::Hours, LeaveAmount::from_millidays(1320), true, LeaveAmount::ZERO, "toil", 2030)
            .unwrap_err();
        assert_eq!(e.to_string(), "the request needs 22 hours of 'toil' but only 20 are available in 2030");
    }
}

/// A change of entitlement HR writes into the ledger: an allocation (the
/// year's allowance: not negative) or an adjustment (not zero, with a
/// reason); at most 366 days (or 366 × 24 hours) either way, a reason of
/// at most 1000 characters. Its amount is in the unit of the leave type
/// it is written for ([`EntitlementChange::parse_in`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementChange {
    kind: LedgerKind,
    amount: Quantity,
    reason: String,
}

impl EntitlementChange {
    /// A change in days.
    pub fn parse(kind: LedgerKind, amount: LeaveAmount, reason: Option<&str>) -> Result<Self, DomainError> {
        Self::parse_in(kind, Quantity::days(amount), reason)
    }

    /// A change of `amount` in its unit (days or hours).
    pub fn parse_in(kind: LedgerKind, amount: Quantity, reason: Option<&str>) -> Result<Self, DomainError> {
        let (limit, too_much) = match amount.unit() {
            LeaveUnit::Days => (LeaveAmount::days(366).millidays(), "days must be within ±366"),
            LeaveUnit::Hours => (366 * 24 * 60, "hours must be within ±8784 (366 days of 24 hours)"),
        };
        if amount.raw().abs() > limit {
            return Err(DomainError::EntitlementAmount(too_much));
        }
        let reason = reason.unwrap_or("").trim().to_string();
        match kind {
            LedgerKind::Allocation if amount.raw() < 0 => {
                return Err(DomainError::EntitlementAmount("an allocation cannot be negative"))
            }
            LedgerKind::Adjustment | LedgerKind::Correction if reason.is_empty() => {
                return Err(DomainError::ReasonRequired)
            }
            LedgerKind::Adjustment | LedgerKind::Correction if amount.raw() == 0 => {
                return Err(DomainError::EntitlementAmount("an adjustment of zero days changes nothing"))
            }
            k if k.written_by_job() => {
                return Err(DomainError::EntitlementAmount(
                    "accrual, pro-rata, carry-over and expiry lines are written by the entitlement job from the policy; post an adjustment or a correction instead",
                ))
            }
            _ => {}
        }
        let chars = reason.chars().count();
        if chars > crate::MAX_REASON_CHARS {
            return Err(DomainError::ReasonTooLong(chars));
        }
        Ok(EntitlementChange { kind, amount, reason })
    }
    pub fn kind(&self) -> LedgerKind {
        self.kind
    }
    /// The stored integer (millidays or minutes, by [`EntitlementChange::quantity`]'s unit).
    pub fn amount(&self) -> LeaveAmount {
        self.amount.stored()
    }
    pub fn quantity(&self) -> Quantity {
        self.amount
    }
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

#[cfg(test)]
mod entitlement_tests {
    use super::*;

    #[test]
    fn allocations_and_adjustments_follow_their_rules() {
        let days = LeaveAmount::days;
        let code = |r: Result<EntitlementChange, DomainError>| r.err().map(|e| e.code());
        assert_eq!(code(EntitlementChange::parse(LedgerKind::Allocation, days(25), None)), None);
        assert_eq!(code(EntitlementChange::parse(LedgerKind::Allocation, days(-1), None)), Some("invalid_amount"));
        assert_eq!(
            code(EntitlementChange::parse(LedgerKind::Adjustment, days(2), Some("  "))),
            Some("reason_required")
        );
        assert_eq!(code(EntitlementChange::parse(LedgerKind::Adjustment, days(0), Some("x"))), Some("invalid_amount"));
        assert_eq!(code(EntitlementChange::parse(LedgerKind::Adjustment, days(-2), Some(" carried "))), None);
        assert_eq!(
            code(EntitlementChange::parse(LedgerKind::Adjustment, days(367), Some("x"))),
            Some("invalid_amount")
        );
        let long = "r".repeat(1001);
        assert_eq!(
            code(EntitlementChange::parse(LedgerKind::Adjustment, days(1), Some(&long))),
            Some("reason_too_long")
        );
        let ok = EntitlementChange::parse(LedgerKind::Adjustment, days(-2), Some(" carried ")).expect("valid");
        assert_eq!((ok.kind(), ok.amount(), ok.reason()), (LedgerKind::Adjustment, days(-2), "carried"));
        assert_eq!(code(EntitlementChange::parse(LedgerKind::Correction, days(1), None)), Some("reason_required"));
        assert_eq!(code(EntitlementChange::parse(LedgerKind::Correction, days(-1), Some("line 7 was wrong"))), None);
        for job in [LedgerKind::Accrual, LedgerKind::ProRata, LedgerKind::CarryOver, LedgerKind::Expiry] {
            assert_eq!(code(EntitlementChange::parse(job, days(1), Some("x"))), Some("invalid_amount"), "{job:?}");
        }
        for k in LedgerKind::ALL {
            assert_eq!(k.as_str().parse::<LedgerKind>().ok(), Some(k));
        }
        let hours = |m: i64| Quantity::minutes(m);
        let ok = EntitlementChange::parse_in(LedgerKind::Allocation, hours(1200), None).expect("20 hours");
        assert_eq!((ok.quantity(), ok.amount()), (hours(1200), LeaveAmount::from_millidays(1200)));
        assert_eq!(code(EntitlementChange::parse_in(LedgerKind::Allocation, hours(366 * 24 * 60), None)), None);
        assert_eq!(
            code(EntitlementChange::parse_in(LedgerKind::Allocation, hours(366 * 24 * 60 + 1), None)),
            Some("invalid_amount")
        );
    }
}
