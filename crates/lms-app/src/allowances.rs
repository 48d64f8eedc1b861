//! Entitlements (HR admins): the year's allocation of a leave type for a
//! person, and adjustments with a reason, each a ledger line and an audit
//! record, written under the person's lock so a balance never changes
//! under a concurrent submission.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_core::{DomainError, EntitlementChange};
use lms_store::{employees, leave_types, ledger, Db};
use serde::Serialize;

/// What the audit log keeps of a ledger line.
#[derive(Serialize)]
struct Line<'a> {
    employee_id: i64,
    leave_type: &'a str,
    year: i32,
    days: f64,
    reason: &'a str,
}

/// Writes `change` for `employee_id`'s `leave_type` in `year`; returns the ledger line's id.
pub async fn write(
    db: &Db,
    caller: &Caller,
    employee_id: i64,
    leave_type: &str,
    year: i32,
    change: &EntitlementChange,
    now: DateTime<Utc>,
) -> Result<i64> {
    caller.require_hr()?;
    let mut tx = db.begin().await?;
    employees::lock(&mut tx.conn(), employee_id).await?;
    let lt = leave_types::by_code(&mut tx.conn(), leave_type)
        .await?
        .ok_or_else(|| DomainError::UnknownLeaveType(leave_type.to_string()))?;
    let entry = ledger::NewEntry {
        employee_id,
        leave_type_id: lt.id,
        year,
        kind: change.kind(),
        amount: change.amount(),
        reason: change.reason(),
        created_by: Some(caller.actor.id),
    };
    let id = ledger::add(&mut tx.conn(), &entry, now).await?;
    let line =
        Line { employee_id, leave_type: &lt.code, year, days: change.amount().to_days_f64(), reason: change.reason() };
    let action = format!("ledger.{}", change.kind().as_str());
    let what = Audited { action: &action, entity: ("ledger_entry", id.to_string()), before: None, after: Some(&line) };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(id)
}
