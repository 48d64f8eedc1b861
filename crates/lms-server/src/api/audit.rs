//! The audit log, for HR admins, filtered by actor, action, entity and time.

use super::dto::Page;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Paging};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use lms_store::audit::{self, AuditEvent, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AuditEventDto {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub request_id: String,
    pub client_addr: String,
}

fn parse(s: Option<String>) -> Option<serde_json::Value> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

impl From<AuditEvent> for AuditEventDto {
    fn from(e: AuditEvent) -> Self {
        AuditEventDto {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            before: parse(e.before_state),
            after: parse(e.after_state),
            request_id: e.request_id,
            client_addr: e.client_addr,
        }
    }
}

/// A filter bound as given: a point in time (RFC 3339) or a whole day.
#[derive(Debug, Clone, Copy)]
pub enum TimeOrDate {
    Time(DateTime<Utc>),
    Date(chrono::NaiveDate),
}

impl<'de> Deserialize<'de> for TimeOrDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
            return Ok(TimeOrDate::Time(t.with_timezone(&Utc)));
        }
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map(TimeOrDate::Date).map_err(|_| {
            serde::de::Error::custom(format!(
                "`{s}` is neither a date (2026-12-01) nor an RFC 3339 time (2026-12-01T09:30:00Z)"
            ))
        })
    }
}

impl TimeOrDate {
    /// The first moment it covers.
    fn first(self) -> DateTime<Utc> {
        match self {
            TimeOrDate::Time(t) => t,
            TimeOrDate::Date(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
        }
    }
    /// The last moment it covers.
    fn last(self) -> DateTime<Utc> {
        match self {
            TimeOrDate::Time(t) => t,
            TimeOrDate::Date(d) => (d.and_time(chrono::NaiveTime::MIN) + chrono::Duration::days(1)
                - chrono::Duration::microseconds(1))
            .and_utc(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor_id: Option<i64>,
    /// e.g. `leave_request.approve`.
    pub action: Option<String>,
    /// e.g. `leave_request`, `employee`.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// RFC 3339 time, or a date (from its first moment), inclusive.
    #[param(value_type = Option<String>)]
    pub from: Option<TimeOrDate>,
    /// RFC 3339 time, or a date (to its last moment), inclusive.
    #[param(value_type = Option<String>)]
    pub to: Option<TimeOrDate>,
    /// Page size, 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// Audit events, newest first (HR admins).
#[utoipa::path(get, path = "/audit-events", operation_id = "list_audit_events", tag = "admin", params(AuditQuery),
    responses((status = 200, body = Page<AuditEventDto>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEventDto>>> {
    user.require_hr()?;
    let limit = Paging { limit: q.limit, cursor: q.cursor }.limit()?;
    let filter = AuditFilter {
        actor_id: q.actor_id,
        action: q.action,
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        from: q.from.map(TimeOrDate::first),
        to: q.to.map(TimeOrDate::last),
        before_id: q.cursor,
        limit,
    };
    let mut c = state.db().acquire().await?;
    let items = audit::list(&mut c.conn(), &filter).await?;
    Ok(Json(Page::keyset(items.into_iter().map(AuditEventDto::from).collect(), limit, |e| e.id)))
}
