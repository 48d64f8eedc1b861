//! The go-live window and the blackout calendar (runbook 3.1-3.3).
//!
//! Pure date arithmetic over a plan: business days (weekdays that are not
//! the plan's holidays), month end and quarter end for any year, public
//! holidays, named business events, and the weekly window (Saturday 22:00 to
//! Sunday 02:00 UTC, backup window a week later). It answers "may a cutover
//! start at this instant, and if not, which rule says no" and knows nothing
//! about what a cutover does.

use std::fmt;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};

use crate::plan::model::{Blackout, Plan, WindowKind};
use crate::plan::validate::window_minutes;

/// One instance of the go-live window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpan {
    /// Opening instant.
    pub start: DateTime<Utc>,
    /// Closing instant.
    pub end: DateTime<Utc>,
    /// Whether this is the backup window of a planned date.
    pub backup: bool,
}

/// A rule that forbids starting a cutover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Not inside a go-live window.
    OutsideWindow {
        /// The next window that opens after the instant checked, if any.
        next: Option<WindowSpan>,
    },
    /// Month end: the last N business days (payroll processing).
    MonthEnd {
        /// First blocked day.
        from: NaiveDate,
        /// Last blocked day (the month's last calendar day).
        to: NaiveDate,
        /// N.
        business_days: u32,
    },
    /// Quarter end (financial close).
    QuarterEnd {
        /// First blocked day.
        from: NaiveDate,
        /// Last blocked day.
        to: NaiveDate,
        /// N.
        business_days: u32,
    },
    /// A public holiday.
    Holiday {
        /// The day.
        date: NaiveDate,
        /// Its name.
        name: String,
    },
    /// Inside the window, but the planned timeline would run past its close.
    TimelineOverrunsWindow {
        /// When the window closes.
        closes: DateTime<Utc>,
        /// When the planned timeline would end.
        ends: DateTime<Utc>,
    },
    /// A named business event.
    BusinessEvent {
        /// Its name.
        name: String,
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::OutsideWindow { next } => {
                write!(f, "outside the go-live window")?;
                if let Some(n) = next {
                    write!(f, " (next window opens {})", n.start.format("%Y-%m-%d %H:%M UTC"))?;
                }
                Ok(())
            }
            Rule::MonthEnd { from, to, business_days } => {
                write!(f, "month-end blackout, payroll processing (last {business_days} business days: {from} to {to})")
            }
            Rule::QuarterEnd { from, to, business_days } => {
                write!(f, "quarter-end blackout, financial close (last {business_days} business days: {from} to {to})")
            }
            Rule::Holiday { date, name } => write!(f, "public holiday {name} on {date}"),
            Rule::BusinessEvent { name, from, to } => {
                write!(f, "business event {name:?} ({from} to {to})")
            }
            Rule::TimelineOverrunsWindow { closes, ends } => write!(
                f,
                "the planned timeline would reach go-live at {} but the window closes at {} ({} min too late)",
                ends.format("%Y-%m-%d %H:%M UTC"),
                closes.format("%Y-%m-%d %H:%M UTC"),
                (*ends - *closes).num_seconds().div_euclid(60)
            ),
        }
    }
}

/// Why a cutover may not start; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// Every rule that blocks, window first.
    pub rules: Vec<Rule>,
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "blocked by ")?;
        for (i, r) in self.rules.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Blocked {}

/// Whether a cutover may start at `at`: inside a window, with the planned
/// timeline ending by the window's close, and no day the run would touch
/// (from `at` to the window's close) in a blackout period.
pub fn check(plan: &Plan, at: DateTime<Utc>) -> Result<(), Blocked> {
    let mut rules = Vec::new();
    let until = match plan.window.kind {
        WindowKind::Anytime => at + planned_length(plan),
        WindowKind::Weekly => match window_containing(plan, at) {
            Some(w) => {
                // What must fit is the way to go-live (the final checkpoint),
                // not the monitoring after it; plans count in whole minutes,
                // so ending in the window's closing minute is not late.
                let ends = at + length_to_go_live(plan);
                if ends - w.end >= TimeDelta::minutes(1) {
                    rules.push(Rule::TimelineOverrunsWindow { closes: w.end, ends });
                }
                w.end
            }
            None => {
                rules.push(Rule::OutsideWindow { next: next_window(plan, at) });
                at + planned_length(plan)
            }
        },
    };
    let mut day = at.date_naive();
    // The window closes at 02:00: an end exactly at midnight touches no new day.
    let last = (until - TimeDelta::seconds(1)).date_naive().max(day);
    while day <= last {
        for r in rules_on(&plan.blackout, day) {
            if !rules.contains(&r) {
                rules.push(r);
            }
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    if rules.is_empty() {
        Ok(())
    } else {
        Err(Blocked { rules })
    }
}

/// The blackout rules (not the window) that apply to a calendar day.
pub fn rules_on(b: &Blackout, day: NaiveDate) -> Vec<Rule> {
    let mut out = Vec::new();
    if let Some((from, to)) = month_end_period(b, day.year(), day.month(), b.month_end_business_days) {
        if (from..=to).contains(&day) {
            out.push(Rule::MonthEnd { from, to, business_days: b.month_end_business_days });
        }
    }
    if b.quarter_end_months.contains(&day.month()) {
        if let Some((from, to)) = month_end_period(b, day.year(), day.month(), b.quarter_end_business_days) {
            if (from..=to).contains(&day) {
                out.push(Rule::QuarterEnd { from, to, business_days: b.quarter_end_business_days });
            }
        }
    }
    for h in b.holidays.iter().filter(|h| h.date == day) {
        out.push(Rule::Holiday { date: h.date, name: h.name.clone() });
    }
    for e in b.events.iter().filter(|e| (e.from..=e.to).contains(&day)) {
        out.push(Rule::BusinessEvent { name: e.name.clone(), from: e.from, to: e.to });
    }
    out
}

/// A weekday that is not one of the plan's holidays.
pub fn is_business_day(b: &Blackout, day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !b.holidays.iter().any(|h| h.date == day)
}

/// The last `n` business days of a month, latest first.
pub fn last_business_days(b: &Blackout, year: i32, month: u32, n: u32) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let Some(mut day) = last_day_of_month(year, month) else {
        return out;
    };
    while out.len() < n as usize && day.month() == month {
        if is_business_day(b, day) {
            out.push(day);
        }
        match day.pred_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    out
}

/// The blocked span of a month end of `n` business days: from the first of
/// those days through the month's last calendar day. `None` for `n = 0`.
pub fn month_end_period(b: &Blackout, year: i32, month: u32, n: u32) -> Option<(NaiveDate, NaiveDate)> {
    if n == 0 {
        return None;
    }
    let days = last_business_days(b, year, month, n);
    let first = *days.last()?;
    Some((first, last_day_of_month(year, month)?))
}

/// The last calendar day of a month.
pub fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

/// The window instance containing `at`, if any (weekly windows only).
pub fn window_containing(plan: &Plan, at: DateTime<Utc>) -> Option<WindowSpan> {
    let day = at.date_naive();
    // A window that opens late in the evening is still open after midnight.
    [day.pred_opt(), Some(day)]
        .into_iter()
        .flatten()
        .filter_map(|d| window_opening_on(plan, d))
        .find(|w| w.start <= at && at < w.end)
}

/// The first window opening at or after `after`, skipping windows that a
/// blackout rule blocks (looks two years ahead).
pub fn next_window(plan: &Plan, after: DateTime<Utc>) -> Option<WindowSpan> {
    if plan.window.kind == WindowKind::Anytime {
        return None;
    }
    let mut day = after.date_naive();
    for _ in 0..(366 * 2) {
        if let Some(w) = window_opening_on(plan, day) {
            if w.start >= after && window_is_clear(plan, &w) {
                return Some(w);
            }
        }
        day = day.checked_add_days(Days::new(1))?;
    }
    None
}

fn window_is_clear(plan: &Plan, w: &WindowSpan) -> bool {
    let mut day = w.start.date_naive();
    let last = (w.end - TimeDelta::seconds(1)).date_naive();
    while day <= last {
        if !rules_on(&plan.blackout, day).is_empty() {
            return false;
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => return false,
        }
    }
    true
}

/// The window that opens on `day`, if the plan has one then.
fn window_opening_on(plan: &Plan, day: NaiveDate) -> Option<WindowSpan> {
    let w = &plan.window;
    if w.kind != WindowKind::Weekly || Some(day.weekday()) != w.weekday {
        return None;
    }
    let backup = match w.date {
        None => false,
        Some(primary) if primary == day => false,
        Some(primary) => {
            let backup_day = (primary.and_time(w.start) + w.backup_after.delta()).date();
            if backup_day != day {
                return None;
            }
            true
        }
    };
    let start = day.and_time(w.start).and_utc();
    let end = start + TimeDelta::minutes(window_minutes(w));
    Some(WindowSpan { start, end, backup })
}

fn planned_length(plan: &Plan) -> TimeDelta {
    length_through(plan, plan.steps.last())
}

/// From the window's opening to the end of the final checkpoint's step
/// (go-live), or of the last step when the plan has no final checkpoint.
fn length_to_go_live(plan: &Plan) -> TimeDelta {
    let golive = plan.steps.iter().find(|s| match s.action {
        crate::plan::model::StepAction::Checkpoint { checkpoint } => {
            plan.checkpoints.iter().any(|c| c.n == checkpoint && c.is_final())
        }
        _ => false,
    });
    length_through(plan, golive.or(plan.steps.last()))
}

fn length_through(plan: &Plan, step: Option<&crate::plan::model::Step>) -> TimeDelta {
    let minutes = step
        .map(|s| crate::plan::validate::offset_minutes(&plan.window, s.at) + s.duration.delta().num_minutes())
        .unwrap_or(0);
    let compressed = crate::units::PlanDuration::minutes(minutes)
        .map(|d| d.compressed(plan.meta.compression).delta())
        .unwrap_or_default();
    compressed.max(TimeDelta::seconds(1))
}
