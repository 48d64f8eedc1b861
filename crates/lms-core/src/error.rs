//! The one error type of the domain. Each variant is a rule that was broken;
//! its `code` is stable and machine-readable, its message says what to fix.

use thiserror::Error;

/// A broken domain rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("end_date {end} is before start_date {start}; the end date must be on or after the start date")]
    EndBeforeStart { start: String, end: String },
    #[error(
        "the leaving date {leaving} is before the start date {start}; a person's last day is on or after their first"
    )]
    LeavingBeforeStart { start: String, leaving: String },
    #[error("the range {start}..{end} contains no working days (weekends and company holidays do not count)")]
    NoWorkingDays { start: String, end: String },
    #[error("a request must lie within one leave year; split it at the turn of the year ({start}..{end})")]
    SpansLeaveYears { start: String, end: String },
    #[error("the leave year's first month is {0}; use 1 (January) to 12 (December)")]
    InvalidLeaveYearStart(u32),
    #[error("{0}")]
    InvalidSchedule(crate::schedule::ScheduleProblem),
    #[error("{0}")]
    InvalidRule(String),
    #[error("line {line}: {message}")]
    CalendarFile { line: usize, message: String },
    #[error(
        "the request covers {days} consecutive days; this leave type allows at most {max} in one request: split it"
    )]
    TooLong { days: i64, max: u32 },
    #[error("this leave type needs {min} days' notice: the earliest start asked for today is {earliest}")]
    TooShortNotice { min: u32, earliest: String },
    #[error("the request overlaps your {status} request #{id} ({start}..{end})")]
    Overlap { id: i64, status: String, start: String, end: String },
    #[error("the request needs {requested} {unit} of '{leave_type}' but only {available} are available in {year}")]
    InsufficientBalance { leave_type: String, year: i32, requested: String, available: String, unit: &'static str },
    #[error("unknown unit '{0}': use days or hours")]
    UnknownUnit(String),
    #[error("invalid hours {0}: use a number of hours that is a whole number of minutes, e.g. 2.5 or 0.25 (at most three decimals)")]
    InvalidHours(String),
    #[error("leave type '{leave_type}' is measured in {unit}: send the amount as `{unit}`")]
    WrongUnit { leave_type: String, unit: &'static str },
    #[error("{0}")]
    PartDay(String),
    #[error("you work {scheduled} hours on {date}: ask for at most that many (not {asked})")]
    TooManyHours { date: String, asked: String, scheduled: String },
    #[error("unknown leave type '{0}'")]
    UnknownLeaveType(String),
    #[error("reason is {0} characters long; at most 1000 are allowed")]
    ReasonTooLong(usize),
    #[error("comment is {0} characters long; at most 1000 are allowed")]
    CommentTooLong(usize),
    #[error("invalid email address '{0}'")]
    InvalidEmail(String),
    #[error("invalid day amount {0}: use a number of days with at most three decimals")]
    InvalidAmount(String),
    #[error("invalid leave type code '{0}': use 1-32 lowercase letters, digits, '-' or '_'")]
    InvalidLeaveTypeCode(String),
    #[error("invalid colour '{0}': use #rrggbb")]
    InvalidColour(String),
    #[error("name must have 1 to {max} characters")]
    InvalidName { max: usize },
    #[error("{0}")]
    EntitlementAmount(&'static str),
    #[error("an adjustment needs a reason")]
    ReasonRequired,
    #[error("you cannot deactivate yourself or drop your own hr-admin role")]
    SelfLockout,
    #[error("{0}")]
    ManagerCycle(String),
    #[error("manager {0} does not exist or is inactive")]
    UnknownManager(i64),
    #[error("unknown role '{0}': use employee, manager or hr-admin")]
    UnknownRole(String),
    #[error("unknown status '{0}': use pending, approved, rejected or cancelled")]
    UnknownStatus(String),
    #[error("cannot {action} a request that is {status}")]
    InvalidTransition { action: String, status: String },
    #[error("an approved request can only be cancelled before it starts ({start})")]
    AlreadyStarted { start: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    InvalidChain(String),
    #[error("{0}")]
    InvalidDelegation(String),
    #[error("expires_in_days must be between 1 and 3650")]
    TokenExpiry,
    #[error("you have {live} live tokens (the most is {max}); revoke one first (DELETE /api/v1/me/tokens/ID)")]
    TooManyTokens { live: usize, max: usize },
    #[error("unknown feed scope '{0}': use person, team or company")]
    UnknownFeedScope(String),
    #[error("you have {live} live calendar feeds (the most is {max}); revoke one first (DELETE /api/v1/me/calendar-feeds/ID)")]
    TooManyFeeds { live: usize, max: usize },
    #[error("{0}")]
    Unavailable(&'static str),
}

impl DomainError {
    /// A stable, machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::EndBeforeStart { .. } => "end_before_start",
            DomainError::LeavingBeforeStart { .. } => "leaving_before_start",
            DomainError::NoWorkingDays { .. } => "no_working_days",
            DomainError::SpansLeaveYears { .. } => "spans_leave_years",
            DomainError::InvalidLeaveYearStart(_) => "invalid_leave_year_start",
            DomainError::InvalidSchedule(_) => "invalid_schedule",
            DomainError::InvalidRule(_) => "invalid_rule",
            DomainError::CalendarFile { .. } => "invalid_calendar_file",
            DomainError::TooLong { .. } => "too_long",
            DomainError::TooShortNotice { .. } => "too_short_notice",
            DomainError::Overlap { .. } => "overlapping_request",
            DomainError::InsufficientBalance { .. } => "insufficient_balance",
            DomainError::UnknownUnit(_) => "invalid_unit",
            DomainError::InvalidHours(_) => "invalid_amount",
            DomainError::WrongUnit { .. } => "wrong_unit",
            DomainError::PartDay(_) => "invalid_part_day",
            DomainError::TooManyHours { .. } => "too_many_hours",
            DomainError::UnknownLeaveType(_) => "unknown_leave_type",
            DomainError::ReasonTooLong(_) => "reason_too_long",
            DomainError::CommentTooLong(_) => "comment_too_long",
            DomainError::InvalidEmail(_) => "invalid_email",
            DomainError::InvalidAmount(_) => "invalid_amount",
            DomainError::InvalidLeaveTypeCode(_) => "invalid_leave_type_code",
            DomainError::InvalidColour(_) => "invalid_colour",
            DomainError::InvalidName { .. } => "invalid_name",
            DomainError::EntitlementAmount(_) => "invalid_amount",
            DomainError::ReasonRequired => "reason_required",
            DomainError::SelfLockout => "self_lockout",
            DomainError::ManagerCycle(_) => "manager_cycle",
            DomainError::UnknownManager(_) => "unknown_manager",
            DomainError::UnknownRole(_) => "unknown_role",
            DomainError::UnknownStatus(_) => "unknown_status",
            DomainError::InvalidTransition { .. } => "invalid_transition",
            DomainError::AlreadyStarted { .. } => "already_started",
            DomainError::Forbidden(_) => "forbidden",
            DomainError::InvalidChain(_) => "invalid_chain",
            DomainError::InvalidDelegation(_) => "invalid_delegation",
            DomainError::TokenExpiry => "invalid_expiry",
            DomainError::TooManyTokens { .. } => "too_many_tokens",
            DomainError::UnknownFeedScope(_) => "unknown_feed_scope",
            DomainError::TooManyFeeds { .. } => "too_many_feeds",
            DomainError::Unavailable(_) => "unavailable",
        }
    }
}
