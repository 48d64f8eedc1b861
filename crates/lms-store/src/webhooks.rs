//! Webhooks (migration [`WEBHOOKS`]): the endpoints HR registers, the
//! deliveries they are owed and every attempt at them.
//!
//! Deliveries are derived from the audit log: each audited change whose
//! action is a webhook event (`lms_core::webhook::WebhookEvent`) owes one
//! delivery to every active endpoint subscribed to it that was registered
//! before the change (`after_audit_id`); [`enqueue_new`] inserts the ones
//! missing, once (the unique endpoint and audit record). Changes written by
//! the release before, which knows no webhooks, are delivered the same way.
//! Claiming works as the mail outbox's does: one `UPDATE … WHERE id IN
//! (SELECT … LIMIT n)`, `FOR UPDATE SKIP LOCKED` on PostgreSQL. Nothing here
//! is called by an instance that does not count on the migration. It must
//! not know HTTP, signing or DNS.

use crate::{Conn, Result};
use chrono::{DateTime, Utc};
use lms_core::webhook::WebhookEvent;
use serde::Serialize;

/// The migration that brings the webhooks' tables.
pub const WEBHOOKS: i64 = 20261204000003;

/// The settings key: whether deliveries may reach private addresses.
const ALLOW_PRIVATE: &str = "webhooks_allow_private";

/// An endpoint as stored (its secret is read only to sign: [`Claimed`]).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// The events subscribed to, comma-separated between commas (`,a,b,`).
    pub events: String,
    pub format: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i64>,
}

const WEBHOOK: &str = "SELECT id, url, events, format, active, created_at, created_by FROM webhooks";

/// A new endpoint.
pub struct NewWebhook<'a> {
    pub url: &'a str,
    pub events: &'a [WebhookEvent],
    pub format: &'a str,
    pub secret: &'a str,
    pub active: bool,
}

/// The stored form of a set of events: `,a,b,` (so that `LIKE '%,a,%'` finds one).
fn events_column(events: &[WebhookEvent]) -> String {
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    format!(",{},", names.join(","))
}

/// Inserts an endpoint owed the events audited after the newest audit
/// record there is now; its id.
pub async fn create(c: &mut Conn<'_>, w: &NewWebhook<'_>, by: Option<i64>, now: DateTime<Utc>) -> Result<i64> {
    let after = q!(scalar c, i64, "SELECT COALESCE(MAX(id), 0) FROM audit_events")?;
    Ok(q!(scalar c, i64,
        "INSERT INTO webhooks (url, events, format, secret, active, after_audit_id, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        w.url, events_column(w.events), w.format, w.secret, w.active, after, now, by)?)
}

/// The endpoints not deleted, oldest first.
pub async fn list(c: &mut Conn<'_>) -> Result<Vec<Webhook>> {
    let sql = format!("{WEBHOOK} WHERE deleted_at IS NULL ORDER BY id");
    Ok(q!(all c, Webhook, &sql)?)
}

/// An endpoint not deleted.
pub async fn get(c: &mut Conn<'_>, id: i64) -> Result<Option<Webhook>> {
    let sql = format!("{WEBHOOK} WHERE id = $1 AND deleted_at IS NULL");
    Ok(q!(opt c, Webhook, &sql, id)?)
}

/// Deletes an endpoint: it is owed nothing more and its queued deliveries
/// fail; the row and its delivery log stay. `false` when there is none.
pub async fn delete(c: &mut Conn<'_>, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let n = q!(exec c, "UPDATE webhooks SET active = FALSE, deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL", now, id)?;
    if n == 1 {
        q!(exec c,
            "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the endpoint was deleted', claimed_by = NULL, \
             claimed_until = NULL WHERE webhook_id = $1 AND status = 'queued'",
            id)?;
    }
    Ok(n == 1)
}

/// Whether deliveries may reach private addresses (HR's setting; off unless set).
pub async fn allow_private(c: &mut Conn<'_>) -> Result<bool> {
    let v = q!(opt c, (String,), "SELECT value FROM settings WHERE key = $1", ALLOW_PRIVATE)?;
    Ok(v.is_some_and(|(v,)| v == "on"))
}

pub async fn set_allow_private(c: &mut Conn<'_>, on: bool, by: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    let value = if on { "on" } else { "off" };
    q!(exec c,
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        ALLOW_PRIVATE, value, now, by)?;
    Ok(())
}

/// Inserts the deliveries owed by audit records written at or after
/// `since` that have none yet; how many. Two instances enqueuing at once
/// insert each delivery once.
pub async fn enqueue_new(c: &mut Conn<'_>, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
    let cases: String =
        WebhookEvent::ALL.iter().map(|e| format!(" WHEN '{}' THEN '{}'", e.audit_action(), e.as_str())).collect();
    let actions: Vec<String> = WebhookEvent::ALL.iter().map(|e| format!("'{}'", e.audit_action())).collect();
    let sql = format!(
        "INSERT INTO webhook_deliveries (webhook_id, audit_id, event, status, attempts, next_attempt_at, created_at) \
         SELECT w.id, a.id, CASE a.action{cases} END, 'queued', 0, $2, $2 \
         FROM audit_events a JOIN webhooks w ON w.active = TRUE AND w.deleted_at IS NULL AND a.id > w.after_audit_id \
         WHERE a.at >= $1 AND a.action IN ({actions}) \
         AND w.events LIKE '%,' || (CASE a.action{cases} END) || ',%' \
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.audit_id = a.id) \
         ORDER BY a.id, w.id \
         ON CONFLICT (webhook_id, audit_id) DO NOTHING",
        actions = actions.join(", ")
    );
    Ok(q!(exec c, &sql, since, now)?)
}

/// A delivery claimed for an attempt, with its endpoint and the audited
/// change it tells of.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub webhook_id: i64,
    /// Attempts made before this one.
    pub attempts: i32,
    pub event: String,
    pub url: String,
    pub format: String,
    pub secret: String,
    pub audit_id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub entity_type: String,
    pub entity_id: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
}

/// Claims up to `limit` due deliveries for the claim `token` until `lease_until`.
pub async fn claim(
    c: &mut Conn<'_>,
    token: &str,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Claimed>> {
    let due = "SELECT id FROM webhook_deliveries WHERE status = 'queued' AND next_attempt_at <= $3 \
               AND (claimed_until IS NULL OR claimed_until <= $3) ORDER BY next_attempt_at, id LIMIT $4";
    let lock = match c {
        Conn::Pg(_) => " FOR UPDATE SKIP LOCKED",
        Conn::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2 WHERE id IN ({due}{lock}) \
         AND status = 'queued' AND (claimed_until IS NULL OR claimed_until <= $3)"
    );
    if q!(exec c, &sql, token, lease_until, now, limit)? == 0 {
        return Ok(Vec::new());
    }
    Ok(q!(all c, Claimed,
        "SELECT d.id, d.webhook_id, d.attempts, d.event, w.url, w.format, w.secret, a.id AS audit_id, a.at, a.actor_id, \
         a.entity_type, a.entity_id, a.before_state, a.after_state \
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN audit_events a ON a.id = d.audit_id \
         WHERE d.claimed_by = $1 ORDER BY d.id",
        token)?)
}

/// The name of a person, for the Slack sentence.
pub async fn person_name(c: &mut Conn<'_>, id: i64) -> Result<Option<String>> {
    Ok(q!(opt c, (String,), "SELECT name FROM employees WHERE id = $1", id)?.map(|(n,)| n))
}

/// Where a delivery stands after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Delivered,
    RetryAt(DateTime<Utc>),
    Failed,
}

/// One attempt at a claimed delivery and its outcome.
#[derive(Debug, Clone)]
pub struct Attempted<'a> {
    pub id: i64,
    pub token: &'a str,
    pub instance: &'a str,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// What went wrong; `None` when delivered.
    pub error: Option<&'a str>,
    pub duration_ms: i64,
    pub settled: Settled,
}

/// Records an attempt (always) and its outcome (when the claim is still
/// this attempt's; `false` when it ran out and another instance took over).
pub async fn record(c: &mut Conn<'_>, a: &Attempted<'_>, now: DateTime<Utc>) -> Result<bool> {
    q!(exec c,
        "INSERT INTO webhook_attempts (delivery_id, at, instance, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        a.id, now, a.instance, a.status_code, a.error, a.duration_ms)?;
    let (status, next, delivered_at) = match a.settled {
        Settled::Delivered => ("delivered", now, Some(now)),
        Settled::RetryAt(t) => ("queued", t, None),
        Settled::Failed => ("failed", now, None),
    };
    let n = q!(exec c,
        "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, claimed_by = NULL, \
         claimed_until = NULL, last_status = $3, last_error = $4, delivered_at = $5 \
         WHERE id = $6 AND claimed_by = $7 AND status = 'queued'",
        status, next, a.status_code, a.error, delivered_at, a.id, a.token)?;
    Ok(n == 1)
}

/// A delivery as HR sees it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    /// The audit record of the change it tells of.
    pub audit_id: i64,
    pub status: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// An endpoint's deliveries, newest first, `limit` before the id `before_id`.
pub async fn deliveries(
    c: &mut Conn<'_>,
    webhook_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Delivery>> {
    Ok(q!(all c, Delivery,
        "SELECT id, webhook_id, event, audit_id, status, attempts, last_status, last_error, next_attempt_at, created_at, \
         delivered_at FROM webhook_deliveries WHERE webhook_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        webhook_id, before_id, limit)?)
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Attempt {
    pub delivery_id: i64,
    pub at: DateTime<Utc>,
    pub instance: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// The attempts at the deliveries `ids`, oldest first.
pub async fn attempts(c: &mut Conn<'_>, ids: &[i64]) -> Result<Vec<Attempt>> {
    let mut out = Vec::new();
    for id in ids {
        out.extend(q!(all c, Attempt,
            "SELECT delivery_id, at, instance, status_code, error, duration_ms FROM webhook_attempts \
             WHERE delivery_id = $1 ORDER BY id",
            *id)?);
    }
    Ok(out)
}
