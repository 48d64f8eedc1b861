//! A person's working schedules over time: the minutes worked on each
//! weekday, each schedule valid from its date until the next one's. Kept in
//! `settings` (`schedule:<employee id>`, JSON) rather than in a table of its
//! own so that this release runs on the schema of the release before it (a
//! cutover rehearsal's stand-in for blue). A person without one works full
//! time, Monday to Friday.

use crate::{Conn, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::{ScheduleHistory, WorkingSchedule};
use serde::{Deserialize, Serialize};

fn key(employee_id: i64) -> String {
    format!("schedule:{employee_id}")
}

/// One stored schedule: from when, minutes per weekday (Monday first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSchedule {
    pub valid_from: NaiveDate,
    pub minutes: [u32; 7],
}

/// The schedules stored for a person, oldest first (empty: full time).
pub async fn stored(c: &mut Conn<'_>, employee_id: i64) -> Result<Vec<StoredSchedule>> {
    match q!(opt c, (String,), "SELECT value FROM settings WHERE key = $1", key(employee_id))? {
        None => Ok(Vec::new()),
        Some((json,)) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("the schedules of person {employee_id} cannot be read: {e}"))),
    }
}

/// A person's schedule history (full time when none is stored).
pub async fn history(c: &mut Conn<'_>, employee_id: i64) -> Result<ScheduleHistory> {
    let stored = stored(c, employee_id).await?;
    if stored.is_empty() {
        return Ok(ScheduleHistory::default());
    }
    let entries = stored
        .iter()
        .map(|s| Ok((s.valid_from, WorkingSchedule::new(s.minutes)?)))
        .collect::<std::result::Result<Vec<_>, lms_core::DomainError>>()?;
    Ok(ScheduleHistory::new(entries)?)
}

/// Replaces a person's schedules (validated by the caller through
/// [`ScheduleHistory::new`]); an empty list goes back to full time.
pub async fn set(
    c: &mut Conn<'_>,
    employee_id: i64,
    schedules: &[StoredSchedule],
    by: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let k = key(employee_id);
    q!(exec c, "DELETE FROM settings WHERE key = $1", &k)?;
    if !schedules.is_empty() {
        let mut sorted = schedules.to_vec();
        sorted.sort_by_key(|s| s.valid_from);
        let json = serde_json::to_string(&sorted).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        q!(exec c, "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)",
            &k, json, now, by)?;
    }
    Ok(())
}

/// A schedule that counted some day of a range, as a quote shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppliedSchedule {
    /// The day it is valid from; `None`: the person has no schedule and
    /// works full time, Monday to Friday 8 hours.
    pub valid_from: Option<NaiveDate>,
    /// Minutes per weekday, Monday first (0: not worked).
    pub minutes: [u32; 7],
}

/// The schedules among `stored` (any order) valid on some day from `start`
/// to `end`, oldest first: the one valid on `start` (the first also covers
/// the time before it) and each starting later within the range; full time
/// when none is stored.
pub fn applied(stored: &[StoredSchedule], start: NaiveDate, end: NaiveDate) -> Vec<AppliedSchedule> {
    if stored.is_empty() {
        return vec![AppliedSchedule { valid_from: None, minutes: WorkingSchedule::default().minutes() }];
    }
    let mut sorted = stored.to_vec();
    sorted.sort_by_key(|s| s.valid_from);
    let first = sorted.partition_point(|s| s.valid_from <= start).saturating_sub(1);
    sorted[first..]
        .iter()
        .enumerate()
        .take_while(|(i, s)| *i == 0 || s.valid_from <= end)
        .map(|(_, s)| AppliedSchedule { valid_from: Some(s.valid_from), minutes: s.minutes })
        .collect()
}

/// [`applied`] to a person's stored schedules.
pub async fn applied_over(
    c: &mut Conn<'_>,
    employee_id: i64,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<AppliedSchedule>> {
    Ok(applied(&stored(c, employee_id).await?, start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    #[test]
    fn the_schedules_valid_over_a_range_are_those_a_quote_names() {
        let mon_wed = StoredSchedule { valid_from: day(1, 1), minutes: [480, 480, 480, 0, 0, 0, 0] };
        let four_h = StoredSchedule { valid_from: day(3, 9), minutes: [240, 240, 240, 240, 240, 0, 0] };
        let named = |s: &[StoredSchedule], a, b| applied(s, a, b).iter().map(|x| x.valid_from).collect::<Vec<_>>();
        let both = [four_h, mon_wed];
        assert_eq!(named(&both, day(3, 2), day(3, 6)), vec![Some(day(1, 1))], "before the change");
        assert_eq!(named(&both, day(3, 2), day(3, 13)), vec![Some(day(1, 1)), Some(day(3, 9))], "across it");
        assert_eq!(named(&both, day(3, 9), day(3, 13)), vec![Some(day(3, 9))], "from it on");
        assert_eq!(named(&[four_h], day(2, 2), day(2, 6)), vec![Some(day(3, 9))], "the first covers the time before");
        let none = applied(&[], day(3, 2), day(3, 6));
        assert_eq!(none, vec![AppliedSchedule { valid_from: None, minutes: [480, 480, 480, 480, 480, 0, 0] }]);
    }
}
