//! Reports: leave usage per employee and type over a period, as JSON, CSV
//! or a spreadsheet (XLSX).
//! HR admins see everyone; managers see their direct reports.

use super::dto::Page;
use super::xlsx::{self, Cell, Column, Export};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, Utc};
use lms_core::{DateRange, Role};
use lms_store::reports::{self, UsageRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First day of the period; the first day of the current leave year by
    /// default (`GET /settings/leave-year`).
    pub from: Option<NaiveDate>,
    /// Last day of the period; the last day of `from`'s leave year by
    /// default. `remaining` is the balance of `from`'s leave year.
    pub to: Option<NaiveDate>,
    #[param(schema_with = super::schema::report_format)]
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UsageDto {
    pub employee_id: i64,
    pub employee_name: String,
    pub email: String,
    pub department: String,
    pub leave_type: String,
    /// `days` or `hours`: the unit of `taken`, `pending` and `remaining`
    /// (the leave type's).
    #[schema(example = "days")]
    pub unit: String,
    pub taken: f64,
    pub pending: f64,
    pub remaining: f64,
}

impl From<UsageRow> for UsageDto {
    fn from(r: UsageRow) -> Self {
        UsageDto {
            employee_id: r.employee_id,
            employee_name: r.employee_name,
            email: r.email,
            department: r.department,
            leave_type: r.leave_type,
            unit: r.unit.as_str().to_string(),
            taken: super::dto::amount(r.unit, r.taken.millidays()),
            pending: super::dto::amount(r.unit, r.pending.millidays()),
            remaining: super::dto::amount(r.unit, r.remaining.millidays()),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Csv,
    Xlsx,
}

/// The spreadsheet's columns: those of the JSON rows, in their order.
const USAGE_COLUMNS: &[Column] = &[
    Column("employee_id", 12.0),
    Column("employee_name", 28.0),
    Column("email", 30.0),
    Column("department", 18.0),
    Column("leave_type", 14.0),
    Column("taken", 10.0),
    Column("pending", 10.0),
    Column("remaining", 11.0),
    Column("unit", 8.0),
];

fn usage_cells(r: UsageRow) -> Vec<Cell> {
    vec![
        Cell::Int(r.employee_id),
        Cell::Text(r.employee_name),
        Cell::Text(r.email),
        Cell::Text(r.department),
        Cell::Text(r.leave_type),
        Cell::Number(super::dto::amount(r.unit, r.taken.millidays())),
        Cell::Number(super::dto::amount(r.unit, r.pending.millidays())),
        Cell::Number(super::dto::amount(r.unit, r.remaining.millidays())),
        Cell::Text(r.unit.as_str().to_string()),
    ]
}

fn csv_field(s: &str) -> String {
    // Quote every text field; neutralise spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Leave taken, pending and remaining per employee and leave type, each
/// row in its type's `unit` (days, or hours; the CSV's last column).
#[utoipa::path(get, path = "/reports/leave-usage", tag = "reports", params(UsageQuery),
    responses((status = 200, description = "JSON, CSV with `format=csv`, or a spreadsheet with `format=xlsx` \
               (one sheet: a bold header row frozen above the rows, an autofilter; numbers as numbers)",
               content((Page<UsageDto> = "application/json"), (String = "text/csv"),
                       (xlsx::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn leave_usage(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Response> {
    let role = user.actor().role;
    if role == Role::Employee {
        return Err(ApiError::forbidden("reports are for managers and HR admins"));
    }
    let format = match q.format.as_deref() {
        None | Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_format",
                format!("unknown format '{other}'; use json, csv or xlsx"),
            ))
        }
    };
    let leave_year = lms_app::leave_year::start(state.db()).await?;
    let today = Utc::now().date_naive();
    let from = q.from.unwrap_or_else(|| leave_year.range(leave_year.year_of(today)).map_or(today, |r| r.start()));
    let to = match q.to {
        Some(t) => t,
        None => leave_year.range(leave_year.year_of(from)).map_or(from, |r| r.end()),
    };
    let period = DateRange::new(from, to)?;
    if (to - from).num_days() > 366 {
        return Err(ApiError::bad_request("period_too_long", "the period may cover at most 366 days"));
    }
    let mut c = state.db().acquire().await?;
    let rows: Vec<UsageRow> =
        reports::leave_usage(&mut c.conn(), &period, leave_year.year_of(from), lms_app::leave_types::units(state.db()))
            .await?
            .into_iter()
            .filter(|r| role == Role::HrAdmin || r.manager_id == Some(user.id()))
            .collect();
    if format == Format::Xlsx {
        let mut export = Export::start("Leave usage", USAGE_COLUMNS);
        export.rows(rows.into_iter().map(usage_cells).collect()).await?;
        return Ok(xlsx::download(export.finish().await?, &format!("leave-usage-{from}-{to}.xlsx")));
    }
    if format == Format::Csv {
        // `unit` last, so the columns before keep their places.
        let mut out =
            String::from("employee_id,employee_name,email,department,leave_type,taken,pending,remaining,unit\n");
        for r in rows {
            let shown = |a: lms_core::LeaveAmount| lms_core::Quantity::new(r.unit, a.millidays());
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                r.employee_id,
                csv_field(&r.employee_name),
                csv_field(&r.email),
                csv_field(&r.department),
                csv_field(&r.leave_type),
                shown(r.taken),
                shown(r.pending),
                shown(r.remaining),
                r.unit
            ));
        }
        let disposition = format!("attachment; filename=\"leave-usage-{from}-{to}.csv\"");
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
            out,
        )
            .into_response());
    }
    Ok(Json(Page { items: rows.into_iter().map(UsageDto::from).collect::<Vec<_>>(), next_cursor: None })
        .into_response())
}
