//! Signing in and out, shared by the JSON API (`POST /api/v1/auth/login`,
//! `/logout`) and the sign-in page, so both apply the same login delays,
//! device cookies, audit records and session rules.
//!
//! Failed logins are slowed down per account and per client address by
//! progressive delays (the counters live in the database, so every instance
//! shares them; see `auth::login_limit`), a known device (`auth::device`)
//! goes through, and an unknown user and a wrong password answer alike.
//! Signing in stays in the server rather than `lms-app`: it is made of the
//! server's own parts (password lanes, cookies, client addresses).

use crate::api::audit_change;
use crate::auth::current_user::{cookie, Credential};
use crate::auth::login_limit::{self, Limit};
use crate::auth::{device, password, secret, CurrentUser, SESSION_COOKIE};
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::{ApiError, AppState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use lms_store::employees::Employee;
use lms_store::{auth, employees};

/// The paths a device cookie is sent to: the two places that sign in.
const DEVICE_COOKIE_PATHS: [&str; 2] = ["/api/v1/auth/login", "/sign-in"];

/// A successful sign-in: who, until when, and the cookies to set.
pub struct SignedIn {
    pub employee: Employee,
    pub expires_at: DateTime<Utc>,
    pub cookies: Vec<HeaderValue>,
}

pub fn invalid_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "invalid email or password")
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The device cookie goes only to the places that sign in, where it is read.
fn device_cookies(value: &str, secure: bool) -> impl Iterator<Item = HeaderValue> + '_ {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = device::DEVICE_TTL.num_seconds();
    DEVICE_COOKIE_PATHS.into_iter().filter_map(move |path| {
        HeaderValue::from_str(&format!(
            "{}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
            device::DEVICE_COOKIE
        ))
        .ok()
    })
}

/// The cookie that ends a browser's session.
pub fn clear_session_cookie(secure: bool) -> Option<HeaderValue> {
    session_cookie("", 0, secure)
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

/// Checks `email` and `password` and opens a session. After repeated
/// failures for an account or an address each further attempt waits (429
/// with `Retry-After`), except from a device that signed in to the account
/// before.
pub async fn sign_in(
    state: &AppState,
    ctx: &RequestContext,
    headers: &HeaderMap,
    email: &str,
    password: String,
) -> ApiResult<SignedIn> {
    let cfg = state.config();
    let now = Utc::now();
    let email = email.trim().to_lowercase();
    if email.len() > 254 || password.len() > 1024 {
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
        let known_device = match (&employee, &hash, cookie(headers, device::DEVICE_COOKIE)) {
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
    let ok = match password::verify(password, hash.clone(), lane).await {
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
            audit_change(&mut tx.conn(), ctx, None, "auth.login_failed", "session", &email, None, None).await?;
            tx.commit().await?;
            return Err(invalid_credentials());
        }
    };
    let sid = secret::generate("");
    let ttl = ChronoDuration::from_std(cfg.session_ttl).unwrap_or(ChronoDuration::hours(12));
    let expires_at = now + ttl;
    auth::prune(&mut tx.conn(), employee.id, &email, now, since).await?;
    auth::create_session(&mut tx.conn(), &secret::hash(&sid), employee.id, now, expires_at).await?;
    audit_change(&mut tx.conn(), ctx, Some(employee.id), "auth.login", "employee", employee.id, None, None).await?;
    tx.commit().await?;
    let mut cookies: Vec<HeaderValue> = session_cookie(&sid, ttl.num_seconds(), ctx.https).into_iter().collect();
    if let Some(d) = hash.as_deref().map(|h| device::issue(&device_key, employee.id, h, now)) {
        cookies.extend(device_cookies(&d, ctx.https));
    }
    Ok(SignedIn { employee, expires_at, cookies })
}

/// Opens a session for `employee`, whom the OpenID provider vouched for
/// (`lms_app::sso::resolve` found them): audited as `auth.login` with the
/// method, the ID token kept as the hint of the provider's logout.
pub async fn sign_in_verified(
    state: &AppState,
    ctx: &RequestContext,
    employee: Employee,
    id_token: &str,
) -> ApiResult<SignedIn> {
    let now = Utc::now();
    let sid = secret::generate("");
    let ttl = ChronoDuration::from_std(state.config().session_ttl).unwrap_or(ChronoDuration::hours(12));
    let expires_at = now + ttl;
    let mut tx = state.db().begin().await?;
    auth::create_session(&mut tx.conn(), &secret::hash(&sid), employee.id, now, expires_at).await?;
    lms_store::sso::set_session_id_token(&mut tx.conn(), &secret::hash(&sid), id_token, now).await?;
    let method = Some(serde_json::json!({"method": "sso"}));
    audit_change(&mut tx.conn(), ctx, Some(employee.id), "auth.login", "employee", employee.id, None, method).await?;
    tx.commit().await?;
    let cookies = session_cookie(&sid, ttl.num_seconds(), ctx.https).into_iter().collect();
    Ok(SignedIn { employee, expires_at, cookies })
}

/// A session ended: the cookie that clears it, and where the browser goes
/// next to end its session at the OpenID provider too (when single sign-on
/// opened it and the provider offers a logout).
pub struct SignedOut {
    pub clear_cookie: Option<HeaderValue>,
    pub provider_logout: Option<String>,
}

/// Ends the caller's session (or, signed in with a bearer token, revokes
/// that token); audited.
pub async fn sign_out(state: &AppState, ctx: &RequestContext, user: &CurrentUser) -> ApiResult<SignedOut> {
    let mut tx = state.db().begin().await?;
    let mut id_token = None;
    match &user.credential {
        Credential::Session(hash) => {
            if state.sso().is_some() {
                id_token = lms_store::sso::take_session_id_token(&mut tx.conn(), hash).await?;
            }
            auth::delete_session(&mut tx.conn(), hash).await?;
        }
        // Logging out with a token ends that token.
        Credential::Token(id) => {
            auth::revoke_token(&mut tx.conn(), user.id(), *id, Utc::now()).await?;
        }
    }
    audit_change(&mut tx.conn(), ctx, Some(user.id()), "auth.logout", "employee", user.id(), None, None).await?;
    tx.commit().await?;
    let provider_logout = match (state.sso(), id_token) {
        (Some(provider), Some(token)) => provider.logout_url(&token).await,
        _ => None,
    };
    Ok(SignedOut { clear_cookie: clear_session_cookie(ctx.https), provider_logout })
}
