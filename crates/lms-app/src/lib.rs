//! The LMS's use cases: what submitting, approving, rejecting and cancelling
//! leave does — one transaction holding the change, its audit record and its
//! notifications, then the event told to whoever counts them — and the HR
//! steps: people, allowances, leave types, holidays, locations and their
//! holiday calendars, maintenance mode. Every front
//! door (the JSON API today, the web pages next) calls these functions, so
//! no two of them can disagree about what a step does.
//!
//! A use case takes the database, the [`Caller`], parsed domain input and
//! the time, and returns a domain value or an [`AppError`] without any HTTP
//! status. This crate must not know HTTP, HTML or SQL (the store holds the
//! SQL, `lms-core` the rules).

pub mod allowances;
pub mod approval;
mod audit;
pub mod calendar;
pub mod entitlements;
pub mod error;
pub mod holidays;
pub mod leave;
pub mod leave_types;
pub mod leave_year;
pub mod locations;
pub mod mail;
pub mod maintenance;
pub mod notifications;
pub mod people;
pub mod profile;
pub mod sso;
pub mod tokens;
pub mod webhooks;

pub use error::AppError;

use lms_core::Actor;
use lms_store::audit::AuditContext;

/// Refuses a use case whose migration `version` this instance does not
/// count on (409 `schema_behind`: it serves the release before's schema);
/// `what` names the feature, e.g. `webhooks need`.
pub(crate) fn require_schema(db: &lms_store::Db, version: i64, what: &str) -> error::Result<()> {
    if db.counts(version) {
        Ok(())
    } else {
        Err(lms_store::StoreError::conflict(
            "schema_behind",
            format!("{what} this release's database schema; this instance serves the release before's"),
        )
        .into())
    }
}

/// Who acts, and what the audit log keeps about the request they came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub actor: Actor,
    /// The id of the HTTP request (or page) that asked, for the audit log.
    pub request_id: String,
    /// The client's address, for the audit log.
    pub client_addr: String,
}

impl Caller {
    /// Refuses a caller who is not an HR admin. The HR use cases check it
    /// themselves; a front door may check it first, before parsing input,
    /// so that a person without the role learns nothing about the input.
    pub fn require_hr(&self) -> error::Result<()> {
        if self.actor.is_hr() {
            Ok(())
        } else {
            Err(lms_core::DomainError::Forbidden("this needs the hr-admin role".into()).into())
        }
    }

    /// The audit context of changes this caller makes.
    pub fn audit(&self) -> AuditContext {
        AuditContext {
            actor_id: Some(self.actor.id),
            request_id: self.request_id.clone(),
            client_addr: self.client_addr.clone(),
        }
    }
}

/// Who performs a step: a signed-in person (whose role the use case
/// checks), or the operator at the command line, who holds the database
/// itself and is recorded as `cli`.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    Caller(&'a Caller),
    CommandLine,
    /// A scheduled job of the server itself, recorded as `job`.
    Job,
}

impl By<'_> {
    pub(crate) fn require_hr(&self) -> error::Result<()> {
        match self {
            By::Caller(caller) => caller.require_hr(),
            By::CommandLine | By::Job => Ok(()),
        }
    }

    pub(crate) fn actor_id(&self) -> Option<i64> {
        match self {
            By::Caller(caller) => Some(caller.actor.id),
            By::CommandLine | By::Job => None,
        }
    }

    pub(crate) fn audit(&self) -> AuditContext {
        match self {
            By::Caller(caller) => caller.audit(),
            By::CommandLine => AuditContext { actor_id: None, request_id: "cli".into(), client_addr: "cli".into() },
            By::Job => AuditContext { actor_id: None, request_id: "job".into(), client_addr: "job".into() },
        }
    }
}

/// Told about each workflow event once its transaction has committed (the
/// server counts them as metrics).
pub trait Events: Send + Sync {
    /// `submitted`, `approved`, `rejected` or `cancelled`.
    fn leave_event(&self, event: &'static str);
}

/// Counts nothing (tools and tests that do not keep metrics).
pub struct NoEvents;

impl Events for NoEvents {
    fn leave_event(&self, _event: &'static str) {}
}
