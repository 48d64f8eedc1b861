//! People (HR admins): create and change them and their working schedules. The rules: a manager must be an
//! active person and may not report (directly or not) to the one they
//! manage; no one deactivates themselves or drops their own hr-admin role;
//! a password reset or a deactivation ends every way in (sessions and API
//! tokens). Each change is audited; a reset is its own action, never with
//! the hash.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::{By, Caller};
use chrono::{DateTime, Utc};
use lms_core::{DomainError, Role};
use lms_store::employees::{self, Employee, EmployeeChanges, NewEmployee};
use lms_store::{auth, Conn, Db};

/// Creates the person `new` (parsed, the password already hashed); by an
/// HR admin, or at the command line (the first HR admin of a new database).
pub async fn create(db: &Db, by: By<'_>, new: &NewEmployee, now: DateTime<Utc>) -> Result<Employee> {
    by.require_hr()?;
    let mut tx = db.begin().await?;
    check_manager(&mut tx.conn(), None, new.manager_id).await?;
    let e = employees::create(&mut tx.conn(), new, now).await?;
    let what =
        Audited { action: "employee.create", entity: ("employee", e.id.to_string()), before: None, after: Some(&e) };
    record(&mut tx.conn(), &by.audit(), what, now).await?;
    tx.commit().await?;
    Ok(e)
}

/// Applies `changes` to person `id`, and a new password when
/// `password_hash` is given.
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: i64,
    changes: &EmployeeChanges,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Employee> {
    caller.require_hr()?;
    if id == caller.actor.id && (changes.active == Some(false) || changes.role.is_some_and(|r| r != Role::HrAdmin)) {
        return Err(DomainError::SelfLockout.into());
    }
    let mut tx = db.begin().await?;
    let before = employees::require(&mut tx.conn(), id).await?;
    if let Some(manager) = changes.manager_id {
        if manager == Some(id) {
            return Err(DomainError::ManagerCycle("a person cannot be their own manager".into()).into());
        }
        check_manager(&mut tx.conn(), Some(id), manager).await?;
    }
    let after = employees::update(&mut tx.conn(), id, changes, now).await?;
    if let Some(hash) = password_hash {
        employees::set_password(&mut tx.conn(), id, hash, now).await?;
    }
    let deactivated = before.active && !after.active;
    if deactivated || password_hash.is_some() {
        // Every way in ends: sessions and API tokens alike (a reactivated
        // person signs in anew).
        auth::delete_sessions_of(&mut tx.conn(), id).await?;
        auth::revoke_tokens_of(&mut tx.conn(), id, now).await?;
    }
    let audit = caller.audit();
    if password_hash.is_some() {
        let what = Audited::<Employee> {
            action: "employee.password_reset",
            entity: ("employee", id.to_string()),
            before: None,
            after: None,
        };
        record(&mut tx.conn(), &audit, what, now).await?;
    }
    let action = if deactivated { "employee.deactivate" } else { "employee.update" };
    let what = Audited { action, entity: ("employee", id.to_string()), before: Some(&before), after: Some(&after) };
    record(&mut tx.conn(), &audit, what, now).await?;
    tx.commit().await?;
    Ok(after)
}

/// A manager must be an active person, and (for an existing `employee`)
/// must not report to them.
async fn check_manager(c: &mut Conn<'_>, employee: Option<i64>, manager: Option<i64>) -> Result<()> {
    let Some(m) = manager else { return Ok(()) };
    if !employees::get(c, m).await?.is_some_and(|e| e.active) {
        return Err(DomainError::UnknownManager(m).into());
    }
    if let Some(id) = employee {
        if employees::would_cycle(c, id, m).await? {
            let why = format!("employee {m} reports to employee {id}; a person cannot manage their own manager");
            return Err(DomainError::ManagerCycle(why).into());
        }
    }
    Ok(())
}

/// Replaces person `id`'s working schedules (each valid from its date; an
/// empty list is full time again); audited with the schedules before and after.
pub async fn set_schedules(
    db: &Db,
    caller: &Caller,
    id: i64,
    schedules: &[lms_store::schedules::StoredSchedule],
    now: DateTime<Utc>,
) -> Result<Vec<lms_store::schedules::StoredSchedule>> {
    caller.require_hr()?;
    // Only schedules the domain accepts are stored.
    if !schedules.is_empty() {
        let entries = schedules
            .iter()
            .map(|s| Ok((s.valid_from, lms_core::WorkingSchedule::new(s.minutes)?)))
            .collect::<std::result::Result<Vec<_>, DomainError>>()?;
        lms_core::ScheduleHistory::new(entries)?;
    }
    let mut tx = db.begin().await?;
    employees::require(&mut tx.conn(), id).await?;
    let before = lms_store::schedules::stored(&mut tx.conn(), id).await?;
    lms_store::schedules::set(&mut tx.conn(), id, schedules, caller.actor.id, now).await?;
    let after = lms_store::schedules::stored(&mut tx.conn(), id).await?;
    // An audit record's before and after are objects.
    let (was, is) = (serde_json::json!({ "schedules": before }), serde_json::json!({ "schedules": after }));
    let what = Audited {
        action: "employee.schedules",
        entity: ("employee", id.to_string()),
        before: Some(&was),
        after: Some(&is),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(after)
}
