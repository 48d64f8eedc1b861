//! Leave amounts as integers: thousandths of a working day ("millidays").
//! Floats never hold an amount; conversion to a decimal happens only at the
//! edge (JSON, CSV) through [`LeaveAmount::to_days_f64`] and
//! [`LeaveAmount::from_days_f64`].

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Neg, Sub};

/// Thousandths of a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LeaveAmount(i64);

impl LeaveAmount {
    /// Millidays in one day.
    pub const PER_DAY: i64 = 1000;
    pub const ZERO: LeaveAmount = LeaveAmount(0);
    pub const HALF_DAY: LeaveAmount = LeaveAmount(500);
    pub const ONE_DAY: LeaveAmount = LeaveAmount(1000);

    pub const fn from_millidays(m: i64) -> Self {
        LeaveAmount(m)
    }
    pub const fn days(d: i64) -> Self {
        LeaveAmount(d * Self::PER_DAY)
    }
    pub const fn millidays(self) -> i64 {
        self.0
    }

    /// Parses a decimal number of days with at most three decimals.
    pub fn from_days_f64(d: f64) -> Result<Self, DomainError> {
        let scaled = d * Self::PER_DAY as f64;
        let rounded = scaled.round();
        // "Three decimals" as far as the float can tell: above ~10^7 days the
        // scaling itself is off by more than 1e-6 millidays.
        let tolerance = (scaled.abs() * 4.0 * f64::EPSILON).max(1e-6);
        if !d.is_finite() || (scaled - rounded).abs() > tolerance || rounded.abs() > 1e12 {
            return Err(DomainError::InvalidAmount(d.to_string()));
        }
        Ok(LeaveAmount(rounded as i64))
    }

    /// The amount as a JSON-friendly number of days (exact to three decimals).
    pub fn to_days_f64(self) -> f64 {
        self.0 as f64 / Self::PER_DAY as f64
    }
}

impl fmt::Display for LeaveAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / 1000;
        let frac = abs % 1000;
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let s = format!("{frac:03}");
            write!(f, "{sign}{whole}.{}", s.trim_end_matches('0'))
        }
    }
}

impl Add for LeaveAmount {
    type Output = LeaveAmount;
    fn add(self, o: Self) -> Self {
        LeaveAmount(self.0 + o.0)
    }
}
impl Sub for LeaveAmount {
    type Output = LeaveAmount;
    fn sub(self, o: Self) -> Self {
        LeaveAmount(self.0 - o.0)
    }
}
impl Neg for LeaveAmount {
    type Output = LeaveAmount;
    fn neg(self) -> Self {
        LeaveAmount(-self.0)
    }
}
impl std::iter::Sum for LeaveAmount {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        LeaveAmount(iter.map(|a| a.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_three_decimals() {
        assert_eq!(LeaveAmount::from_days_f64(2.5).unwrap().millidays(), 2500);
        assert_eq!(LeaveAmount::from_days_f64(0.125).unwrap().millidays(), 125);
        assert!(LeaveAmount::from_days_f64(0.1234).is_err());
        assert!(LeaveAmount::from_days_f64(f64::NAN).is_err());
        assert_eq!(LeaveAmount::from_millidays(2500).to_string(), "2.5");
        assert_eq!(LeaveAmount::from_millidays(-1250).to_string(), "-1.25");
        assert_eq!(LeaveAmount::days(25).to_string(), "25");
        assert_eq!(LeaveAmount::from_millidays(2500).to_days_f64(), 2.5);
    }
}
