//! `CurrentUser`: the authenticated, active employee behind the request's
//! bearer token or session cookie; anything else is a 401.

use super::secret;
use crate::{ApiError, AppState};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use chrono::Utc;
use lms_core::Actor;
use lms_store::auth;
use lms_store::employees::Employee;

pub const SESSION_COOKIE: &str = "lms_session";

/// How stale a token's `last_used_at` may get before it is written again.
const TOKEN_TOUCH_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// How the user authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    /// Session cookie; holds the hash of the session id.
    Session(String),
    /// API token; holds its id.
    Token(i64),
}

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub employee: Employee,
    pub credential: Credential,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        self.employee.actor()
    }
    pub fn id(&self) -> i64 {
        self.employee.id
    }
    pub fn require_hr(&self) -> Result<(), ApiError> {
        if self.actor().is_hr() {
            Ok(())
        } else {
            Err(ApiError::hr_only())
        }
    }
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl<S> FromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let now = Utc::now();
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                // The scheme is case-insensitive (RFC 9110): `Bearer`, `BEARER`, `bearer`.
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .map(str::trim);
        let mut c = state.db().acquire().await?;
        if let Some(token) = bearer {
            let Some(used) = auth::token_employee(&mut c.conn(), &secret::hash(token), now).await? else {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "the bearer token is unknown, revoked or expired",
                ));
            };
            // "Last used" at a resolution of minutes: at most one write per token and interval.
            if used.last_used_at.is_none_or(|t| now - t > TOKEN_TOUCH_INTERVAL) {
                auth::touch_token(&mut c.conn(), used.token_id, now).await?;
            }
            return Ok(CurrentUser { employee: used.employee, credential: Credential::Token(used.token_id) });
        }
        if let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) {
            let hash = secret::hash(sid);
            if let Some(employee) = auth::session_employee(&mut c.conn(), &hash, now).await? {
                return Ok(CurrentUser { employee, credential: Credential::Session(hash) });
            }
        }
        Err(ApiError::unauthorized())
    }
}
