//! Calendar feeds: a person's secret, revocable subscription URLs (only
//! the SHA-256 of each secret is kept, as for API tokens), and the reads
//! behind a feed — requests with how often each changed (its audit
//! records, the event's `SEQUENCE`). The table comes with migration
//! [`MIGRATION`]; the caller asks `Db::counts` first. What a feed shows
//! and how is `lms_core::calendar_feed`'s.

use crate::employees::Employee;
use crate::{Conn, Result};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// The migration that brings `calendar_feeds`.
pub const MIGRATION: i64 = 20261204000001;

const COLUMNS: &str = "f.id, f.employee_id, f.name, f.scope, f.created_at, f.last_used_at, f.revoked_at";

/// A feed, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CalendarFeed {
    pub id: i64,
    pub employee_id: i64,
    pub name: String,
    /// `person`, `team` or `company`.
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn create(
    c: &mut Conn<'_>,
    employee_id: i64,
    name: &str,
    scope: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<CalendarFeed> {
    let sql = format!(
        "INSERT INTO calendar_feeds (employee_id, name, scope, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING {}",
        COLUMNS.replace("f.", "")
    );
    Ok(q!(one c, CalendarFeed, &sql, employee_id, name, scope, token_hash, now)?)
}

/// A person's feeds, revoked ones included, oldest first.
pub async fn list(c: &mut Conn<'_>, employee_id: i64) -> Result<Vec<CalendarFeed>> {
    let sql = format!("SELECT {COLUMNS} FROM calendar_feeds f WHERE f.employee_id = $1 ORDER BY f.id");
    Ok(q!(all c, CalendarFeed, &sql, employee_id)?)
}

/// Revokes feed `id` of `employee_id`; false when they hold no such live feed.
pub async fn revoke(c: &mut Conn<'_>, employee_id: i64, id: i64, now: DateTime<Utc>) -> Result<bool> {
    Ok(q!(exec c,
        "UPDATE calendar_feeds SET revoked_at = $1 WHERE id = $2 AND employee_id = $3 AND revoked_at IS NULL",
        now, id, employee_id)?
        > 0)
}

/// The live feed behind a secret's hash and the active person who holds it.
pub async fn by_token(c: &mut Conn<'_>, token_hash: &str) -> Result<Option<(CalendarFeed, Employee)>> {
    let Some(feed) = q!(opt c, CalendarFeed,
        &format!("SELECT {COLUMNS} FROM calendar_feeds f JOIN employees e ON e.id = f.employee_id \
                  WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND e.active = TRUE"),
        token_hash)?
    else {
        return Ok(None);
    };
    Ok(crate::employees::get(c, feed.employee_id).await?.filter(|e| e.active).map(|e| (feed, e)))
}

/// Records when a feed was last read.
pub async fn touch(c: &mut Conn<'_>, id: i64, now: DateTime<Utc>) -> Result<()> {
    q!(exec c, "UPDATE calendar_feeds SET last_used_at = $1 WHERE id = $2", now, id)?;
    Ok(())
}

/// Whose requests a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Person(i64),
    /// The direct reports of this manager.
    Team(i64),
    Company,
}

/// A request as a feed needs it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FeedRequest {
    pub id: i64,
    pub employee_id: i64,
    pub employee_name: String,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Its audit records: how many recorded changes it has had.
    pub changes: i64,
}

impl FeedRequest {
    /// When it last changed.
    pub fn changed(&self) -> DateTime<Utc> {
        [Some(self.created_at), self.decided_at, self.cancelled_at]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.created_at)
    }
}

const FEED_SELECT: &str = "SELECT r.id, r.employee_id, e.name AS employee_name, t.code AS leave_type, \
    r.start_date, r.end_date, r.half_day_start, r.half_day_end, r.status, r.created_at, r.decided_at, r.cancelled_at, \
    (SELECT COUNT(*) FROM audit_events a WHERE a.entity_type = 'leave_request' AND a.entity_id = CAST(r.id AS TEXT)) AS changes \
    FROM leave_requests r JOIN employees e ON e.id = r.employee_id JOIN leave_types t ON t.id = r.leave_type_id";

/// The requests of `whose` that end on or after `ended_after`: approved
/// ones, pending ones with `pending`, and rejected or cancelled ones
/// decided since `gone_since` — by start date.
pub async fn requests(
    c: &mut Conn<'_>,
    whose: Whose,
    pending: bool,
    ended_after: NaiveDate,
    gone_since: DateTime<Utc>,
) -> Result<Vec<FeedRequest>> {
    let (person, manager) = match whose {
        Whose::Person(id) => (Some(id), None),
        Whose::Team(id) => (None, Some(id)),
        Whose::Company => (None, None),
    };
    let sql = format!(
        "{FEED_SELECT} WHERE ($1 IS NULL OR r.employee_id = $1) AND ($2 IS NULL OR e.manager_id = $2) AND r.end_date >= $3 \
         AND (r.status = 'approved' OR (r.status = 'pending' AND $4 = 1) \
              OR (r.status IN ('rejected', 'cancelled') AND COALESCE(r.cancelled_at, r.decided_at) >= $5)) \
         ORDER BY r.start_date, r.id"
    );
    Ok(q!(all c, FeedRequest, &sql, person, manager, ended_after, i32::from(pending), gone_since)?)
}

/// One request as a feed shows it (the caller has checked who may see it).
pub async fn request(c: &mut Conn<'_>, id: i64) -> Result<Option<FeedRequest>> {
    Ok(q!(opt c, FeedRequest, &format!("{FEED_SELECT} WHERE r.id = $1"), id)?)
}
