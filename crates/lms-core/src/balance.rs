//! Balances and the entitlement ledger. An entitlement is the sum of ledger
//! entries (allocation, adjustments, and later accrual, carry-over, expiry)
//! for one employee, type and leave year; a balance subtracts approved and
//! pending requests from it.

use crate::{DomainError, LeaveAmount};
use serde::Serialize;
use std::str::FromStr;

/// The kind of a ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    /// The yearly allowance, written once per employee, type and year.
    Allocation,
    /// An HR correction, positive or negative, always with a reason.
    Adjustment,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Allocation => "allocation",
            LedgerKind::Adjustment => "adjustment",
        }
    }
}

impl FromStr for LedgerKind {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        match s {
            "allocation" => Ok(LedgerKind::Allocation),
            "adjustment" => Ok(LedgerKind::Adjustment),
            other => Err(DomainError::InvalidAmount(format!("unknown ledger kind {other}"))),
        }
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
        if deducts && requested > self.available() {
            return Err(DomainError::InsufficientBalance {
                leave_type: leave_type.to_string(),
                year,
                requested: requested.to_string(),
                available: self.available().to_string(),
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
    }
}
