//! The store's one error type.

use lms_core::DomainError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A domain rule refused the change; nothing was written.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The thing named does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// The change conflicts with the current state (a concurrent change, a duplicate).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The database URL cannot be used.
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// The SQLite database file is no longer where it was opened (deleted
    /// or moved): writes would go to a file nobody will ever read again.
    #[error("the database file {0} is gone (deleted or moved); put it back or restart from a backup")]
    FileGone(String),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value this build cannot read.
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        StoreError::Conflict { code, message: message.into() }
    }

    /// Whether the database could not be reached (as opposed to refusing a statement).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::FileGone(_))
            || matches!(
                self,
                StoreError::Sqlx(
                    sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::Tls(_)
                )
            )
            || matches!(self, StoreError::Sqlx(sqlx::Error::Database(e)) if e.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08") || c == "3D000"))
    }

    /// Whether the error is a unique-constraint violation (a duplicate).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}
