//! The leave year as this instance applies it: the first month HR sets
//! (`settings.leave_year`, audited), the current leave year every "this
//! year" default means, how a new request is charged (one part per leave
//! year it touches), and which requests are parts of one.
//!
//! An instance that does not count on the parts migration
//! ([`lms_store::request_parts::MIGRATION`], e.g. `--schema previous`)
//! behaves as the release before: the calendar year, a request across it
//! refused (`spans_leave_years`), the first month neither applied nor
//! changed. The rules themselves are `lms_core::LeaveYearStart`'s and
//! `NewRequest::parts`'; this module must not know HTTP, HTML or SQL.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::{LeaveYearStart, NewRequest};
use lms_store::requests::LeaveRequest;
use lms_store::{request_parts, settings, Conn, Db, StoreError};
use serde::Serialize;
use std::collections::HashMap;

/// Whether this instance splits requests at the turn of the leave year
/// (and applies HR's first month).
pub fn splits(db: &Db) -> bool {
    db.counts(request_parts::MIGRATION)
}

/// The month the leave year starts in, as this instance applies it.
pub async fn start(db: &Db) -> Result<LeaveYearStart> {
    if !splits(db) {
        return Ok(LeaveYearStart::default());
    }
    let mut c = db.acquire().await?;
    Ok(settings::leave_year_start(&mut c.conn()).await?)
}

/// The leave year `today` falls in: the default year of balances,
/// allowances and the pages.
pub async fn current(db: &Db, today: NaiveDate) -> Result<i32> {
    Ok(start(db).await?.year_of(today))
}

#[derive(Serialize)]
struct FirstMonth {
    first_month: u32,
}

/// Sets the month the leave year starts in (HR); returns what it was.
/// From then on new requests are charged by it; requests already made keep
/// the year they were charged to. Refused (`not_available`) by an instance
/// one migration behind, which would not apply it.
pub async fn set_start(db: &Db, caller: &Caller, start: LeaveYearStart, now: DateTime<Utc>) -> Result<LeaveYearStart> {
    caller.require_hr()?;
    if !splits(db) {
        return Err(StoreError::conflict(
            "not_available",
            "this instance runs on the schema of the release before and charges the calendar year; \
             change the leave year on an instance with the current schema",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let before = settings::leave_year_start(&mut tx.conn()).await?;
    settings::set_leave_year_start(&mut tx.conn(), start, Some(caller.actor.id), now).await?;
    let (was, is) = (FirstMonth { first_month: before.month() }, FirstMonth { first_month: start.month() });
    record(
        &mut tx.conn(),
        &caller.audit(),
        Audited {
            action: "settings.leave_year",
            entity: ("settings", "leave_year_start".to_string()),
            before: Some(&was),
            after: Some(&is),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(before)
}

/// `new` as it is charged: its parts, one per leave year it touches; or,
/// on an instance one migration behind, itself in its calendar year
/// (refused when it spans two).
pub(crate) async fn charged(db: &Db, c: &mut Conn<'_>, new: &NewRequest) -> Result<Vec<NewRequest>> {
    if splits(db) {
        Ok(new.parts(settings::leave_year_start(c).await?))
    } else {
        Ok(vec![new.in_one_calendar_year()?])
    }
}

/// The other parts of request `id`, in order (none for a request in one
/// piece, or on an instance that does not split requests).
pub(crate) async fn other_parts(db: &Db, c: &mut Conn<'_>, id: i64) -> Result<Vec<i64>> {
    if !splits(db) {
        return Ok(Vec::new());
    }
    Ok(request_parts::siblings(c, id).await?.into_iter().filter(|p| *p != id).collect())
}

/// For each of `requests` that is a part of a request, the ids of all its
/// parts in order (empty on an instance that does not split requests).
pub async fn parts_of(db: &Db, requests: &[LeaveRequest]) -> Result<HashMap<i64, Vec<i64>>> {
    if !splits(db) || requests.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = requests.iter().map(|r| r.id).collect();
    let mut c = db.acquire().await?;
    Ok(request_parts::siblings_of(&mut c.conn(), &ids).await?)
}

/// The request the `parts` (in order) make together, as a notification
/// tells it: the first part's, to the last part's end, all days summed.
pub(crate) fn whole(parts: &[LeaveRequest]) -> Option<LeaveRequest> {
    let (first, last) = (parts.first()?, parts.last()?);
    Some(LeaveRequest {
        end_date: last.end_date,
        half_day_end: last.half_day_end,
        amount: parts.iter().map(|p| p.amount).sum(),
        ..first.clone()
    })
}
