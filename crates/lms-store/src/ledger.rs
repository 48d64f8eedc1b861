//! The entitlement ledger: append-only entries per employee, leave type and
//! year (allocations and HR adjustments), from which every balance is
//! explained line by line.

use crate::leave_types::{parse_unit, Units};
use crate::{Conn, Result, StoreError};
use chrono::{DateTime, Utc};
use lms_core::{Balance, LeaveAmount, LeaveUnit, LedgerKind};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LedgerEntry {
    pub id: i64,
    pub employee_id: i64,
    pub leave_type: String,
    pub year: i32,
    pub kind: String,
    /// Signed, in the type's unit: millidays, or minutes for a type
    /// measured in hours.
    pub amount: i64,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// One line of a person's balances for a year.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeBalance {
    pub leave_type: String,
    pub leave_type_id: i64,
    pub deducts_balance: bool,
    /// The type's unit: the balance's amounts are its integers.
    pub unit: LeaveUnit,
    pub balance: Balance,
}

/// A ledger entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub employee_id: i64,
    pub leave_type_id: i64,
    pub year: i32,
    pub kind: LedgerKind,
    pub amount: LeaveAmount,
    pub reason: &'a str,
    pub created_by: Option<i64>,
}

pub async fn add(c: &mut Conn<'_>, e: &NewEntry<'_>, now: DateTime<Utc>) -> Result<i64> {
    let res = q!(scalar c, i64,
        "INSERT INTO ledger_entries (employee_id, leave_type_id, year, kind, amount, reason, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        e.employee_id, e.leave_type_id, e.year, e.kind.as_str(), e.amount.millidays(), e.reason, e.created_by, now);
    res.map_err(|err| {
        let err = StoreError::from(err);
        if err.is_unique_violation() {
            StoreError::conflict(
                "allocation_exists",
                format!(
                    "employee {} already has an allocation of this type for {}; post an adjustment instead",
                    e.employee_id, e.year
                ),
            )
        } else {
            err
        }
    })
}

pub async fn entries(c: &mut Conn<'_>, employee_id: i64, year: i32) -> Result<Vec<LedgerEntry>> {
    Ok(q!(all c, LedgerEntry,
        "SELECT l.id, l.employee_id, t.code AS leave_type, l.year, l.kind, l.amount, l.reason, l.created_by, l.created_at \
         FROM ledger_entries l JOIN leave_types t ON t.id = l.leave_type_id \
         WHERE l.employee_id = $1 AND l.year = $2 ORDER BY l.id",
        employee_id, year)?)
}

/// Balances of one employee for one year, for every active leave type and any
/// inactive type that still has entries or requests; `units`: whether the
/// instance reads each type's unit.
pub async fn balances(c: &mut Conn<'_>, employee_id: i64, year: i32, units: Units) -> Result<Vec<TypeBalance>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        code: String,
        deducts_balance: bool,
        unit: String,
        entitled: i64,
        taken: i64,
        pending: i64,
    }
    let sql = format!("SELECT {} FROM leave_types t ORDER BY t.id", balance_columns("$1", "$2", units));
    let rows = q!(all c, Row, &sql, employee_id, year)?;
    rows.into_iter()
        .map(|r| {
            Ok(TypeBalance {
                leave_type: r.code,
                leave_type_id: r.id,
                deducts_balance: r.deducts_balance,
                unit: parse_unit(&r.unit)?,
                balance: Balance {
                    entitled: LeaveAmount::from_millidays(r.entitled),
                    taken: LeaveAmount::from_millidays(r.taken),
                    pending: LeaveAmount::from_millidays(r.pending),
                },
            })
        })
        .collect()
}

/// The columns of one balance line per leave type `t`, for the employee and
/// year the SQL expressions `employee` and `year` give.
fn balance_columns(employee: &str, year: &str, units: Units) -> String {
    format!(
        "t.id, t.code, t.deducts_balance, {}, \
         CAST(COALESCE((SELECT SUM(l.amount) FROM ledger_entries l WHERE l.employee_id = {employee} AND l.year = {year} AND l.leave_type_id = t.id), 0) AS BIGINT) AS entitled, \
         CAST(COALESCE((SELECT SUM(r.amount) FROM leave_requests r WHERE r.employee_id = {employee} AND r.year = {year} AND r.leave_type_id = t.id AND r.status = 'approved'), 0) AS BIGINT) AS taken, \
         CAST(COALESCE((SELECT SUM(r.amount) FROM leave_requests r WHERE r.employee_id = {employee} AND r.year = {year} AND r.leave_type_id = t.id AND r.status = 'pending'), 0) AS BIGINT) AS pending",
        units.column()
    )
}

/// The caller behind a session or token, as far as a combined read needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub employee_id: i64,
    /// The token's id, when the caller used a token.
    pub token_id: Option<i64>,
    pub token_last_used_at: Option<DateTime<Utc>>,
}

/// The caller's balances for `year`, authenticated in the same statement
/// (one round trip): `None` when the session or token is not live, by the
/// same rules as [`crate::auth::session_employee`] and
/// [`crate::auth::token_employee`].
pub async fn balances_of_caller(
    c: &mut Conn<'_>,
    secret: crate::auth::CallerSecret<'_>,
    now: DateTime<Utc>,
    year: i32,
    units: Units,
) -> Result<Option<(Caller, Vec<TypeBalance>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        employee_id: i64,
        token_id: Option<i64>,
        last_used_at: Option<DateTime<Utc>>,
        id: Option<i64>,
        code: Option<String>,
        deducts_balance: Option<bool>,
        unit: Option<String>,
        entitled: Option<i64>,
        taken: Option<i64>,
        pending: Option<i64>,
    }
    let sql = format!(
        "WITH {} SELECT c.employee_id, c.token_id, c.last_used_at, {} \
         FROM caller c LEFT JOIN leave_types t ON TRUE ORDER BY t.id",
        crate::auth::caller_cte(&secret),
        balance_columns("c.employee_id", "$3", units)
    );
    let rows = q!(all c, Row, &sql, secret.hash(), now, year)?;
    let Some(first) = rows.first() else { return Ok(None) };
    let caller =
        Caller { employee_id: first.employee_id, token_id: first.token_id, token_last_used_at: first.last_used_at };
    let lines = rows
        .into_iter()
        .filter_map(|r| {
            Some(TypeBalance {
                leave_type: r.code?,
                leave_type_id: r.id?,
                deducts_balance: r.deducts_balance?,
                unit: r.unit.as_deref().and_then(|u| u.parse().ok()).unwrap_or_default(),
                balance: Balance {
                    entitled: LeaveAmount::from_millidays(r.entitled.unwrap_or(0)),
                    taken: LeaveAmount::from_millidays(r.taken.unwrap_or(0)),
                    pending: LeaveAmount::from_millidays(r.pending.unwrap_or(0)),
                },
            })
        })
        .collect();
    Ok(Some((caller, lines)))
}

/// The balance of one type.
pub async fn balance(c: &mut Conn<'_>, employee_id: i64, leave_type_id: i64, year: i32) -> Result<Balance> {
    let all = balances(c, employee_id, year, Units::AllDays).await?;
    Ok(all.into_iter().find(|b| b.leave_type_id == leave_type_id).map(|b| b.balance).unwrap_or(Balance {
        entitled: LeaveAmount::ZERO,
        taken: LeaveAmount::ZERO,
        pending: LeaveAmount::ZERO,
    }))
}
