//! Company-wide leave settings over JSON: the leave year's first month
//! (anyone signed in reads it; HR admins set it, audited). What a change
//! means is `lms_app::leave_year`'s.

use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{NaiveDate, Utc};
use lms_core::LeaveYearStart;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The leave year as this instance applies it.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"first_month": 4, "current_year": 2026, "current_start": "2026-04-01",
    "current_end": "2027-03-31", "splits_requests": true}))]
pub struct LeaveYearDto {
    /// The month the leave year starts in: 1 (January, the calendar year) to 12.
    pub first_month: u32,
    /// The leave year today falls in, named by the calendar year it starts
    /// in (the April 2026 – March 2027 year is 2026): the default `year` of
    /// balances and allowances.
    pub current_year: i32,
    pub current_start: NaiveDate,
    pub current_end: NaiveDate,
    /// Whether a request across a turn of the leave year is accepted and
    /// split, one part per year (false only on an instance running one
    /// migration behind, which charges the calendar year and refuses such a
    /// request with `spans_leave_years`).
    pub splits_requests: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"first_month": 4}))]
pub struct LeaveYearChange {
    /// The month the leave year starts in, 1 (January) to 12 (December).
    #[schema(minimum = 1, maximum = 12)]
    pub first_month: u32,
}

async fn current(state: &AppState) -> ApiResult<LeaveYearDto> {
    let db = state.db();
    let start = lms_app::leave_year::start(db).await?;
    let today = Utc::now().date_naive();
    let year = start.year_of(today);
    let range = start.range(year).ok_or_else(crate::ApiError::internal)?;
    Ok(LeaveYearDto {
        first_month: start.month(),
        current_year: year,
        current_start: range.start(),
        current_end: range.end(),
        splits_requests: lms_app::leave_year::splits(db),
    })
}

/// The leave year: its first month and the current year's days.
#[utoipa::path(get, path = "/settings/leave-year", operation_id = "get_leave_year", tag = "hr",
    responses((status = 200, body = LeaveYearDto)))]
pub async fn leave_year(State(state): State<AppState>, _user: CurrentUser) -> ApiResult<Json<LeaveYearDto>> {
    Ok(Json(current(&state).await?))
}

/// Sets the month the leave year starts in (HR admins; audited as
/// `settings.leave_year`). Allowed at any time: from then on a new
/// request is charged to the leave year of each of its days, and one across
/// a turn of the year is split there. Requests already made keep the year
/// they were charged to, and allowances stay written to the years they
/// name — after a change, HR allocates the new years. An instance running
/// one migration behind refuses the change (409 `not_available`).
#[utoipa::path(put, path = "/settings/leave-year", operation_id = "set_leave_year", tag = "hr",
    request_body = LeaveYearChange,
    responses((status = 200, body = LeaveYearDto), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_leave_year(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<LeaveYearChange>,
) -> ApiResult<Json<LeaveYearDto>> {
    user.require_hr()?;
    let start = LeaveYearStart::new(body.first_month)?;
    lms_app::leave_year::set_start(state.db(), &ctx.caller(user.actor()), start, Utc::now()).await?;
    Ok(Json(current(&state).await?))
}
