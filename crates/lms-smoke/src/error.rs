//! The crate's error type. Knows nothing about HTTP statuses: answers, even
//! failed ones, are results the load generator counts, not errors.

/// What can go wrong when setting up or running a client of the LMS API.
#[derive(Debug, thiserror::Error)]
pub enum SmokeError {
    /// A command-line value is malformed.
    #[error("invalid argument: {0}")]
    Args(String),
    /// A request could not be built.
    #[error("cannot build request: {0}")]
    Request(String),
}
