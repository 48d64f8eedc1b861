//! Company holidays (HR admins): add, change, remove; each audited.
//! Requests already made keep their amounts.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, NaiveDate, Utc};
use lms_store::holidays::{self, Holiday};
use lms_store::{Db, StoreError};

/// The longest holiday name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

pub async fn create(db: &Db, caller: &Caller, day: NaiveDate, name: &str, now: DateTime<Utc>) -> Result<Holiday> {
    caller.require_hr()?;
    let name = lms_core::text::name(name, MAX_NAME_CHARS)?;
    let mut tx = db.begin().await?;
    let h = holidays::create(&mut tx.conn(), day, &name, now).await?;
    record(
        &mut tx.conn(),
        &caller.audit(),
        Audited { action: "holiday.create", entity: ("holiday", h.id.to_string()), before: None, after: Some(&h) },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(h)
}

pub async fn update(
    db: &Db,
    caller: &Caller,
    id: i64,
    day: NaiveDate,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Holiday> {
    caller.require_hr()?;
    let name = lms_core::text::name(name, MAX_NAME_CHARS)?;
    let mut tx = db.begin().await?;
    let before = holidays::get(&mut tx.conn(), id).await?.ok_or_else(|| not_found(id))?;
    let after = holidays::update(&mut tx.conn(), id, day, &name).await?;
    record(
        &mut tx.conn(),
        &caller.audit(),
        Audited {
            action: "holiday.update",
            entity: ("holiday", id.to_string()),
            before: Some(&before),
            after: Some(&after),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(db: &Db, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<()> {
    caller.require_hr()?;
    let mut tx = db.begin().await?;
    let before = holidays::get(&mut tx.conn(), id).await?.ok_or_else(|| not_found(id))?;
    holidays::delete(&mut tx.conn(), id).await?;
    record(
        &mut tx.conn(),
        &caller.audit(),
        Audited { action: "holiday.delete", entity: ("holiday", id.to_string()), before: Some(&before), after: None },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("holiday {id}"))
}
