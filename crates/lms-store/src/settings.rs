//! Instance-wide settings stored in the database, so every instance of every
//! version agrees on them (maintenance mode, the device-cookie key).

use crate::{Conn, Result};
use chrono::{DateTime, Utc};

const MAINTENANCE: &str = "maintenance";
const DEVICE_KEY: &str = "device_cookie_key";

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
