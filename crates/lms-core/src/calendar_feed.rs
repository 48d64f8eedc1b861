//! Calendar feeds: what a feed shows ([`FeedScope`]), who may hold which,
//! and how a leave request appears in a calendar — its stable UID, its
//! `STATUS` (a rejected or cancelled request stays in the feed as
//! cancelled for [`CANCELLED_SHOWN_DAYS`], so a subscribed calendar
//! removes it instead of keeping a stale copy), and its summary (half
//! days said). Pure: the writer is `ical`'s; reads and secrets are elsewhere.

use crate::ical::{Event, EventStatus};
use crate::{DomainError, LeaveStatus, Role};
use chrono::{DateTime, NaiveDate, Utc};
use std::str::FromStr;

/// How long a rejected or cancelled request stays in a feed (as
/// `STATUS:CANCELLED`) after the decision.
pub const CANCELLED_SHOWN_DAYS: i64 = 30;

/// How far back a feed reaches: requests that ended longer ago are left out.
pub const PAST_DAYS: i64 = 366;

/// Live feeds one person may hold.
pub const MAX_LIVE_FEEDS: usize = 10;

/// What a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedScope {
    /// One's own leave, and the holidays of one's calendar.
    Person,
    /// A manager's direct reports' leave.
    Team,
    /// Everyone's leave (HR admins).
    Company,
}

impl FeedScope {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedScope::Person => "person",
            FeedScope::Team => "team",
            FeedScope::Company => "company",
        }
    }

    /// Whether a person of `role` may hold (and go on reading) such a feed.
    pub fn allowed(self, role: Role) -> bool {
        match self {
            FeedScope::Person => true,
            FeedScope::Team => role >= Role::Manager,
            FeedScope::Company => role == Role::HrAdmin,
        }
    }

    /// [`FeedScope::allowed`] as a rule: the refusal says who may.
    pub fn check(self, role: Role) -> Result<Self, DomainError> {
        if self.allowed(role) {
            return Ok(self);
        }
        Err(DomainError::Forbidden(match self {
            FeedScope::Team => "a team feed is for managers (their direct reports' leave)".into(),
            _ => "a company feed is for HR admins".into(),
        }))
    }
}

impl FromStr for FeedScope {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        match s {
            "person" => Ok(FeedScope::Person),
            "team" => Ok(FeedScope::Team),
            "company" => Ok(FeedScope::Company),
            other => Err(DomainError::UnknownFeedScope(other.to_string())),
        }
    }
}

/// A request's `STATUS` in a calendar.
pub fn status(s: LeaveStatus) -> EventStatus {
    match s {
        LeaveStatus::Approved => EventStatus::Confirmed,
        LeaveStatus::Pending => EventStatus::Tentative,
        LeaveStatus::Rejected | LeaveStatus::Cancelled => EventStatus::Cancelled,
    }
}

/// A request as a calendar shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestEvent<'a> {
    pub id: i64,
    /// Whose leave: named in the summary when the feed shows others'.
    pub owner: Option<&'a str>,
    pub leave_type: &'a str,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub status: LeaveStatus,
    /// How many recorded changes the request has had (its audit records):
    /// the event's `SEQUENCE`.
    pub changes: u32,
    pub changed: DateTime<Utc>,
}

/// The stable UID of request `id` on the instance known as `domain`.
pub fn request_uid(id: i64, domain: &str) -> String {
    format!("leave-request-{id}@{domain}")
}

/// The stable UID of the holiday on `day` of calendar `calendar` (e.g.
/// `company` or `location-3`).
pub fn holiday_uid(day: NaiveDate, calendar: &str, domain: &str) -> String {
    format!("holiday-{calendar}-{}@{domain}", day.format("%Y%m%d"))
}

/// The words of a summary, in the language of the feed's holder (the
/// caller translates them; [`SummaryWords::default`] is English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryWords {
    /// Before the type in one's own feed: `Leave`.
    pub leave: String,
    pub half_day: String,
    pub first_day_half: String,
    pub last_day_half: String,
    pub both_halves: String,
    pub pending: String,
    pub rejected: String,
    pub cancelled: String,
}

impl Default for SummaryWords {
    fn default() -> Self {
        SummaryWords {
            leave: "Leave".into(),
            half_day: "half day".into(),
            first_day_half: "first day half".into(),
            last_day_half: "last day half".into(),
            both_halves: "first and last day half".into(),
            pending: "pending".into(),
            rejected: "rejected".into(),
            cancelled: "cancelled".into(),
        }
    }
}

/// `Leave: annual`, `Ada Byrne: annual (half day)`, `… (pending)`, in
/// `words`' language.
pub fn summary(r: &RequestEvent<'_>, words: &SummaryWords) -> String {
    let mut s = match r.owner {
        Some(name) => format!("{name}: {}", r.leave_type),
        None => format!("{}: {}", words.leave, r.leave_type),
    };
    let halves = match (r.first == r.last, r.half_day_start, r.half_day_end) {
        (_, false, false) => None,
        (true, _, _) => Some(&words.half_day),
        (false, true, false) => Some(&words.first_day_half),
        (false, false, true) => Some(&words.last_day_half),
        (false, true, true) => Some(&words.both_halves),
    };
    if let Some(h) = halves {
        s.push_str(&format!(" ({h})"));
    }
    let state = match r.status {
        LeaveStatus::Pending => Some(&words.pending),
        LeaveStatus::Rejected => Some(&words.rejected),
        LeaveStatus::Cancelled => Some(&words.cancelled),
        LeaveStatus::Approved => None,
    };
    if let Some(w) = state {
        s.push_str(&format!(" ({w})"));
    }
    s
}

/// The event of a request, its summary in `words`' language.
pub fn request_event(r: &RequestEvent<'_>, domain: &str, words: &SummaryWords) -> Event {
    Event {
        uid: request_uid(r.id, domain),
        sequence: r.changes,
        status: status(r.status),
        first: r.first,
        last: r.last,
        summary: summary(r, words),
        description: None,
        changed: r.changed,
        busy: true,
        categories: Some(r.leave_type.to_string()),
    }
}

/// The event of a holiday (free time, never cancelled).
pub fn holiday_event(day: NaiveDate, name: &str, calendar: &str, domain: &str, changed: DateTime<Utc>) -> Event {
    Event {
        uid: holiday_uid(day, calendar, domain),
        sequence: 0,
        status: EventStatus::Confirmed,
        first: day,
        last: day,
        summary: name.to_string(),
        description: None,
        changed,
        busy: false,
        categories: Some("holiday".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn req(first: NaiveDate, last: NaiveDate, start: bool, end: bool, status: LeaveStatus) -> RequestEvent<'static> {
        RequestEvent {
            id: 7,
            owner: Some("Byrne, Ada"),
            leave_type: "annual",
            first,
            last,
            half_day_start: start,
            half_day_end: end,
            status,
            changes: 2,
            changed: DateTime::parse_from_rfc3339("2026-11-01T08:30:00Z").unwrap().with_timezone(&Utc),
        }
    }

    #[test]
    fn scopes_by_role() {
        use FeedScope::*;
        let allowed = |r| [Person, Team, Company].map(|s| s.allowed(r));
        assert_eq!(allowed(Role::Employee), [true, false, false]);
        assert_eq!(allowed(Role::Manager), [true, true, false]);
        assert_eq!(allowed(Role::HrAdmin), [true, true, true]);
        assert_eq!("team".parse::<FeedScope>(), Ok(Team));
        assert_eq!("all".parse::<FeedScope>().map_err(|e| e.code()), Err("unknown_feed_scope"));
        assert_eq!(Company.check(Role::Manager).map_err(|e| e.code()), Err("forbidden"));
    }

    #[test]
    fn statuses_and_summaries() {
        use LeaveStatus::*;
        assert_eq!(
            [Approved, Pending, Rejected, Cancelled].map(status),
            [EventStatus::Confirmed, EventStatus::Tentative, EventStatus::Cancelled, EventStatus::Cancelled]
        );
        let en = SummaryWords::default();
        let summary = |r: &RequestEvent<'_>| summary(r, &en);
        assert_eq!(summary(&req(day(7), day(11), false, false, Approved)), "Byrne, Ada: annual");
        assert_eq!(summary(&req(day(7), day(7), true, false, Pending)), "Byrne, Ada: annual (half day) (pending)");
        assert_eq!(summary(&req(day(7), day(8), false, true, Approved)), "Byrne, Ada: annual (last day half)");
        assert_eq!(
            summary(&req(day(7), day(8), true, true, Cancelled)),
            "Byrne, Ada: annual (first and last day half) (cancelled)"
        );
        let own = RequestEvent { owner: None, ..req(day(7), day(8), true, false, Approved) };
        assert_eq!(summary(&own), "Leave: annual (first day half)");
    }

    #[test]
    fn a_request_event() {
        let e = request_event(
            &req(day(7), day(11), false, false, LeaveStatus::Rejected),
            "lms.example",
            &SummaryWords::default(),
        );
        assert_eq!((e.uid.as_str(), e.sequence, e.status), ("leave-request-7@lms.example", 2, EventStatus::Cancelled));
        assert_eq!((e.first, e.last, e.busy), (day(7), day(11), true));
        let h = holiday_event(day(25), "Christmas", "company", "lms.example", e.changed);
        assert_eq!((h.uid.as_str(), h.busy), ("holiday-company-20261225@lms.example", false));
    }
}
