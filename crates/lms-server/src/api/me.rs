//! The caller: profile and balances (with the ledger entries that explain them).

use super::dto::{amount, amount_in, EmployeeDto};
use crate::auth::current_user::{token_use_is_stale, Presented};
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, Utc};
use lms_core::LeaveUnit;
use lms_store::{ledger, notifications};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub employee: EmployeeDto,
    pub unread_notifications: i64,
}

/// The logged-in user.
#[utoipa::path(get, path = "/me", tag = "me", responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Me>> {
    let mut c = state.db().acquire().await?;
    let unread = notifications::unread_count(&mut c.conn(), user.id()).await?;
    Ok(Json(Me { employee: user.employee.into(), unread_notifications: unread }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BalanceQuery {
    /// Leave year (named by the calendar year it starts in); the one today
    /// falls in by default (`GET /settings/leave-year`).
    #[param(minimum = 1970, maximum = 2200)]
    pub year: Option<i32>,
    /// Include the ledger entries behind each entitlement.
    pub entries: Option<bool>,
}

/// One leave type's balance. Its numbers are in the type's `unit`.
#[derive(Serialize, ToSchema)]
pub struct BalanceDto {
    pub leave_type: String,
    pub deducts_balance: bool,
    /// `days` or `hours`: the unit of `entitled`, `taken`, `pending` and `available`.
    #[schema(example = "days")]
    pub unit: String,
    pub entitled: f64,
    pub taken: f64,
    pub pending: f64,
    pub available: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<LedgerEntryDto>>,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerEntryDto {
    pub id: i64,
    /// allocation or adjustment.
    pub kind: String,
    /// The line's days (a type measured in days; absent for hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<f64>,
    /// The line's hours (a type measured in hours; absent for days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct Balances {
    pub year: i32,
    pub employee_id: i64,
    pub balances: Vec<BalanceDto>,
}

pub fn check_year(year: i32) -> Result<i32, ApiError> {
    if (1970..=2200).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::bad_request("invalid_year", format!("year {year} is out of range; use 1970 to 2200")))
    }
}

/// Builds the balances of `employee_id` for `year`.
pub async fn balances_of(state: &AppState, employee_id: i64, year: i32, with_entries: bool) -> ApiResult<Balances> {
    let mut c = state.db().acquire().await?;
    let lines = ledger::balances(&mut c.conn(), employee_id, year, lms_app::leave_types::units(state.db())).await?;
    let entries = if with_entries { Some(ledger::entries(&mut c.conn(), employee_id, year).await?) } else { None };
    Ok(balances_dto(employee_id, year, lines, entries))
}

fn balances_dto(
    employee_id: i64,
    year: i32,
    lines: Vec<ledger::TypeBalance>,
    entries: Option<Vec<ledger::LedgerEntry>>,
) -> Balances {
    let balances = lines
        .into_iter()
        .map(|l| BalanceDto {
            entries: entries.as_ref().map(|all| {
                all.iter()
                    .filter(|e| e.leave_type == l.leave_type)
                    .map(|e| LedgerEntryDto {
                        id: e.id,
                        kind: e.kind.clone(),
                        days: amount_in(LeaveUnit::Days, l.unit, e.amount),
                        hours: amount_in(LeaveUnit::Hours, l.unit, e.amount),
                        reason: e.reason.clone(),
                        created_by: e.created_by,
                        created_at: e.created_at,
                    })
                    .collect()
            }),
            leave_type: l.leave_type,
            deducts_balance: l.deducts_balance,
            unit: l.unit.as_str().to_string(),
            entitled: amount(l.unit, l.balance.entitled.millidays()),
            taken: amount(l.unit, l.balance.taken.millidays()),
            pending: amount(l.unit, l.balance.pending.millidays()),
            available: amount(l.unit, l.balance.available().millidays()),
        })
        .collect();
    Balances { year, employee_id, balances }
}

/// The caller's balances per leave type for a year.
#[utoipa::path(get, path = "/me/balances", tag = "me", params(BalanceQuery),
    responses((status = 200, body = Balances), (status = 401, body = crate::error::ErrorBody)))]
pub async fn balances(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<BalanceQuery>,
) -> ApiResult<Json<Balances>> {
    let now = Utc::now();
    if let Some(y) = q.year {
        check_year(y)?;
    }
    let presented = Presented::from_headers(&headers).ok_or_else(ApiError::unauthorized)?;
    let year = match q.year {
        Some(y) => y,
        None => lms_app::leave_year::current(state.db(), now.date_naive()).await?,
    };
    if q.entries.unwrap_or(false) {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts.headers = headers;
        let user = CurrentUser::from_request_parts(&mut parts, &state).await?;
        return Ok(Json(balances_of(&state, user.id(), year, true).await?));
    }
    // The most frequent authenticated read: the caller is authenticated
    // in the statement that reads the balances (one round trip when the
    // year is given; the default year first reads the leave year's first
    // month), with the
    // same liveness rules as every other route: a revoked token or an
    // ended session is refused at once, on every instance).
    let mut c = state.db().acquire().await?;
    let Some((caller, lines)) = ledger::balances_of_caller(
        &mut c.conn(),
        presented.secret(),
        now,
        year,
        lms_app::leave_types::units(state.db()),
    )
    .await?
    else {
        return Err(presented.refused());
    };
    if let Some(token_id) = caller.token_id.filter(|_| token_use_is_stale(caller.token_last_used_at, now)) {
        lms_store::auth::touch_token(&mut c.conn(), token_id, now).await?;
    }
    Ok(Json(balances_dto(caller.employee_id, year, lines, None)))
}
