//! LMS persistence: one `Db` that is either PostgreSQL (production) or an
//! embedded SQLite file (the default), embedded migrations per backend, and
//! one module per aggregate.
//!
//! SQL here is portable (`$1` placeholders, no backend-only functions) and
//! always parametrized; the [`q!`] macro runs the same statement on whichever
//! backend is connected. Business rules come from `lms-core`; this crate
//! decides nothing about leave by itself except what must happen inside one
//! transaction. It must not know about HTTP, sessions cookies or rendering.

#[macro_use]
mod macros;

pub mod approvals;
pub mod audit;
pub mod auth;
pub mod calendar_feeds;
pub mod db;
pub mod demo;
pub mod employees;
pub mod entitlement_job;
pub mod error;
pub mod holidays;
pub mod leave_types;
pub mod ledger;
pub mod locations;
pub mod mail;
pub mod migrations;
pub mod notifications;
pub mod policies;
pub mod reports;
pub mod request_parts;
pub mod requests;
pub mod schedules;
pub mod settings;
pub mod sso;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhooks;

pub use approvals::APPROVAL_CHAINS;
pub use db::{Backend, Conn, Db, PoolConn, Tx};
pub use error::StoreError;
pub use leave_types::UNITS_VERSION;

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
