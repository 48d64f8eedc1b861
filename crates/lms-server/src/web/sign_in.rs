//! Signing in and out in the browser: the form, its errors (wrong
//! credentials, the login delay with its wait), the redirect to the page
//! asked for. The checks are `auth::sign_in`'s, the same as the API's.

use super::i18n::{Arg, Lang};
use super::page::{browser_lang, error_message, render_with, see_other, Chrome, PageForm, TokenOnly, Viewer};
use super::security::safe_next;
use crate::auth::sign_in;
use crate::context::RequestContext;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "sign_in.html")]
pub(super) struct SignInPage {
    c: Chrome,
    next: String,
    email: String,
    error: Option<String>,
    signed_out: bool,
    /// The button's words ("Sign in with …") and the address that begins
    /// single sign-on, when this instance offers it.
    sso: Option<(String, String)>,
}

impl SignInPage {
    fn new(state: &AppState, lang: Lang, next: String) -> SignInPage {
        let sso = state.sso().map(|p| {
            let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
            let label = lang.t_with("sign-in-sso", &[("provider", Arg::Text(p.config().display_name.clone()))]);
            (label, format!("/sign-in/sso?next={next}"))
        });
        SignInPage {
            c: Chrome::anonymous(state, lang),
            next,
            email: String::new(),
            error: None,
            signed_out: false,
            sso,
        }
    }

    /// The page saying why a sign-in failed.
    pub(super) fn failed(state: &AppState, lang: Lang, next: &str, status: StatusCode, message: String) -> Response {
        let page = SignInPage { error: Some(message), ..SignInPage::new(state, lang, next.to_string()) };
        render_with(status, &page)
    }
}

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
    /// The language of the person who just signed out.
    lang: Option<String>,
}

/// `GET /sign-in`
pub async fn form(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<SignInQuery>) -> Response {
    let lang = q.lang.as_deref().and_then(super::i18n::Lang::parse).unwrap_or_else(|| browser_lang(&headers));
    let page = SignInPage {
        signed_out: q.signed_out.is_some(),
        ..SignInPage::new(&state, lang, safe_next(q.next.as_deref()))
    };
    render_with(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// `POST /sign-in`
pub async fn submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    PageForm(form): PageForm<SignInForm>,
) -> Response {
    let lang = browser_lang(&headers);
    let next = safe_next(form.next.as_deref());
    match sign_in::sign_in(&state, &ctx, &headers, &form.email, form.password).await {
        Ok(signed) => {
            let mut res = see_other(&next);
            for c in signed.cookies {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Err(e) => {
            let message = match e.retry_after {
                Some(secs) if e.status == StatusCode::TOO_MANY_REQUESTS => {
                    lang.t_with("error-too-many-attempts", &[("seconds", Arg::Count(secs as i64))])
                }
                _ => error_message(lang, &e),
            };
            let page = SignInPage {
                email: form.email.chars().take(254).collect(),
                error: Some(message),
                ..SignInPage::new(&state, lang, next)
            };
            let mut res = render_with(e.status, &page);
            if let Some(v) = e.retry_after.and_then(|s| s.to_string().parse().ok()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
    }
}

/// `POST /sign-out`
pub async fn sign_out(viewer: Viewer, PageForm(form): PageForm<TokenOnly>) -> Response {
    if let Err(e) = viewer.check_form(&form.token) {
        return e.into_response();
    }
    match sign_in::sign_out(&viewer.state, &viewer.ctx, &viewer.user).await {
        Ok(out) => {
            let to =
                out.provider_logout.unwrap_or_else(|| format!("/sign-in?signed_out=1&lang={}", viewer.lang().tag()));
            let mut res = see_other(&to);
            if let Some(v) = out.clear_cookie {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => viewer.error(e).into_response(),
    }
}
