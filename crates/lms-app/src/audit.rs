//! Writing a change into the audit log inside the use case's transaction.

use crate::error::Result;
use chrono::{DateTime, Utc};
use lms_store::audit::{self, AuditContext, Change};
use lms_store::Conn;
use serde::Serialize;

/// One change for the audit log: `action` on `entity`, with what it was and is.
pub(crate) struct Audited<'a, T> {
    pub action: &'a str,
    /// The entity's type and id, e.g. `("holiday", "7")`.
    pub entity: (&'a str, String),
    pub before: Option<&'a T>,
    pub after: Option<&'a T>,
}

/// Records the change, inside the caller's transaction.
pub(crate) async fn record<T: Serialize>(
    c: &mut Conn<'_>,
    by: &AuditContext,
    what: Audited<'_, T>,
    now: DateTime<Utc>,
) -> Result<()> {
    let snapshot = |v: Option<&T>| v.and_then(|v| serde_json::to_value(v).ok());
    let (entity_type, entity_id) = what.entity;
    let change = Change {
        action: what.action,
        entity_type,
        entity_id,
        before: snapshot(what.before),
        after: snapshot(what.after),
    };
    audit::record(c, by, change, now).await?;
    Ok(())
}
