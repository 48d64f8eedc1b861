//! A leave amount together with the unit its leave type is measured in.
//!
//! Every amount is an integer: a type measured in **days** counts
//! thousandths of a day ([`LeaveAmount`], millidays), a type measured in
//! **hours** counts **minutes** (what a working schedule holds, so every
//! scheduled day, half of one and every sum is exact). The database keeps
//! both in the same integer columns; sums are always per leave type, so
//! they never mix. A [`Quantity`] carries the unit next to the integer so
//! that a day amount and an hour amount cannot be added by mistake
//! ([`Quantity::checked_add`] refuses), and converts to and from a decimal
//! only at the edge: days with at most three decimals; hours as a decimal
//! with at most three decimals that is a whole number of minutes
//! (`2.5` = 150 minutes; `7.333` reads back as 440 minutes, the three
//! decimals a minute count is shown with).
//!
//! Pure: knows nothing of storage or of how an amount reaches a person.

use crate::{DomainError, LeaveAmount, LeaveCost, LeaveUnit};
use std::fmt;

/// Minutes in an hour.
const HOUR: i64 = 60;

/// An amount in a leave type's unit: millidays for days, minutes for hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    unit: LeaveUnit,
    raw: i64,
}

impl Quantity {
    /// `raw` in `unit`'s integer (millidays or minutes), as stored.
    pub const fn new(unit: LeaveUnit, raw: i64) -> Self {
        Quantity { unit, raw }
    }
    pub const fn zero(unit: LeaveUnit) -> Self {
        Quantity { unit, raw: 0 }
    }
    pub const fn days(amount: LeaveAmount) -> Self {
        Quantity { unit: LeaveUnit::Days, raw: amount.millidays() }
    }
    pub const fn minutes(minutes: i64) -> Self {
        Quantity { unit: LeaveUnit::Hours, raw: minutes }
    }

    pub const fn unit(self) -> LeaveUnit {
        self.unit
    }
    /// The stored integer: millidays or minutes.
    pub const fn raw(self) -> i64 {
        self.raw
    }
    /// The stored integer as the column type the ledger and requests use.
    pub const fn stored(self) -> LeaveAmount {
        LeaveAmount::from_millidays(self.raw)
    }

    /// The sum of two amounts of one unit; amounts of different units
    /// cannot be added.
    pub fn checked_add(self, other: Quantity) -> Result<Quantity, DomainError> {
        if self.unit != other.unit {
            return Err(DomainError::WrongUnit { leave_type: "this leave type".into(), unit: self.unit.as_str() });
        }
        Ok(Quantity { unit: self.unit, raw: self.raw + other.raw })
    }

    /// Parses a decimal number in `unit` (days: at most three decimals;
    /// hours: a whole number of minutes, written with at most three
    /// decimals).
    pub fn parse(unit: LeaveUnit, value: f64) -> Result<Quantity, DomainError> {
        match unit {
            LeaveUnit::Days => Ok(Quantity::days(LeaveAmount::from_days_f64(value)?)),
            LeaveUnit::Hours => {
                let bad = || DomainError::InvalidHours(value.to_string());
                // Thousandths of an hour first (the edge's precision) …
                let thousandths = LeaveAmount::from_days_f64(value).map_err(|_| bad())?.millidays();
                // … then the nearest minute: three decimals of an hour are
                // 3.6 seconds, so a minute count shown with three decimals
                // lies within 0.03 minutes (30 thousandths) of it.
                let scaled = i128::from(thousandths) * i128::from(HOUR);
                let minutes = (2 * scaled + 1000 * scaled.signum()) / 2000;
                if (scaled - minutes * 1000).abs() > 30 {
                    return Err(bad());
                }
                i64::try_from(minutes).map(Quantity::minutes).map_err(|_| bad())
            }
        }
    }

    /// The amount in thousandths of its unit, rounded to the nearest (a
    /// minute is 16.67 thousandths of an hour): what the edge shows.
    pub fn thousandths(self) -> i64 {
        match self.unit {
            LeaveUnit::Days => self.raw,
            LeaveUnit::Hours => {
                let scaled = i128::from(self.raw) * 1000;
                let rounded = (2 * scaled + i128::from(HOUR) * scaled.signum()) / (2 * i128::from(HOUR));
                i64::try_from(rounded).unwrap_or(i64::MAX)
            }
        }
    }

    /// The amount as a JSON number of days or hours, three decimals at most.
    pub fn to_f64(self) -> f64 {
        LeaveAmount::from_millidays(self.thousandths()).to_days_f64()
    }

    /// With its unit, e.g. `2.5 hours`, `3 days`.
    pub fn with_unit(self) -> String {
        format!("{self} {}", self.unit)
    }
}

/// The number alone, e.g. `2.5` (days or hours).
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        LeaveAmount::from_millidays(self.thousandths()).fmt(f)
    }
}

impl From<LeaveCost> for Quantity {
    fn from(c: LeaveCost) -> Self {
        match c {
            LeaveCost::Days(a) => Quantity::days(a),
            LeaveCost::Minutes(m) => Quantity::minutes(i64::from(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hours_are_whole_minutes_and_days_thousandths() {
        let h = |v: f64| Quantity::parse(LeaveUnit::Hours, v).map(Quantity::raw).map_err(|e| e.code());
        assert_eq!(h(2.5), Ok(150));
        assert_eq!(h(0.25), Ok(15));
        assert_eq!(h(-1.5), Ok(-90));
        assert_eq!(h(7.333), Ok(440), "7 h 20 min as shown");
        assert_eq!(h(2.51), Err("invalid_amount"), "2 h 30.6 min");
        assert_eq!(h(0.1234), Err("invalid_amount"));
        assert_eq!(h(f64::NAN), Err("invalid_amount"));
        assert_eq!(Quantity::parse(LeaveUnit::Days, 2.5).map(Quantity::raw), Ok(2500));
        assert_eq!(Quantity::minutes(440).to_string(), "7.333");
        assert_eq!(Quantity::minutes(150).with_unit(), "2.5 hours");
        assert_eq!(Quantity::minutes(-90).to_f64(), -1.5);
        assert_eq!(Quantity::days(LeaveAmount::from_millidays(3500)).with_unit(), "3.5 days");
    }

    #[test]
    fn days_and_hours_do_not_add() {
        let day = Quantity::days(LeaveAmount::ONE_DAY);
        assert_eq!(day.checked_add(day).map(Quantity::raw), Ok(2000));
        assert_eq!(day.checked_add(Quantity::minutes(60)).map_err(|e| e.code()), Err("wrong_unit"));
        assert_eq!(Quantity::from(LeaveCost::Minutes(120)), Quantity::minutes(120));
    }

    proptest! {
        /// Any minute count, shown as hours with three decimals, reads back
        /// as the same minutes.
        #[test]
        fn hours_shown_read_back_exactly(minutes in -10_000_000i64..10_000_000) {
            let q = Quantity::minutes(minutes);
            prop_assert_eq!(Quantity::parse(LeaveUnit::Hours, q.to_f64()), Ok(q));
        }
    }
}
