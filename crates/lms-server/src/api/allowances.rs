//! HR: yearly allowances as ledger entries. `POST /allowances` writes the
//! year's allocation (once per person, type and year); changes afterwards
//! are adjustments with a reason, so every balance stays explainable.

use super::me::{balances_of, check_year, Balances};
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery};
use crate::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use lms_core::{EntitlementChange, LeaveUnit, LedgerKind, Quantity};
use lms_store::employees;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllowanceQuery {
    pub employee_id: i64,
    /// Leave year; the one today falls in by default.
    #[param(minimum = 1970, maximum = 2200)]
    pub year: Option<i32>,
}

/// An employee's entitlements and balances for a year, with the ledger entries.
#[utoipa::path(get, path = "/allowances", operation_id = "list_allowances", tag = "hr", params(AllowanceQuery),
    responses((status = 200, body = Balances), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<AllowanceQuery>,
) -> ApiResult<Json<Balances>> {
    if q.employee_id != user.id() {
        user.require_hr()?;
    }
    let year = match q.year {
        Some(y) => y,
        None => lms_app::leave_year::current(state.db(), Utc::now().date_naive()).await?,
    };
    let year = check_year(year)?;
    {
        let mut c = state.db().acquire().await?;
        employees::require(&mut c.conn(), q.employee_id).await?;
    }
    Ok(Json(balances_of(&state, q.employee_id, year, true).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"employee_id": 3, "leave_type": "annual", "year": 2026, "days": 2.5, "reason": "carried over"}))]
pub struct LedgerChange {
    pub employee_id: i64,
    /// Leave type code, e.g. `annual`.
    pub leave_type: String,
    #[schema(minimum = 1970, maximum = 2200)]
    pub year: i32,
    /// Days (at most three decimals), for a leave type measured in days;
    /// negative only for adjustments. A type measured in hours refuses it
    /// (422 `wrong_unit`): send `hours`.
    #[schema(minimum = -366, maximum = 366)]
    pub days: Option<f64>,
    /// Hours (a whole number of minutes, e.g. `37.5`), for a leave type
    /// measured in hours; negative only for adjustments. A type measured in
    /// days refuses it (422 `wrong_unit`): send `days`.
    #[schema(minimum = -8784, maximum = 8784)]
    pub hours: Option<f64>,
    /// Required for adjustments.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

async fn write(
    state: AppState,
    ctx: RequestContext,
    user: CurrentUser,
    body: LedgerChange,
    kind: LedgerKind,
) -> ApiResult<(StatusCode, Json<Balances>)> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let year = check_year(body.year)?;
    let amount =
        match (body.days, body.hours) {
            (Some(d), None) => Quantity::parse(LeaveUnit::Days, d)?,
            (None, Some(h)) => Quantity::parse(LeaveUnit::Hours, h)?,
            _ => return Err(ApiError::unprocessable(
                "invalid_amount",
                "give the amount as days (a type measured in days) or hours (a type measured in hours), one of them",
            )),
        };
    let change = EntitlementChange::parse_in(kind, amount, body.reason.as_deref())?;
    lms_app::allowances::write(state.db(), &caller, body.employee_id, &body.leave_type, year, &change, Utc::now())
        .await?;
    Ok((StatusCode::CREATED, Json(balances_of(&state, body.employee_id, year, true).await?)))
}

/// Writes the yearly allocation of one leave type for one employee (HR admins).
#[utoipa::path(post, path = "/allowances", tag = "hr", request_body = LedgerChange,
    responses((status = 201, body = Balances), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn allocate(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<LedgerChange>,
) -> ApiResult<(StatusCode, Json<Balances>)> {
    write(state, ctx, user, body, LedgerKind::Allocation).await
}

/// Adjusts an entitlement up or down, with a reason (HR admins).
#[utoipa::path(post, path = "/allowances/adjustments", tag = "hr", request_body = LedgerChange,
    responses((status = 201, body = Balances), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn adjust(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<LedgerChange>,
) -> ApiResult<(StatusCode, Json<Balances>)> {
    write(state, ctx, user, body, LedgerKind::Adjustment).await
}

/// Corrects a wrong ledger line, with a reason naming it (HR admins): a new
/// line of kind `correction`; lines are never edited.
#[utoipa::path(post, path = "/allowances/corrections", tag = "hr", request_body = LedgerChange,
    responses((status = 201, body = Balances), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn correct(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<LedgerChange>,
) -> ApiResult<(StatusCode, Json<Balances>)> {
    write(state, ctx, user, body, LedgerKind::Correction).await
}
