//! A person's in-app notifications: marking them read (one, or all). Only
//! the recipient can; someone else's notification is not found.

use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_store::notifications::{self, Notification};
use lms_store::Db;

/// Marks notification `id` of the caller read; `None` when it is not theirs.
pub async fn mark_read(db: &Db, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<Option<Notification>> {
    let mut tx = db.begin().await?;
    let n = notifications::mark_read(&mut tx.conn(), caller.actor.id, id, now).await?;
    tx.commit().await?;
    Ok(n)
}

/// Marks every notification of the caller read; how many were unread.
pub async fn mark_all_read(db: &Db, caller: &Caller, now: DateTime<Utc>) -> Result<u64> {
    let mut tx = db.begin().await?;
    let n = notifications::mark_all_read(&mut tx.conn(), caller.actor.id, now).await?;
    tx.commit().await?;
    Ok(n)
}
