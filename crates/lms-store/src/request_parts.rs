//! A request cut at the turns of the leave year: one `leave_requests` row
//! per leave year it touches, each charged to its own year (so every per-year
//! sum — balances, reports, the approvals queue — stays exact, also for the
//! release before, which reads each part as a request of its own), linked by
//! `part_of`, the first part's id. Quoting and submitting the parts
//! together; finding a request's siblings.
//!
//! Only an instance that counts on [`MIGRATION`] calls what reads or writes
//! `part_of` (the use cases ask `Db::counts`); quoting touches no new column.
//! Which parts a request has is `lms_core::NewRequest::parts`'s to decide.

use crate::leave_types::Units;
use crate::locations::Calendars;
use crate::requests::{self, LeaveRequest, Quote};
use crate::{employees, leave_types, Conn, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::{Balance, DomainError, LeaveAmount, NewRequest};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The migration that adds `leave_requests.part_of`: an instance that does
/// not count on it charges the calendar year and refuses a request across
/// it, as the release before does.
pub const MIGRATION: i64 = 20261203000004;

/// What one leave year is charged by a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotePart {
    pub year: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    /// Millidays charged to `year`.
    pub amount: i64,
    /// Millidays available in `year` before and after this part.
    pub available_before: i64,
    pub available_after: i64,
}

impl QuotePart {
    fn of(q: &Quote, part: &NewRequest) -> QuotePart {
        QuotePart {
            year: part.year,
            start: part.range.start(),
            end: part.range.end(),
            half_day_start: part.half_day_start,
            half_day_end: part.half_day_end,
            amount: q.amount,
            available_before: q.available_before,
            available_after: q.available_after,
        }
    }
}

/// Quotes `whole`, charged as `parts` (its [`NewRequest::parts`], at least
/// one), for `employee_id` on `today`, without storing anything. Each part
/// is counted and checked against its own year's balance; the type's rules
/// (longest request, notice) judge the whole absence. The answer sums the
/// days, lists every overlap once, and gives the first part's year and
/// balance at the top with each year's in `parts`. The first problem, in
/// the order of a one-piece quote: no working day in the whole range, an
/// overlap, length or notice, then the first part its year cannot pay for.
pub async fn quote(
    c: &mut Conn<'_>,
    employee_id: i64,
    whole: &NewRequest,
    parts: &[NewRequest],
    calendars: Calendars,
    units: Units,
    today: NaiveDate,
) -> Result<Quote> {
    let mut quotes = Vec::with_capacity(parts.len());
    for part in parts {
        quotes.push(requests::quote(c, employee_id, part, calendars, units, today).await?);
    }
    let mut described: Vec<QuotePart> = quotes.iter().zip(parts).map(|(q, p)| QuotePart::of(q, p)).collect();
    let mut quotes = quotes.into_iter();
    let Some(mut total) = quotes.next() else {
        return Err(StoreError::NotFound("a request without days".into()));
    };
    if parts.len() == 1 {
        total.parts = described;
        return Ok(total);
    }
    for q in quotes {
        total.amount += q.amount;
        total.working_days += q.working_days;
        total.weekend_days += q.weekend_days;
        total.holidays.extend(q.holidays);
        for s in q.schedules {
            if !total.schedules.contains(&s) {
                total.schedules.push(s);
            }
        }
        for o in q.overlaps {
            if !total.overlaps.iter().any(|t| t.id == o.id) {
                total.overlaps.push(o);
            }
        }
    }
    total.overlaps.sort_by_key(|o| o.id);
    // A part without a working day (a weekend at the turn of the year)
    // costs nothing; only a whole without one is refused.
    let no_working_day = total.working_days == 0;
    let rules = leave_types::rules(c, total.leave_type_id).await?;
    total.problem = if no_working_day {
        Some(DomainError::NoWorkingDays { start: whole.range.start().to_string(), end: whole.range.end().to_string() })
    } else if let Some(o) = total.overlaps.first() {
        Some(DomainError::Overlap {
            id: o.id,
            status: o.status.clone(),
            start: o.start_date.to_string(),
            end: o.end_date.to_string(),
        })
    } else if let Err(e) = rules.check(&whole.range, today) {
        Some(e)
    } else {
        described.iter().find_map(|p| {
            let balance = Balance {
                entitled: LeaveAmount::from_millidays(p.available_before),
                taken: LeaveAmount::ZERO,
                pending: LeaveAmount::ZERO,
            };
            let amount = LeaveAmount::from_millidays(p.amount);
            let limit = rules.negative_limit();
            balance.check_fits_in(total.unit, amount, total.deducts_balance, limit, &total.leave_type, p.year).err()
        })
    };
    if !total.deducts_balance {
        for p in &mut described {
            p.available_after = p.available_before;
        }
    }
    total.parts = described;
    Ok(total)
}

/// Stores `whole` as its `parts` (more than one), pending, for
/// `employee_id`: under the employee's lock, with the computation of
/// [`quote`], all or nothing. Returns the rows in order; the first names
/// itself in `part_of`, the others name it.
pub async fn submit(
    c: &mut Conn<'_>,
    employee_id: i64,
    whole: &NewRequest,
    parts: &[NewRequest],
    calendars: Calendars,
    units: Units,
    now: DateTime<Utc>,
) -> Result<Vec<LeaveRequest>> {
    employees::lock(c, employee_id).await?;
    let q = quote(c, employee_id, whole, parts, calendars, units, now.date_naive()).await?;
    if let Some(problem) = q.problem {
        return Err(problem.into());
    }
    let mut first = None;
    let mut rows = Vec::with_capacity(parts.len());
    for (part, charged) in parts.iter().zip(&q.parts) {
        let id = q!(scalar c, i64,
            "INSERT INTO leave_requests (employee_id, leave_type_id, start_date, end_date, half_day_start, half_day_end, year, amount, status, reason, created_at, part_of) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11) RETURNING id",
            employee_id, q.leave_type_id, part.range.start(), part.range.end(), part.half_day_start, part.half_day_end,
            part.year, charged.amount, &part.reason, now, first)?;
        let group = *first.get_or_insert(id);
        if group == id {
            q!(exec c, "UPDATE leave_requests SET part_of = $1 WHERE id = $1", id)?;
        }
        rows.push(requests::get(c, id).await?.ok_or_else(|| StoreError::NotFound(format!("leave request {id}")))?);
    }
    Ok(rows)
}

/// The ids of the parts of the request `id` belongs to, in order; empty for
/// a request in one piece (or none).
pub async fn siblings(c: &mut Conn<'_>, id: i64) -> Result<Vec<i64>> {
    let rows = q!(all c, (i64,),
        "SELECT o.id FROM leave_requests o WHERE o.part_of = (SELECT r.part_of FROM leave_requests r WHERE r.id = $1) \
         ORDER BY o.start_date, o.id",
        id)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// For each of `ids` that is a part of a request: the ids of all its parts,
/// in order. One statement for a page of requests.
pub async fn siblings_of(c: &mut Conn<'_>, ids: &[i64]) -> Result<HashMap<i64, Vec<i64>>> {
    let (Some(lo), Some(hi)) = (ids.iter().min(), ids.iter().max()) else { return Ok(HashMap::new()) };
    let rows = q!(all c, (i64, i64),
        "SELECT o.id, o.part_of FROM leave_requests o WHERE o.part_of IN \
         (SELECT r.part_of FROM leave_requests r WHERE r.id BETWEEN $1 AND $2 AND r.part_of IS NOT NULL) \
         ORDER BY o.start_date, o.id",
        *lo, *hi)?;
    let mut groups: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (id, group) in rows {
        groups.entry(group).or_default().push(id);
    }
    let mut out = HashMap::new();
    for members in groups.into_values() {
        for id in members.iter().filter(|id| ids.contains(id)) {
            out.insert(*id, members.clone());
        }
    }
    Ok(out)
}
