//! Read models for reports and the admin dashboard.

use crate::leave_types::{parse_unit, Units};
use crate::{holidays, Conn, Result};
use chrono::{Datelike, NaiveDate};
use lms_core::{DateRange, LeaveAmount, LeaveStatus, LeaveUnit};
use serde::Serialize;
use std::collections::BTreeMap;

/// One row of the leave-usage report: an employee and a leave type.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRow {
    pub employee_id: i64,
    pub employee_name: String,
    pub email: String,
    pub department: String,
    pub manager_id: Option<i64>,
    pub leave_type: String,
    /// The type's unit: the amounts below are its integers (millidays or minutes).
    pub unit: LeaveUnit,
    /// Approved leave inside the period.
    pub taken: LeaveAmount,
    /// Pending leave inside the period.
    pub pending: LeaveAmount,
    /// Available balance of the leave year asked for (that of `from`).
    pub remaining: LeaveAmount,
}

/// Usage per active employee and leave type over `period`: the working days
/// of approved and pending requests that fall inside it (requests crossing
/// its edges count only their days inside), and each remaining balance in
/// leave year `year`. A type measured in hours (`units`) counts the
/// request's own amount when it lies inside the period, else the minutes
/// the person's schedule works on its days inside.
pub async fn leave_usage(c: &mut Conn<'_>, period: &DateRange, year: i32, units: Units) -> Result<Vec<UsageRow>> {
    #[derive(sqlx::FromRow)]
    struct Pair {
        employee_id: i64,
        name: String,
        email: String,
        department: String,
        manager_id: Option<i64>,
        leave_type_id: i64,
        code: String,
        unit: String,
    }
    let sql = format!(
        "SELECT e.id AS employee_id, e.name, e.email, e.department, e.manager_id, t.id AS leave_type_id, t.code, {} \
         FROM employees e CROSS JOIN leave_types t WHERE e.active = TRUE AND t.active = TRUE ORDER BY e.id, t.id",
        units.column()
    );
    let pairs = q!(all c, Pair, &sql)?;
    let hourly: std::collections::BTreeSet<i64> =
        pairs.iter().filter(|p| p.unit == LeaveUnit::Hours.as_str()).map(|p| p.leave_type_id).collect();

    #[derive(sqlx::FromRow)]
    struct Req {
        employee_id: i64,
        leave_type_id: i64,
        start_date: NaiveDate,
        end_date: NaiveDate,
        half_day_start: bool,
        half_day_end: bool,
        status: String,
        amount: i64,
    }
    let reqs = q!(all c, Req,
        "SELECT employee_id, leave_type_id, start_date, end_date, half_day_start, half_day_end, status, amount FROM leave_requests \
         WHERE status IN ('pending', 'approved') AND start_date <= $1 AND end_date >= $2",
        period.end(), period.start())?;
    let company: Vec<NaiveDate> =
        holidays::list(c, period.start(), period.end()).await?.into_iter().map(|h| h.day).collect();
    let calendar = lms_core::WorkCalendar::new(company.iter().copied());
    let mut used: BTreeMap<(i64, i64), (LeaveAmount, LeaveAmount)> = BTreeMap::new();
    let mut schedules: BTreeMap<i64, lms_core::ScheduleHistory> = BTreeMap::new();
    for r in reqs {
        let start = r.start_date.max(period.start());
        let end = r.end_date.min(period.end());
        let Ok(part) = DateRange::new(start, end) else { continue };
        let (half_start, half_end) = (r.half_day_start && start == r.start_date, r.half_day_end && end == r.end_date);
        let amount = if !hourly.contains(&r.leave_type_id) {
            calendar.request_amount(&part, half_start, half_end).unwrap_or(LeaveAmount::ZERO)
        } else if start == r.start_date && end == r.end_date {
            LeaveAmount::from_millidays(r.amount)
        } else {
            let history = match schedules.get(&r.employee_id) {
                Some(h) => h.clone(),
                None => {
                    let h = crate::schedules::history(c, r.employee_id).await?;
                    schedules.insert(r.employee_id, h.clone());
                    h
                }
            };
            lms_core::Counter::new(history, company.iter().copied())
                .cost(&part, LeaveUnit::Hours, half_start, half_end)
                .map_or(LeaveAmount::ZERO, |c| lms_core::Quantity::from(c).stored())
        };
        let entry = used.entry((r.employee_id, r.leave_type_id)).or_default();
        if r.status == LeaveStatus::Approved.as_str() {
            entry.0 = entry.0 + amount;
        } else {
            entry.1 = entry.1 + amount;
        }
    }

    let remaining: BTreeMap<(i64, i64), i64> = q!(all c, (i64, i64, i64),
        "SELECT x.employee_id, x.leave_type_id, CAST(SUM(x.amount) AS BIGINT) FROM ( \
           SELECT employee_id, leave_type_id, amount FROM ledger_entries WHERE year = $1 \
           UNION ALL SELECT employee_id, leave_type_id, -amount FROM leave_requests WHERE year = $1 AND status IN ('pending', 'approved') \
         ) x GROUP BY x.employee_id, x.leave_type_id",
        year)?
    .into_iter()
    .map(|(e, t, a)| ((e, t), a))
    .collect();

    Ok(pairs
        .into_iter()
        .map(|p| {
            let (taken, pending) = used.get(&(p.employee_id, p.leave_type_id)).copied().unwrap_or_default();
            UsageRow {
                employee_id: p.employee_id,
                employee_name: p.name,
                email: p.email,
                department: p.department,
                manager_id: p.manager_id,
                leave_type: p.code,
                unit: parse_unit(&p.unit).unwrap_or_default(),
                taken,
                pending,
                remaining: LeaveAmount::from_millidays(
                    remaining.get(&(p.employee_id, p.leave_type_id)).copied().unwrap_or(0),
                ),
            }
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OnLeave {
    pub employee_id: i64,
    pub employee_name: String,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

/// Figures of the HR dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub pending_approvals: i64,
    pub on_leave_today: Vec<OnLeave>,
    pub month_by_status: BTreeMap<String, i64>,
    pub headcount: i64,
    /// Approved leave that touches this week (Monday to Sunday).
    pub on_leave_this_week: Vec<OnLeave>,
    /// Requests by the month they start in, the last 12 months, oldest first.
    pub trend: Vec<(NaiveDate, i64)>,
}

/// The first day of the month `months` before the month of `day`.
fn month_start(day: NaiveDate, months: u32) -> NaiveDate {
    let first = day.with_day(1).unwrap_or(day);
    first.checked_sub_months(chrono::Months::new(months)).unwrap_or(first)
}

/// Requests per month of the 12 months up to and including `today`'s, in
/// one pass over the table.
async fn trend(c: &mut Conn<'_>, today: NaiveDate) -> Result<Vec<(NaiveDate, i64)>> {
    // 13 edges: the first day of each of the 12 months, then of the next.
    let e: Vec<NaiveDate> = (0..=12).map(|i| month_start(today, 11) + chrono::Months::new(i)).collect();
    let columns: Vec<String> = (1..=12)
        .map(|i| {
            format!(
                "CAST(COALESCE(SUM(CASE WHEN start_date >= ${i} AND start_date < ${} THEN 1 ELSE 0 END), 0) AS BIGINT)",
                i + 1
            )
        })
        .collect();
    let sql = format!("SELECT {} FROM leave_requests WHERE start_date >= $1 AND start_date < $13", columns.join(", "));
    type Twelve = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);
    let r: Twelve =
        q!(one c, Twelve, &sql, e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8], e[9], e[10], e[11], e[12])?;
    let counts = [r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11];
    Ok(e.into_iter().zip(counts).collect())
}

pub async fn dashboard(c: &mut Conn<'_>, today: NaiveDate) -> Result<Dashboard> {
    let pending_approvals = q!(scalar c, i64, "SELECT COUNT(*) FROM leave_requests WHERE status = 'pending'")?;
    let on_leave_today = q!(all c, OnLeave,
        "SELECT e.id AS employee_id, e.name AS employee_name, t.code AS leave_type, r.start_date, r.end_date \
         FROM leave_requests r JOIN employees e ON e.id = r.employee_id JOIN leave_types t ON t.id = r.leave_type_id \
         WHERE r.status = 'approved' AND r.start_date <= $1 AND r.end_date >= $1 ORDER BY e.name",
        today)?;
    let month_start = today.with_day(1).unwrap_or(today);
    let next_month = if today.month() == 12 {
        NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(today.year(), today.month() + 1, 1)
    }
    .unwrap_or(today);
    let mut month_by_status: BTreeMap<String, i64> =
        LeaveStatus::ALL.iter().map(|s| (s.as_str().to_string(), 0)).collect();
    for (status, n) in q!(all c, (String, i64),
        "SELECT status, COUNT(*) FROM leave_requests WHERE start_date >= $1 AND start_date < $2 GROUP BY status",
        month_start, next_month)?
    {
        month_by_status.insert(status, n);
    }
    let headcount = crate::employees::count_active(c).await?;
    let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    let sunday = monday + chrono::Days::new(6);
    let on_leave_this_week = q!(all c, OnLeave,
        "SELECT e.id AS employee_id, e.name AS employee_name, t.code AS leave_type, r.start_date, r.end_date \
         FROM leave_requests r JOIN employees e ON e.id = r.employee_id JOIN leave_types t ON t.id = r.leave_type_id \
         WHERE r.status = 'approved' AND r.start_date <= $1 AND r.end_date >= $2 ORDER BY r.start_date, e.name",
        sunday, monday)?;
    let trend = trend(c, today).await?;
    Ok(Dashboard { pending_approvals, on_leave_today, month_by_status, headcount, on_leave_this_week, trend })
}
