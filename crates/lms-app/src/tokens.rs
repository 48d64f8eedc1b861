//! A person's personal API tokens: creating one (a name, an optional life
//! of 1 to 3,650 days, at most [`MAX_LIVE_TOKENS`] live at once; the secret
//! made and hashed by the caller, never seen here) and revoking one. Each
//! change is audited, never with the hash.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Duration, Utc};
use lms_core::DomainError;
use lms_store::auth::{self, ApiToken};
use lms_store::Db;

/// Live API tokens one person may hold.
pub const MAX_LIVE_TOKENS: usize = 20;

/// Creates a token named `name` for the caller, stored as `secret_hash`.
pub async fn create(
    db: &Db,
    caller: &Caller,
    name: &str,
    expires_in_days: Option<u32>,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> Result<ApiToken> {
    let name = lms_core::text::name(name, 100)?;
    let expires_at = match expires_in_days {
        Some(0) | Some(3651..) => return Err(DomainError::TokenExpiry.into()),
        Some(d) => Some(now + Duration::days(i64::from(d))),
        None => None,
    };
    let mut tx = db.begin().await?;
    let live = auth::list_tokens(&mut tx.conn(), caller.actor.id)
        .await?
        .iter()
        .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now))
        .count();
    if live >= MAX_LIVE_TOKENS {
        return Err(DomainError::TooManyTokens { live, max: MAX_LIVE_TOKENS }.into());
    }
    let t = auth::create_token(&mut tx.conn(), caller.actor.id, &name, secret_hash, now, expires_at).await?;
    let what =
        Audited { action: "token.create", entity: ("api_token", t.id.to_string()), before: None, after: Some(&t) };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(t)
}

/// Revokes the caller's token `id`; false when they hold no such live token.
pub async fn revoke(db: &Db, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let mut tx = db.begin().await?;
    if !auth::revoke_token(&mut tx.conn(), caller.actor.id, id, now).await? {
        return Ok(false);
    }
    let what =
        Audited::<()> { action: "token.revoke", entity: ("api_token", id.to_string()), before: None, after: None };
    record(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(true)
}
