//! Instance-wide settings stored in the database, so every instance of every
//! version agrees on them (maintenance mode, the device-cookie key, the
//! leave year's first month).

use crate::{Conn, Result};
use chrono::{DateTime, Utc};

const MAINTENANCE: &str = "maintenance";
const DEVICE_KEY: &str = "device_cookie_key";
const LEAVE_YEAR_START: &str = "leave_year_start";

/// The key that signs device cookies, shared by every instance on the
/// database: the stored one, or `candidate` stored now if there is none yet
/// (when two instances race, the first insert wins and both read it).
pub async fn device_key(c: &mut Conn<'_>, candidate: &str, now: DateTime<Utc>) -> Result<String> {
    if let Some((v,)) = q!(opt c, (String,), "SELECT value FROM settings WHERE key = $1", DEVICE_KEY)? {
        return Ok(v);
    }
    q!(exec c,
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, NULL) ON CONFLICT (key) DO NOTHING",
        DEVICE_KEY, candidate, now)?;
    Ok(q!(scalar c, String, "SELECT value FROM settings WHERE key = $1", DEVICE_KEY)?)
}

pub async fn maintenance(c: &mut Conn<'_>) -> Result<bool> {
    let v = q!(opt c, (String,), "SELECT value FROM settings WHERE key = $1", MAINTENANCE)?;
    Ok(v.map(|(v,)| v == "on").unwrap_or(false))
}

pub async fn set_maintenance(c: &mut Conn<'_>, on: bool, by: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    let value = if on { "on" } else { "off" };
    let n = q!(exec c, "UPDATE settings SET value = $1, updated_at = $2, updated_by = $3 WHERE key = $4", value, now, by, MAINTENANCE)?;
    if n == 0 {
        q!(exec c, "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)", MAINTENANCE, value, now, by)?;
    }
    Ok(())
}

/// The key of a person's chosen page language. Kept here rather than in a
/// column of `employees` so that this release runs on the schema of the
/// release before it (a cutover rehearsal's stand-in for blue). (The same
/// key is built in SQL by `auth::session_viewer`.)
fn language_key(employee_id: i64) -> String {
    format!("language:{employee_id}")
}

/// What every page shows about the instance and its reader, in one round trip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonSettings {
    pub maintenance: bool,
    /// The language the person chose (`en`, `de`), if any.
    pub language: Option<String>,
    pub unread_notifications: i64,
}

pub async fn for_person(c: &mut Conn<'_>, employee_id: i64) -> Result<PersonSettings> {
    let (maintenance, language, unread) = q!(one c, (Option<String>, Option<String>, i64),
        "SELECT (SELECT value FROM settings WHERE key = $1), (SELECT value FROM settings WHERE key = $2), \
         (SELECT COUNT(*) FROM notifications WHERE recipient_id = $3 AND read_at IS NULL)",
        MAINTENANCE, language_key(employee_id), employee_id)?;
    Ok(PersonSettings { maintenance: maintenance.as_deref() == Some("on"), language, unread_notifications: unread })
}

/// Sets (or with `None` clears) the page language a person chose.
pub async fn set_language(c: &mut Conn<'_>, employee_id: i64, tag: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    let key = language_key(employee_id);
    q!(exec c, "DELETE FROM settings WHERE key = $1", &key)?;
    if let Some(tag) = tag {
        q!(exec c, "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)",
            &key, tag, now, employee_id)?;
    }
    Ok(())
}

/// The month the leave year starts in, as HR set it; January (the
/// calendar year) when never set. A stored value that is not a month
/// (written by hand) reads as January too.
pub async fn leave_year_start(c: &mut Conn<'_>) -> Result<lms_core::LeaveYearStart> {
    let v = q!(opt c, (String,), "SELECT value FROM settings WHERE key = $1", LEAVE_YEAR_START)?;
    let month = v.and_then(|(v,)| v.trim().parse::<u32>().ok());
    Ok(month.and_then(|m| lms_core::LeaveYearStart::new(m).ok()).unwrap_or_default())
}

/// Sets the month the leave year starts in.
pub async fn set_leave_year_start(
    c: &mut Conn<'_>,
    start: lms_core::LeaveYearStart,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let value = start.month().to_string();
    q!(exec c,
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        LEAVE_YEAR_START, &value, now, by)?;
    Ok(())
}
