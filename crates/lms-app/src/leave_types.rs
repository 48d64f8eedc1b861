//! Leave types (HR admins): create and change them, their unit and their
//! request rules; each audited. A retired type (`active = false`) takes no
//! new requests and keeps its history.
//!
//! A type is measured in days or in hours (migration
//! [`UNITS_VERSION`](lms_store::UNITS_VERSION)): chosen when it is created,
//! changed only while no amount was written in it (no ledger line, no
//! request, no policy), since every amount of a type is an integer of its
//! unit. An instance that does not count on the migration (`--schema
//! previous`) reads every type in days and refuses to set a unit (409).

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_core::LeaveUnit;
use lms_store::leave_types::{self, LeaveType, LeaveTypeChanges, NewLeaveType, TypeUnits, Units};
use lms_store::{Conn, Db, StoreError, UNITS_VERSION};
use serde::Serialize;

/// Which units this instance reads.
pub fn units(db: &Db) -> Units {
    if db.counts(UNITS_VERSION) {
        Units::PerType
    } else {
        Units::AllDays
    }
}

/// Leave type `id`'s unit as this instance reads it.
pub async fn unit_of(db: &Db, c: &mut Conn<'_>, id: i64) -> Result<LeaveUnit> {
    Ok(leave_types::unit(c, id, units(db)).await?)
}

/// Every leave type's unit, by code, as this instance reads it.
pub async fn type_units(db: &Db) -> Result<TypeUnits> {
    let mut c = db.acquire().await?;
    Ok(leave_types::units(&mut c.conn(), units(db)).await?)
}

/// A leave type with its unit, as the audit log keeps it.
#[derive(Serialize)]
struct WithUnit<'a> {
    #[serde(flatten)]
    leave_type: &'a LeaveType,
    unit: LeaveUnit,
}

/// Refuses a unit other than days on an instance that reads none.
fn check_settable(db: &Db, unit: LeaveUnit) -> Result<()> {
    if unit != LeaveUnit::Days && units(db) == Units::AllDays {
        return Err(StoreError::conflict(
            "not_available",
            "leave measured in hours needs this release's database schema; this instance serves the release before's",
        )
        .into());
    }
    Ok(())
}

/// Whether an amount was written in type `id` (ledger, requests, policies):
/// its unit is then fixed.
async fn has_amounts(db: &Db, c: &mut Conn<'_>, id: i64) -> Result<bool> {
    if leave_types::has_amounts(c, id).await? {
        return Ok(true);
    }
    if db.counts(lms_store::policies::MIGRATION) {
        return Ok(lms_store::policies::list(c).await?.iter().any(|p| p.leave_type_id == id));
    }
    Ok(false)
}

/// Sets type `id`'s unit inside the caller's transaction (nothing when it
/// is the unit already). The type's default allowance and negative limit
/// were numbers of the old unit: they are cleared.
async fn change_unit(db: &Db, c: &mut Conn<'_>, id: i64, unit: LeaveUnit, by: i64, now: DateTime<Utc>) -> Result<bool> {
    check_settable(db, unit)?;
    if units(db) == Units::AllDays || leave_types::unit(c, id, Units::PerType).await? == unit {
        return Ok(false);
    }
    if has_amounts(db, c, id).await? {
        return Err(StoreError::conflict(
            "unit_in_use",
            "this leave type has allowances, requests or policies in its unit; its unit cannot change (create a new type instead)",
        )
        .into());
    }
    leave_types::set_unit(c, id, unit, now).await?;
    let cleared = LeaveTypeChanges { default_allowance: Some(None), ..Default::default() };
    leave_types::update(c, id, &cleared, now).await?;
    let rules = leave_types::rules(c, id).await?;
    if rules.negative_limit() != lms_core::LeaveAmount::ZERO {
        let kept = lms_core::TypeRules::new(
            rules.max_consecutive_days(),
            rules.min_notice_days(),
            lms_core::LeaveAmount::ZERO,
            rules.document_required(),
        )?;
        leave_types::set_rules(c, id, &kept, by, now).await?;
    }
    Ok(true)
}

/// Creates the leave type `new` (already parsed: code, colour, name,
/// allowance — in `unit`), measured in `unit`.
pub async fn create(
    db: &Db,
    caller: &Caller,
    new: &NewLeaveType,
    unit: LeaveUnit,
    now: DateTime<Utc>,
) -> Result<LeaveType> {
    caller.require_hr()?;
    check_settable(db, unit)?;
    let mut tx = db.begin().await?;
    let t = leave_types::create(&mut tx.conn(), new, now).await?;
    if unit != LeaveUnit::Days {
        leave_types::set_unit(&mut tx.conn(), t.id, unit, now).await?;
    }
    let after = WithUnit { leave_type: &t, unit };
    let what = Audited {
        action: "leave_type.create",
        entity: ("leave_type", t.id.to_string()),
        before: None,
        after: Some(&after),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(t)
}

/// Applies `changes` to leave type `id`, and its unit when `unit` is
/// given (see the module's rule: the default allowance of `changes` is
/// then in the new unit).
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: i64,
    changes: &LeaveTypeChanges,
    unit: Option<LeaveUnit>,
    now: DateTime<Utc>,
) -> Result<LeaveType> {
    caller.require_hr()?;
    let mut tx = db.begin().await?;
    let before =
        leave_types::get(&mut tx.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("leave type {id}")))?;
    let unit_before = leave_types::unit(&mut tx.conn(), id, units(db)).await?;
    if let Some(unit) = unit {
        change_unit(db, &mut tx.conn(), id, unit, caller.actor.id, now).await?;
    }
    let after = leave_types::update(&mut tx.conn(), id, changes, now).await?;
    if after.requires_approval != before.requires_approval {
        crate::approval::align_with_flag(db, &mut tx.conn(), id, after.requires_approval).await?;
    }
    let unit_after = unit.unwrap_or(unit_before);
    let (b, a) =
        (WithUnit { leave_type: &before, unit: unit_before }, WithUnit { leave_type: &after, unit: unit_after });
    let what = Audited {
        action: "leave_type.update",
        entity: ("leave_type", id.to_string()),
        before: Some(&b),
        after: Some(&a),
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
