//! HR: yearly allowances as ledger entries. `POST /allowances` writes the
//! year's allocation (once per person, type and year); changes afterwards
//! are adjustments with a reason, so every balance stays explainable.

use super::audit_change;
use super::me::{balances_of, check_year, Balances};
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Datelike, Utc};
use lms_core::{LeaveAmount, LedgerKind};
use lms_store::{employees, leave_types, ledger};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllowanceQuery {
    pub employee_id: i64,
    /// The current year by default.
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
    let year = check_year(q.year.unwrap_or_else(|| Utc::now().year()))?;
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
    /// Days (at most three decimals); negative only for adjustments.
    #[schema(minimum = -366, maximum = 366)]
    pub days: f64,
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
    user.require_hr()?;
    let year = check_year(body.year)?;
    let amount = LeaveAmount::from_days_f64(body.days)?;
    if amount.millidays().abs() > LeaveAmount::days(366).millidays() {
        return Err(ApiError::unprocessable("invalid_amount", "days must be within ±366"));
    }
    let reason = body.reason.as_deref().unwrap_or("").trim().to_string();
    match kind {
        LedgerKind::Allocation if amount < LeaveAmount::ZERO => {
            return Err(ApiError::unprocessable("invalid_amount", "an allocation cannot be negative"))
        }
        LedgerKind::Adjustment if reason.is_empty() => {
            return Err(ApiError::unprocessable("reason_required", "an adjustment needs a reason"))
        }
        LedgerKind::Adjustment if amount == LeaveAmount::ZERO => {
            return Err(ApiError::unprocessable("invalid_amount", "an adjustment of zero days changes nothing"))
        }
        _ => {}
    }
    if reason.chars().count() > 1000 {
        return Err(ApiError::unprocessable("reason_too_long", "reason may have at most 1000 characters"));
    }
    let now = Utc::now();
    let mut tx = state.db().begin().await?;
    employees::lock(&mut tx.conn(), body.employee_id).await?;
    let lt = leave_types::by_code(&mut tx.conn(), &body.leave_type).await?.ok_or_else(|| {
        ApiError::unprocessable("unknown_leave_type", format!("unknown leave type '{}'", body.leave_type))
    })?;
    let entry = ledger::NewEntry {
        employee_id: body.employee_id,
        leave_type_id: lt.id,
        year,
        kind,
        amount,
        reason: &reason,
        created_by: Some(user.id()),
    };
    let id = ledger::add(&mut tx.conn(), &entry, now).await?;
    audit_change(
        &mut tx.conn(),
        &ctx,
        Some(user.id()),
        &format!("ledger.{}", kind.as_str()),
        "ledger_entry",
        id,
        None,
        Some(json!({"employee_id": body.employee_id, "leave_type": lt.code, "year": year, "days": amount.to_days_f64(), "reason": reason})),
    )
    .await?;
    tx.commit().await?;
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
