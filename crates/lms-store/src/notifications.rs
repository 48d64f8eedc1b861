//! In-app notifications, kept as an outbox: each row names its channel and
//! has delivery bookkeeping (`delivered_at`, `attempts`, `last_error`), so an
//! email sender can later drain the same table.

use crate::{Conn, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub recipient_id: i64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub entity_type: String,
    pub entity_id: i64,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, recipient_id, kind, subject, body, entity_type, entity_id, channel, created_at, read_at";

pub struct NewNotification<'a> {
    pub recipient_id: i64,
    pub kind: &'a str,
    pub subject: String,
    pub body: String,
    pub entity_type: &'a str,
    pub entity_id: i64,
}

pub async fn create(c: &mut Conn<'_>, n: &NewNotification<'_>, now: DateTime<Utc>) -> Result<i64> {
    Ok(q!(scalar c, i64,
        "INSERT INTO notifications (recipient_id, kind, subject, body, entity_type, entity_id, channel, created_at, delivered_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'in_app', $7, $7) RETURNING id",
        n.recipient_id, n.kind, &n.subject, &n.body, n.entity_type, n.entity_id, now)?)
}

pub async fn list(
    c: &mut Conn<'_>,
    recipient_id: i64,
    unread_only: bool,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Notification>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE recipient_id = $1 AND ($2 = FALSE OR read_at IS NULL) \
         AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
    );
    Ok(q!(all c, Notification, &sql, recipient_id, unread_only, before_id, limit)?)
}

pub async fn unread_count(c: &mut Conn<'_>, recipient_id: i64) -> Result<i64> {
    Ok(
        q!(scalar c, i64, "SELECT COUNT(*) FROM notifications WHERE recipient_id = $1 AND read_at IS NULL", recipient_id)?,
    )
}

/// Marks a notification of `recipient_id` read; `None` when it is not theirs.
pub async fn mark_read(
    c: &mut Conn<'_>,
    recipient_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Notification>> {
    q!(exec c, "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND recipient_id = $3", now, id, recipient_id)?;
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE id = $1 AND recipient_id = $2");
    Ok(q!(opt c, Notification, &sql, id, recipient_id)?)
}

/// Marks every unread notification of `recipient_id` read; how many were.
pub async fn mark_all_read(c: &mut Conn<'_>, recipient_id: i64, now: DateTime<Utc>) -> Result<u64> {
    Ok(
        q!(exec c, "UPDATE notifications SET read_at = $1 WHERE recipient_id = $2 AND read_at IS NULL", now, recipient_id)?,
    )
}
