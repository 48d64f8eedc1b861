//! Working schedules: how many minutes a person works on each weekday
//! (0: not a working day), valid from a date until the next schedule
//! starts — full time Monday–Friday 8 h, Monday–Wednesday, 4 h a day, …
//! Counting a request follows the schedule valid on each of its days, so a
//! schedule that changes in the middle of a request is handled day by day.
//!
//! Amounts stay integers: days in millidays ([`LeaveAmount`]), hours in
//! minutes. A holiday on a day the schedule does not work costs nothing
//! (it was not a working day anyway). Pure: knows nothing of storage.

use crate::{DateRange, DomainError, LeaveAmount};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeSet;

/// Minutes in a day: the most a schedule's day may hold.
const DAY_MINUTES: u32 = 24 * 60;

/// Why a schedule (or a person's schedules) cannot be kept; each says
/// what to fix, and a page can name it in its reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleProblem {
    #[error("a schedule needs at least one working day")]
    NoWorkingDay,
    #[error("{minutes} minutes do not fit in a day (at most {most})")]
    LongerThanADay { minutes: u32, most: u32 },
    #[error("a person needs at least one schedule")]
    NoSchedule,
    #[error("two schedules start on {0}; keep one per start date")]
    SameStart(NaiveDate),
}

/// Minutes worked on each weekday, Monday first. At least one day is worked
/// and no day holds more than 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingSchedule {
    minutes: [u32; 7],
}

impl Default for WorkingSchedule {
    /// Monday to Friday, 8 hours a day.
    fn default() -> Self {
        WorkingSchedule { minutes: [480, 480, 480, 480, 480, 0, 0] }
    }
}

impl WorkingSchedule {
    /// A schedule of `minutes` per weekday, Monday first.
    pub fn new(minutes: [u32; 7]) -> Result<Self, DomainError> {
        if minutes.iter().all(|m| *m == 0) {
            return Err(DomainError::InvalidSchedule(ScheduleProblem::NoWorkingDay));
        }
        if let Some(m) = minutes.iter().find(|m| **m > DAY_MINUTES) {
            return Err(DomainError::InvalidSchedule(ScheduleProblem::LongerThanADay {
                minutes: *m,
                most: DAY_MINUTES,
            }));
        }
        Ok(WorkingSchedule { minutes })
    }

    /// Minutes worked on `date`'s weekday (0: not a working day).
    pub fn minutes_on(&self, date: NaiveDate) -> u32 {
        self.minutes[date.weekday().num_days_from_monday() as usize]
    }

    /// Minutes per weekday, Monday first.
    pub fn minutes(&self) -> [u32; 7] {
        self.minutes
    }
}

/// A person's schedules over time: each valid from its date until the next
/// one's; before the first, the first applies. Dates are distinct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleHistory {
    entries: Vec<(NaiveDate, WorkingSchedule)>,
}

impl Default for ScheduleHistory {
    /// Full time Monday–Friday, always.
    fn default() -> Self {
        ScheduleHistory { entries: vec![(NaiveDate::MIN, WorkingSchedule::default())] }
    }
}

impl ScheduleHistory {
    /// Schedules with the dates they start on, in any order.
    pub fn new(mut entries: Vec<(NaiveDate, WorkingSchedule)>) -> Result<Self, DomainError> {
        if entries.is_empty() {
            return Err(DomainError::InvalidSchedule(ScheduleProblem::NoSchedule));
        }
        entries.sort_by_key(|(from, _)| *from);
        if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(DomainError::InvalidSchedule(ScheduleProblem::SameStart(w[0].0)));
        }
        Ok(ScheduleHistory { entries })
    }

    /// The schedule valid on `date`.
    pub fn on(&self, date: NaiveDate) -> &WorkingSchedule {
        let i = self.entries.partition_point(|(from, _)| *from <= date);
        &self.entries[i.saturating_sub(1)].1
    }

    /// Minutes worked on `date` by schedule, holidays not yet considered.
    fn scheduled_minutes(&self, date: NaiveDate) -> u32 {
        self.on(date).minutes_on(date)
    }
}

/// How a leave type is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeaveUnit {
    /// Working days, with half days.
    #[default]
    Days,
    /// Hours, counted in minutes.
    Hours,
}

impl LeaveUnit {
    pub const ALL: [LeaveUnit; 2] = [LeaveUnit::Days, LeaveUnit::Hours];

    /// `days` or `hours`: how the unit is named in the API, the database
    /// and the name of an amount's field.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaveUnit::Days => "days",
            LeaveUnit::Hours => "hours",
        }
    }
}

impl std::str::FromStr for LeaveUnit {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        LeaveUnit::ALL.into_iter().find(|u| u.as_str() == s).ok_or_else(|| DomainError::UnknownUnit(s.to_string()))
    }
}

impl std::fmt::Display for LeaveUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request costs in its type's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveCost {
    /// Working days (millidays).
    Days(LeaveAmount),
    /// Minutes.
    Minutes(u32),
}

/// Counts requests against a person's schedules and their holidays.
#[derive(Debug, Clone, Default)]
pub struct Counter {
    schedules: ScheduleHistory,
    holidays: BTreeSet<NaiveDate>,
}

impl Counter {
    /// A counter for a person with `schedules` and the `holidays` of their calendar.
    pub fn new(schedules: ScheduleHistory, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Counter { schedules, holidays: holidays.into_iter().collect() }
    }

    /// Minutes the person works on `date`: by their schedule, 0 on a holiday.
    pub fn working_minutes(&self, date: NaiveDate) -> u32 {
        if self.holidays.contains(&date) {
            0
        } else {
            self.schedules.scheduled_minutes(date)
        }
    }

    /// Whether `date` is a working day for the person.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.working_minutes(date) > 0
    }

    /// What `range` costs in working days (see [`Counter::cost`]).
    pub fn days(&self, range: &DateRange, half_start: bool, half_end: bool) -> Result<LeaveAmount, DomainError> {
        let (millidays, _) = self.count(range, half_start, half_end)?;
        Ok(LeaveAmount::from_millidays(millidays))
    }

    /// What `range` costs in `unit`: each working day is one day (a half
    /// when it is the first day with `half_start` or the last with
    /// `half_end`; a one-day range with either flag is a half), or its
    /// scheduled minutes (half of them, rounded down — in the person's
    /// favour — for a half day). A range without a working day is refused.
    pub fn cost(
        &self,
        range: &DateRange,
        unit: LeaveUnit,
        half_start: bool,
        half_end: bool,
    ) -> Result<LeaveCost, DomainError> {
        let (millidays, minutes) = self.count(range, half_start, half_end)?;
        Ok(match unit {
            LeaveUnit::Days => LeaveCost::Days(LeaveAmount::from_millidays(millidays)),
            LeaveUnit::Hours => LeaveCost::Minutes(minutes),
        })
    }

    /// What `minutes` of the single day of `range` cost (a request for part
    /// of one day in a type measured in hours): at most what the person
    /// works that day. A day they do not work (or a holiday) is refused as
    /// having no working day, more minutes than the day holds as too many.
    pub fn part_of_day(&self, range: &DateRange, minutes: u32) -> Result<LeaveCost, DomainError> {
        let day = range.start();
        let scheduled = self.working_minutes(day);
        if range.end() != day {
            return Err(DomainError::PartDay(
                "hours are asked for one day: give the same start_date and end_date".into(),
            ));
        }
        if scheduled == 0 {
            return Err(DomainError::NoWorkingDays { start: day.to_string(), end: day.to_string() });
        }
        if minutes > scheduled {
            return Err(DomainError::TooManyHours {
                date: day.to_string(),
                asked: crate::Quantity::minutes(i64::from(minutes)).to_string(),
                scheduled: crate::Quantity::minutes(i64::from(scheduled)).to_string(),
            });
        }
        Ok(LeaveCost::Minutes(minutes))
    }

    /// Millidays and minutes `range` costs.
    fn count(&self, range: &DateRange, half_start: bool, half_end: bool) -> Result<(i64, u32), DomainError> {
        let mut millidays = 0i64;
        let mut minutes = 0u32;
        let mut worked = false;
        for day in range.days() {
            let m = self.working_minutes(day);
            if m == 0 {
                continue;
            }
            worked = true;
            // A one-day range's only day is both its first and its last.
            let half = (half_start && day == range.start()) || (half_end && day == range.end());
            millidays += if half { LeaveAmount::HALF_DAY.millidays() } else { LeaveAmount::PER_DAY };
            minutes = minutes.saturating_add(if half { m / 2 } else { m });
        }
        if !worked {
            return Err(DomainError::NoWorkingDays { start: range.start().to_string(), end: range.end().to_string() });
        }
        Ok((millidays, minutes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leave_year::LeaveYearStart;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn range(a: &str, b: &str) -> DateRange {
        DateRange::new(d(a), d(b)).expect("range")
    }

    #[test]
    fn a_schedule_works_somewhere_and_fits_in_days() {
        assert!(WorkingSchedule::new([0; 7]).is_err());
        assert!(WorkingSchedule::new([1441, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(ScheduleHistory::new(vec![]).is_err());
        let s = WorkingSchedule::default();
        assert!(ScheduleHistory::new(vec![(d("2026-01-01"), s), (d("2026-01-01"), s)]).is_err());
    }

    #[test]
    fn a_part_timer_changing_schedule_mid_request() {
        // Worked example (docs/LEAVE-RULES.md): Mon–Wed 8 h until Sunday
        // 8 March 2026, then Mon–Fri 4 h; a holiday on Thursday 5 March (not
        // a working day then) and on Wednesday 11 March. Leave Monday 2 to
        // Friday 13 March, the last day a half:
        //   week 1: Mon, Tue, Wed = 3 days, 24 h (Thu holiday costs nothing);
        //   week 2: Mon, Tue, Thu, Fri (Wed holiday) = 3.5 days (Fri half),
        //           4 + 4 + 4 + 2 = 14 h.
        let mon_wed = WorkingSchedule::new([480, 480, 480, 0, 0, 0, 0]).expect("schedule");
        let four_hours = WorkingSchedule::new([240, 240, 240, 240, 240, 0, 0]).expect("schedule");
        let history =
            ScheduleHistory::new(vec![(d("2026-03-09"), four_hours), (d("2025-01-01"), mon_wed)]).expect("history");
        let counter = Counter::new(history, [d("2026-03-05"), d("2026-03-11")]);
        let r = range("2026-03-02", "2026-03-13");
        assert_eq!(
            counter.cost(&r, LeaveUnit::Days, false, true),
            Ok(LeaveCost::Days(LeaveAmount::from_millidays(6500)))
        );
        assert_eq!(counter.cost(&r, LeaveUnit::Hours, false, true), Ok(LeaveCost::Minutes(38 * 60)));
        // A day the schedule does not work, holiday or not, cannot be asked for alone.
        assert!(counter.cost(&range("2026-03-05", "2026-03-05"), LeaveUnit::Days, false, false).is_err());
        // One 4-hour day, half: 2 hours.
        assert_eq!(
            counter.cost(&range("2026-03-10", "2026-03-10"), LeaveUnit::Hours, true, false),
            Ok(LeaveCost::Minutes(120))
        );
    }

    #[test]
    fn part_of_a_day_is_at_most_its_scheduled_hours() {
        let four_hours = WorkingSchedule::new([240, 240, 240, 240, 240, 0, 0]).expect("schedule");
        let history = ScheduleHistory::new(vec![(d("2026-01-01"), four_hours)]).expect("history");
        let counter = Counter::new(history, [d("2026-03-11")]);
        let tue = range("2026-03-10", "2026-03-10");
        assert_eq!(counter.part_of_day(&tue, 150), Ok(LeaveCost::Minutes(150)));
        assert_eq!(counter.part_of_day(&tue, 240), Ok(LeaveCost::Minutes(240)));
        assert_eq!(counter.part_of_day(&tue, 241).map_err(|e| e.code()), Err("too_many_hours"));
        let e = counter.part_of_day(&tue, 300).expect_err("5 h on a 4 h day");
        assert_eq!(e.to_string(), "you work 4 hours on 2026-03-10: ask for at most that many (not 5)");
        // The holiday and the Saturday have no working hours at all.
        assert_eq!(
            counter.part_of_day(&range("2026-03-11", "2026-03-11"), 60).map_err(|e| e.code()),
            Err("no_working_days")
        );
        assert_eq!(
            counter.part_of_day(&range("2026-03-14", "2026-03-14"), 60).map_err(|e| e.code()),
            Err("no_working_days")
        );
        assert_eq!(
            counter.part_of_day(&range("2026-03-09", "2026-03-10"), 60).map_err(|e| e.code()),
            Err("invalid_part_day")
        );
        assert_eq!("hours".parse::<LeaveUnit>(), Ok(LeaveUnit::Hours));
        assert_eq!("weeks".parse::<LeaveUnit>().map_err(|e| e.code()), Err("invalid_unit"));
    }

    #[test]
    fn full_time_counts_as_the_work_calendar_does() {
        let counter = Counter::new(ScheduleHistory::default(), [d("2026-03-04")]);
        let r = range("2026-03-02", "2026-03-08");
        assert_eq!(
            counter.cost(&r, LeaveUnit::Days, true, false),
            Ok(LeaveCost::Days(LeaveAmount::from_millidays(3500)))
        );
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (2020i32..2030, 1u32..=365).prop_map(|(y, o)| NaiveDate::from_yo_opt(y, o).unwrap_or_default())
    }

    fn schedule() -> impl Strategy<Value = WorkingSchedule> {
        proptest::array::uniform7(prop_oneof![Just(0u32), 1u32..=600])
            .prop_filter_map("works some day", |m| WorkingSchedule::new(m).ok())
    }

    proptest! {
        /// A request's days are the working days of the person's schedules
        /// minus holidays minus halves; the same, split at any turn of the
        /// leave year, part by part.
        #[test]
        fn days_are_working_days_minus_halves_and_splitting_keeps_them(
            a in date(), len in 0i64..400,
            s1 in schedule(), s2 in schedule(), change in 0i64..400,
            holidays in proptest::collection::vec(0i64..400, 0..12),
            half_start: bool, half_end: bool, month in 1u32..=12,
        ) {
            let end = a + chrono::Duration::days(len);
            let r = DateRange::new(a, end).expect("range");
            let history = ScheduleHistory::new(vec![(a - chrono::Duration::days(1), s1), (a + chrono::Duration::days(change), s2)]).expect("history");
            let holidays: Vec<NaiveDate> = holidays.iter().map(|o| a + chrono::Duration::days(*o)).collect();
            let counter = Counter::new(history, holidays);
            let working: Vec<NaiveDate> = r.days().filter(|d| counter.is_working_day(*d)).collect();
            match counter.cost(&r, LeaveUnit::Days, half_start, half_end) {
                Err(_) => prop_assert!(working.is_empty()),
                Ok(LeaveCost::Days(amount)) => {
                    let single = a == end;
                    let halves = if single { i64::from(half_start || half_end) }
                        else { i64::from(half_start && counter.is_working_day(a)) + i64::from(half_end && counter.is_working_day(end)) };
                    prop_assert_eq!(amount.millidays(), working.len() as i64 * 1000 - halves * 500);
                    if !single {
                        let year = LeaveYearStart::new(month).expect("month");
                        let mut total = 0i64;
                        for (_, part) in year.split(&r) {
                            let hs = half_start && part.start() == a;
                            let he = half_end && part.end() == end;
                            // Each part keeps the half-day flag of the end it shares with the range.
                            if let Ok(LeaveCost::Days(p)) = counter.cost(&part, LeaveUnit::Days, hs, he) {
                                total += p.millidays();
                            }
                        }
                        prop_assert_eq!(total, amount.millidays());
                    }
                }
                Ok(other) => prop_assert!(false, "days asked, got {:?}", other),
            }
        }
    }
}
