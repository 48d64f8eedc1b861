//! Instance-wide settings stored in the database, so every instance of every
//! version agrees on them (maintenance mode).

use crate::{Conn, Result};
use chrono::{DateTime, Utc};

const MAINTENANCE: &str = "maintenance";

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
