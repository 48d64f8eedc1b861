//! The audit log: one append-only record per change, with actor, action,
//! entity, before/after (JSON text), time, request id and client address.

use crate::{Conn, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    #[serde(skip)]
    pub before_state: Option<String>,
    #[serde(skip)]
    pub after_state: Option<String>,
    pub request_id: String,
    pub client_addr: String,
}

/// Who did it and where the request came from.
#[derive(Debug, Clone, Default)]
pub struct AuditContext {
    pub actor_id: Option<i64>,
    pub request_id: String,
    pub client_addr: String,
}

/// One change to record.
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn record(c: &mut Conn<'_>, ctx: &AuditContext, ch: Change<'_>, now: DateTime<Utc>) -> Result<()> {
    let before = ch.before.map(|v| v.to_string());
    let after = ch.after.map(|v| v.to_string());
    q!(exec c,
        "INSERT INTO audit_events (at, actor_id, action, entity_type, entity_id, before_state, after_state, request_id, client_addr) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        now, ctx.actor_id, ch.action, ch.entity_type, ch.entity_id, before, after, &ctx.request_id, &ctx.client_addr)?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(c: &mut Conn<'_>, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
    Ok(q!(all c, AuditEvent,
        "SELECT id, at, actor_id, action, entity_type, entity_id, before_state, after_state, request_id, client_addr \
         FROM audit_events WHERE ($1 IS NULL OR actor_id = $1) AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR entity_type = $3) \
         AND ($4 IS NULL OR entity_id = $4) AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at <= $6) AND ($7 IS NULL OR id < $7) \
         ORDER BY id DESC LIMIT $8",
        f.actor_id, f.action.as_deref(), f.entity_type.as_deref(), f.entity_id.as_deref(), f.from, f.to, f.before_id, f.limit)?)
}
