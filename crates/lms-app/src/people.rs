//! People (HR admins): create and change them and their working schedules. The rules: a manager must be an
//! active person and may not report (directly or not) to the one they
//! manage; no one deactivates themselves or drops their own hr-admin role;
//! a password reset or a deactivation ends every way in (sessions and API
//! tokens). Each change is audited; a reset is its own action, never with
//! the hash.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::{By, Caller};
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::{DomainError, Role};
use lms_store::employees::{self, Employee, EmployeeChanges, NewEmployee};
use lms_store::schedules::{self, StoredSchedule};
use lms_store::{auth, Conn, Db, StoreError};

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
    schedules: &[StoredSchedule],
    now: DateTime<Utc>,
) -> Result<Vec<StoredSchedule>> {
    change_schedules(db, caller, id, now, |_| Ok(schedules.to_vec())).await
}

/// Adds one working schedule to person `id`'s, valid from its date until
/// the next one starts (a second one starting on the same day is refused:
/// remove the first).
pub async fn add_schedule(
    db: &Db,
    caller: &Caller,
    id: i64,
    schedule: StoredSchedule,
    now: DateTime<Utc>,
) -> Result<Vec<StoredSchedule>> {
    change_schedules(db, caller, id, now, |mut all| {
        all.push(schedule);
        Ok(all)
    })
    .await
}

/// Removes person `id`'s schedule that starts on `valid_from` (the one
/// before it then runs on; without any, full time again).
pub async fn remove_schedule(
    db: &Db,
    caller: &Caller,
    id: i64,
    valid_from: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<StoredSchedule>> {
    change_schedules(db, caller, id, now, |mut all| {
        let before = all.len();
        all.retain(|s| s.valid_from != valid_from);
        if all.len() == before {
            return Err(StoreError::NotFound(format!("a schedule of person {id} starting on {valid_from}")).into());
        }
        Ok(all)
    })
    .await
}

/// Reads person `id`'s schedules under their lock (so two changes at once
/// apply one after the other), lets `change` make the new list, stores it
/// when the domain accepts it, and audits before and after.
async fn change_schedules(
    db: &Db,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
    change: impl FnOnce(Vec<StoredSchedule>) -> Result<Vec<StoredSchedule>>,
) -> Result<Vec<StoredSchedule>> {
    caller.require_hr()?;
    let mut tx = db.begin().await?;
    employees::lock(&mut tx.conn(), id).await?;
    let before = schedules::stored(&mut tx.conn(), id).await?;
    let wanted = change(before.clone())?;
    // Only schedules the domain accepts are stored.
    if !wanted.is_empty() {
        let entries = wanted
            .iter()
            .map(|s| Ok((s.valid_from, lms_core::WorkingSchedule::new(s.minutes)?)))
            .collect::<std::result::Result<Vec<_>, DomainError>>()?;
        lms_core::ScheduleHistory::new(entries)?;
    }
    schedules::set(&mut tx.conn(), id, &wanted, caller.actor.id, now).await?;
    let after = schedules::stored(&mut tx.conn(), id).await?;
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
