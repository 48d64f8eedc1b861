//! Leave requests: submission (validated against calendar, overlaps and
//! balance under the employee's row lock) and status transitions (a
//! conditional update, so two concurrent decisions cannot both win).

use crate::{employees, holidays, leave_types, ledger, Conn, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::{Actor, DomainError, LeaveStatus, NewRequest, RequestAccess, RequestAction};
use serde::Serialize;

const SELECT: &str = "SELECT r.id, r.employee_id, e.name AS employee_name, e.manager_id, t.code AS leave_type, \
    r.start_date, r.end_date, r.half_day_start, r.half_day_end, r.year, r.amount, r.status, r.reason, r.created_at, \
    r.decided_by, r.decided_at, r.comment, r.cancelled_by, r.cancelled_at \
    FROM leave_requests r JOIN employees e ON e.id = r.employee_id JOIN leave_types t ON t.id = r.leave_type_id";

/// A request with its owner's name and manager.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LeaveRequest {
    pub id: i64,
    pub employee_id: i64,
    pub employee_name: String,
    pub manager_id: Option<i64>,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub year: i32,
    /// Millidays.
    pub amount: i64,
    pub status: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub cancelled_by: Option<i64>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl LeaveRequest {
    pub fn status(&self) -> LeaveStatus {
        self.status.parse().unwrap_or(LeaveStatus::Pending)
    }
}

/// Filters of a request listing. `employee_id = None` lists everyone (HR only).
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub employee_id: Option<i64>,
    pub status: Option<LeaveStatus>,
    pub leave_type: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only requests with an id below this (keyset paging, newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn get(c: &mut Conn<'_>, id: i64) -> Result<Option<LeaveRequest>> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    Ok(q!(opt c, LeaveRequest, &sql, id)?)
}

/// A request the actor may see; others are "not found" so existence does not leak.
pub async fn get_visible(c: &mut Conn<'_>, actor: &Actor, id: i64) -> Result<LeaveRequest> {
    match get(c, id).await? {
        Some(r) if actor.can_view(r.employee_id, r.manager_id) => Ok(r),
        _ => Err(StoreError::NotFound(format!("leave request {id}"))),
    }
}

pub async fn list(c: &mut Conn<'_>, f: &RequestFilter) -> Result<Vec<LeaveRequest>> {
    let sql = format!(
        "{SELECT} WHERE ($1 IS NULL OR r.employee_id = $1) AND ($2 IS NULL OR r.status = $2) AND ($3 IS NULL OR t.code = $3) \
         AND ($4 IS NULL OR r.end_date >= $4) AND ($5 IS NULL OR r.start_date <= $5) AND ($6 IS NULL OR r.id < $6) \
         ORDER BY r.id DESC LIMIT $7"
    );
    Ok(q!(all c, LeaveRequest, &sql,
        f.employee_id, f.status.map(|s| s.as_str()), f.leave_type.as_deref(), f.from, f.to, f.before_id, f.limit)?)
}

/// Pending requests `actor` may decide: of direct reports, or anyone else's for HR.
pub async fn approvals(
    c: &mut Conn<'_>,
    actor: &Actor,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<LeaveRequest>> {
    let sql = format!(
        "{SELECT} WHERE r.status = 'pending' AND r.employee_id <> $1 AND (e.manager_id = $1 OR $2 = TRUE) \
         AND ($3 IS NULL OR r.id < $3) ORDER BY r.id DESC LIMIT $4"
    );
    Ok(q!(all c, LeaveRequest, &sql, actor.id, actor.is_hr(), before_id, limit)?)
}

/// Validates and stores a new pending request for `employee_id`. Runs inside
/// the caller's transaction and takes the employee's lock first, so concurrent
/// submissions are checked against each other's days.
pub async fn submit(c: &mut Conn<'_>, employee_id: i64, new: &NewRequest, now: DateTime<Utc>) -> Result<LeaveRequest> {
    employees::lock(c, employee_id).await?;
    let code = new.leave_type.as_str();
    let lt = match leave_types::by_code(c, code).await? {
        Some(t) if t.active => t,
        _ => return Err(DomainError::UnknownLeaveType(code.to_string()).into()),
    };
    let calendar = holidays::calendar(c, new.range.start(), new.range.end()).await?;
    let amount = calendar.request_amount(&new.range, new.half_day_start, new.half_day_end)?;

    let overlapping = q!(opt c, (i64, String, NaiveDate, NaiveDate),
        "SELECT id, status, start_date, end_date FROM leave_requests WHERE employee_id = $1 \
         AND status IN ('pending', 'approved') AND start_date <= $2 AND end_date >= $3 ORDER BY id LIMIT 1",
        employee_id, new.range.end(), new.range.start())?;
    if let Some((id, status, start, end)) = overlapping {
        return Err(DomainError::Overlap { id, status, start: start.to_string(), end: end.to_string() }.into());
    }

    let balance = ledger::balance(c, employee_id, lt.id, new.year).await?;
    balance.check_fits(amount, lt.deducts_balance, &lt.code, new.year)?;

    let id = q!(scalar c, i64,
        "INSERT INTO leave_requests (employee_id, leave_type_id, start_date, end_date, half_day_start, half_day_end, year, amount, status, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10) RETURNING id",
        employee_id, lt.id, new.range.start(), new.range.end(), new.half_day_start, new.half_day_end, new.year,
        amount.millidays(), &new.reason, now)?;
    get(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("leave request {id}")))
}

/// Outcome of a transition: the request before and after.
#[derive(Debug, Clone)]
pub struct Transition {
    pub before: LeaveRequest,
    pub after: LeaveRequest,
}

/// Approves, rejects or cancels request `id` on behalf of `actor`.
/// Hidden requests are `NotFound`, forbidden ones `Domain(Forbidden)`; a
/// request changed concurrently is a `Conflict`.
pub async fn transition(
    c: &mut Conn<'_>,
    actor: &Actor,
    id: i64,
    action: RequestAction,
    comment: Option<&str>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Transition> {
    let before = get(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("leave request {id}")))?;
    match actor.access(action, before.employee_id, before.manager_id) {
        RequestAccess::Hidden => return Err(StoreError::NotFound(format!("leave request {id}"))),
        RequestAccess::Forbidden => {
            let why = match action {
                RequestAction::Cancel => "only the employee or an HR admin may cancel this request",
                _ if actor.id == before.employee_id => "you cannot decide your own request",
                _ => "only the employee's manager or an HR admin may decide this request",
            };
            return Err(DomainError::Forbidden(why.to_string()).into());
        }
        RequestAccess::Allowed => {}
    }
    let from = before.status();
    let to = from.apply(action, today, before.start_date).map_err(|e| match e {
        DomainError::InvalidTransition { .. } => {
            StoreError::conflict("invalid_transition", format!("cannot {} request {id}: it is {from}", action.as_str()))
        }
        other => other.into(),
    })?;
    let n = match action {
        RequestAction::Cancel => q!(exec c,
            "UPDATE leave_requests SET status = $1, cancelled_by = $2, cancelled_at = $3, comment = COALESCE($4, comment) \
             WHERE id = $5 AND status = $6",
            to.as_str(), actor.id, now, comment, id, from.as_str())?,
        _ => q!(exec c,
            "UPDATE leave_requests SET status = $1, decided_by = $2, decided_at = $3, comment = $4 WHERE id = $5 AND status = $6",
            to.as_str(), actor.id, now, comment, id, from.as_str())?,
    };
    if n == 0 {
        return Err(StoreError::conflict(
            "concurrent_change",
            format!("request {id} was changed by someone else in the meantime; reload it"),
        ));
    }
    let after = get(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("leave request {id}")))?;
    Ok(Transition { before, after })
}
