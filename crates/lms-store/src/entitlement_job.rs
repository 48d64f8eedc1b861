//! What the entitlement job reads and writes, in bulk: everyone's
//! employment, the keyed lines already in the ledger, what each person used
//! of a year, and the new lines, inserted by key so that a line already
//! there (a second run, two instances running at once, a run after a crash)
//! is skipped by the database itself. Also the runs' reports.
//!
//! The decisions (which lines are due) are `lms-core`'s `entitlement`
//! module's and the use case's; this module only moves rows.

use crate::{Conn, Result, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::LedgerKind;
use serde::Serialize;
use std::collections::HashMap;

/// A person as the job sees them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub department: String,
    pub start_date: NaiveDate,
    pub leaving_date: Option<NaiveDate>,
    pub active: bool,
}

/// Everyone employed at some point since `since` (active, or leaving on or after it).
pub async fn people(c: &mut Conn<'_>, since: NaiveDate) -> Result<Vec<Person>> {
    Ok(q!(all c, Person,
        "SELECT id, department, start_date, leaving_date, active FROM employees \
         WHERE active = TRUE OR leaving_date >= $1 ORDER BY id",
        since)?)
}

/// One person's employment.
pub async fn person(c: &mut Conn<'_>, id: i64) -> Result<Person> {
    q!(opt c, Person, "SELECT id, department, start_date, leaving_date, active FROM employees WHERE id = $1", id)?
        .ok_or_else(|| StoreError::NotFound(format!("employee {id}")))
}

/// Sets or clears a person's leaving date (their last day).
pub async fn set_leaving_date(c: &mut Conn<'_>, id: i64, day: Option<NaiveDate>, now: DateTime<Utc>) -> Result<()> {
    let n = q!(exec c, "UPDATE employees SET leaving_date = $1, updated_at = $2 WHERE id = $3", day, now, id)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("employee {id}")));
    }
    Ok(())
}

/// (employee, leave type, year) → key → millidays: the keyed lines written
/// so far, with any allocation (the job's or HR's) under `allocation`.
pub type Written = HashMap<(i64, i64, i32), HashMap<String, i64>>;

/// The keyed lines of `years`, of one person or of everyone.
pub async fn written(c: &mut Conn<'_>, years: (i32, i32), employee: Option<i64>) -> Result<Written> {
    let rows = q!(all c, (i64, i64, i32, String, i64),
        "SELECT employee_id, leave_type_id, year, COALESCE(line_key, 'allocation'), amount FROM ledger_entries \
         WHERE year >= $1 AND year <= $2 AND (line_key IS NOT NULL OR kind = 'allocation') AND ($3 IS NULL OR employee_id = $3)",
        years.0, years.1, employee)?;
    let mut out = Written::new();
    for (e, t, y, key, amount) in rows {
        *out.entry((e, t, y)).or_default().entry(key).or_default() += amount;
    }
    Ok(out)
}

/// (employee, leave type) → millidays: a sum per person and type.
pub type Sums = HashMap<(i64, i64), i64>;

/// Every person's ledger total per type in `year`.
pub async fn ledger_totals(c: &mut Conn<'_>, year: i32, employee: Option<i64>) -> Result<Sums> {
    let rows = q!(all c, (i64, i64, i64),
        "SELECT employee_id, leave_type_id, CAST(SUM(amount) AS BIGINT) FROM ledger_entries \
         WHERE year = $1 AND ($2 IS NULL OR employee_id = $2) GROUP BY employee_id, leave_type_id",
        year, employee)?;
    Ok(rows.into_iter().map(|(e, t, s)| ((e, t), s)).collect())
}

/// Leave charged to `year` per person and type: approved and pending
/// (`approved_only`: approved only), starting before `before` if given.
pub async fn used(
    c: &mut Conn<'_>,
    year: i32,
    approved_only: bool,
    before: Option<NaiveDate>,
    employee: Option<i64>,
) -> Result<Sums> {
    let rows = q!(all c, (i64, i64, i64),
        "SELECT employee_id, leave_type_id, CAST(SUM(amount) AS BIGINT) FROM leave_requests \
         WHERE year = $1 AND (status = 'approved' OR ($2 = FALSE AND status = 'pending')) \
         AND ($3 IS NULL OR start_date < $3) AND ($4 IS NULL OR employee_id = $4) GROUP BY employee_id, leave_type_id",
        year, approved_only, before, employee)?;
    Ok(rows.into_iter().map(|(e, t, s)| ((e, t), s)).collect())
}

/// A line the job writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub employee_id: i64,
    pub leave_type_id: i64,
    pub year: i32,
    pub kind: LedgerKind,
    pub key: String,
    pub valid_from: NaiveDate,
    /// Millidays, signed.
    pub amount: i64,
    pub reason: String,
}

/// Inserts `lines`, skipping those whose key (or, for an allocation, whose
/// year) is already there; returns the lines actually written.
pub async fn insert(c: &mut Conn<'_>, lines: &[NewLine], now: DateTime<Utc>) -> Result<Vec<NewLine>> {
    let mut written = Vec::new();
    match c {
        Conn::Pg(pg) => {
            for chunk in lines.chunks(5000) {
                let col = |f: fn(&NewLine) -> i64| chunk.iter().map(f).collect::<Vec<i64>>();
                let years: Vec<i32> = chunk.iter().map(|l| l.year).collect();
                let kinds: Vec<&str> = chunk.iter().map(|l| l.kind.as_str()).collect();
                let keys: Vec<&str> = chunk.iter().map(|l| l.key.as_str()).collect();
                let reasons: Vec<&str> = chunk.iter().map(|l| l.reason.as_str()).collect();
                let days: Vec<NaiveDate> = chunk.iter().map(|l| l.valid_from).collect();
                let ids: Vec<(i64, i64, i32, String)> = sqlx::query_as(
                    "INSERT INTO ledger_entries (employee_id, leave_type_id, year, kind, amount, reason, created_by, created_at, valid_from, line_key) \
                     SELECT e, t, y, k, a, r, NULL, $8, v, lk FROM UNNEST($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::bigint[], $6::text[], $7::date[], $9::text[]) \
                     AS x(e, t, y, k, a, r, v, lk) ON CONFLICT DO NOTHING RETURNING employee_id, leave_type_id, year, line_key",
                )
                .bind(col(|l| l.employee_id))
                .bind(col(|l| l.leave_type_id))
                .bind(years)
                .bind(kinds)
                .bind(col(|l| l.amount))
                .bind(reasons)
                .bind(days)
                .bind(now)
                .bind(keys)
                .fetch_all(&mut **pg)
                .await?;
                let done: std::collections::HashSet<(i64, i64, i32, String)> = ids.into_iter().collect();
                written.extend(
                    chunk
                        .iter()
                        .filter(|l| done.contains(&(l.employee_id, l.leave_type_id, l.year, l.key.clone())))
                        .cloned(),
                );
            }
        }
        Conn::Sqlite(_) => {
            for l in lines {
                let n = q!(exec c,
                    "INSERT INTO ledger_entries (employee_id, leave_type_id, year, kind, amount, reason, created_by, created_at, valid_from, line_key) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9) ON CONFLICT DO NOTHING",
                    l.employee_id, l.leave_type_id, l.year, l.kind.as_str(), l.amount, &l.reason, now, l.valid_from, &l.key)?;
                if n > 0 {
                    written.push(l.clone());
                }
            }
        }
    }
    Ok(written)
}

/// A run of the job, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Run {
    pub id: i64,
    pub as_of: NaiveDate,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub started_by: Option<i64>,
    pub lines_written: i64,
    /// The report, JSON.
    pub report: String,
}

pub async fn record_run(
    c: &mut Conn<'_>,
    as_of: NaiveDate,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    started_by: Option<i64>,
    lines_written: i64,
    report: &str,
) -> Result<i64> {
    Ok(q!(scalar c, i64,
        "INSERT INTO entitlement_runs (as_of, started_at, finished_at, started_by, lines_written, report) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        as_of, started_at, finished_at, started_by, lines_written, report)?)
}

/// The latest runs, newest first.
pub async fn runs(c: &mut Conn<'_>, limit: i64) -> Result<Vec<Run>> {
    Ok(q!(all c, Run,
        "SELECT id, as_of, started_at, finished_at, started_by, lines_written, report FROM entitlement_runs \
         ORDER BY id DESC LIMIT $1",
        limit)?)
}

/// A person's ledger line with its date and key, for explaining a balance.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct DatedLine {
    pub id: i64,
    pub leave_type_id: i64,
    pub kind: String,
    pub line_key: Option<String>,
    /// The day it counts from (none: from the start of its year).
    pub valid_from: Option<NaiveDate>,
    pub amount: i64,
    pub reason: String,
}

/// A person's lines of `year`, oldest first.
pub async fn dated_lines(c: &mut Conn<'_>, employee_id: i64, year: i32) -> Result<Vec<DatedLine>> {
    Ok(q!(all c, DatedLine,
        "SELECT id, leave_type_id, kind, line_key, valid_from, amount, reason FROM ledger_entries \
         WHERE employee_id = $1 AND year = $2 ORDER BY id",
        employee_id, year)?)
}
