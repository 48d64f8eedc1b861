//! Leave types (HR admins): create and change them and their request rules;
//! each audited. A retired type (`active = false`) takes no new requests and
//! keeps its history.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_store::leave_types::{self, LeaveType, LeaveTypeChanges, NewLeaveType};
use lms_store::{Db, StoreError};

/// Creates the leave type `new` (already parsed: code, colour, name, allowance).
pub async fn create(db: &Db, caller: &Caller, new: &NewLeaveType, now: DateTime<Utc>) -> Result<LeaveType> {
    caller.require_hr()?;
    let mut tx = db.begin().await?;
    let t = leave_types::create(&mut tx.conn(), new, now).await?;
    let what = Audited {
        action: "leave_type.create",
        entity: ("leave_type", t.id.to_string()),
        before: None,
        after: Some(&t),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(t)
}

/// Applies `changes` to leave type `id`.
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: i64,
    changes: &LeaveTypeChanges,
    now: DateTime<Utc>,
) -> Result<LeaveType> {
    caller.require_hr()?;
    let mut tx = db.begin().await?;
    let before =
        leave_types::get(&mut tx.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("leave type {id}")))?;
    let after = leave_types::update(&mut tx.conn(), id, changes, now).await?;
    if after.requires_approval != before.requires_approval {
        crate::approval::align_with_flag(db, &mut tx.conn(), id, after.requires_approval).await?;
    }
    let what = Audited {
        action: "leave_type.update",
        entity: ("leave_type", id.to_string()),
        before: Some(&before),
        after: Some(&after),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(after)
}

/// Sets leave type `id`'s request rules (length, notice, negative limit,
/// document flag); audited with the rules before and after.
pub async fn set_rules(
    db: &Db,
    caller: &Caller,
    id: i64,
    rules: &lms_core::TypeRules,
    now: DateTime<Utc>,
) -> Result<lms_core::TypeRules> {
    caller.require_hr()?;
    let mut tx = db.begin().await?;
    leave_types::get(&mut tx.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("leave type {id}")))?;
    let before = leave_types::rules(&mut tx.conn(), id).await?;
    leave_types::set_rules(&mut tx.conn(), id, rules, caller.actor.id, now).await?;
    let what = Audited {
        action: "leave_type.rules",
        entity: ("leave_type", id.to_string()),
        before: Some(&before),
        after: Some(rules),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(*rules)
}
