//! Blackout calendar and go-live window across several years.

mod common;

use chrono::{NaiveDate, TimeZone, Utc, Weekday};
use common::phase29;
use lms_cutover::blackout::{self, Rule};
use lms_cutover::plan::{Blackout, BusinessEvent, Holiday};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, h, min, 0).single().unwrap_or_default()
}

fn empty() -> Blackout {
    Blackout {
        month_end_business_days: 3,
        quarter_end_business_days: 5,
        quarter_end_months: vec![3, 6, 9, 12],
        holidays: vec![],
        events: vec![],
    }
}

#[test]
fn weekends_and_holidays_are_not_business_days() {
    let mut b = empty();
    b.holidays.push(Holiday { date: d(2026, 5, 1), name: "Labour Day".into() });
    assert!(!blackout::is_business_day(&b, d(2026, 1, 10)), "Saturday");
    assert!(!blackout::is_business_day(&b, d(2026, 1, 11)), "Sunday");
    assert!(blackout::is_business_day(&b, d(2026, 1, 12)), "Monday");
    assert!(!blackout::is_business_day(&b, d(2026, 5, 1)), "holiday");
}

#[test]
fn month_end_is_the_last_three_business_days_for_any_year() {
    let b = empty();
    // (year, month) -> first blocked day; the span runs to the month's last day.
    let cases = [
        ((2024, 2), d(2024, 2, 27), d(2024, 2, 29)), // leap year, ends Thursday
        ((2025, 5), d(2025, 5, 28), d(2025, 5, 31)), // ends Saturday: Wed-Fri
        ((2026, 1), d(2026, 1, 28), d(2026, 1, 31)), // ends Saturday
        ((2026, 8), d(2026, 8, 27), d(2026, 8, 31)), // ends Monday: Thu, Fri, Mon
        ((2027, 2), d(2027, 2, 24), d(2027, 2, 28)), // ends Sunday
        ((2030, 12), d(2030, 12, 27), d(2030, 12, 31)),
        ((2031, 3), d(2031, 3, 27), d(2031, 3, 31)),
    ];
    for ((y, m), from, to) in cases {
        assert_eq!(blackout::month_end_period(&b, y, m, 3), Some((from, to)), "{y}-{m}");
    }
    assert_eq!(blackout::month_end_period(&b, 2026, 1, 0), None);
}

#[test]
fn holidays_push_month_end_earlier() {
    let mut b = empty();
    b.holidays.push(Holiday { date: d(2025, 12, 25), name: "Christmas Day".into() });
    b.holidays.push(Holiday { date: d(2025, 12, 26), name: "Boxing Day".into() });
    assert_eq!(
        blackout::last_business_days(&b, 2025, 12, 5),
        [d(2025, 12, 31), d(2025, 12, 30), d(2025, 12, 29), d(2025, 12, 24), d(2025, 12, 23)]
    );
}

#[test]
fn quarter_end_is_computed_for_quarter_months_only() {
    let b = empty();
    assert_eq!(blackout::month_end_period(&b, 2026, 9, 5), Some((d(2026, 9, 24), d(2026, 9, 30))));
    // Saturday 2026-09-26 is inside quarter end (from the 24th) but not month end (from the 28th).
    let rules = blackout::rules_on(&b, d(2026, 9, 26));
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert!(matches!(rules[0], Rule::QuarterEnd { from, .. } if from == d(2026, 9, 24)));
    // The same day-of-month in a non-quarter month is free.
    assert!(blackout::rules_on(&b, d(2026, 8, 22)).is_empty());
    // Quarter ends of other years.
    for y in [2025, 2027, 2028, 2029] {
        for m in [3, 6, 9, 12] {
            let (from, to) = blackout::month_end_period(&b, y, m, 5).unwrap_or_default();
            assert_eq!(blackout::last_day_of_month(y, m), Some(to));
            assert!(matches!(blackout::rules_on(&b, from).as_slice(), [.., Rule::QuarterEnd { .. }]), "{y}-{m}");
        }
    }
}

#[test]
fn a_saturday_window_in_the_clear_is_allowed() {
    let p = phase29();
    assert_eq!(blackout::check(&p, at(2026, 1, 17, 22, 0)), Ok(()));
}

#[test]
fn a_start_whose_way_to_go_live_fits_the_window_is_allowed() {
    let p = phase29();
    // Go-live (the final checkpoint, 01:30 + 10 min) is 220 minutes after
    // the opening: a start up to 22:20 fits, to the second within its minute.
    for t in [at(2026, 1, 17, 22, 0), at(2026, 1, 17, 22, 5), at(2026, 1, 17, 22, 20)] {
        assert_eq!(blackout::check(&p, t), Ok(()), "{t}");
    }
    let late_in_the_minute = at(2026, 1, 17, 22, 20) + chrono::TimeDelta::seconds(59);
    assert_eq!(blackout::check(&p, late_in_the_minute), Ok(()));
}

#[test]
fn a_late_start_whose_timeline_overruns_the_window_is_refused() {
    let p = phase29();
    // Still inside the window, but the way to go-live does not fit.
    for t in [at(2026, 1, 17, 22, 21), at(2026, 1, 17, 22, 30), at(2026, 1, 18, 1, 59)] {
        let b = blackout::check(&p, t).err().unwrap_or_else(|| panic!("{t} allowed"));
        assert!(
            matches!(b.rules.as_slice(), [Rule::TimelineOverrunsWindow { closes, .. }] if *closes == at(2026, 1, 18, 2, 0)),
            "{b}"
        );
        assert!(b.to_string().contains("window closes at 2026-01-18 02:00 UTC"), "{b}");
    }
}

#[test]
fn outside_the_window_is_refused_and_the_next_window_named() {
    let p = phase29();
    for t in [at(2026, 1, 16, 22, 0), at(2026, 1, 17, 21, 59), at(2026, 1, 18, 2, 0), at(2026, 1, 20, 12, 0)] {
        let blocked = blackout::check(&p, t).err().unwrap_or_else(|| panic!("{t} allowed"));
        match &blocked.rules[0] {
            Rule::OutsideWindow { next: Some(w) } => assert!(w.start > t),
            other => panic!("{other:?}"),
        }
        assert!(blocked.to_string().contains("outside the go-live window"));
    }
    let blocked = blackout::check(&p, at(2026, 1, 16, 12, 0)).err();
    let next = blocked.and_then(|b| match &b.rules[0] {
        Rule::OutsideWindow { next } => *next,
        _ => None,
    });
    assert_eq!(next.map(|w| w.start), Some(at(2026, 1, 17, 22, 0)));
}

#[test]
fn month_end_quarter_end_holidays_and_events_block_and_are_named() {
    let p = phase29();
    // Month end: Saturday 2026-01-31.
    let b = blackout::check(&p, at(2026, 1, 31, 22, 0)).err().unwrap_or_else(|| panic!("allowed"));
    assert!(matches!(b.rules.as_slice(), [Rule::MonthEnd { .. }]), "{b}");
    assert!(b.to_string().contains("payroll"));
    // Month end and quarter end: Saturday 2026-03-28.
    let b = blackout::check(&p, at(2026, 3, 28, 22, 0)).err().unwrap_or_else(|| panic!("allowed"));
    assert!(b.rules.iter().any(|r| matches!(r, Rule::MonthEnd { .. })));
    assert!(b.rules.iter().any(|r| matches!(r, Rule::QuarterEnd { .. })));
    // Named business event: Saturday 2026-01-03 (carry-over processing 2-9 Jan).
    let b = blackout::check(&p, at(2026, 1, 3, 22, 0)).err().unwrap_or_else(|| panic!("allowed"));
    assert!(
        b.rules.iter().any(|r| matches!(r, Rule::BusinessEvent { name, .. } if name.contains("carry-over"))),
        "{b}"
    );
    // Holiday touched by the Sunday part of the window.
    let mut p2 = phase29();
    p2.blackout.holidays.push(Holiday { date: d(2026, 5, 3), name: "Test Sunday holiday".into() });
    let b = blackout::check(&p2, at(2026, 5, 2, 22, 0)).err().unwrap_or_else(|| panic!("allowed"));
    assert!(matches!(&b.rules[0], Rule::Holiday { name, .. } if name == "Test Sunday holiday"), "{b}");
    // An event with a date range covering a weekend.
    p2.blackout.events.push(BusinessEvent { name: "Open enrolment".into(), from: d(2026, 10, 9), to: d(2026, 10, 12) });
    let b = blackout::check(&p2, at(2026, 10, 10, 22, 0)).err().unwrap_or_else(|| panic!("allowed"));
    assert!(b.to_string().contains("Open enrolment"));
}

#[test]
fn the_next_window_skips_blackouts() {
    let p = phase29();
    // From Sunday 2026-01-25: Saturday 31 is month end, next is 7 February.
    let w = blackout::next_window(&p, at(2026, 1, 25, 0, 0)).unwrap_or_else(|| panic!("none"));
    assert_eq!(w.start, at(2026, 2, 7, 22, 0));
    assert_eq!(w.end, at(2026, 2, 8, 2, 0));
}

#[test]
fn a_planned_date_allows_its_backup_window_a_week_later_only() {
    let mut p = phase29();
    p.window.date = Some(d(2026, 2, 7));
    assert_eq!(p.window.weekday, Some(Weekday::Sat));
    assert_eq!(blackout::check(&p, at(2026, 2, 7, 22, 0)), Ok(()));
    assert_eq!(blackout::check(&p, at(2026, 2, 14, 22, 0)), Ok(()));
    assert!(blackout::window_containing(&p, at(2026, 2, 14, 22, 30)).is_some_and(|w| w.backup));
    assert!(blackout::check(&p, at(2026, 2, 21, 22, 0)).is_err(), "two weeks later is no window");
}

#[test]
fn rehearsal_runs_any_day() {
    let p = common::rehearsal();
    for t in [at(2026, 1, 31, 10, 0), at(2026, 3, 31, 15, 0), at(2026, 6, 3, 3, 0)] {
        assert_eq!(blackout::check(&p, t), Ok(()), "{t}");
    }
}
