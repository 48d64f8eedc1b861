//! Leave requests: submission (validated against calendar, overlaps and
//! balance under the employee's row lock) and status transitions (a
//! conditional update, so two concurrent decisions cannot both win).

use crate::approvals::Queue;
use crate::leave_types::Units;
use crate::locations::Calendars;
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

/// Pending and approved requests that touch `from..=to`, of everyone or,
/// with `manager`, of that person's direct reports (who is off when: the
/// team calendar, the approvals queue's conflicts), by start date.
pub async fn active_between(
    c: &mut Conn<'_>,
    from: NaiveDate,
    to: NaiveDate,
    manager: Option<i64>,
) -> Result<Vec<LeaveRequest>> {
    let sql = format!(
        "{SELECT} WHERE r.status IN ('pending', 'approved') AND r.start_date <= $1 AND r.end_date >= $2 \
         AND ($3 IS NULL OR e.manager_id = $3) ORDER BY r.start_date, r.id"
    );
    Ok(q!(all c, LeaveRequest, &sql, to, from, manager)?)
}

/// A request in an approvals queue, with what its owner has left of the
/// request's leave type and year (pending days, this one included, already
/// counted) and whether the type counts against a balance.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QueueEntry {
    #[sqlx(flatten)]
    pub request: LeaveRequest,
    /// Millidays.
    pub available: i64,
    pub deducts_balance: bool,
}

/// [`approvals`] with each owner's balance, in one statement.
pub async fn approval_queue(
    c: &mut Conn<'_>,
    actor: &Actor,
    queue: Queue,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<QueueEntry>> {
    let sql = format!("{SELECT} WHERE {} ORDER BY r.id DESC LIMIT $4", queue_where(queue))
    .replacen(
        " FROM leave_requests r",
        ", t.deducts_balance, CAST(COALESCE((SELECT SUM(l.amount) FROM ledger_entries l WHERE l.employee_id = r.employee_id \
           AND l.year = r.year AND l.leave_type_id = r.leave_type_id), 0) - COALESCE((SELECT SUM(o.amount) FROM leave_requests o \
           WHERE o.employee_id = r.employee_id AND o.year = r.year AND o.leave_type_id = r.leave_type_id \
           AND o.status IN ('pending', 'approved')), 0) AS BIGINT) AS available FROM leave_requests r",
        1,
    );
    Ok(match queue {
        Queue::OneStep => q!(all c, QueueEntry, &sql, actor.id, actor.is_hr(), before_id, limit)?,
        Queue::Staged { today } => {
            q!(all c, QueueEntry, &sql, actor.id, actor.is_hr(), before_id, limit, actor.role.as_str(), today)?
        }
    })
}

/// The condition of a queue: binds `$1` the actor, `$2` whether HR, `$3`
/// the page's cursor (and, staged, `$5` the role and `$6` today).
fn queue_where(queue: Queue) -> String {
    let who = match queue {
        Queue::OneStep => "r.status = 'pending' AND (e.manager_id = $1 OR $2 = TRUE)",
        Queue::Staged { .. } => crate::approvals::QUEUE_WHERE,
    };
    format!("r.employee_id <> $1 AND ($3 IS NULL OR r.id < $3) AND {who}")
}

/// Requests `actor` may decide: of direct reports, or anyone else's for HR
/// (one step); or those at a stage they may decide (staged).
pub async fn approvals(
    c: &mut Conn<'_>,
    actor: &Actor,
    queue: Queue,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<LeaveRequest>> {
    let sql = format!("{SELECT} WHERE {} ORDER BY r.id DESC LIMIT $4", queue_where(queue));
    Ok(match queue {
        Queue::OneStep => q!(all c, LeaveRequest, &sql, actor.id, actor.is_hr(), before_id, limit)?,
        Queue::Staged { today } => {
            q!(all c, LeaveRequest, &sql, actor.id, actor.is_hr(), before_id, limit, actor.role.as_str(), today)?
        }
    })
}

/// Validates and stores a new pending request for `employee_id`. Runs inside
/// the caller's transaction and takes the employee's lock first, so concurrent
/// submissions are checked against each other's days. `calendars`: which
/// holiday calendars the instance reads (the person's location's or the company's);
/// `units`: whether it reads each type's unit.
pub async fn submit(
    c: &mut Conn<'_>,
    employee_id: i64,
    new: &NewRequest,
    calendars: Calendars,
    units: Units,
    now: DateTime<Utc>,
) -> Result<LeaveRequest> {
    employees::lock(c, employee_id).await?;
    let quote = quote(c, employee_id, new, calendars, units, now.date_naive()).await?;
    if let Some(problem) = quote.problem {
        return Err(problem.into());
    }
    let (lt, amount) = (quote.leave_type_id, quote.amount);
    let id = q!(scalar c, i64,
        "INSERT INTO leave_requests (employee_id, leave_type_id, start_date, end_date, half_day_start, half_day_end, year, amount, status, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10) RETURNING id",
        employee_id, lt, new.range.start(), new.range.end(), new.half_day_start, new.half_day_end, new.year,
        amount, &new.reason, now)?;
    get(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("leave request {id}")))
}

/// What a new request would count and leave, and what would refuse it —
/// the numbers a person sees while filling in the form. Submitting runs the
/// same computation under the employee's lock, so the two cannot disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    #[serde(skip)]
    pub leave_type_id: i64,
    pub leave_type: String,
    pub deducts_balance: bool,
    pub year: i32,
    /// The unit of the type: every amount of the quote is in it.
    pub unit: lms_core::LeaveUnit,
    /// What the request counts (0 when it covers no working day):
    /// millidays, or minutes for a type measured in hours.
    pub amount: i64,
    /// Working days in the range (before half days).
    pub working_days: i64,
    /// Saturdays and Sundays in the range, not counted.
    pub weekend_days: i64,
    /// Holidays on the person's working days (by their schedule) in the
    /// range, not counted; holidays on days they do not work cost nothing
    /// and are not listed.
    pub holidays: Vec<holidays::Holiday>,
    /// The location whose calendar applied; `None`: the company-wide calendar.
    pub location: Option<crate::locations::Location>,
    /// The person's working schedules that counted the range, oldest first
    /// (one without `valid_from`: none is set, full time).
    pub schedules: Vec<crate::schedules::AppliedSchedule>,
    /// Available before and after this request (in the type's unit).
    pub available_before: i64,
    pub available_after: i64,
    /// The person's pending or approved requests that overlap the range.
    pub overlaps: Vec<LeaveRequest>,
    /// The leave type expects a supporting document (shown, not enforced).
    pub document_required: bool,
    /// How far the balance may go below zero for this type (in its unit).
    pub negative_limit: i64,
    /// What would refuse the submission, first of: no working day, an
    /// overlap, the type's length or notice rule, not enough balance.
    #[serde(skip)]
    pub problem: Option<DomainError>,
    /// What each leave year is charged ([`crate::request_parts::quote`]
    /// fills it; empty from [`quote`] alone).
    pub parts: Vec<crate::request_parts::QuotePart>,
}

/// Quotes `new` for `employee_id`, asked on `today`, without storing
/// anything. A type measured in hours counts the person's scheduled
/// minutes (half of them for a half day), or `new.minutes` of its one day.
pub async fn quote(
    c: &mut Conn<'_>,
    employee_id: i64,
    new: &NewRequest,
    calendars: Calendars,
    units: Units,
    today: NaiveDate,
) -> Result<Quote> {
    let code = new.leave_type.as_str();
    let lt = match leave_types::by_code(c, code).await? {
        Some(t) if t.active => t,
        _ => return Err(DomainError::UnknownLeaveType(code.to_string()).into()),
    };
    let (start, end) = (new.range.start(), new.range.end());
    // The person's location's calendar, or the company's.
    let applied = crate::locations::calendar_of(c, employee_id, calendars, start, end).await?;
    let days = applied.holidays;
    // The person's own schedules (full time Monday–Friday when none is set).
    let schedules = crate::schedules::history(c, employee_id).await?;
    let scheduled = |d: &NaiveDate| schedules.on(*d).minutes_on(*d) > 0;
    let holidays: Vec<_> = days.iter().filter(|h| scheduled(&h.day)).cloned().collect();
    let calendar = lms_core::Counter::new(schedules.clone(), days.iter().map(|h| h.day));
    let weekend = |d: &NaiveDate| matches!(chrono::Datelike::weekday(d), chrono::Weekday::Sat | chrono::Weekday::Sun);
    let weekend_days = new.range.days().filter(weekend).count() as i64;
    let mut problem = None;
    let unit = leave_types::unit(c, lt.id, units).await?;
    let cost = match (unit, new.minutes) {
        (lms_core::LeaveUnit::Days, Some(_)) => Err(DomainError::PartDay(format!(
            "leave type '{}' is measured in days: ask for a half day instead of hours",
            lt.code
        ))),
        (lms_core::LeaveUnit::Hours, Some(minutes)) => calendar.part_of_day(&new.range, minutes),
        (unit, None) => calendar.cost(&new.range, unit, new.half_day_start, new.half_day_end),
    };
    let amount = match cost {
        Ok(cost) => lms_core::Quantity::from(cost).stored(),
        Err(e) => {
            problem = Some(e);
            lms_core::LeaveAmount::ZERO
        }
    };
    let sql = format!(
        "{SELECT} WHERE r.employee_id = $1 AND r.status IN ('pending', 'approved') \
         AND r.start_date <= $2 AND r.end_date >= $3 ORDER BY r.id LIMIT 20"
    );
    let overlaps = q!(all c, LeaveRequest, &sql, employee_id, end, start)?;
    if let (None, Some(o)) = (&problem, overlaps.first()) {
        problem = Some(DomainError::Overlap {
            id: o.id,
            status: o.status.clone(),
            start: o.start_date.to_string(),
            end: o.end_date.to_string(),
        });
    }
    let rules = leave_types::rules(c, lt.id).await?;
    if problem.is_none() {
        problem = rules.check(&new.range, today).err();
    }
    let balance = ledger::balance(c, employee_id, lt.id, new.year).await?;
    if problem.is_none() {
        problem =
            balance.check_fits_in(unit, amount, lt.deducts_balance, rules.negative_limit(), &lt.code, new.year).err();
    }
    let before = balance.available().millidays();
    Ok(Quote {
        leave_type_id: lt.id,
        leave_type: lt.code,
        deducts_balance: lt.deducts_balance,
        year: new.year,
        unit,
        amount: amount.millidays(),
        working_days: new.range.days().filter(|d| calendar.is_working_day(*d)).count() as i64,
        weekend_days,
        holidays,
        location: applied.location,
        schedules: crate::schedules::applied_over(c, employee_id, start, end).await?,
        available_before: before,
        available_after: if lt.deducts_balance { before - amount.millidays() } else { before },
        overlaps,
        document_required: rules.document_required(),
        negative_limit: rules.negative_limit().millidays(),
        problem,
        parts: Vec::new(),
    })
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
