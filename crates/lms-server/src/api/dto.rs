//! Shapes the API returns. Amounts are converted from their integer unit
//! (thousandths of a day, or minutes for a type measured in hours) to JSON
//! numbers with at most three decimals here, at the edge: an amount of a
//! type in days is a `days` field, of a type in hours an `hours` field, and
//! `unit` says which.

use chrono::{DateTime, NaiveDate, Utc};
use lms_core::{LeaveAmount, LeaveUnit, Quantity};
use lms_store::employees::Employee;
use lms_store::requests::LeaveRequest;
use serde::Serialize;
use utoipa::ToSchema;

/// Days as a JSON number (e.g. `2.5`).
pub fn days(millidays: i64) -> f64 {
    LeaveAmount::from_millidays(millidays).to_days_f64()
}

/// A stored amount of a type measured in `unit` as a JSON number of days
/// or hours (three decimals at most; hours × 60 rounds to the exact minutes).
pub fn amount(unit: LeaveUnit, raw: i64) -> f64 {
    Quantity::new(unit, raw).to_f64()
}

/// `Some(amount)` when `unit` is `want`: the field of the other unit stays out.
pub fn amount_in(want: LeaveUnit, unit: LeaveUnit, raw: i64) -> Option<f64> {
    (unit == want).then(|| amount(unit, raw))
}

/// A page of items; `next_cursor` fetches the next page when present.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<i64>,
}

impl<T> Page<T> {
    /// A page whose cursor is the id of the last item when the page is full.
    pub fn keyset(items: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Self {
        let next_cursor = if items.len() as i64 >= limit { items.last().map(id) } else { None };
        Page { items, next_cursor }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RequestDto {
    pub id: i64,
    pub employee_id: i64,
    pub employee_name: String,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    /// `days` or `hours`: the unit of the request's leave type, and which
    /// of the two amount fields is present.
    #[schema(example = "days")]
    pub unit: String,
    /// Working days the request covers (a type measured in days; absent for hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<f64>,
    /// Hours the request covers (a type measured in hours; absent for days):
    /// at most three decimals, a whole number of minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    /// pending, approved, rejected or cancelled.
    pub status: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub cancelled_by: Option<i64>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The leave year the request is charged to (named by the calendar
    /// year it starts in).
    pub year: i32,
    /// Set when this request is one part of a request across a turn of the
    /// leave year: each part is charged to its own year, and a decision or
    /// cancellation of one applies to all.
    pub part: Option<PartDto>,
}

/// Which part of a request across a turn of the leave year a request is.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"number": 1, "of": 2, "request_ids": [17, 18]}))]
pub struct PartDto {
    /// 1 for the first part.
    pub number: usize,
    /// How many parts the request has.
    pub of: usize,
    /// The ids of all its parts, in order (this one included).
    pub request_ids: Vec<i64>,
}

impl RequestDto {
    /// With its place among the parts of its request, when `parts` (the
    /// ids of each part's siblings, by id) names it.
    pub fn with_parts(mut self, parts: &std::collections::HashMap<i64, Vec<i64>>) -> Self {
        self.part = parts.get(&self.id).map(|ids| PartDto {
            number: ids.iter().position(|i| *i == self.id).map_or(1, |p| p + 1),
            of: ids.len(),
            request_ids: ids.clone(),
        });
        self
    }
}

impl From<LeaveRequest> for RequestDto {
    /// A request of a type measured in days.
    fn from(r: LeaveRequest) -> Self {
        RequestDto::new(r, LeaveUnit::Days)
    }
}

impl RequestDto {
    /// A request of a type measured in `unit`.
    pub fn new(r: LeaveRequest, unit: LeaveUnit) -> Self {
        RequestDto {
            id: r.id,
            employee_id: r.employee_id,
            employee_name: r.employee_name,
            leave_type: r.leave_type,
            start_date: r.start_date,
            end_date: r.end_date,
            half_day_start: r.half_day_start,
            half_day_end: r.half_day_end,
            unit: unit.as_str().to_string(),
            days: amount_in(LeaveUnit::Days, unit, r.amount),
            hours: amount_in(LeaveUnit::Hours, unit, r.amount),
            status: r.status,
            reason: r.reason,
            created_at: r.created_at,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            comment: r.comment,
            cancelled_by: r.cancelled_by,
            cancelled_at: r.cancelled_at,
            year: r.year,
            part: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EmployeeDto {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub department: String,
    pub manager_id: Option<i64>,
    pub start_date: NaiveDate,
    /// employee, manager or hr-admin.
    pub role: String,
    pub active: bool,
}

impl From<Employee> for EmployeeDto {
    fn from(e: Employee) -> Self {
        EmployeeDto {
            id: e.id,
            email: e.email,
            name: e.name,
            department: e.department,
            manager_id: e.manager_id,
            start_date: e.start_date,
            role: e.role,
            active: e.active,
        }
    }
}
