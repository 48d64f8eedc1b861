//! The one error type of the use cases: a broken domain rule, or what the
//! store said. Each front door maps it to its own answer (a status and JSON
//! body, a page with a message) in one place.

use lms_core::DomainError;
use lms_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    /// A rule refused the step; nothing was written.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The store refused or failed (not found, a conflict, unavailable).
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T> = std::result::Result<T, AppError>;
