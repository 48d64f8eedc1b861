//! Signing in through the OpenID provider, in the browser: `GET
//! /sign-in/sso` begins (a new `state`, nonce and PKCE verifier kept in the
//! database — so a sign-in begun on one instance may finish on another —,
//! a cookie binding the sign-in to this browser, the redirect to the
//! provider), `GET /sign-in/sso/callback` finishes (the begun sign-in
//! taken once, the browser checked, the code exchanged and the ID token
//! checked by `sso::OidcProvider`, the person found by `lms_app::sso`, a
//! session opened). One client address may hold only so many unfinished
//! sign-ins at once. Every refusal shows the sign-in page with what went
//! wrong and is audited as `auth.sso_failed`; nothing else is written.

use super::page::{browser_lang, see_other};
use super::security::safe_next;
use super::sign_in::SignInPage;
use crate::api::audit_change;
use crate::auth::current_user::cookie;
use crate::auth::{secret, sign_in};
use crate::context::RequestContext;
use crate::sso::SsoError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{Duration as ChronoDuration, Utc};
use lms_app::sso::{NewLogin, Refusal};
use lms_store::audit::AuditContext;
use serde::Deserialize;

/// The cookie that binds a begun sign-in to the browser that began it.
const BROWSER_COOKIE: &str = "lms_sso";
/// The path it is sent to.
const BROWSER_COOKIE_PATH: &str = "/sign-in/sso";
/// Sign-ins one client address may have begun and not finished at once
/// (each lasts `login_ttl`); a flood of anonymous beginnings stops there.
const MAX_OPEN_PER_ADDRESS: i64 = 30;

fn browser_cookie(value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    // Lax: the provider's redirect back is a top-level navigation from its site.
    HeaderValue::from_str(&format!(
        "{BROWSER_COOKIE}={value}; Path={BROWSER_COOKIE_PATH}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /sign-in/sso`
pub async fn start(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> Response {
    let lang = browser_lang(&headers);
    let next = safe_next(q.next.as_deref());
    let Some(provider) = state.sso() else {
        return SignInPage::failed(&state, lang, &next, StatusCode::NOT_FOUND, lang.t("sso-error-off"));
    };
    let started = match provider.start().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on: cannot begin");
            return SignInPage::failed(&state, lang, &next, StatusCode::BAD_GATEWAY, lang.t("sso-error-provider"));
        }
    };
    let browser = secret::generate("");
    let now = Utc::now();
    let ttl = ChronoDuration::from_std(provider.config().login_ttl).unwrap_or(ChronoDuration::minutes(10));
    let login = NewLogin {
        state_hash: &secret::hash(&started.state),
        browser_hash: &secret::hash(&browser),
        nonce: &started.nonce,
        pkce_verifier: &started.pkce_verifier,
        next_path: &next,
        client_addr: &ctx.client_addr,
        expires_at: now + ttl,
    };
    let stored = async {
        let mut c = state.db().acquire().await?;
        lms_store::sso::begin_login(&mut c.conn(), &login, MAX_OPEN_PER_ADDRESS, now).await
    }
    .await;
    match stored {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(client = %ctx.client_addr, "single sign-on: too many unfinished sign-ins from one address");
            let mut res =
                SignInPage::failed(&state, lang, &next, StatusCode::TOO_MANY_REQUESTS, lang.t("sso-error-too-many"));
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(ttl.num_seconds().max(1)));
            return res;
        }
        Err(e) => {
            tracing::error!(error = %e, request_id = %ctx.request_id, "single sign-on: cannot record the sign-in");
            return SignInPage::failed(
                &state,
                lang,
                &next,
                StatusCode::SERVICE_UNAVAILABLE,
                lang.t("error-unavailable"),
            );
        }
    }
    let mut res = see_other(&started.authorize_url);
    if let Some(c) = browser_cookie(&browser, ttl.num_seconds(), ctx.https) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

#[derive(Deserialize, Default)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    /// The provider's refusal (`access_denied` …) and its words.
    error: Option<String>,
    error_description: Option<String>,
    /// The issuer that answered (RFC 9207), when the provider says.
    iss: Option<String>,
}

/// Why a callback signs nobody in: the page's message key, the status,
/// and what the audit log keeps.
struct Failure {
    key: &'static str,
    status: StatusCode,
    reason: &'static str,
    detail: String,
    email: Option<String>,
}

impl Failure {
    fn new(key: &'static str, status: StatusCode, reason: &'static str, detail: impl Into<String>) -> Failure {
        Failure { key, status, reason, detail: detail.into(), email: None }
    }
}

impl From<SsoError> for Failure {
    fn from(e: SsoError) -> Failure {
        let (key, status) = match &e {
            SsoError::Provider(_) => ("sso-error-provider", StatusCode::BAD_GATEWAY),
            SsoError::Denied(_) => ("sso-error-denied", StatusCode::FORBIDDEN),
            SsoError::Token(_) => ("sso-error-token", StatusCode::FORBIDDEN),
        };
        Failure::new(key, status, e.reason(), e.to_string())
    }
}

/// `GET /sign-in/sso/callback`
pub async fn callback(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let lang = browser_lang(&headers);
    let outcome = finish(&state, &ctx, &headers, q).await;
    let clear = browser_cookie("", 0, ctx.https);
    let mut res = match outcome {
        Ok((signed, next)) => {
            let mut res = see_other(&next);
            for c in signed.cookies {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Err(f) => {
            tracing::info!(reason = f.reason, detail = %f.detail, "single sign-on refused");
            let after = serde_json::json!({"reason": f.reason, "detail": f.detail, "email": f.email});
            let entity = f.email.clone().unwrap_or_else(|| "sso".into());
            let audited = async {
                let mut c = state.db().acquire().await?;
                audit_change(&mut c.conn(), &ctx, None, "auth.sso_failed", "session", entity, None, Some(after)).await
            }
            .await;
            if let Err(e) = audited {
                tracing::error!(error = %e, "single sign-on: cannot audit a refusal");
            }
            SignInPage::failed(&state, lang, "/", f.status, lang.t(f.key))
        }
    };
    if let Some(c) = clear {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

async fn finish(
    state: &AppState,
    ctx: &RequestContext,
    headers: &HeaderMap,
    q: CallbackQuery,
) -> Result<(sign_in::SignedIn, String), Failure> {
    let Some(provider) = state.sso() else {
        return Err(Failure::new("sso-error-off", StatusCode::NOT_FOUND, "off", "single sign-on is not configured"));
    };
    let stale = || Failure::new("sso-error-state", StatusCode::BAD_REQUEST, "state", "");
    let Some(st) = q.state.as_deref().filter(|s| !s.is_empty() && s.len() <= 512) else {
        return Err(Failure { detail: "the answer has no state".into(), ..stale() });
    };
    let taken = async {
        let mut c = state.db().acquire().await?;
        lms_store::sso::take_login(&mut c.conn(), &secret::hash(st)).await
    }
    .await
    .map_err(|e| Failure::new("error-unavailable", StatusCode::SERVICE_UNAVAILABLE, "store", e.to_string()))?;
    let Some(login) = taken else {
        return Err(Failure {
            detail: "no sign-in was begun with this state, or it was finished before".into(),
            ..stale()
        });
    };
    if login.expires_at <= Utc::now() {
        return Err(Failure { detail: format!("the sign-in expired at {}", login.expires_at), ..stale() });
    }
    let same_browser = cookie(headers, BROWSER_COOKIE).is_some_and(|b| secret::hash(b) == login.browser_hash);
    if !same_browser {
        return Err(Failure::new(
            "sso-error-browser",
            StatusCode::BAD_REQUEST,
            "browser",
            "the sign-in was begun in another browser (or its cookie is gone)",
        ));
    }
    if let Some(error) = q.error {
        let words = q.error_description.unwrap_or_default();
        return Err(Failure::new("sso-error-denied", StatusCode::FORBIDDEN, "denied", format!("{error}: {words}")));
    }
    if let Some(iss) = q.iss.as_deref().filter(|i| !provider.issuer_matches(i)) {
        return Err(Failure::new(
            "sso-error-token",
            StatusCode::FORBIDDEN,
            "token",
            format!("answered by issuer {iss}"),
        ));
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return Err(Failure::new("sso-error-provider", StatusCode::BAD_REQUEST, "provider", "the answer has no code"));
    };
    let verified = provider.finish(code, &login.nonce, &login.pkce_verifier).await?;
    let by = AuditContext { actor_id: None, request_id: ctx.request_id.clone(), client_addr: ctx.client_addr.clone() };
    let resolved = lms_app::sso::resolve(state.db(), &by, &verified.claims, Utc::now())
        .await
        .map_err(|e| Failure::new("error-unavailable", StatusCode::SERVICE_UNAVAILABLE, "store", e.to_string()))?;
    let employee = resolved.map_err(|refusal| {
        let key = match refusal {
            Refusal::UnverifiedEmail => "sso-error-unverified-email",
            Refusal::NoAccount => "sso-error-no-account",
            Refusal::Inactive => "sso-error-inactive",
        };
        Failure {
            email: verified.claims.email.clone(),
            ..Failure::new(key, StatusCode::FORBIDDEN, refusal.as_str(), format!("subject {}", verified.claims.subject))
        }
    })?;
    let signed = sign_in::sign_in_verified(state, ctx, employee, &verified.id_token)
        .await
        .map_err(|e| Failure::new("error-unavailable", e.status, "store", e.message))?;
    Ok((signed, login.next_path))
}
