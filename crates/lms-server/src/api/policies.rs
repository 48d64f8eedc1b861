//! Entitlement policies and their assignments, the entitlement job's runs
//! and reports, a person's leaving date, and a balance on any day (past, or
//! projected into the future) explained line by line. HR writes; anyone
//! signed in reads the policies; a balance is the person's own or HR's.

use super::dto::amount_in;
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{NaiveDate, Utc};
use lms_app::entitlements::{self, BalanceOn, RunReport};
use lms_app::By;
use lms_core::entitlement::{Accrual, Policy};
use lms_core::{LeaveAmount, LeaveUnit, Quantity};
use lms_store::policies::{Assignee, Assignment, PolicyValues, StoredPolicy};
use lms_store::{employees, leave_types};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A policy as the API shows it, in its leave type's `unit`: days (up to
/// three decimals) in `allowance_days` and `carry_over_cap_days`, or hours
/// in `allowance_hours` and `carry_over_cap_hours`.
#[derive(Serialize, ToSchema)]
pub struct PolicyDto {
    pub id: i64,
    /// Leave type code.
    pub leave_type: String,
    pub name: String,
    /// `days` or `hours`: the leave type's unit, and which amount fields are present.
    #[schema(example = "days")]
    pub unit: String,
    /// Days per full leave year (a type in days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowance_days: Option<f64>,
    /// Hours per full leave year (a type in hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowance_hours: Option<f64>,
    /// `yearly`, `monthly-first`, `monthly-last` or `monthly-anniversary`.
    pub accrual: String,
    /// The most days carried into the next year (0: none; a type in days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carry_over_cap_days: Option<f64>,
    /// The most hours carried into the next year (0: none; a type in hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carry_over_cap_hours: Option<f64>,
    /// Months into the next year after which carried days expire (1–12).
    pub carry_over_months: i32,
}

impl From<StoredPolicy> for PolicyDto {
    fn from(p: StoredPolicy) -> Self {
        let (days, hours) = (LeaveUnit::Days, LeaveUnit::Hours);
        PolicyDto {
            id: p.id,
            leave_type: p.leave_type,
            name: p.name,
            unit: p.unit.as_str().to_string(),
            allowance_days: amount_in(days, p.unit, p.allowance),
            allowance_hours: amount_in(hours, p.unit, p.allowance),
            accrual: p.accrual,
            carry_over_cap_days: amount_in(days, p.unit, p.carry_over_cap),
            carry_over_cap_hours: amount_in(hours, p.unit, p.carry_over_cap),
            carry_over_months: p.carry_over_months,
        }
    }
}

/// A new or changed policy.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"leave_type": "annual", "name": "Annual, monthly", "allowance_days": 25, "accrual": "monthly-first", "carry_over_cap_days": 5, "carry_over_months": 3}))]
pub struct PolicyInput {
    pub leave_type: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Days per full leave year, for a type measured in days.
    #[schema(minimum = 0, maximum = 366)]
    pub allowance_days: Option<f64>,
    /// Hours per full leave year (a whole number of minutes), for a type
    /// measured in hours: a pro-rata share then rounds up to the whole hour.
    #[schema(minimum = 0, maximum = 8784)]
    pub allowance_hours: Option<f64>,
    pub accrual: String,
    /// For a type measured in days.
    #[schema(minimum = 0, maximum = 366)]
    pub carry_over_cap_days: Option<f64>,
    /// For a type measured in hours.
    #[schema(minimum = 0, maximum = 8784)]
    pub carry_over_cap_hours: Option<f64>,
    #[schema(minimum = 1, maximum = 12)]
    pub carry_over_months: Option<u32>,
}

/// `v` of `field` in `unit`: 0 to 366 days, or 0 to 8784 hours.
fn in_unit(unit: LeaveUnit, field: &str, v: f64) -> Result<LeaveAmount, ApiError> {
    let q = Quantity::parse(unit, v)?;
    let max = match unit {
        LeaveUnit::Days => LeaveAmount::days(366).millidays(),
        LeaveUnit::Hours => 8784 * 60,
    };
    if !(0..=max).contains(&q.raw()) {
        let what = if unit == LeaveUnit::Days { "366 days" } else { "8784 hours" };
        return Err(ApiError::unprocessable("invalid_amount", format!("{field} must be 0 to {what}")));
    }
    Ok(q.stored())
}

/// The field of `unit` (`{base}_days` or `{base}_hours`); the other
/// unit's field is refused, naming the one to send.
fn pick(unit: LeaveUnit, base: &str, days: Option<f64>, hours: Option<f64>) -> Result<Option<f64>, ApiError> {
    let (mine, other) = match unit {
        LeaveUnit::Days => (days, hours),
        LeaveUnit::Hours => (hours, days),
    };
    if other.is_some() {
        let u = unit.as_str();
        return Err(ApiError::unprocessable(
            "wrong_unit",
            format!("this policy's leave type is measured in {u}: send {base}_{u}"),
        ));
    }
    Ok(mine)
}

/// Parses a policy; the leave type must exist.
async fn values<'a>(state: &AppState, body: &'a PolicyInput) -> ApiResult<PolicyValues<'a>> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable("invalid_name", "a policy's name has 1 to 100 characters"));
    }
    let accrual: Accrual = body.accrual.parse()?;
    let mut c = state.db().acquire().await?;
    let lt = leave_types::by_code(&mut c.conn(), &body.leave_type).await?.ok_or_else(|| {
        ApiError::unprocessable("unknown_leave_type", format!("there is no leave type {:?}", body.leave_type))
    })?;
    let unit = lms_app::leave_types::unit_of(state.db(), &mut c.conn(), lt.id).await?;
    let u = unit.as_str();
    let allowance = pick(unit, "allowance", body.allowance_days, body.allowance_hours)?
        .ok_or_else(|| ApiError::unprocessable("invalid_amount", format!("give allowance_{u}")))?;
    let cap = pick(unit, "carry_over_cap", body.carry_over_cap_days, body.carry_over_cap_hours)?.unwrap_or(0.0);
    let policy = Policy::new(
        in_unit(unit, &format!("allowance_{u}"), allowance)?,
        accrual,
        in_unit(unit, &format!("carry_over_cap_{u}"), cap)?,
        body.carry_over_months.unwrap_or(3),
    )?
    .in_unit(unit);
    Ok(PolicyValues { leave_type_id: lt.id, name, policy })
}

/// The entitlement policies.
#[utoipa::path(get, path = "/policies", operation_id = "list_policies", tag = "policies",
    responses((status = 200, body = Vec<PolicyDto>), (status = 409, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, _user: CurrentUser) -> ApiResult<Json<Vec<PolicyDto>>> {
    Ok(Json(entitlements::list(state.db()).await?.into_iter().map(PolicyDto::from).collect()))
}

/// Creates a policy (HR admins).
#[utoipa::path(post, path = "/policies", operation_id = "create_policy", tag = "policies", request_body = PolicyInput,
    responses((status = 201, body = PolicyDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<PolicyInput>,
) -> ApiResult<(StatusCode, Json<PolicyDto>)> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let v = values(&state, &body).await?;
    let saved = entitlements::save(state.db(), By::Caller(&caller), None, &v, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Replaces a policy (HR admins). Lines already written stay; the job
/// writes the next ones by the new values.
#[utoipa::path(put, path = "/policies/{id}", operation_id = "update_policy", tag = "policies", params(("id" = i64, Path)),
    request_body = PolicyInput,
    responses((status = 200, body = PolicyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PolicyInput>,
) -> ApiResult<Json<PolicyDto>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let v = values(&state, &body).await?;
    Ok(Json(entitlements::save(state.db(), By::Caller(&caller), Some(id), &v, Utc::now()).await?.into()))
}

/// Deletes a policy nobody is assigned to (HR admins).
#[utoipa::path(delete, path = "/policies/{id}", operation_id = "delete_policy", tag = "policies", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let caller = ctx.caller(user.actor());
    entitlements::delete(state.db(), By::Caller(&caller), id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An assignment of a policy to a department or one person.
#[derive(Serialize, ToSchema)]
pub struct AssignmentDto {
    pub id: i64,
    pub policy_id: i64,
    pub department: Option<String>,
    pub employee_id: Option<i64>,
    pub valid_from: NaiveDate,
    /// The last day it applies; none: open-ended.
    pub valid_to: Option<NaiveDate>,
}

impl From<Assignment> for AssignmentDto {
    fn from(a: Assignment) -> Self {
        AssignmentDto {
            id: a.id,
            policy_id: a.policy_id,
            department: a.department,
            employee_id: a.employee_id,
            valid_from: a.valid_from,
            valid_to: a.valid_to,
        }
    }
}

/// Whom a policy applies to from when: exactly one of `department` and `employee_id`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"department": "Engineering", "valid_from": "2026-01-01"}))]
pub struct AssignmentInput {
    #[schema(max_length = 100)]
    pub department: Option<String>,
    pub employee_id: Option<i64>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// A policy's assignments (HR admins).
#[utoipa::path(get, path = "/policies/{id}/assignments", operation_id = "list_policy_assignments", tag = "policies",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AssignmentDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn assignments(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<AssignmentDto>>> {
    user.require_hr()?;
    Ok(Json(entitlements::assignments(state.db(), id).await?.into_iter().map(AssignmentDto::from).collect()))
}

/// Assigns a policy to a department or a person (HR admins). A person's
/// own assignment wins over their department's; among several, the one
/// valid from the latest day.
#[utoipa::path(post, path = "/policies/{id}/assignments", operation_id = "assign_policy", tag = "policies",
    params(("id" = i64, Path)), request_body = AssignmentInput,
    responses((status = 201, body = AssignmentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AssignmentInput>,
) -> ApiResult<(StatusCode, Json<AssignmentDto>)> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let to = match (body.department.as_deref().map(str::trim), body.employee_id) {
        (Some(d), None) if !d.is_empty() && d.chars().count() <= 100 => Assignee::Department(d.to_string()),
        (None, Some(e)) => Assignee::Employee(e),
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_assignment",
                "name either a department (1 to 100 characters) or an employee_id, not both",
            ))
        }
    };
    let a = entitlements::assign(state.db(), By::Caller(&caller), id, &to, body.valid_from, body.valid_to, Utc::now())
        .await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Removes an assignment (HR admins); lines already written stay.
#[utoipa::path(delete, path = "/policy-assignments/{id}", operation_id = "delete_policy_assignment", tag = "policies",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn unassign(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let caller = ctx.caller(user.actor());
    entitlements::unassign(state.db(), By::Caller(&caller), id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A run of the entitlement job.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"as_of": "2026-12-01"}))]
pub struct RunInput {
    /// Writes what is due by this day (today by default; not in the future).
    pub as_of: Option<NaiveDate>,
}

/// What a run wrote.
#[derive(Serialize, ToSchema)]
pub struct RunReportDto {
    pub run_id: i64,
    pub as_of: NaiveDate,
    /// The leave years covered: the one before and the current one.
    pub years: Vec<i32>,
    pub people: u64,
    pub lines_written: u64,
    /// Lines due that an earlier (or concurrent) run had written.
    pub already_written: u64,
    /// Per kind of line: how many and how many days.
    #[schema(value_type = Object)]
    pub by_kind: serde_json::Value,
    pub took_ms: u64,
}

fn report_dto(r: RunReport) -> RunReportDto {
    let by_kind = r
        .by_kind
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                serde_json::json!({"lines": t.lines, "days": LeaveAmount::from_millidays(t.amount).to_days_f64()}),
            )
        })
        .collect::<serde_json::Map<_, _>>();
    RunReportDto {
        run_id: r.run_id,
        as_of: r.as_of,
        years: r.years.to_vec(),
        people: r.people,
        lines_written: r.lines_written,
        already_written: r.already_written,
        by_kind: by_kind.into(),
        took_ms: r.took_ms,
    }
}

/// Runs the entitlement job now (HR admins): writes every allocation,
/// accrual, pro-rata, carry-over and expiry line due by `as_of` that is
/// not written yet. Running it again changes nothing.
#[utoipa::path(post, path = "/entitlements/run", operation_id = "run_entitlements", tag = "policies",
    request_body = RunInput,
    responses((status = 200, body = RunReportDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<RunInput>,
) -> ApiResult<Json<RunReportDto>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let now = Utc::now();
    let as_of = body.as_of.unwrap_or(now.date_naive());
    Ok(Json(report_dto(entitlements::run(state.db(), By::Caller(&caller), as_of, now).await?)))
}

/// A stored run.
#[derive(Serialize, ToSchema)]
pub struct RunDto {
    pub id: i64,
    pub as_of: NaiveDate,
    pub started_at: chrono::DateTime<Utc>,
    pub finished_at: chrono::DateTime<Utc>,
    /// Who started it; none: the scheduled run.
    pub started_by: Option<i64>,
    pub lines_written: i64,
    /// The run's report.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// The latest runs of the entitlement job, newest first (HR admins).
#[utoipa::path(get, path = "/entitlements/runs", operation_id = "list_entitlement_runs", tag = "policies",
    responses((status = 200, body = Vec<RunDto>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn runs(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
) -> ApiResult<Json<Vec<RunDto>>> {
    let caller = ctx.caller(user.actor());
    let runs = entitlements::runs(state.db(), By::Caller(&caller), 50).await?;
    Ok(Json(
        runs.into_iter()
            .map(|r| RunDto {
                id: r.id,
                as_of: r.as_of,
                started_at: r.started_at,
                finished_at: r.finished_at,
                started_by: r.started_by,
                lines_written: r.lines_written,
                report: serde_json::from_str(&r.report).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
    ))
}

/// A person's last day.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"leaving_date": "2026-06-30"}))]
pub struct LeavingDate {
    /// None: not leaving.
    pub leaving_date: Option<NaiveDate>,
}

/// Sets or clears a person's leaving date (HR admins); the entitlement job
/// then settles their allocation pro-rata.
#[utoipa::path(put, path = "/employees/{id}/leaving-date", operation_id = "set_leaving_date", tag = "policies",
    params(("id" = i64, Path)), request_body = LeavingDate,
    responses((status = 200, body = LeavingDate), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_leaving_date(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LeavingDate>,
) -> ApiResult<Json<LeavingDate>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    entitlements::set_leaving_date(state.db(), By::Caller(&caller), id, body.leaving_date, Utc::now()).await?;
    Ok(Json(body))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnQuery {
    /// The day (past, today or future).
    pub date: NaiveDate,
}

/// One line of a balance.
#[derive(Serialize, ToSchema)]
pub struct BalanceLineDto {
    /// allocation, adjustment, correction, accrual, pro_rata, carry_over or expiry.
    pub kind: String,
    pub key: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub days: f64,
    pub reason: String,
    /// Not in the ledger yet: the policy will have written it by the day asked.
    pub projected: bool,
}

/// A leave type's balance on a day. Its amounts are in the type's `unit`
/// (the `_days` names are kept from when every type counted days).
#[derive(Serialize, ToSchema)]
pub struct BalanceOnDto {
    pub leave_type: String,
    /// `days` or `hours`: the unit of every amount here.
    #[schema(example = "days")]
    pub unit: String,
    pub date: NaiveDate,
    /// The leave year the day falls in.
    pub year: i32,
    pub lines: Vec<BalanceLineDto>,
    /// The lines' sum.
    pub entitled_days: f64,
    pub taken_days: f64,
    pub pending_days: f64,
    pub available_days: f64,
}

/// A person's balances on a day, past or future (projected: the lines the
/// policy will have written by then), line by line (the person or HR).
#[utoipa::path(get, path = "/employees/{id}/balances-on", operation_id = "balances_on", tag = "policies",
    params(("id" = i64, Path), OnQuery),
    responses((status = 200, body = Vec<BalanceOnDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn balances_on(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OnQuery>,
) -> ApiResult<Json<Vec<BalanceOnDto>>> {
    if id != user.id() {
        user.require_hr()?;
    }
    let types = {
        let mut c = state.db().acquire().await?;
        employees::require(&mut c.conn(), id).await?;
        leave_types::list(&mut c.conn(), true).await?
    };
    let today = Utc::now().date_naive();
    let balances: Vec<BalanceOn> = entitlements::balance_on(state.db(), id, q.date, today).await?;
    let units = lms_app::leave_types::type_units(state.db()).await?;
    Ok(Json(
        balances
            .into_iter()
            .map(|b| {
                let code = types.iter().find(|t| t.id == b.leave_type_id).map(|t| t.code.clone()).unwrap_or_default();
                let unit = units.of(&code);
                let d = |m: i64| super::dto::amount(unit, m);
                BalanceOnDto {
                    leave_type: code,
                    unit: unit.as_str().to_string(),
                    date: b.on,
                    year: b.year,
                    lines: b
                        .lines
                        .into_iter()
                        .map(|l| BalanceLineDto {
                            kind: l.kind,
                            key: l.key,
                            valid_from: l.valid_from,
                            days: d(l.amount),
                            reason: l.reason,
                            projected: l.projected,
                        })
                        .collect(),
                    entitled_days: d(b.entitled),
                    taken_days: d(b.taken),
                    pending_days: d(b.pending),
                    available_days: d(b.available),
                }
            })
            .collect(),
    ))
}
