//! Leave requests: the validated input of a new request and the state
//! machine of its status (pending -> approved | rejected | cancelled,
//! approved -> cancelled before it starts).

use crate::{DateRange, DomainError, LeaveTypeCode, LeaveYearStart};
use chrono::NaiveDate;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The longest reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl LeaveStatus {
    pub const ALL: [LeaveStatus; 4] =
        [LeaveStatus::Pending, LeaveStatus::Approved, LeaveStatus::Rejected, LeaveStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            LeaveStatus::Pending => "pending",
            LeaveStatus::Approved => "approved",
            LeaveStatus::Rejected => "rejected",
            LeaveStatus::Cancelled => "cancelled",
        }
    }

    /// Whether a request in this status holds days (counts against the balance
    /// and blocks overlapping requests).
    pub fn is_active(self) -> bool {
        matches!(self, LeaveStatus::Pending | LeaveStatus::Approved)
    }

    /// The status after `action`, or why the action is not possible.
    /// `today` and `start` decide whether an approved request has started.
    pub fn apply(self, action: RequestAction, today: NaiveDate, start: NaiveDate) -> Result<LeaveStatus, DomainError> {
        use LeaveStatus::*;
        use RequestAction::*;
        match (self, action) {
            (Pending, Approve) => Ok(Approved),
            (Pending, Reject) => Ok(Rejected),
            (Pending, Cancel) => Ok(Cancelled),
            (Approved, Cancel) if today < start => Ok(Cancelled),
            (Approved, Cancel) => Err(DomainError::AlreadyStarted { start: start.to_string() }),
            (status, action) => Err(DomainError::InvalidTransition {
                action: action.as_str().to_string(),
                status: status.as_str().to_string(),
            }),
        }
    }
}

impl FromStr for LeaveStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        LeaveStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| DomainError::UnknownStatus(s.to_string()))
    }
}

impl fmt::Display for LeaveStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What someone does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAction {
    Approve,
    Reject,
    Cancel,
}

impl RequestAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Approve => "approve",
            RequestAction::Reject => "reject",
            RequestAction::Cancel => "cancel",
        }
    }
}

/// A new request whose shape is valid (dates in order, a well-formed type
/// code, a reason of allowed length). Whether it fits the calendar, the
/// balance and the other requests is decided with the store's data. Which
/// leave year it is charged to depends on the leave year's first month:
/// [`NewRequest::parts`] cuts it at each turn of the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub leave_type: LeaveTypeCode,
    pub range: DateRange,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub reason: String,
    /// The leave year charged: the calendar year of the first day as
    /// parsed; each of [`NewRequest::parts`] carries its own.
    pub year: i32,
    /// Part of one day, in minutes, for a type measured in hours
    /// ([`NewRequest::part_of_day`]); `None`: whole (or half) days.
    pub minutes: Option<u32>,
}

impl NewRequest {
    pub fn parse(
        leave_type: &str,
        start: NaiveDate,
        end: NaiveDate,
        half_day_start: bool,
        half_day_end: bool,
        reason: Option<&str>,
    ) -> Result<Self, DomainError> {
        let range = DateRange::new(start, end)?;
        let year = chrono::Datelike::year(&start);
        let reason = reason.unwrap_or("").trim().to_string();
        let len = reason.chars().count();
        if len > MAX_REASON_CHARS {
            return Err(DomainError::ReasonTooLong(len));
        }
        let leave_type =
            LeaveTypeCode::parse(leave_type).map_err(|_| DomainError::UnknownLeaveType(leave_type.to_string()))?;
        Ok(NewRequest { leave_type, range, half_day_start, half_day_end, reason, year, minutes: None })
    }

    /// The request as charged when the leave year starts in `start`'s
    /// month: one part per leave year it touches, in order, each with its
    /// year. The first part keeps the half-day flag of the first day, the
    /// last part that of the last day (a turn of the year never halves a
    /// day). A request within one year is one part: itself, with its year.
    pub fn parts(&self, start: LeaveYearStart) -> Vec<NewRequest> {
        let pieces = start.split(&self.range);
        let last = pieces.len().saturating_sub(1);
        pieces
            .into_iter()
            .enumerate()
            .map(|(i, (year, range))| NewRequest {
                leave_type: self.leave_type.clone(),
                range,
                half_day_start: self.half_day_start && i == 0,
                half_day_end: self.half_day_end && i == last,
                reason: self.reason.clone(),
                year,
                minutes: self.minutes,
            })
            .collect()
    }

    /// The request for `hours` of its one day, not the whole day: one day
    /// (start = end), no half-day flag, more than zero hours. Whether the
    /// type is measured in hours and the day holds that many is decided
    /// with the type and the person's schedule.
    pub fn part_of_day(self, hours: crate::Quantity) -> Result<Self, DomainError> {
        let refuse = |why: &str| Err(DomainError::PartDay(why.to_string()));
        if hours.unit() != crate::LeaveUnit::Hours {
            return refuse("a part of a day is given in hours");
        }
        if self.range.start() != self.range.end() {
            return refuse("hours are asked for one day: give the same start_date and end_date");
        }
        if self.half_day_start || self.half_day_end {
            return refuse("give either hours or a half day, not both");
        }
        let Ok(minutes) = u32::try_from(hours.raw()) else {
            return refuse("hours must be more than 0 and at most 24");
        };
        if minutes == 0 || minutes > 24 * 60 {
            return refuse("hours must be more than 0 and at most 24");
        }
        Ok(NewRequest { minutes: Some(minutes), ..self })
    }

    /// The request charged to the calendar year, refused when it spans two
    /// (`spans_leave_years`): what an instance does that does not split
    /// requests (one migration behind).
    pub fn in_one_calendar_year(&self) -> Result<NewRequest, DomainError> {
        let year = self.range.leave_year()?;
        Ok(NewRequest { year, ..self.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LeaveStatus::*;
    use RequestAction::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn transitions() {
        let (today, later, earlier) = (d("2026-03-01"), d("2026-03-02"), d("2026-02-27"));
        assert_eq!(Pending.apply(Approve, today, later).unwrap(), Approved);
        assert_eq!(Pending.apply(Reject, today, later).unwrap(), Rejected);
        assert_eq!(Pending.apply(Cancel, today, earlier).unwrap(), Cancelled);
        assert_eq!(Approved.apply(Cancel, today, later).unwrap(), Cancelled);
        assert_eq!(Approved.apply(Cancel, today, earlier).unwrap_err().code(), "already_started");
        assert_eq!(Approved.apply(Cancel, today, today).unwrap_err().code(), "already_started");
        for s in [Approved, Rejected, Cancelled] {
            assert_eq!(s.apply(Approve, today, later).unwrap_err().code(), "invalid_transition");
            assert_eq!(s.apply(Reject, today, later).unwrap_err().code(), "invalid_transition");
        }
        assert_eq!(Rejected.apply(Cancel, today, later).unwrap_err().code(), "invalid_transition");
    }

    #[test]
    fn parse_new_request() {
        let ok = NewRequest::parse("annual", d("2026-03-02"), d("2026-03-06"), false, false, Some("  trip ")).unwrap();
        assert_eq!(ok.reason, "trip");
        assert_eq!(ok.year, 2026);
        let long = "x".repeat(1001);
        assert_eq!(
            NewRequest::parse("annual", d("2026-03-02"), d("2026-03-06"), false, false, Some(&long))
                .unwrap_err()
                .code(),
            "reason_too_long"
        );
        assert!(NewRequest::parse("annual", d("2026-03-02"), d("2026-03-06"), false, false, Some(&"é".repeat(1000)))
            .is_ok());
        assert_eq!(
            NewRequest::parse("Bad Type", d("2026-03-02"), d("2026-03-06"), false, false, None).unwrap_err().code(),
            "unknown_leave_type"
        );
        assert_eq!(
            NewRequest::parse("annual", d("2026-03-06"), d("2026-03-02"), false, false, None).unwrap_err().code(),
            "end_before_start"
        );
        let across = NewRequest::parse("annual", d("2026-12-31"), d("2027-01-04"), false, false, None).unwrap();
        assert_eq!(across.year, 2026, "the calendar year of the first day until it is charged");
        assert_eq!(across.in_one_calendar_year().unwrap_err().code(), "spans_leave_years");
        assert_eq!(ok.in_one_calendar_year().unwrap().year, 2026);
    }

    #[test]
    fn parts_are_charged_to_their_years_and_keep_the_flags_of_their_ends() {
        // Worked example (docs/LEAVE-RULES.md): an April–March year, leave
        // from Sunday 28 March to Thursday 8 April 2027.
        let april = LeaveYearStart::new(4).unwrap();
        let r = NewRequest::parse("annual", d("2027-03-28"), d("2027-04-08"), true, true, Some("trip")).unwrap();
        let parts = r.parts(april);
        let shape: Vec<_> =
            parts.iter().map(|p| (p.year, p.range.start(), p.range.end(), p.half_day_start, p.half_day_end)).collect();
        assert_eq!(
            shape,
            vec![
                (2026, d("2027-03-28"), d("2027-03-31"), true, false),
                (2027, d("2027-04-01"), d("2027-04-08"), false, true),
            ]
        );
        assert!(parts.iter().all(|p| p.reason == "trip" && p.leave_type == r.leave_type));
        let within = NewRequest::parse("annual", d("2027-04-02"), d("2027-04-08"), true, true, None).unwrap();
        assert_eq!(within.parts(april), vec![NewRequest { year: 2027, ..within.clone() }]);
        let january = NewRequest::parse("annual", d("2027-03-01"), d("2027-03-05"), false, false, None).unwrap();
        let one = NewRequest::parse("toil", d("2030-06-04"), d("2030-06-04"), false, false, None).unwrap();
        let hours = |m| crate::Quantity::minutes(m);
        assert_eq!(one.clone().part_of_day(hours(150)).map(|r| r.minutes), Ok(Some(150)));
        assert_eq!(r.clone().part_of_day(hours(150)).map_err(|e| e.code()), Err("invalid_part_day"));
        assert_eq!(one.clone().part_of_day(hours(0)).map_err(|e| e.code()), Err("invalid_part_day"));
        let half = NewRequest::parse("toil", d("2030-06-04"), d("2030-06-04"), true, false, None).unwrap();
        assert_eq!(half.part_of_day(hours(60)).map_err(|e| e.code()), Err("invalid_part_day"));
        assert_eq!(january.parts(LeaveYearStart::default()), vec![january.clone()]);
    }

    #[test]
    fn status_round_trip() {
        for s in LeaveStatus::ALL {
            assert_eq!(s.as_str().parse::<LeaveStatus>().unwrap(), s);
        }
        assert!("done".parse::<LeaveStatus>().is_err());
    }
}

/// The comment of a decision (approve, reject, cancel): trimmed, at most
/// [`MAX_COMMENT_CHARS`] characters; an empty one is no comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment(String);

/// The longest comment a decision may carry, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;

impl Comment {
    /// `None` for no comment or a blank one.
    pub fn parse(raw: Option<&str>) -> Result<Option<Comment>, DomainError> {
        let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
        let chars = text.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(DomainError::CommentTooLong(chars));
        }
        Ok(Some(Comment(text.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod comment_tests {
    use super::*;

    #[test]
    fn a_comment_is_trimmed_blank_is_none_and_length_is_bounded() {
        assert_eq!(Comment::parse(None), Ok(None));
        assert_eq!(Comment::parse(Some("   ")), Ok(None));
        assert_eq!(
            Comment::parse(Some(" Enjoy! ")).map(|c| c.map(|c| c.as_str().to_string())),
            Ok(Some("Enjoy!".into()))
        );
        assert_eq!(Comment::parse(Some(&"é".repeat(1000))).map(|c| c.is_some()), Ok(true));
        assert_eq!(Comment::parse(Some(&"é".repeat(1001))), Err(DomainError::CommentTooLong(1001)));
    }
}
