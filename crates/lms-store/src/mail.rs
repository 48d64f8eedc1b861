//! The mail outbox (migration [`MAIL_OUTBOX`]): one row per mail owed, one
//! per in-app notification, enqueued from the notifications themselves;
//! claimed under a lease (`claimed_by`, `claimed_until`) so that of several
//! instances on one database only one works on a mail at a time, and a
//! crashed instance's claim runs out; the outcome of each attempt and the
//! attempts themselves; HR's view and retry.
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … LIMIT n)`: on
//! PostgreSQL the inner select locks its rows `FOR UPDATE SKIP LOCKED`, so
//! concurrent claimers take disjoint rows without waiting; SQLite runs
//! writers one at a time. Nothing here is called by an instance that does
//! not count on the migration (the use case asks `Db::counts`). It must not
//! know SMTP, templates or HTTP.

use crate::{Conn, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The migration that brings the outbox's tables.
pub const MAIL_OUTBOX: i64 = 20261204000002;

/// The settings key holding when this database's mail delivery began: no
/// notification older than that is mailed.
const SINCE: &str = "mail_since";

/// When mail delivery began on this database: the stored moment, or `now`
/// stored now if there is none yet (the first instance with mail on).
pub async fn started_at(c: &mut Conn<'_>, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let read = |v: String| DateTime::parse_from_rfc3339(&v).map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    if let Some((v,)) = q!(opt c, (String,), "SELECT value FROM settings WHERE key = $1", SINCE)? {
        return Ok(read(v));
    }
    q!(exec c,
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, NULL) ON CONFLICT (key) DO NOTHING",
        SINCE, now.to_rfc3339(), now)?;
    Ok(read(q!(scalar c, String, "SELECT value FROM settings WHERE key = $1", SINCE)?))
}

/// Enqueues one mail for each in-app notification created at or after
/// `since` that has none yet; how many. Two instances enqueuing at once
/// insert each mail once (the unique notification id; rows in id order, so
/// two such statements never wait on each other crosswise).
pub async fn enqueue_new(c: &mut Conn<'_>, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
    Ok(q!(exec c,
        "INSERT INTO mail_outbox (notification_id, recipient_id, status, attempts, next_attempt_at, created_at) \
         SELECT n.id, n.recipient_id, 'queued', 0, $2, $2 FROM notifications n \
         WHERE n.created_at >= $1 AND n.channel = 'in_app' \
         AND NOT EXISTS (SELECT 1 FROM mail_outbox m WHERE m.notification_id = n.id) \
         ORDER BY n.id \
         ON CONFLICT (notification_id) DO NOTHING",
        since, now)?)
}

/// A mail claimed for an attempt, with what its message is made of.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub notification_id: i64,
    /// Attempts made before this one.
    pub attempts: i32,
    /// The notification's kind, e.g. `leave_request.submitted`.
    pub kind: String,
    /// The in-app notification's own (English) subject and text, for a
    /// notification about something other than a leave request.
    pub subject: String,
    pub body: String,
    pub entity_type: String,
    pub entity_id: i64,
    pub recipient_id: i64,
    pub email: String,
    pub name: String,
    pub active: bool,
    /// The page language the recipient chose, if any.
    pub language: Option<String>,
}

/// Claims up to `limit` mails that are due, for the claim `token` (unique
/// per claim) until `lease_until`; a mail whose earlier claim ran out is due
/// again.
pub async fn claim(
    c: &mut Conn<'_>,
    token: &str,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Claimed>> {
    let due = "SELECT id FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= $3 \
               AND (claimed_until IS NULL OR claimed_until <= $3) ORDER BY next_attempt_at, id LIMIT $4";
    let lock = match c {
        Conn::Pg(_) => " FOR UPDATE SKIP LOCKED",
        Conn::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE mail_outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN ({due}{lock}) \
         AND status = 'queued' AND (claimed_until IS NULL OR claimed_until <= $3)"
    );
    let n = q!(exec c, &sql, token, lease_until, now, limit)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    Ok(q!(all c, Claimed,
        "SELECT m.id, m.notification_id, m.attempts, n.kind, n.subject, n.body, n.entity_type, n.entity_id, e.id AS recipient_id, \
         e.email, e.name, e.active, \
         (SELECT value FROM settings WHERE key = 'language:' || CAST(e.id AS TEXT)) AS language \
         FROM mail_outbox m JOIN notifications n ON n.id = m.notification_id JOIN employees e ON e.id = m.recipient_id \
         WHERE m.claimed_by = $1 ORDER BY m.id",
        token)?)
}

/// Where a mail stands after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Sent,
    /// Failed this time; due again at that moment.
    RetryAt(DateTime<Utc>),
    /// Given up on.
    Failed,
    /// Not to be sent (the recipient is deactivated).
    Skipped,
}

/// One attempt at a claimed mail and its outcome.
#[derive(Debug, Clone)]
pub struct Attempted<'a> {
    pub id: i64,
    /// The claim the attempt was made under.
    pub token: &'a str,
    /// Which instance made it.
    pub instance: &'a str,
    /// What went wrong; `None` when the server accepted the mail.
    pub error: Option<&'a str>,
    pub settled: Settled,
    pub recipient_email: &'a str,
    pub subject: &'a str,
    pub message_id: &'a str,
}

/// Records an attempt (always) and its outcome (when the claim is still
/// this attempt's; `false` when it ran out and another instance took the
/// mail over).
pub async fn record(c: &mut Conn<'_>, a: &Attempted<'_>, now: DateTime<Utc>) -> Result<bool> {
    q!(exec c, "INSERT INTO mail_attempts (mail_id, at, instance, error) VALUES ($1, $2, $3, $4)",
        a.id, now, a.instance, a.error)?;
    let (status, next, sent_at) = match a.settled {
        Settled::Sent => ("sent", now, Some(now)),
        Settled::RetryAt(t) => ("queued", t, None),
        Settled::Failed => ("failed", now, None),
        Settled::Skipped => ("skipped", now, None),
    };
    let n = q!(exec c,
        "UPDATE mail_outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, claimed_by = NULL, \
         claimed_until = NULL, last_error = $3, recipient_email = $4, subject = $5, message_id = $6, sent_at = $7 \
         WHERE id = $8 AND claimed_by = $9",
        status, next, a.error, a.recipient_email, a.subject, a.message_id, sent_at, a.id, a.token)?;
    Ok(n == 1)
}

/// A mail as HR sees it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Mail {
    pub id: i64,
    pub notification_id: i64,
    pub recipient_id: i64,
    pub recipient_name: String,
    /// The address of the last attempt, else the person's current one.
    pub recipient_email: String,
    /// The notification's kind.
    pub kind: String,
    /// The subject of the last attempt (in the recipient's language).
    pub subject: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    /// Which instance holds it for an attempt now, if any.
    pub claimed_by: Option<String>,
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

const MAIL: &str = "SELECT m.id, m.notification_id, m.recipient_id, e.name AS recipient_name, \
    COALESCE(m.recipient_email, e.email) AS recipient_email, n.kind, m.subject, m.status, m.attempts, m.last_error, \
    m.next_attempt_at, m.claimed_by, m.message_id, m.created_at, m.sent_at \
    FROM mail_outbox m JOIN notifications n ON n.id = m.notification_id JOIN employees e ON e.id = m.recipient_id";

/// Mails, newest first, of one status or all, `limit` before the id `before_id`.
pub async fn list(c: &mut Conn<'_>, status: Option<&str>, before_id: Option<i64>, limit: i64) -> Result<Vec<Mail>> {
    let sql =
        format!("{MAIL} WHERE ($1 IS NULL OR m.status = $1) AND ($2 IS NULL OR m.id < $2) ORDER BY m.id DESC LIMIT $3");
    Ok(q!(all c, Mail, &sql, status, before_id, limit)?)
}

pub async fn get(c: &mut Conn<'_>, id: i64) -> Result<Option<Mail>> {
    let sql = format!("{MAIL} WHERE m.id = $1");
    Ok(q!(opt c, Mail, &sql, id)?)
}

/// One attempt at a mail.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub instance: String,
    /// `None`: the server accepted the mail.
    pub error: Option<String>,
}

/// The attempts at mail `id`, oldest first.
pub async fn attempts(c: &mut Conn<'_>, id: i64) -> Result<Vec<Attempt>> {
    Ok(q!(all c, Attempt, "SELECT at, instance, error FROM mail_attempts WHERE mail_id = $1 ORDER BY id", id)?)
}

/// Queues a failed (or skipped) mail again, due now, with a fresh count
/// of attempts (the earlier ones stay in its attempts); `false` when the
/// mail is not failed or skipped.
pub async fn retry(c: &mut Conn<'_>, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let n = q!(exec c,
        "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = $1, claimed_by = NULL, \
         claimed_until = NULL WHERE id = $2 AND status IN ('failed', 'skipped')",
        now, id)?;
    Ok(n == 1)
}

/// Mails owed and mails given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub queued: i64,
    pub failed: i64,
}

pub async fn counts(c: &mut Conn<'_>) -> Result<Counts> {
    let (queued, failed) = q!(one c, (i64, i64),
        "SELECT (SELECT COUNT(*) FROM mail_outbox WHERE status = 'queued'), \
         (SELECT COUNT(*) FROM mail_outbox WHERE status = 'failed')")?;
    Ok(Counts { queued, failed })
}
