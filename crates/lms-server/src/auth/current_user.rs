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

/// What a request presents to say who it is, before any database work: a
/// bearer token (which wins when both are sent) or a session cookie, each
/// as the hash the database keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Token(String),
    Session(String),
}

impl Presented {
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Option<Presented> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                // The scheme is case-insensitive (RFC 9110): `Bearer`, `BEARER`, `bearer`.
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .map(str::trim);
        match bearer {
            Some(token) => Some(Presented::Token(secret::hash(token))),
            None => cookie(headers, SESSION_COOKIE).map(|sid| Presented::Session(secret::hash(sid))),
        }
    }

    /// As the store takes it.
    pub fn secret(&self) -> auth::CallerSecret<'_> {
        match self {
            Presented::Token(h) => auth::CallerSecret::Token(h),
            Presented::Session(h) => auth::CallerSecret::Session(h),
        }
    }

    /// The answer when the database does not know it (or it is no longer live).
    pub fn refused(&self) -> ApiError {
        match self {
            Presented::Token(_) => ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the bearer token is unknown, revoked or expired",
            ),
            Presented::Session(_) => ApiError::unauthorized(),
        }
    }
}

/// Whether a token's "last used" time is stale enough to be written again
/// (at most one write per token and [`TOKEN_TOUCH_INTERVAL`]).
pub fn token_use_is_stale(last_used_at: Option<chrono::DateTime<Utc>>, now: chrono::DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|t| now - t > TOKEN_TOUCH_INTERVAL)
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
        let Some(presented) = Presented::from_headers(&parts.headers) else {
            return Err(ApiError::unauthorized());
        };
        let mut c = state.db().acquire().await?;
        match &presented {
            Presented::Token(hash) => {
                let Some(used) = auth::token_employee(&mut c.conn(), hash, now).await? else {
                    return Err(presented.refused());
                };
                if token_use_is_stale(used.last_used_at, now) {
                    auth::touch_token(&mut c.conn(), used.token_id, now).await?;
                }
                Ok(CurrentUser { employee: used.employee, credential: Credential::Token(used.token_id) })
            }
            Presented::Session(hash) => match auth::session_employee(&mut c.conn(), hash, now).await? {
                Some(employee) => Ok(CurrentUser { employee, credential: Credential::Session(hash.clone()) }),
                None => Err(presented.refused()),
            },
        }
    }
}
