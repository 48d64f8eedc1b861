//! The leave year: twelve months from a configurable first month (January
//! for a calendar year, April for April–March). A year is named by the
//! calendar year it starts in (the April 2026 – March 2027 year is 2026).
//! A date range that crosses a turn of the year splits into one part per
//! leave year, each charged to its own year; splitting never changes the
//! days a range covers.
//!
//! Pure: knows nothing of where the first month is configured.

use crate::{DateRange, DomainError};
use chrono::{Datelike, NaiveDate};

/// The month a leave year starts in, 1 (January) to 12. Cannot hold another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeaveYearStart(u32);

impl Default for LeaveYearStart {
    /// The calendar year.
    fn default() -> Self {
        LeaveYearStart(1)
    }
}

impl LeaveYearStart {
    /// The leave year starting in `month` (1 to 12).
    pub fn new(month: u32) -> Result<Self, DomainError> {
        if (1..=12).contains(&month) {
            Ok(LeaveYearStart(month))
        } else {
            Err(DomainError::InvalidLeaveYearStart(month))
        }
    }

    /// The first month, 1 to 12.
    pub fn month(self) -> u32 {
        self.0
    }

    /// The leave year `date` falls in.
    pub fn year_of(self, date: NaiveDate) -> i32 {
        if date.month() >= self.0 {
            date.year()
        } else {
            date.year() - 1
        }
    }

    /// The first day of leave year `year`; `None` beyond chrono's calendar.
    pub fn first_day(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.0, 1)
    }

    /// The days of leave year `year`; `None` beyond chrono's calendar.
    pub fn range(self, year: i32) -> Option<DateRange> {
        let first = self.first_day(year)?;
        let last = self.first_day(year.checked_add(1)?)?.pred_opt()?;
        DateRange::new(first, last).ok()
    }

    /// `range` cut at every turn of the leave year: one part per year it
    /// touches, in order, each with its year. A range within one year is
    /// one part.
    pub fn split(self, range: &DateRange) -> Vec<(i32, DateRange)> {
        let mut parts = Vec::new();
        let mut start = range.start();
        loop {
            let year = self.year_of(start);
            let year_end = self.range(year).map_or(range.end(), |r| r.end());
            let end = year_end.min(range.end());
            if let Ok(part) = DateRange::new(start, end) {
                parts.push((year, part));
            }
            match end.succ_opt() {
                Some(next) if end < range.end() => start = next,
                _ => return parts,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn the_month_is_one_to_twelve() {
        assert!(LeaveYearStart::new(0).is_err());
        assert!(LeaveYearStart::new(13).is_err());
        assert_eq!(LeaveYearStart::new(4).map(|s| s.month()).ok(), Some(4));
    }

    #[test]
    fn an_april_year_is_named_by_the_year_it_starts_in() {
        let april = LeaveYearStart::new(4).expect("april");
        assert_eq!(april.year_of(d("2026-03-31")), 2025);
        assert_eq!(april.year_of(d("2026-04-01")), 2026);
        assert_eq!(april.year_of(d("2027-03-31")), 2026);
        let r = april.range(2026).expect("range");
        assert_eq!((r.start(), r.end()), (d("2026-04-01"), d("2027-03-31")));
        let calendar = LeaveYearStart::default();
        assert_eq!(calendar.year_of(d("2026-12-31")), 2026);
        assert_eq!(calendar.range(2024).map(|r| r.days().count()), Some(366));
    }

    #[test]
    fn a_range_across_the_turn_of_the_year_splits_there() {
        // Worked example (docs/LEAVE-RULES.md): 28 March – 8 April 2027 in an
        // April–March leave year: 28–31 March to 2026, 1–8 April to 2027.
        let april = LeaveYearStart::new(4).expect("april");
        let r = DateRange::new(d("2027-03-28"), d("2027-04-08")).expect("range");
        let parts = april.split(&r);
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].0, parts[0].1.start(), parts[0].1.end()), (2026, d("2027-03-28"), d("2027-03-31")));
        assert_eq!((parts[1].0, parts[1].1.start(), parts[1].1.end()), (2027, d("2027-04-01"), d("2027-04-08")));
        let within = DateRange::new(d("2027-04-02"), d("2027-04-08")).expect("range");
        assert_eq!(april.split(&within), vec![(2027, within)]);
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (2000i32..2100, 1u32..=365).prop_map(|(y, o)| NaiveDate::from_yo_opt(y, o).unwrap_or_default())
    }

    proptest! {
        /// Splitting never changes the days covered: the parts are in order,
        /// touch end to start, each lies in its own year, and together they
        /// are the range.
        #[test]
        fn splitting_keeps_every_day_once(month in 1u32..=12, a in date(), len in 0i64..900) {
            let start = LeaveYearStart::new(month).expect("month");
            let end = a + chrono::Duration::days(len);
            let r = DateRange::new(a, end).expect("range");
            let parts = start.split(&r);
            prop_assert_eq!(parts.first().map(|p| p.1.start()), Some(r.start()));
            prop_assert_eq!(parts.last().map(|p| p.1.end()), Some(r.end()));
            let days: usize = parts.iter().map(|(_, p)| p.days().count()).sum();
            prop_assert_eq!(days, r.days().count());
            for w in parts.windows(2) {
                prop_assert_eq!(w[0].1.end().succ_opt(), Some(w[1].1.start()));
                prop_assert_eq!(w[0].0 + 1, w[1].0);
            }
            for (year, p) in &parts {
                prop_assert_eq!(start.year_of(p.start()), *year);
                prop_assert_eq!(start.year_of(p.end()), *year);
            }
        }
    }
}
