//! Dates and working days: `DateRange` (start <= end, inclusive) and the
//! `WorkCalendar` that counts the working days a request covers
//! (Monday-Friday minus company holidays, minus half days: the full-time
//! case of [`crate::schedule`]).

use crate::{DomainError, LeaveAmount};
use chrono::{Datelike, NaiveDate};

/// An inclusive date range whose end is never before its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    start: NaiveDate,
    end: NaiveDate,
}

impl DateRange {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, DomainError> {
        if end < start {
            return Err(DomainError::EndBeforeStart { start: start.to_string(), end: end.to_string() });
        }
        Ok(DateRange { start, end })
    }
    pub fn start(&self) -> NaiveDate {
        self.start
    }
    pub fn end(&self) -> NaiveDate {
        self.end
    }
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }
    /// The days of the range, in order (up to and including chrono's last
    /// date, which `NaiveDate::iter_days` never yields).
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let end = self.end;
        std::iter::successors(Some(self.start), move |d| d.succ_opt().filter(|next| *next <= end))
    }
    /// The leave year (calendar year) of the range, or an error when it spans two.
    pub fn leave_year(&self) -> Result<i32, DomainError> {
        if self.start.year() != self.end.year() {
            return Err(DomainError::SpansLeaveYears { start: self.start.to_string(), end: self.end.to_string() });
        }
        Ok(self.start.year())
    }
}

/// Which days are worked: Monday to Friday, except the company holidays —
/// the full-time [`crate::schedule::Counter`] every person has until
/// schedules are set per person.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    counter: crate::schedule::Counter,
}

impl WorkCalendar {
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        WorkCalendar { counter: crate::schedule::Counter::new(crate::schedule::ScheduleHistory::default(), holidays) }
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.counter.is_working_day(d)
    }

    /// Working days in the range, as whole days.
    pub fn working_days(&self, range: &DateRange) -> i64 {
        range.days().filter(|d| self.is_working_day(*d)).count() as i64
    }

    /// The amount a request covers: its working days, with the first and/or
    /// last day counting half when asked (and when that day is worked).
    /// A one-day request with either half flag counts half a day.
    pub fn request_amount(
        &self,
        range: &DateRange,
        half_day_start: bool,
        half_day_end: bool,
    ) -> Result<LeaveAmount, DomainError> {
        self.counter.days(range, half_day_start, half_day_end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn end_before_start_is_rejected() {
        assert_eq!(DateRange::new(d("2026-03-06"), d("2026-03-02")).unwrap_err().code(), "end_before_start");
    }

    #[test]
    fn counts_weekdays_minus_holidays_and_halves() {
        let cal = WorkCalendar::new([d("2026-03-04")]);
        // Mon 2 .. Sun 8 March 2026: 5 weekdays, one holiday.
        let r = DateRange::new(d("2026-03-02"), d("2026-03-08")).unwrap();
        assert_eq!(cal.working_days(&r), 4);
        assert_eq!(cal.request_amount(&r, true, false).unwrap(), LeaveAmount::from_millidays(3500));
        // The end is a Sunday: the half-day flag has nothing to halve.
        assert_eq!(cal.request_amount(&r, true, true).unwrap(), LeaveAmount::from_millidays(3500));
        let one = DateRange::new(d("2026-03-02"), d("2026-03-02")).unwrap();
        assert_eq!(cal.request_amount(&one, false, true).unwrap(), LeaveAmount::HALF_DAY);
        assert_eq!(cal.request_amount(&one, false, false).unwrap(), LeaveAmount::ONE_DAY);
    }

    #[test]
    fn weekend_only_or_holiday_only_has_no_working_days() {
        let cal = WorkCalendar::new([d("2026-03-04")]);
        let weekend = DateRange::new(d("2026-03-07"), d("2026-03-08")).unwrap();
        assert_eq!(cal.request_amount(&weekend, false, false).unwrap_err().code(), "no_working_days");
        let holiday = DateRange::new(d("2026-03-04"), d("2026-03-04")).unwrap();
        assert_eq!(cal.request_amount(&holiday, true, false).unwrap_err().code(), "no_working_days");
    }

    #[test]
    fn leave_year_must_not_span() {
        let r = DateRange::new(d("2026-12-30"), d("2027-01-02")).unwrap();
        assert_eq!(r.leave_year().unwrap_err().code(), "spans_leave_years");
        assert_eq!(DateRange::new(d("2026-01-01"), d("2026-12-31")).unwrap().leave_year().unwrap(), 2026);
    }

    #[test]
    fn overlap() {
        let a = DateRange::new(d("2026-03-02"), d("2026-03-06")).unwrap();
        let b = DateRange::new(d("2026-03-06"), d("2026-03-09")).unwrap();
        let c = DateRange::new(d("2026-03-07"), d("2026-03-09")).unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
    }
}
