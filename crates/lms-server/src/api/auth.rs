//! Login, logout and personal API tokens.
//!
//! Failed logins are slowed down per account and per client address by
//! progressive delays (the counters live in the database, so every instance
//! shares them; see `auth::login_limit`), a known device (`auth::device`)
//! goes through, and an unknown user and a wrong password answer alike.

use super::audit_change;
use super::dto::EmployeeDto;
use crate::auth::current_user::cookie;
use crate::auth::current_user::Credential;
use crate::auth::login_limit::{self, Limit};
use crate::auth::{device, password, secret, CurrentUser, SESSION_COOKIE};
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use lms_store::auth;
use lms_store::employees;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: EmployeeDto,
    pub expires_at: DateTime<Utc>,
}

fn invalid_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "invalid email or password")
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The device cookie goes only to the login endpoint, the one place it is read.
fn device_cookie(value: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = device::DEVICE_TTL.num_seconds();
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/api/v1/auth/login; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        device::DEVICE_COOKIE
    ))
    .ok()
}

fn too_many_attempts(wait: std::time::Duration) -> ApiError {
    let secs = login_limit::retry_after_secs(wait);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!(
            "too many failed logins for this account or address; try again in {secs} s \
             (a device you signed in from before is not delayed)"
        ),
    )
    .with_retry_after(secs)
}

/// Logs in with email and password; sets the session cookie and a device
/// cookie. After repeated failures for an account or an address each
/// further attempt waits (429 with `Retry-After`), except from a device that
/// signed in to the account before.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let cfg = state.config();
    let now = Utc::now();
    let email = body.email.trim().to_lowercase();
    if email.len() > 254 || body.password.len() > 1024 {
        return Err(invalid_credentials());
    }
    let since = now - ChronoDuration::from_std(cfg.login_window).unwrap_or(ChronoDuration::minutes(15));
    // The attempt is counted (as failed) before anything is checked, and
    // the count includes it: of any number of parallel attempts, at most
    // the free ones get their password checked; the others owe a delay.
    let (attempt, employee, hash, device_key, lane) = {
        let mut c = state.db().acquire().await?;
        let attempt = auth::begin_login_attempt(&mut c.conn(), &email, &ctx.client_addr, now).await?;
        let record = employees::login_record(&mut c.conn(), &email).await?;
        let (employee, hash) = match record {
            Some((e, h)) if e.active => (Some(e), h),
            _ => (None, None),
        };
        let device_key = lms_store::settings::device_key(&mut c.conn(), &secret::generate(""), now).await?;
        let known_device = match (&employee, &hash, cookie(&headers, device::DEVICE_COOKIE)) {
            (Some(e), Some(h), Some(cookie)) => device::is_known(cookie, &device_key, e.id, h, now),
            _ => false,
        };
        if !known_device {
            let (by_email, by_addr) =
                auth::recent_failures(&mut c.conn(), &email, &ctx.client_addr, since, attempt).await?;
            let account = Limit { free_failures: cfg.login_max_failures_per_account, max_delay: cfg.login_max_delay };
            let address = Limit { free_failures: cfg.login_max_failures_per_address, max_delay: cfg.login_max_delay };
            if let Some(wait) = login_limit::longest(account.wait(by_email, now), address.wait(by_addr, now)) {
                auth::forget_login_attempt(&mut c.conn(), attempt).await?;
                return Err(too_many_attempts(wait));
            }
        }
        let lane = if known_device { password::Lane::KnownDevice } else { password::Lane::Other };
        (attempt, employee, hash, device_key, lane)
    };
    let ok = match password::verify(body.password, hash.clone(), lane).await {
        Ok(ok) => ok,
        Err(busy) => {
            // Not checked: the attempt does not count against anyone.
            let mut c = state.db().acquire().await?;
            auth::forget_login_attempt(&mut c.conn(), attempt).await?;
            return Err(busy);
        }
    };
    let mut tx = state.db().begin().await?;
    if ok {
        auth::login_succeeded(&mut tx.conn(), attempt).await?;
    }
    let employee = match (ok, employee) {
        (true, Some(e)) => e,
        _ => {
            audit_change(&mut tx.conn(), &ctx, None, "auth.login_failed", "session", &email, None, None).await?;
            tx.commit().await?;
            return Err(invalid_credentials());
        }
    };
    let sid = secret::generate("");
    let ttl = ChronoDuration::from_std(cfg.session_ttl).unwrap_or(ChronoDuration::hours(12));
    let expires_at = now + ttl;
    auth::prune(&mut tx.conn(), employee.id, &email, now, since).await?;
    auth::create_session(&mut tx.conn(), &secret::hash(&sid), employee.id, now, expires_at).await?;
    audit_change(&mut tx.conn(), &ctx, Some(employee.id), "auth.login", "employee", employee.id, None, None).await?;
    tx.commit().await?;
    let device = hash.as_deref().map(|h| device::issue(&device_key, employee.id, h, now));
    let mut res = Json(LoginResponse { user: employee.into(), expires_at }).into_response();
    if let Some(v) = session_cookie(&sid, ttl.num_seconds(), ctx.https) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    if let Some(v) = device.and_then(|d| device_cookie(&d, ctx.https)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Ends the current session and clears the cookie; with a bearer token, revokes that token.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, ctx: RequestContext, user: CurrentUser) -> ApiResult<Response> {
    let mut tx = state.db().begin().await?;
    match &user.credential {
        Credential::Session(hash) => {
            auth::delete_session(&mut tx.conn(), hash).await?;
        }
        // Logging out with a token ends that token.
        Credential::Token(id) => {
            auth::revoke_token(&mut tx.conn(), user.id(), *id, Utc::now()).await?;
        }
    }
    audit_change(&mut tx.conn(), &ctx, Some(user.id()), "auth.logout", "employee", user.id(), None, None).await?;
    tx.commit().await?;
    let mut headers = HeaderMap::new();
    if let Some(v) = session_cookie("", 0, ctx.https) {
        headers.insert(header::SET_COOKIE, v);
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// Live API tokens one person may hold.
pub const MAX_LIVE_TOKENS: usize = 20;

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    /// What the token is for, e.g. `smoke-suite`.
    pub name: String,
    /// Days until it expires; none means it lasts until revoked.
    pub expires_in_days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When the token was last used (to the nearest few minutes).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<auth::ApiToken> for TokenDto {
    fn from(t: auth::ApiToken) -> Self {
        TokenDto {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenDto,
    /// The secret, shown only this once. Send it as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Creates a personal API token; the secret is returned once and stored hashed.
#[utoipa::path(post, path = "/me/tokens", tag = "auth", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    if let Credential::Token(_) = user.credential {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "session_required",
            "a token cannot create tokens: sign in (POST /api/v1/auth/login) and create it from that session",
        ));
    }
    let name = super::text::name(&body.name, 100)?;
    let now = Utc::now();
    let expires_at = match body.expires_in_days {
        Some(0) | Some(3651..) => {
            return Err(ApiError::unprocessable("invalid_expiry", "expires_in_days must be between 1 and 3650"))
        }
        Some(d) => Some(now + ChronoDuration::days(i64::from(d))),
        None => None,
    };
    let token = secret::generate("lms_pat_");
    let mut tx = state.db().begin().await?;
    let live = auth::list_tokens(&mut tx.conn(), user.id())
        .await?
        .iter()
        .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now))
        .count();
    if live >= MAX_LIVE_TOKENS {
        return Err(ApiError::unprocessable(
            "too_many_tokens",
            format!("you have {live} live tokens (the most is {MAX_LIVE_TOKENS}); revoke one first (DELETE /api/v1/me/tokens/ID)"),
        ));
    }
    let t = auth::create_token(&mut tx.conn(), user.id(), &name, &secret::hash(&token), now, expires_at).await?;
    audit_change(&mut tx.conn(), &ctx, Some(user.id()), "token.create", "api_token", t.id, None, super::snapshot(&t))
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { info: t.into(), token })))
}

/// The caller's API tokens (without secrets).
#[utoipa::path(get, path = "/me/tokens", tag = "auth", responses((status = 200, body = crate::api::dto::Page<TokenDto>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<super::dto::Page<TokenDto>>> {
    let mut c = state.db().acquire().await?;
    let items = auth::list_tokens(&mut c.conn(), user.id()).await?.into_iter().map(Into::into).collect();
    Ok(Json(super::dto::Page { items, next_cursor: None }))
}

/// Revokes one of the caller's API tokens.
#[utoipa::path(delete, path = "/me/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let mut tx = state.db().begin().await?;
    if !auth::revoke_token(&mut tx.conn(), user.id(), id, Utc::now()).await? {
        return Err(ApiError::not_found(format!("token {id}")));
    }
    audit_change(&mut tx.conn(), &ctx, Some(user.id()), "token.revoke", "api_token", id, None, None).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
