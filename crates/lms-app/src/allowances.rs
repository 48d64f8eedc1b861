//! Entitlements (HR admins): the year's allocation of a leave type for a
//! person, and adjustments with a reason, each a ledger line and an audit
//! record, written under the person's lock so a balance never changes
//! under a concurrent submission.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_core::{DomainError, EntitlementChange, LeaveUnit};
use lms_store::{employees, leave_types, ledger, Db};
use serde::Serialize;

/// What the audit log keeps of a ledger line: its amount as `days`, or as
/// `hours` for a type measured in hours, with the `unit`.
#[derive(Serialize)]
struct Line<'a> {
    employee_id: i64,
    leave_type: &'a str,
    year: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hours: Option<f64>,
    unit: LeaveUnit,
    reason: &'a str,
}

/// Writes `change` for `employee_id`'s `leave_type` in `year`; returns the
/// ledger line's id. The change must be in the type's unit (`wrong_unit`
/// otherwise, naming the unit to send).
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
    let unit = crate::leave_types::unit_of(db, &mut tx.conn(), lt.id).await?;
    if change.quantity().unit() != unit {
        return Err(DomainError::WrongUnit { leave_type: lt.code, unit: unit.as_str() }.into());
    }
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
    let shown = change.quantity().to_f64();
    let line = Line {
        employee_id,
        leave_type: &lt.code,
        year,
        days: (unit == LeaveUnit::Days).then_some(shown),
        hours: (unit == LeaveUnit::Hours).then_some(shown),
        unit,
        reason: change.reason(),
    };
    let action = format!("ledger.{}", change.kind().as_str());
    let what = Audited { action: &action, entity: ("ledger_entry", id.to_string()), before: None, after: Some(&line) };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(id)
}
