//! Leave requests over JSON: submit, list (own history; HR and managers may
//! name an employee), read, approve, reject, cancel, and the approvals
//! queue. What a submission or a decision does (transaction, audit record,
//! notifications, metric) is `lms_app::leave`'s; these handlers parse the
//! request and shape the answer.

use super::dto::{amount, amount_in, Page, RequestDto};
use super::xlsx::{self, Cell, Column, Export};
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Paging};
use crate::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::{FromRequest, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, Utc};
use lms_core::{Comment, LeaveStatus, LeaveUnit, NewRequest, RequestAction};
use lms_store::employees;
use lms_store::requests::{self, LeaveRequest, RequestFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"leave_type": "annual", "start_date": "2026-12-07", "end_date": "2026-12-11", "reason": "trip"}))]
pub struct SubmitRequest {
    /// Leave type code, e.g. `annual`.
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The first day counts half.
    #[serde(default)]
    pub half_day_start: bool,
    /// The last day counts half.
    #[serde(default)]
    pub half_day_end: bool,
    /// Part of one day, for a leave type measured in hours: the hours asked
    /// (e.g. `2.5`; a whole number of minutes, more than 0, at most what
    /// the caller's schedule works that day) on a one-day request without
    /// half-day flags. Absent: whole (or half) days.
    #[schema(minimum = 0, maximum = 24, example = 2.5)]
    pub hours: Option<f64>,
    /// At most 1000 characters.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// `new` for `hours` of its one day, when given.
fn part_of_day(new: NewRequest, hours: Option<f64>) -> Result<NewRequest, ApiError> {
    match hours {
        None => Ok(new),
        Some(h) => Ok(new.part_of_day(lms_core::Quantity::parse(LeaveUnit::Hours, h)?)?),
    }
}

/// Submits a leave request for the caller. A request across a turn of the
/// leave year (`GET /settings/leave-year`) is stored as one request per
/// year, each charged to its own year's balance, all or nothing: the answer
/// is the first, its `part` naming every part.
#[utoipa::path(post, path = "/leave-requests", operation_id = "submit_leave_request", tag = "leave requests", request_body = SubmitRequest,
    responses((status = 201, body = RequestDto, links(
            ("get_leave_request" = (operation_id = "get_leave_request", parameters(("id" = "$response.body#/id")))),
            ("approve" = (operation_id = "approve", parameters(("id" = "$response.body#/id")))),
            ("reject" = (operation_id = "reject", parameters(("id" = "$response.body#/id")))),
            ("cancel" = (operation_id = "cancel", parameters(("id" = "$response.body#/id"))))
        )),
              (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<SubmitRequest>,
) -> ApiResult<(StatusCode, Json<RequestDto>)> {
    let new = NewRequest::parse(
        &body.leave_type,
        body.start_date,
        body.end_date,
        body.half_day_start,
        body.half_day_end,
        body.reason.as_deref(),
    )?;
    let new = part_of_day(new, body.hours)?;
    let r = lms_app::leave::submit(state.db(), &ctx.caller(user.actor()), &new, Utc::now(), state.metrics()).await?;
    Ok((StatusCode::CREATED, Json(shown_one(&state, r).await?)))
}

/// Requests as the API shows them, each in its type's unit and with its
/// place among the parts of its request when it is one.
async fn shown(state: &AppState, rows: Vec<LeaveRequest>) -> ApiResult<Vec<RequestDto>> {
    let parts = lms_app::leave_year::parts_of(state.db(), &rows).await?;
    let units = lms_app::leave_types::type_units(state.db()).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let unit = units.of(&r.leave_type);
            RequestDto::new(r, unit).with_parts(&parts)
        })
        .collect())
}

async fn shown_one(state: &AppState, r: LeaveRequest) -> ApiResult<RequestDto> {
    shown(state, vec![r]).await?.pop().ok_or_else(ApiError::internal)
}

/// A request not yet submitted, as query parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuoteQuery {
    /// Leave type code, e.g. `annual`.
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The first day counts half.
    pub half_day_start: Option<bool>,
    /// The last day counts half.
    pub half_day_end: Option<bool>,
    /// Part of one day, in hours, for a leave type measured in hours (as
    /// on submission).
    pub hours: Option<f64>,
}

/// What a request would count and leave, before it is submitted. Its
/// amounts are in the leave type's `unit`: days, or hours (the person's
/// scheduled hours of each working day, half of them for a half day).
#[derive(Serialize, ToSchema)]
pub struct QuoteDto {
    pub leave_type: String,
    /// The leave year of the first day (of the first part).
    pub year: i32,
    /// `days` or `hours`: the type's unit, of every amount here.
    #[schema(example = "days")]
    pub unit: String,
    /// Days the request would count (working days minus halves); absent for a type in hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<f64>,
    /// Hours the request would count (the scheduled hours of its working
    /// days, halves halved, or the part of one day asked); absent for a type in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    /// Working days in the range, before half days.
    pub working_days: i64,
    /// Saturdays and Sundays in the range (not counted).
    pub weekend_days: i64,
    /// Holidays on the caller's working days in the range (not counted;
    /// one on a day their schedule does not work costs nothing and is not listed).
    pub holidays: Vec<HolidayDay>,
    /// The holiday calendar applied: the caller's location's, or (`location_id` null) the company-wide one.
    pub calendar: QuoteCalendar,
    /// The caller's working schedules that counted the range, oldest first:
    /// the one valid on the first day and each starting later in the range;
    /// one with `valid_from` null when none is set (full time, Monday to Friday 8 h).
    pub schedules: Vec<QuoteSchedule>,
    /// Whether the type is counted against a balance.
    pub deducts_balance: bool,
    /// Available before and after, in `year` (each year's are in
    /// `parts`), in `unit`.
    pub available_before: f64,
    pub available_after: f64,
    /// What each leave year is charged: one part, or one per leave year a
    /// request across a turn of the year touches.
    pub parts: Vec<QuotePartDto>,
    /// The caller's pending or approved requests that overlap.
    pub overlaps: Vec<RequestDto>,
    /// The leave type expects a supporting document (a flag; no file is kept).
    pub document_required: bool,
    /// How far below zero this type's balance may go, in `unit` (the name
    /// is kept from when every type counted days).
    pub negative_limit_days: f64,
    /// Whether submitting it now would be accepted.
    pub acceptable: bool,
    /// Why not, in the error shape a submission would answer with.
    pub problem: Option<crate::error::ErrorDetail>,
}

/// Which holiday calendar a quote applied.
#[derive(Serialize, ToSchema)]
pub struct QuoteCalendar {
    /// The caller's location; null: the company-wide calendar (no location).
    pub location_id: Option<i64>,
    pub location_name: Option<String>,
}

/// A working schedule a quote counted by.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"valid_from": "2026-01-01", "minutes": [480, 480, 480, 0, 0, 0, 0]}))]
pub struct QuoteSchedule {
    /// The day it is valid from (until the next one starts; the first also
    /// covers the time before it); null: no schedule is set, full time.
    pub valid_from: Option<NaiveDate>,
    /// Minutes worked Monday to Sunday (0: not a working day).
    pub minutes: Vec<u32>,
}

/// What one leave year is charged by a request.
#[derive(Serialize, ToSchema)]
pub struct QuotePartDto {
    pub year: i32,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    /// Days charged to `year` (a type in days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<f64>,
    /// Hours charged to `year` (a type in hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    /// Available in `year` before and after this part, in the quote's `unit`.
    pub available_before: f64,
    pub available_after: f64,
}

#[derive(Serialize, ToSchema)]
pub struct HolidayDay {
    pub date: NaiveDate,
    pub name: String,
}

/// Quotes a request: the days it would count (weekends and holidays
/// skipped, halves applied), the balance before and after — per leave year
/// when it crosses a turn of the year (`parts`) —, overlaps with the
/// caller's own requests, and whether a submission would be accepted.
/// Nothing is stored; a submission decides with the same computation.
#[utoipa::path(get, path = "/leave-requests/quote", operation_id = "quote_leave_request", tag = "leave requests", params(QuoteQuery),
    responses((status = 200, body = QuoteDto), (status = 422, body = crate::error::ErrorBody)))]
pub async fn quote(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<QuoteQuery>,
) -> ApiResult<Json<QuoteDto>> {
    let new = NewRequest::parse(
        &q.leave_type,
        q.start_date,
        q.end_date,
        q.half_day_start.unwrap_or(false),
        q.half_day_end.unwrap_or(false),
        None,
    )?;
    let new = part_of_day(new, q.hours)?;
    let quote = lms_app::leave::quote(state.db(), &ctx.caller(user.actor()), &new, Utc::now().date_naive()).await?;
    let problem = quote.problem.clone().map(|p| {
        let e = ApiError::from(p);
        crate::error::ErrorDetail { code: e.code, message: e.message }
    });
    let unit = quote.unit;
    let (days, hours) = (LeaveUnit::Days, LeaveUnit::Hours);
    Ok(Json(QuoteDto {
        leave_type: quote.leave_type,
        year: quote.year,
        unit: unit.as_str().to_string(),
        days: amount_in(days, unit, quote.amount),
        hours: amount_in(hours, unit, quote.amount),
        working_days: quote.working_days,
        weekend_days: quote.weekend_days,
        holidays: quote.holidays.into_iter().map(|h| HolidayDay { date: h.day, name: h.name }).collect(),
        calendar: QuoteCalendar {
            location_id: quote.location.as_ref().map(|l| l.id),
            location_name: quote.location.map(|l| l.name),
        },
        schedules: quote
            .schedules
            .iter()
            .map(|s| QuoteSchedule { valid_from: s.valid_from, minutes: s.minutes.to_vec() })
            .collect(),
        deducts_balance: quote.deducts_balance,
        available_before: amount(unit, quote.available_before),
        available_after: amount(unit, quote.available_after),
        parts: quote
            .parts
            .iter()
            .map(|p| QuotePartDto {
                year: p.year,
                start_date: p.start,
                end_date: p.end,
                half_day_start: p.half_day_start,
                half_day_end: p.half_day_end,
                days: amount_in(days, unit, p.amount),
                hours: amount_in(hours, unit, p.amount),
                available_before: amount(unit, p.available_before),
                available_after: amount(unit, p.available_after),
            })
            .collect(),
        overlaps: quote.overlaps.into_iter().map(|r| RequestDto::new(r, unit)).collect(),
        document_required: quote.document_required,
        negative_limit_days: amount(unit, quote.negative_limit),
        acceptable: problem.is_none(),
        problem,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(schema_with = super::schema::leave_status)]
    pub status: Option<String>,
    /// Requests ending on or after this date.
    pub from: Option<NaiveDate>,
    /// Requests starting on or before this date.
    pub to: Option<NaiveDate>,
    /// Leave type code.
    #[serde(rename = "type")]
    pub leave_type: Option<String>,
    /// Someone else's history: HR admins for anyone, managers for direct reports.
    pub employee_id: Option<i64>,
    /// Everyone's requests (HR admins only; not with `employee_id`).
    pub all: Option<bool>,
    /// `xlsx`: every matching request (not one page; at most 200,000) as a
    /// spreadsheet; `limit` and `cursor` do not apply.
    #[param(schema_with = super::schema::export_format)]
    pub format: Option<String>,
    /// Page size, 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// Most requests one spreadsheet export holds; a filter matching more is
/// refused (422 `too_many_rows`) rather than cut.
pub const EXPORT_MAX_ROWS: usize = 200_000;

/// Leave history, newest first: one's own, a direct report's or (HR) anyone's
/// (`employee_id`), or everyone's (`all=true`, HR). With `format=xlsx`, every
/// matching request as a spreadsheet.
#[utoipa::path(get, path = "/leave-requests", operation_id = "list_leave_requests", tag = "leave requests", params(ListQuery),
    responses((status = 200, description = "A page of requests, or with `format=xlsx` a spreadsheet of every matching \
                 request (newest first; a bold header row frozen above the rows, an autofilter; dates as dates, days as numbers)",
               content((Page<RequestDto> = "application/json"),
                       (super::xlsx::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
               links(
            ("get_leave_request" = (operation_id = "get_leave_request", parameters(("id" = "$response.body#/items/0/id")))),
            ("cancel" = (operation_id = "cancel", parameters(("id" = "$response.body#/items/0/id"))))
        )),
              (status = 403, body = crate::error::ErrorBody),
              (status = 422, description = "`too_many_rows`: more requests match than one export holds", body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let xlsx = match q.format.as_deref() {
        None | Some("json") => false,
        Some("xlsx") => true,
        Some(other) => {
            return Err(ApiError::bad_request("invalid_format", format!("unknown format '{other}'; use json or xlsx")))
        }
    };
    let paging = Paging { limit: q.limit, cursor: q.cursor };
    let limit = paging.limit()?;
    let status = q.status.as_deref().map(str::parse::<LeaveStatus>).transpose()?;
    let mut c = state.db().acquire().await?;
    let employee_id = match (q.employee_id, q.all.unwrap_or(false)) {
        (Some(_), true) => {
            return Err(ApiError::bad_request("invalid_filter", "give either employee_id or all=true, not both"))
        }
        (None, true) if user.actor().is_hr() => None,
        (None, true) => return Err(ApiError::forbidden("only HR admins may list everyone's requests")),
        (None, false) => Some(user.id()),
        (Some(id), false) if id == user.id() || user.actor().is_hr() => Some(id),
        (Some(id), false) => match employees::get(&mut c.conn(), id).await? {
            Some(e) if e.manager_id == Some(user.id()) => Some(id),
            _ => {
                return Err(ApiError::forbidden("you may list only your own requests and those of your direct reports"))
            }
        },
    };
    let filter = RequestFilter {
        employee_id,
        status,
        leave_type: q.leave_type,
        from: q.from,
        to: q.to,
        before_id: paging.cursor,
        limit,
    };
    if xlsx {
        drop(c);
        return export(&state, filter).await;
    }
    let items = requests::list(&mut c.conn(), &filter).await?;
    drop(c);
    Ok(Json(Page::keyset(shown(&state, items).await?, limit, |r| r.id)).into_response())
}

/// The spreadsheet's columns: those of the JSON items, in their order.
const REQUEST_COLUMNS: &[Column] = &[
    Column("id", 9.0),
    Column("employee_id", 12.0),
    Column("employee_name", 26.0),
    Column("leave_type", 13.0),
    Column("start_date", 12.0),
    Column("end_date", 12.0),
    Column("half_day_start", 15.0),
    Column("half_day_end", 14.0),
    Column("amount", 8.0),
    Column("unit", 7.0),
    Column("status", 11.0),
    Column("reason", 30.0),
    Column("created_at (UTC)", 20.0),
    Column("decided_by", 11.0),
    Column("decided_at (UTC)", 20.0),
    Column("comment", 30.0),
    Column("cancelled_by", 13.0),
    Column("cancelled_at (UTC)", 20.0),
    Column("year", 7.0),
];

fn request_cells(r: LeaveRequest, unit: lms_core::LeaveUnit) -> Vec<Cell> {
    vec![
        Cell::Int(r.id),
        Cell::Int(r.employee_id),
        Cell::Text(r.employee_name),
        Cell::Text(r.leave_type),
        Cell::Date(r.start_date),
        Cell::Date(r.end_date),
        Cell::Bool(r.half_day_start),
        Cell::Bool(r.half_day_end),
        Cell::Number(super::dto::amount(unit, r.amount)),
        Cell::Text(unit.as_str().to_string()),
        Cell::Text(r.status),
        Cell::Text(r.reason),
        Cell::Time(r.created_at),
        r.decided_by.into(),
        r.decided_at.into(),
        r.comment.into(),
        r.cancelled_by.into(),
        r.cancelled_at.into(),
        Cell::Int(i64::from(r.year)),
    ]
}

/// Every request `filter` matches (from its cursor on), as a spreadsheet,
/// read in batches by id so memory stays flat however many match.
async fn export(state: &AppState, mut filter: RequestFilter) -> ApiResult<Response> {
    filter.limit = xlsx::BATCH;
    let mut export = Export::start("Leave requests", REQUEST_COLUMNS);
    let units = lms_app::leave_types::type_units(state.db()).await?;
    loop {
        let mut c = state.db().acquire().await?;
        let batch = requests::list(&mut c.conn(), &filter).await?;
        drop(c);
        if export.written() + batch.len() > EXPORT_MAX_ROWS {
            return Err(ApiError::unprocessable(
                "too_many_rows",
                format!(
                    "more than {EXPORT_MAX_ROWS} requests match; narrow the export with from, to, status, type or employee_id"
                ),
            ));
        }
        let full = batch.len() as i64 >= filter.limit;
        filter.before_id = batch.last().map(|r| r.id);
        export
            .rows(
                batch
                    .into_iter()
                    .map(|r| {
                        let unit = units.of(&r.leave_type);
                        request_cells(r, unit)
                    })
                    .collect(),
            )
            .await?;
        if !full {
            break;
        }
    }
    Ok(xlsx::download(export.finish().await?, "leave-requests.xlsx"))
}

/// One request: the owner's, their manager's, HR's to see, or (with
/// approval chains) a deputy's the manager named, or a stage's approver's.
#[utoipa::path(get, path = "/leave-requests/{id}", operation_id = "get_leave_request", tag = "leave requests", params(("id" = i64, Path)),
    responses((status = 200, body = RequestDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RequestDto>> {
    let mut c = state.db().acquire().await?;
    let r = match requests::get_visible(&mut c.conn(), &user.actor(), id).await {
        Ok(r) => r,
        // Not theirs by the one-step rule: a chain may still show it to them.
        Err(lms_store::StoreError::NotFound(_)) if lms_app::approval::staged(state.db()) => {
            drop(c);
            lms_app::approval::request_with_stages(state.db(), &ctx.caller(user.actor()), id).await?.request
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(shown_one(&state, r).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comment": "Enjoy!"}))]
pub struct Decision {
    /// A note for the employee (at most 1000 characters).
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
}

async fn transition(
    state: AppState,
    ctx: RequestContext,
    user: CurrentUser,
    id: i64,
    action: RequestAction,
    body: Option<Decision>,
) -> ApiResult<Json<RequestDto>> {
    let comment = Comment::parse(body.as_ref().and_then(|b| b.comment.as_deref()))?;
    let caller = ctx.caller(user.actor());
    let r =
        lms_app::leave::decide(state.db(), &caller, id, action, comment.as_ref(), Utc::now(), state.metrics()).await?;
    Ok(Json(shown_one(&state, r).await?))
}

/// The optional JSON body of a decision: empty means no comment. Anything
/// else is read as JSON (whatever its content type) through [`ApiJson`],
/// with the checks every body gets: a NUL in a comment once reached
/// PostgreSQL and answered 500.
async fn optional(body: Bytes) -> ApiResult<Option<Decision>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let req = axum::extract::Request::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body))
        .map_err(|_| ApiError::internal())?;
    let ApiJson(decision) = ApiJson::<Decision>::from_request(req, &()).await?;
    Ok(Some(decision))
}

/// Approves a pending request (the employee's manager or an HR admin); a
/// part of a request across a turn of the leave year is approved with
/// all its parts.
#[utoipa::path(post, path = "/leave-requests/{id}/approve", tag = "leave requests", params(("id" = i64, Path)),
    request_body(content = Option<Decision>, description = "Optional: an empty body means no comment."),
    responses((status = 200, body = RequestDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> ApiResult<Json<RequestDto>> {
    transition(state, ctx, user, id, RequestAction::Approve, optional(body).await?).await
}

/// Rejects a pending request (the employee's manager or an HR admin),
/// with all its parts when it is one.
#[utoipa::path(post, path = "/leave-requests/{id}/reject", tag = "leave requests", params(("id" = i64, Path)),
    request_body(content = Option<Decision>, description = "Optional: an empty body means no comment."),
    responses((status = 200, body = RequestDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> ApiResult<Json<RequestDto>> {
    transition(state, ctx, user, id, RequestAction::Reject, optional(body).await?).await
}

/// Cancels a request: the employee (pending, or approved before it starts) or an HR admin;
/// a part of a request across a turn of the leave year is cancelled with all its parts.
#[utoipa::path(post, path = "/leave-requests/{id}/cancel", tag = "leave requests", params(("id" = i64, Path)),
    request_body(content = Option<Decision>, description = "Optional: an empty body means no comment."),
    responses((status = 200, body = RequestDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> ApiResult<Json<RequestDto>> {
    transition(state, ctx, user, id, RequestAction::Cancel, optional(body).await?).await
}

/// Requests waiting for a decision the caller may take: at a stage of
/// their chain (the manager's, a deputy's on the delegation's dates, HR's,
/// a role's), a cancellation of started leave included.
#[utoipa::path(get, path = "/approvals", tag = "leave requests", params(Paging),
    responses((status = 200, body = Page<RequestDto>, links(
            ("approve" = (operation_id = "approve", parameters(("id" = "$response.body#/items/0/id")))),
            ("reject" = (operation_id = "reject", parameters(("id" = "$response.body#/items/0/id"))))
        ))))]
pub async fn approvals(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Page<RequestDto>>> {
    let limit = p.limit()?;
    let mut c = state.db().acquire().await?;
    let queue = lms_app::approval::queue(state.db(), Utc::now().date_naive());
    let items = requests::approvals(&mut c.conn(), &user.actor(), queue, p.cursor, limit).await?;
    drop(c);
    Ok(Json(Page::keyset(shown(&state, items).await?, limit, |r| r.id)))
}
