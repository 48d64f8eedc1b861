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
