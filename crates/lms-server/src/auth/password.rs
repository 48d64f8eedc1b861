//! argon2id password hashing, run on the blocking pool so a login never
//! stalls the async workers, and never more at once than there are cores
//! (each takes ~19 MiB and a core for tens of milliseconds): a request that
//! cannot get a turn within [`WAIT_FOR_TURN`] is answered 503 with
//! `Retry-After`, instead of hundreds of hashes piling up in memory.
//!
//! Checks wait in one of two [`Lane`]s: a sign-in from a device known to the
//! account has a core of its own, so a flood of attempts from anywhere else
//! cannot make its owner wait behind them.

use crate::ApiError;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

/// How long a password check waits for a free core.
pub const WAIT_FOR_TURN: std::time::Duration = std::time::Duration::from_secs(5);

/// Which queue a password check waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// A sign-in from a device that signed in to the account before: one
    /// core is kept for these.
    KnownDevice,
    /// Everything else (new devices, unknown users, attackers): the other
    /// cores, at least one.
    Other,
}

fn turns(lane: Lane) -> &'static tokio::sync::Semaphore {
    static KNOWN: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    static OTHER: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    match lane {
        Lane::KnownDevice => KNOWN.get_or_init(|| tokio::sync::Semaphore::new(1)),
        Lane::Other => OTHER.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
        }),
    }
}

fn busy() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "too many sign-ins at once; try again in a second",
    )
    .with_retry_after(1)
}

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

pub fn hash_blocking(password: &str) -> Result<String, ApiError> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        ApiError::internal()
    })
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    let _turn = tokio::time::timeout(WAIT_FOR_TURN, turns(Lane::Other).acquire()).await.map_err(|_| busy())?;
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await.map_err(|_| ApiError::internal())?
}

/// Verifies `password` against a stored hash. With no hash (unknown user or
/// no password set) a dummy hash is checked, so both cases take as long.
/// `Err` (503) when no core of its lane is free within [`WAIT_FOR_TURN`].
pub async fn verify(password: String, stored: Option<String>, lane: Lane) -> Result<bool, ApiError> {
    let _turn = tokio::time::timeout(WAIT_FOR_TURN, turns(lane).acquire()).await.map_err(|_| busy())?;
    Ok(tokio::task::spawn_blocking(move || {
        let is_real = stored.is_some();
        let hash = stored.unwrap_or_else(dummy_hash);
        let ok = match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        };
        ok && is_real
    })
    .await
    .unwrap_or(false))
}

fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("dummy-password-for-timing").unwrap_or_default()).clone()
}

pub fn check_policy(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(ApiError::unprocessable(
            "weak_password",
            format!("the password must have at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    Ok(())
}

/// Checks and hashes a password a person is given (creation, reset); `None` stays `None`.
pub async fn hash_new(password: Option<String>) -> Result<Option<String>, ApiError> {
    match password {
        Some(p) => {
            check_policy(&p)?;
            Ok(Some(hash(p).await?))
        }
        None => Ok(None),
    }
}
