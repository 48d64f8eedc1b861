//! HR: entitlement policies — create, change and delete them, assign them
//! to a department or a person with dates, run the entitlement job now and
//! read what each run wrote. Each change is the use case the API calls
//! (`lms_app::entitlements`).

use super::page::{done_banner, error_message, render_with, see_other, Chrome, PageForm, Viewer};
use crate::api::text;
use crate::ApiError;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use lms_app::entitlements;
use lms_app::By;
use lms_core::entitlement::{Accrual, Policy};
use lms_core::LeaveAmount;
use lms_store::policies::{Assignee, PolicyValues};
use lms_store::{employees, leave_types};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct PoliciesQuery {
    done: Option<String>,
}

struct PolicyRow {
    id: i64,
    name: String,
    leave_type: String,
    /// In the type's unit ([`PolicyRow::in_hours`]: hours).
    allowance: String,
    accrual: String,
    cap: String,
    months: i32,
    in_hours: bool,
    assignments: Vec<AssignmentRow>,
}

struct AssignmentRow {
    id: i64,
    to: String,
    from: String,
    until: String,
}

struct RunRow {
    as_of: String,
    by: String,
    lines: i64,
    kinds: String,
}

#[derive(Template)]
#[template(path = "hr_policies.html")]
struct PoliciesPage {
    c: Chrome,
    policies: Vec<PolicyRow>,
    types: Vec<(String, String)>,
    accruals: Vec<(&'static str, String)>,
    departments: Vec<String>,
    runs: Vec<RunRow>,
    done: Option<String>,
    error: Option<String>,
}

const DONE: &[&str] =
    &["policy-created", "policy-saved", "policy-deleted", "policy-assigned", "policy-unassigned", "job-run"];

async fn load(viewer: &Viewer, done: Option<String>, error: Option<String>) -> Result<PoliciesPage, ApiError> {
    let lang = viewer.lang();
    let db = viewer.state.db();
    let caller = viewer.caller();
    let stored = entitlements::list(db).await?;
    let runs = entitlements::runs(db, By::Caller(&caller), 10).await?;
    let mut c = db.acquire().await?;
    let types = leave_types::list(&mut c.conn(), false).await?;
    let departments = employees::departments(&mut c.conn()).await?;
    let assignments = lms_store::policies::assignments(&mut c.conn(), None).await?;
    let mut names = std::collections::HashMap::new();
    for a in &assignments {
        if let Some(e) = a.employee_id {
            if let std::collections::hash_map::Entry::Vacant(v) = names.entry(e) {
                v.insert(employees::get(&mut c.conn(), e).await?.map(|p| p.name).unwrap_or_default());
            }
        }
    }
    let days = |m: i64| lang.millis(m);
    let shown = |p: &lms_store::policies::StoredPolicy, m: i64| lang.amount(p.unit, m);
    Ok(PoliciesPage {
        c: viewer.chrome("policies"),
        policies: stored
            .into_iter()
            .map(|p| PolicyRow {
                in_hours: p.unit == lms_core::LeaveUnit::Hours,
                allowance: shown(&p, p.allowance),
                cap: shown(&p, p.carry_over_cap),
                assignments: assignments
                    .iter()
                    .filter(|a| a.policy_id == p.id)
                    .map(|a| AssignmentRow {
                        id: a.id,
                        to: match (&a.department, a.employee_id) {
                            (Some(d), _) => d.clone(),
                            (None, Some(e)) => names.get(&e).cloned().unwrap_or_default(),
                            _ => String::new(),
                        },
                        from: lang.date(a.valid_from),
                        until: a.valid_to.map(|d| lang.date(d)).unwrap_or_default(),
                    })
                    .collect(),
                id: p.id,
                name: p.name,
                leave_type: p.leave_type,
                accrual: p.accrual,
                months: p.carry_over_months,
            })
            .collect(),
        types: types.into_iter().map(|t| (t.code, t.name)).collect(),
        accruals: Accrual::ALL
            .iter()
            .map(|a| (a.as_str(), lang.t(&format!("policies-accrual-{}", a.as_str()))))
            .collect(),
        departments,
        runs: runs
            .into_iter()
            .map(|r| {
                let report: serde_json::Value = serde_json::from_str(&r.report).unwrap_or_default();
                let kinds = report["by_kind"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k} {} ({})", v["lines"], days(v["amount"].as_i64().unwrap_or(0))))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                RunRow {
                    as_of: lang.date(r.as_of),
                    by: if r.started_by.is_some() {
                        lang.t("policies-run-by-hr")
                    } else {
                        lang.t("policies-run-by-job")
                    },
                    lines: r.lines_written,
                    kinds,
                }
            })
            .collect(),
        done,
        error,
    })
}

/// `GET /hr/policies`
pub async fn page(viewer: Viewer, Query(q): Query<PoliciesQuery>) -> Response {
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    let done = done_banner(viewer.lang(), q.done.as_deref(), DONE);
    viewer.respond(load(&viewer, done, None).await)
}

async fn after(viewer: &Viewer, outcome: Result<&str, ApiError>) -> Response {
    match outcome {
        Ok(done) => see_other(&format!("/hr/policies?done={done}")),
        Err(e) => {
            let status = if e.status.is_client_error() { e.status } else { StatusCode::INTERNAL_SERVER_ERROR };
            match load(viewer, None, Some(error_message(viewer.lang(), &e))).await {
                Ok(p) => render_with(status, &p),
                Err(e) => viewer.error(e).into_response(),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    leave_type: String,
    #[serde(default)]
    allowance: String,
    #[serde(default)]
    accrual: String,
    #[serde(default)]
    cap: String,
    #[serde(default)]
    months: String,
}

async fn save(viewer: &Viewer, id: Option<i64>, f: &PolicyForm) -> Result<&'static str, ApiError> {
    let name = text::name(&f.name, 100)?;
    let lt = {
        let mut c = viewer.state.db().acquire().await?;
        leave_types::by_code(&mut c.conn(), f.leave_type.trim()).await?
    }
    .ok_or_else(|| ApiError::unprocessable("unknown_leave_type", "choose a leave type"))?;
    // The numbers are in the type's unit: days, or hours.
    let unit = {
        let db = viewer.state.db();
        lms_app::leave_types::unit_of(db, &mut db.acquire().await?.conn(), lt.id).await?
    };
    let amount = |raw: &str, what: &str| -> Result<LeaveAmount, ApiError> {
        let a = match raw.trim() {
            "" => LeaveAmount::ZERO,
            s => super::hr_allowances::parse_amount(s, unit)?.stored(),
        };
        let max = match unit {
            lms_core::LeaveUnit::Days => LeaveAmount::days(366),
            lms_core::LeaveUnit::Hours => LeaveAmount::from_millidays(8784 * 60),
        };
        if a < LeaveAmount::ZERO || a > max {
            let most = if unit == lms_core::LeaveUnit::Days { "366 days" } else { "8784 hours" };
            return Err(ApiError::unprocessable("invalid_amount", format!("{what} must be 0 to {most}")));
        }
        Ok(a)
    };
    let months = match f.months.trim() {
        "" => 3,
        s => s.parse::<u32>().map_err(|_| {
            ApiError::unprocessable("invalid_amount", "carried days expire after a whole number of months, 1 to 12")
        })?,
    };
    let policy = Policy::new(
        amount(&f.allowance, "the allowance")?,
        f.accrual.parse::<Accrual>()?,
        amount(&f.cap, "the carry-over cap")?,
        months,
    )?
    .in_unit(unit);
    let values = PolicyValues { leave_type_id: lt.id, name: &name, policy };
    let caller = viewer.caller();
    entitlements::save(viewer.state.db(), By::Caller(&caller), id, &values, Utc::now()).await?;
    Ok(if id.is_some() { "policy-saved" } else { "policy-created" })
}

/// `POST /hr/policies`
pub async fn create(viewer: Viewer, PageForm(f): PageForm<PolicyForm>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    let outcome = save(&viewer, None, &f).await;
    after(&viewer, outcome).await
}

/// `POST /hr/policies/{id}`
pub async fn update(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<PolicyForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = save(&viewer, Some(id), &f).await;
    after(&viewer, outcome).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    token: String,
}

/// `POST /hr/policies/{id}/delete`
pub async fn delete(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<TokenForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let caller = viewer.caller();
    let outcome = entitlements::delete(viewer.state.db(), By::Caller(&caller), id, Utc::now()).await;
    after(&viewer, outcome.map(|_| "policy-deleted").map_err(ApiError::from)).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

fn form_date(raw: &str, what: &str) -> Result<Option<NaiveDate>, ApiError> {
    match raw.trim() {
        "" => Ok(None),
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::unprocessable("invalid_date", format!("{what} is not a date (YYYY-MM-DD)"))),
    }
}

/// `POST /hr/policies/{id}/assignments`
pub async fn assign(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<AssignForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let to = match (f.department.trim(), f.email.trim()) {
            (d, "") if !d.is_empty() => Assignee::Department(text::name(d, 100)?),
            ("", e) if !e.is_empty() => {
                let mut c = viewer.state.db().acquire().await?;
                let person = employees::login_record(&mut c.conn(), &e.to_lowercase())
                    .await?
                    .ok_or_else(|| ApiError::unprocessable("unknown_person", format!("nobody has the email {e}")))?;
                Assignee::Employee(person.0.id)
            }
            _ => {
                return Err(ApiError::unprocessable(
                    "invalid_assignment",
                    "choose a department or give a person's email, not both",
                ))
            }
        };
        let from = form_date(&f.from, "the first day")?
            .ok_or_else(|| ApiError::unprocessable("invalid_date", "the assignment needs a first day"))?;
        let until = form_date(&f.until, "the last day")?;
        let caller = viewer.caller();
        entitlements::assign(viewer.state.db(), By::Caller(&caller), id, &to, from, until, Utc::now()).await?;
        Ok("policy-assigned")
    };
    after(&viewer, outcome.await).await
}

/// `POST /hr/policy-assignments/{id}/delete`
pub async fn unassign(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<TokenForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let caller = viewer.caller();
    let outcome = entitlements::unassign(viewer.state.db(), By::Caller(&caller), id, Utc::now()).await;
    after(&viewer, outcome.map(|_| "policy-unassigned").map_err(ApiError::from)).await
}

/// `POST /hr/entitlements/run`: the job now, for today.
pub async fn run(viewer: Viewer, PageForm(f): PageForm<TokenForm>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    let caller = viewer.caller();
    let now = Utc::now();
    let outcome = entitlements::run(viewer.state.db(), By::Caller(&caller), now.date_naive(), now).await;
    after(&viewer, outcome.map(|_| "job-run").map_err(ApiError::from)).await
}
