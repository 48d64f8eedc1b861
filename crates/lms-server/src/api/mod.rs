//! The JSON API under `/api/v1`, one module per resource. Every change runs
//! in one transaction together with its audit record (and notifications).

pub mod allowances;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod dashboard;
pub mod dto;
pub mod employees;
pub mod holidays;
pub mod leave_types;
pub mod locations;
pub mod mail;
pub mod me;
pub mod notifications;
pub mod policies;
pub mod reports;
pub mod requests;
pub mod schema;
pub mod settings;
pub mod sso;
pub mod text;
pub mod webhooks;
pub mod xlsx;

use crate::context::RequestContext;
use chrono::Utc;
use lms_store::audit::{AuditContext, Change};
use lms_store::Conn;

/// Records one change in the audit log, inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn audit_change(
    c: &mut Conn<'_>,
    ctx: &RequestContext,
    actor_id: Option<i64>,
    action: &str,
    entity_type: &str,
    entity_id: impl ToString,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> lms_store::Result<()> {
    let actx = AuditContext { actor_id, request_id: ctx.request_id.clone(), client_addr: ctx.client_addr.clone() };
    lms_store::audit::record(
        c,
        &actx,
        Change { action, entity_type, entity_id: entity_id.to_string(), before, after },
        Utc::now(),
    )
    .await
}

/// Serializes a value for the audit log.
pub fn snapshot<T: serde::Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}
