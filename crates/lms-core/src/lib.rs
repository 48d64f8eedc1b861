//! The LMS domain: people, leave types, requests, work calendars, working
//! schedules, leave years, balances and the request state machine.
//!
//! This crate is pure: no IO, no async, no SQL, no HTTP. Every rule of the
//! leave workflow lives here as plain functions over plain values so that it
//! can be unit-tested without a database. It must not know how values are
//! stored or how they reach a user.

pub mod amount;
pub mod approval;
pub mod balance;
pub mod calendar;
pub mod calendar_feed;
pub mod calendar_file;
pub mod email;
pub mod entitlement;
pub mod error;
pub mod holiday;
pub mod ical;
pub mod language;
pub mod leave_type;
pub mod leave_year;
pub mod mail;
pub mod policy;
pub mod quantity;
pub mod request;
pub mod role;
pub mod schedule;
pub mod text;
pub mod type_rules;
pub mod webhook;

pub use amount::LeaveAmount;
pub use balance::{Balance, EntitlementChange, LedgerKind};
pub use calendar::{DateRange, WorkCalendar};
pub use email::Email;
pub use error::DomainError;
pub use holiday::HolidayDate;
pub use language::Language;
pub use leave_type::{Colour, LeaveTypeCode};
pub use leave_year::LeaveYearStart;
pub use policy::{Actor, RequestAccess};
pub use quantity::Quantity;
pub use request::{Comment, LeaveStatus, NewRequest, RequestAction, MAX_COMMENT_CHARS, MAX_REASON_CHARS};
pub use role::Role;
pub use schedule::{Counter, LeaveCost, LeaveUnit, ScheduleHistory, ScheduleProblem, WorkingSchedule};
pub use type_rules::TypeRules;

/// The product version, shown by health, status, metrics and the UI.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
