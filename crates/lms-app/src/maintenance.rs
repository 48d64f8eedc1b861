//! Maintenance mode on or off for every instance sharing the database,
//! audited; by an HR admin through a front door, or by the operator at the
//! command line (who holds the database itself).

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::By;
use chrono::{DateTime, Utc};
use lms_store::{settings, Db};
use serde::Serialize;

#[derive(Serialize)]
struct State {
    enabled: bool,
}

/// Switches maintenance mode to `on`; returns what it was.
pub async fn set(db: &Db, by: By<'_>, on: bool, now: DateTime<Utc>) -> Result<bool> {
    by.require_hr()?;
    let (audit, actor_id) = (by.audit(), by.actor_id());
    let mut tx = db.begin().await?;
    let before = settings::maintenance(&mut tx.conn()).await?;
    settings::set_maintenance(&mut tx.conn(), on, actor_id, now).await?;
    let action = if on { "maintenance.on" } else { "maintenance.off" };
    let (was, is) = (State { enabled: before }, State { enabled: on });
    record(
        &mut tx.conn(),
        &audit,
        Audited { action, entity: ("settings", "maintenance".to_string()), before: Some(&was), after: Some(&is) },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(before)
}
