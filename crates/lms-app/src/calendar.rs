//! Leave in people's calendars: a person's calendar feeds (created with a
//! name and a scope their role allows, at most
//! [`lms_core::calendar_feed::MAX_LIVE_FEEDS`] live; the secret made and
//! hashed by the caller, never seen here; revoked by them), what a feed
//! shows when its secret is presented, and one request as an iCalendar
//! file. Off — no feeds, none to create — when the instance does not count
//! on the feeds' migration. Rules are `lms_core::calendar_feed`'s, the
//! format `lms_core::ical`'s.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Duration, Utc};
use lms_core::calendar_feed::{
    self, FeedScope, RequestEvent, SummaryWords, CANCELLED_SHOWN_DAYS, MAX_LIVE_FEEDS, PAST_DAYS,
};
use lms_core::{ical, Actor, DomainError, LeaveStatus};
use lms_store::calendar_feeds::{self, CalendarFeed, FeedRequest, Whose, MIGRATION};
use lms_store::{locations, requests, Db};

/// Whether this instance has calendar feeds.
pub fn available(db: &Db) -> bool {
    db.counts(MIGRATION)
}

/// How stale a feed's `last_used_at` may get before a read records it again.
const TOUCH_EVERY: Duration = Duration::minutes(10);

/// Creates a feed named `name` of `scope` for the caller, stored as `secret_hash`.
pub async fn create_feed(
    db: &Db,
    caller: &Caller,
    name: &str,
    scope: FeedScope,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> Result<CalendarFeed> {
    if !available(db) {
        return Err(DomainError::Unavailable(
            "calendar feeds are not available on this instance yet (its schema is that of the release before them)",
        )
        .into());
    }
    scope.check(caller.actor.role)?;
    let name = lms_core::text::name(name, 100)?;
    let mut tx = db.begin().await?;
    let live =
        calendar_feeds::list(&mut tx.conn(), caller.actor.id).await?.iter().filter(|f| f.revoked_at.is_none()).count();
    if live >= MAX_LIVE_FEEDS {
        return Err(DomainError::TooManyFeeds { live, max: MAX_LIVE_FEEDS }.into());
    }
    let f = calendar_feeds::create(&mut tx.conn(), caller.actor.id, &name, scope.as_str(), secret_hash, now).await?;
    let what = Audited {
        action: "calendar_feed.create",
        entity: ("calendar_feed", f.id.to_string()),
        before: None,
        after: Some(&f),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(f)
}

/// A person's feeds (revoked ones included); none on an instance without them.
pub async fn feeds(db: &Db, employee_id: i64) -> Result<Vec<CalendarFeed>> {
    if !available(db) {
        return Ok(vec![]);
    }
    let mut c = db.acquire().await?;
    Ok(calendar_feeds::list(&mut c.conn(), employee_id).await?)
}

/// Revokes the caller's feed `id`; false when they hold no such live feed.
pub async fn revoke_feed(db: &Db, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<bool> {
    if !available(db) {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    let before = calendar_feeds::list(&mut tx.conn(), caller.actor.id).await?.into_iter().find(|f| f.id == id);
    if !calendar_feeds::revoke(&mut tx.conn(), caller.actor.id, id, now).await? {
        return Ok(false);
    }
    let after = before.clone().map(|f| CalendarFeed { revoked_at: Some(now), ..f });
    let what = Audited {
        action: "calendar_feed.revoke",
        entity: ("calendar_feed", id.to_string()),
        before: before.as_ref(),
        after: after.as_ref(),
    };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// The calendar behind a feed's secret (its hash): `None` when there is
/// no such live feed, its holder is deactivated, or their role no longer
/// allows its scope. Approved leave (and pending with `pending`), rejected
/// and cancelled leave for [`CANCELLED_SHOWN_DAYS`] after the decision, and
/// in a person's own feed the holidays of their calendar. `domain` names
/// the instance in each UID; `words` gives the summaries' words in a
/// language (the holder's chosen one, `None`: not chosen).
pub async fn feed(
    db: &Db,
    secret_hash: &str,
    pending: bool,
    domain: &str,
    words: &(dyn Fn(Option<&str>) -> SummaryWords + Sync),
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    if !available(db) {
        return Ok(None);
    }
    let mut c = db.acquire().await?;
    let Some((f, holder)) = calendar_feeds::by_token(&mut c.conn(), secret_hash).await? else {
        return Ok(None);
    };
    let Ok(scope) = f.scope.parse::<FeedScope>() else { return Ok(None) };
    let Ok(role) = holder.role.parse() else { return Ok(None) };
    if !scope.allowed(role) {
        return Ok(None);
    }
    if f.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY) {
        calendar_feeds::touch(&mut c.conn(), f.id, now).await?;
    }
    let whose = match scope {
        FeedScope::Person => Whose::Person(holder.id),
        FeedScope::Team => Whose::Team(holder.id),
        FeedScope::Company => Whose::Company,
    };
    let today = now.date_naive();
    let since = today - Duration::days(PAST_DAYS);
    let rows =
        calendar_feeds::requests(&mut c.conn(), whose, pending, since, now - Duration::days(CANCELLED_SHOWN_DAYS))
            .await?;
    let owner_named = scope != FeedScope::Person;
    let language = lms_store::settings::for_person(&mut c.conn(), holder.id).await?.language;
    let words = words(language.as_deref());
    let mut events: Vec<ical::Event> = rows.iter().map(|r| event(r, owner_named, domain, &words)).collect();
    if scope == FeedScope::Person {
        let applied = locations::calendar_of(
            &mut c.conn(),
            holder.id,
            crate::locations::calendars(db),
            since,
            today + Duration::days(2 * 366),
        )
        .await?;
        let key = applied.location.as_ref().map_or_else(|| "company".to_string(), |l| format!("location-{}", l.id));
        events.extend(applied.holidays.iter().map(|h| calendar_feed::holiday_event(h.day, &h.name, &key, domain, now)));
    }
    Ok(Some(ical::calendar(&format!("LMS: {}", f.name), &events)))
}

/// One request as an iCalendar file, for whoever may see it (others: not
/// found), its summary in the language `words` gives for the reader's.
pub async fn request_file(
    db: &Db,
    actor: &Actor,
    id: i64,
    domain: &str,
    words: &(dyn Fn(Option<&str>) -> SummaryWords + Sync),
) -> Result<String> {
    let mut c = db.acquire().await?;
    let r = requests::get_visible(&mut c.conn(), actor, id).await?;
    let Some(row) = calendar_feeds::request(&mut c.conn(), r.id).await? else {
        return Err(lms_store::StoreError::NotFound(format!("leave request {id}")).into());
    };
    let language = lms_store::settings::for_person(&mut c.conn(), actor.id).await?.language;
    let e = event(&row, row.employee_id != actor.id, domain, &words(language.as_deref()));
    Ok(ical::calendar(&format!("LMS: leave request {id}"), &[e]))
}

fn event(r: &FeedRequest, owner_named: bool, domain: &str, words: &SummaryWords) -> ical::Event {
    calendar_feed::request_event(
        &RequestEvent {
            id: r.id,
            owner: owner_named.then_some(r.employee_name.as_str()),
            leave_type: &r.leave_type,
            first: r.start_date,
            last: r.end_date,
            half_day_start: r.half_day_start,
            half_day_end: r.half_day_end,
            status: r.status.parse().unwrap_or(LeaveStatus::Pending),
            changes: u32::try_from(r.changes).unwrap_or(u32::MAX),
            changed: r.changed(),
        },
        domain,
        words,
    )
}
