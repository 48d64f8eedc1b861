//! argon2id password hashing, run on the blocking pool so a login never
//! stalls the async workers.

use crate::ApiError;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

pub fn hash_blocking(password: &str) -> Result<String, ApiError> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        ApiError::internal()
    })
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await.map_err(|_| ApiError::internal())?
}

/// Verifies `password` against a stored hash. With no hash (unknown user or
/// no password set) a dummy hash is checked, so both cases take as long.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let is_real = stored.is_some();
        let hash = stored.unwrap_or_else(dummy_hash);
        let ok = match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        };
        ok && is_real
    })
    .await
    .unwrap_or(false)
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
