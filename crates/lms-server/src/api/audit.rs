//! The audit log, for HR admins, filtered by actor, action, entity and time;
//! as JSON pages or a spreadsheet (XLSX) of every matching event.

use super::dto::Page;
use super::xlsx::{self, Cell, Column, Export};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Paging};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
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
    /// `xlsx`: every matching event (not one page; at most 200,000) as a
    /// spreadsheet; `limit` and `cursor` do not apply.
    #[param(schema_with = super::schema::export_format)]
    pub format: Option<String>,
}

/// Most events one spreadsheet export holds; a filter matching more is
/// refused (422 `too_many_rows`) rather than cut.
pub const EXPORT_MAX_ROWS: usize = 200_000;

/// Audit events, newest first (HR admins); with `format=xlsx`, every
/// matching event as a spreadsheet.
#[utoipa::path(get, path = "/audit-events", operation_id = "list_audit_events", tag = "admin", params(AuditQuery),
    responses((status = 200, description = "A page of events, or with `format=xlsx` a spreadsheet of every matching \
                 event (newest first; times in UTC as Excel dates, before and after as JSON text)",
               content((Page<AuditEventDto> = "application/json"),
                       (super::xlsx::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 403, body = crate::error::ErrorBody),
              (status = 422, description = "`too_many_rows`: more events match than one export holds", body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    user.require_hr()?;
    let xlsx = match q.format.as_deref() {
        None | Some("json") => false,
        Some("xlsx") => true,
        Some(other) => {
            return Err(ApiError::bad_request("invalid_format", format!("unknown format '{other}'; use json or xlsx")))
        }
    };
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
    if xlsx {
        return export(&state, filter).await;
    }
    let mut c = state.db().acquire().await?;
    let items = audit::list(&mut c.conn(), &filter).await?;
    Ok(Json(Page::keyset(items.into_iter().map(AuditEventDto::from).collect(), limit, |e| e.id)).into_response())
}

/// The spreadsheet's columns: those of the JSON items, in their order.
const AUDIT_COLUMNS: &[Column] = &[
    Column("id", 9.0),
    Column("at (UTC)", 20.0),
    Column("actor_id", 10.0),
    Column("action", 26.0),
    Column("entity_type", 16.0),
    Column("entity_id", 12.0),
    Column("before", 40.0),
    Column("after", 40.0),
    Column("request_id", 26.0),
    Column("client_addr", 16.0),
];

fn audit_cells(e: AuditEvent) -> Vec<Cell> {
    vec![
        Cell::Int(e.id),
        Cell::Time(e.at),
        e.actor_id.into(),
        Cell::Text(e.action),
        Cell::Text(e.entity_type),
        Cell::Text(e.entity_id),
        e.before_state.into(),
        e.after_state.into(),
        Cell::Text(e.request_id),
        Cell::Text(e.client_addr),
    ]
}

/// Every event `filter` matches (from its cursor on), as a spreadsheet,
/// read in batches by id.
async fn export(state: &AppState, mut filter: AuditFilter) -> ApiResult<Response> {
    filter.limit = xlsx::BATCH;
    let mut export = Export::start("Audit log", AUDIT_COLUMNS);
    loop {
        let mut c = state.db().acquire().await?;
        let batch = audit::list(&mut c.conn(), &filter).await?;
        drop(c);
        if export.written() + batch.len() > EXPORT_MAX_ROWS {
            return Err(ApiError::unprocessable(
                "too_many_rows",
                format!("more than {EXPORT_MAX_ROWS} events match; narrow the export with from, to, actor_id, action or entity_type"),
            ));
        }
        let full = batch.len() as i64 >= filter.limit;
        filter.before_id = batch.last().map(|e| e.id);
        export.rows(batch.into_iter().map(audit_cells).collect()).await?;
        if !full {
            break;
        }
    }
    Ok(xlsx::download(export.finish().await?, "audit-log.xlsx"))
}
