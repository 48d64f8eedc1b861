//! Holiday calendars: when a holiday falls — once, on one date, or every
//! year on a fixed month and day from a first year — and the holidays a
//! calendar puts in a range of days, one per date.
//!
//! A yearly holiday on 29 February falls only in leap years (there is no
//! 29 February to fall on otherwise; it is not moved to the 28th or the
//! 1st). Whether a holiday costs anything is the [`crate::Counter`]'s
//! business: a holiday on a day the person's schedule does not work is
//! free. Pure: knows nothing of storage, locations or files.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// When a holiday falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HolidayDate {
    /// On this one date.
    Once { date: NaiveDate },
    /// Every year from `from` (its year is the first), on `from`'s month and
    /// day; 29 February only in leap years.
    Yearly { from: NaiveDate },
}

impl HolidayDate {
    /// A holiday on `date`, once or (`recurring`) every year from then.
    pub fn new(date: NaiveDate, recurring: bool) -> Self {
        if recurring {
            HolidayDate::Yearly { from: date }
        } else {
            HolidayDate::Once { date }
        }
    }

    /// The first (for a one-off: the only) date it falls on.
    pub fn first(&self) -> NaiveDate {
        match *self {
            HolidayDate::Once { date } => date,
            HolidayDate::Yearly { from } => from,
        }
    }

    pub fn is_recurring(&self) -> bool {
        matches!(self, HolidayDate::Yearly { .. })
    }

    /// Whether it falls on `day`.
    pub fn falls_on(&self, day: NaiveDate) -> bool {
        match *self {
            HolidayDate::Once { date } => date == day,
            HolidayDate::Yearly { from } => day >= from && day.month() == from.month() && day.day() == from.day(),
        }
    }

    /// The dates it falls on in `from..=to`, in order.
    pub fn occurrences(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        match *self {
            HolidayDate::Once { date } => (from <= date && date <= to).then_some(date).into_iter().collect(),
            HolidayDate::Yearly { from: first } => {
                let start_year = from.year().max(first.year());
                (start_year..=to.year())
                    .filter_map(|y| NaiveDate::from_ymd_opt(y, first.month(), first.day()))
                    .filter(|d| from <= *d && *d <= to && *d >= first)
                    .collect()
            }
        }
    }

    /// Whether every day `other` makes a holiday already is one by `self`
    /// (then adding `other` changes nothing).
    pub fn covers(&self, other: &HolidayDate) -> bool {
        match (*self, *other) {
            (_, HolidayDate::Once { date }) => self.falls_on(date),
            (HolidayDate::Once { .. }, HolidayDate::Yearly { .. }) => false,
            (HolidayDate::Yearly { from: a }, HolidayDate::Yearly { from: b }) => {
                a.month() == b.month() && a.day() == b.day() && a <= b
            }
        }
    }
}

/// The holidays `entries` put in `from..=to`: sorted by date, one per date
/// (when two entries fall on one date, the first of them in `entries` names it).
pub fn expand<T: Clone>(entries: &[(HolidayDate, T)], from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, T)> {
    let mut days: Vec<(NaiveDate, usize)> = entries
        .iter()
        .enumerate()
        .flat_map(|(i, (when, _))| when.occurrences(from, to).into_iter().map(move |d| (d, i)))
        .collect();
    days.sort_unstable();
    days.dedup_by_key(|(d, _)| *d);
    days.into_iter().map(|(d, i)| (d, entries[i].1.clone())).collect()
}

/// Splits what an import brings into what it adds and what is already
/// there: an entry covered by one of `existing`, or by an earlier entry of
/// the import itself, is already there. Order is kept.
pub fn plan_import<T>(existing: &[HolidayDate], incoming: Vec<(HolidayDate, T)>) -> ImportPlan<T> {
    let mut known: Vec<HolidayDate> = existing.to_vec();
    let mut plan = ImportPlan { add: Vec::new(), already_there: Vec::new() };
    for (when, what) in incoming {
        if known.iter().any(|k| k.covers(&when)) {
            plan.already_there.push((when, what));
        } else {
            known.push(when);
            plan.add.push((when, what));
        }
    }
    plan
}

/// What an import adds, and what it brings that is already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPlan<T> {
    pub add: Vec<(HolidayDate, T)>,
    pub already_there: Vec<(HolidayDate, T)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn a_yearly_holiday_falls_every_year_from_its_first() {
        let christmas = HolidayDate::new(d(2026, 12, 25), true);
        assert_eq!(
            christmas.occurrences(d(2025, 1, 1), d(2028, 12, 31)),
            vec![d(2026, 12, 25), d(2027, 12, 25), d(2028, 12, 25)]
        );
        assert!(!christmas.falls_on(d(2025, 12, 25)), "not before its first year");
        assert!(christmas.falls_on(d(2040, 12, 25)));
        let once = HolidayDate::new(d(2026, 6, 1), false);
        assert_eq!(once.occurrences(d(2026, 1, 1), d(2027, 12, 31)), vec![d(2026, 6, 1)]);
        assert!(once.occurrences(d(2026, 6, 2), d(2027, 12, 31)).is_empty());
    }

    #[test]
    fn a_yearly_29_february_falls_only_in_leap_years() {
        let leap = HolidayDate::new(d(2024, 2, 29), true);
        assert_eq!(
            leap.occurrences(d(2024, 1, 1), d(2033, 12, 31)),
            vec![d(2024, 2, 29), d(2028, 2, 29), d(2032, 2, 29)]
        );
        assert!(!leap.falls_on(d(2025, 2, 28)) && !leap.falls_on(d(2025, 3, 1)));
    }

    #[test]
    fn expanding_lists_each_date_once_named_by_the_first_entry() {
        let entries = vec![
            (HolidayDate::new(d(2027, 12, 25), false), "Christmas 2027"),
            (HolidayDate::new(d(2026, 12, 25), true), "Christmas"),
            (HolidayDate::new(d(2026, 12, 26), true), "Boxing Day"),
        ];
        assert_eq!(
            expand(&entries, d(2026, 12, 1), d(2027, 12, 31)),
            vec![
                (d(2026, 12, 25), "Christmas"),
                (d(2026, 12, 26), "Boxing Day"),
                (d(2027, 12, 25), "Christmas 2027"),
                (d(2027, 12, 26), "Boxing Day"),
            ]
        );
    }

    #[test]
    fn what_is_covered_is_already_there() {
        let yearly = HolidayDate::new(d(2026, 12, 25), true);
        assert!(yearly.covers(&HolidayDate::new(d(2030, 12, 25), false)));
        assert!(yearly.covers(&HolidayDate::new(d(2027, 12, 25), true)));
        assert!(!yearly.covers(&HolidayDate::new(d(2025, 12, 25), true)), "an earlier first year adds 2025");
        assert!(!HolidayDate::new(d(2026, 12, 25), false).covers(&yearly));
        let plan = plan_import(
            &[yearly],
            vec![
                (HolidayDate::new(d(2028, 12, 25), false), "a"),
                (HolidayDate::new(d(2027, 1, 1), false), "b"),
                (HolidayDate::new(d(2027, 1, 1), false), "c"),
                (HolidayDate::new(d(2026, 12, 26), true), "d"),
            ],
        );
        let names = |v: &[(HolidayDate, &str)]| v.iter().map(|(_, n)| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            (names(&plan.add), names(&plan.already_there)),
            (vec!["b".into(), "d".into()], vec!["a".into(), "c".into()])
        );
    }

    fn holiday_date() -> impl Strategy<Value = HolidayDate> {
        (2020i32..2032, 1u32..=366, any::<bool>()).prop_map(|(y, ord, recurring)| {
            let date = NaiveDate::from_yo_opt(y, ord).or_else(|| NaiveDate::from_yo_opt(y, 365)).expect("date");
            HolidayDate::new(date, recurring)
        })
    }

    proptest! {
        /// Expanding gives sorted, distinct dates inside the range, and a
        /// date is there exactly when some entry falls on it.
        #[test]
        fn expansion_is_every_date_some_entry_falls_on_once(
            entries in proptest::collection::vec(holiday_date(), 0..12),
            start in 0i64..4000,
            len in 0i64..1200,
        ) {
            let from = d(2019, 1, 1) + chrono::Duration::days(start);
            let to = from + chrono::Duration::days(len);
            let named: Vec<(HolidayDate, usize)> = entries.iter().copied().zip(0..).collect();
            let got: Vec<NaiveDate> = expand(&named, from, to).into_iter().map(|(d, _)| d).collect();
            prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
            let mut day = from;
            let mut want = Vec::new();
            while day <= to {
                if entries.iter().any(|e| e.falls_on(day)) {
                    want.push(day);
                }
                day += chrono::Duration::days(1);
            }
            prop_assert_eq!(got, want);
        }

        /// An entry covered by another adds no date to the calendar.
        #[test]
        fn a_covered_entry_adds_no_date(a in holiday_date(), b in holiday_date()) {
            if a.covers(&b) {
                let (from, to) = (d(2019, 1, 1), d(2040, 12, 31));
                let both = expand(&[(a, ()), (b, ())], from, to);
                prop_assert_eq!(both, expand(&[(a, ())], from, to));
            }
        }
    }
}
