//! What every page shares: the signed-in [`Viewer`] (or a redirect to the
//! sign-in page), the [`Chrome`] around each page (navigation, language,
//! maintenance banner, footer with version, slot and build, the form
//! token), rendering, styled error pages that leak nothing, and form bodies.
//!
//! A page handler reads through `lms-store`'s queries and changes through
//! `lms-app`'s use cases; it holds no SQL and no business rule.

use super::i18n::Lang;
use super::security;
use crate::auth::current_user::{Credential, Presented};
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use lms_core::Role;
use serde::de::DeserializeOwned;

/// The signed-in person a page is for.
#[derive(Debug, Clone)]
pub struct Badge {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

impl Badge {
    pub fn is_hr(&self) -> bool {
        self.role == Role::HrAdmin
    }
    /// Managers and HR decide requests.
    pub fn decides(&self) -> bool {
        matches!(self.role, Role::Manager | Role::HrAdmin)
    }
}

/// The frame of every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<Badge>,
    /// The token every form of this session carries (empty when signed out).
    pub csrf: String,
    pub maintenance: bool,
    pub unread: i64,
    /// The navigation entry of this page (`home`, `requests` ...).
    pub here: &'static str,
    pub slot: String,
    pub css: String,
    pub js: String,
    pub icon: String,
}

impl Chrome {
    /// The frame of a page nobody is signed in to.
    pub fn anonymous(state: &AppState, lang: Lang) -> Chrome {
        Chrome {
            lang,
            user: None,
            csrf: String::new(),
            maintenance: false,
            unread: 0,
            here: "",
            slot: state.config().slot.clone(),
            css: super::assets::url("app.css"),
            js: super::assets::url("app.js"),
            icon: super::assets::url("favicon.svg"),
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    pub fn version(&self) -> &'static str {
        lms_core::VERSION
    }
    pub fn build(&self) -> &'static str {
        crate::ops::status::BUILD_TIME
    }
    /// `aria-current="page"` on the navigation entry of this page.
    pub fn current(&self, entry: &str) -> &'static str {
        if self.here == entry {
            "page"
        } else {
            "false"
        }
    }
    pub fn is_hr(&self) -> bool {
        self.user.as_ref().is_some_and(Badge::is_hr)
    }
    pub fn decides(&self) -> bool {
        self.user.as_ref().is_some_and(Badge::decides)
    }
}

/// The language of a request nobody is signed in to: the browser's.
pub fn browser_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default()
}

/// A signed-in person on a page: who, with what credential, and the frame.
pub struct Viewer {
    pub user: CurrentUser,
    pub ctx: RequestContext,
    pub chrome: Chrome,
    pub state: AppState,
}

impl Viewer {
    /// The use cases' view of this person.
    pub fn caller(&self) -> lms_app::Caller {
        self.ctx.caller(self.user.actor())
    }
    pub fn lang(&self) -> Lang {
        self.chrome.lang
    }
    /// The frame, marked as page `here`.
    pub fn chrome(&self, here: &'static str) -> Chrome {
        Chrome { here, ..self.chrome.clone() }
    }
    /// Refuses a form whose token is not this session's.
    pub fn check_form(&self, token: &str) -> Result<(), PageError> {
        if security::form_token_matches(&self.chrome.csrf, token) {
            Ok(())
        } else {
            Err(self.refuse(StatusCode::FORBIDDEN, "error-form-expired"))
        }
    }
    /// Refuses a person who is not an HR admin.
    pub fn require_hr(&self) -> Result<(), PageError> {
        if self.chrome.is_hr() {
            Ok(())
        } else {
            Err(self.refuse(StatusCode::FORBIDDEN, "error-forbidden"))
        }
    }
    /// Refuses an HR form whose token is not this session's, or whose
    /// sender is not an HR admin.
    pub fn check_hr_form(&self, token: &str) -> Result<(), PageError> {
        self.check_form(token).and_then(|_| self.require_hr())
    }
    /// [`Viewer::check_hr_form`], then the path id the form acts on.
    pub fn hr_target(&self, token: &str, raw_id: &str) -> Result<i64, PageError> {
        self.check_hr_form(token).and_then(|_| self.path_id(raw_id))
    }
    /// Refuses a person who decides no requests.
    pub fn require_decider(&self) -> Result<(), PageError> {
        if self.chrome.decides() {
            Ok(())
        } else {
            Err(self.refuse(StatusCode::FORBIDDEN, "error-forbidden"))
        }
    }
    /// An error page for this person: their language, their navigation.
    pub fn refuse(&self, status: StatusCode, key: &str) -> PageError {
        PageError { chrome: Some(Box::new(self.chrome(""))), ..PageError::new(self.lang(), status, key) }
    }
    /// The error page of `e` for this person.
    pub fn error(&self, e: ApiError) -> PageError {
        PageError { chrome: Some(Box::new(self.chrome(""))), ..PageError::from_api(self.lang(), e) }
    }
    /// The page, or the error page of what kept it from being built.
    pub fn respond(&self, page: Result<impl Template, ApiError>) -> Response {
        match page {
            Ok(p) => render(&p),
            Err(e) => self.error(e).into_response(),
        }
    }
    /// A path id (`/requests/{id}`): anything but a number is a page not found.
    pub fn path_id(&self, raw: &str) -> Result<i64, PageError> {
        raw.parse::<i64>().map_err(|_| self.refuse(StatusCode::NOT_FOUND, "error-not-found"))
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = browser_lang(&parts.headers);
        let fail = |e: ApiError| PageError::from_api(lang, e).into_response();
        let to_sign_in = |parts: &Parts| {
            let here = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            Redirect::to(&format!("/sign-in?next={}", security::encode_component(here))).into_response()
        };
        // A browser's session: who, and the frame, in one statement. A
        // bearer token (a script reading pages) goes the API's way.
        let (user, settings) = match Presented::from_headers(&parts.headers) {
            Some(Presented::Session(hash)) => {
                let mut c = state.db().acquire().await.map_err(|e| fail(e.into()))?;
                match lms_store::auth::session_viewer(&mut c.conn(), &hash, Utc::now()).await {
                    Ok(Some((employee, settings))) => {
                        (CurrentUser { employee, credential: Credential::Session(hash) }, settings)
                    }
                    Ok(None) => return Err(to_sign_in(parts)),
                    Err(e) => return Err(fail(e.into())),
                }
            }
            _ => {
                let user = match CurrentUser::from_request_parts(parts, state).await {
                    Ok(u) => u,
                    Err(e) if e.status == StatusCode::UNAUTHORIZED => return Err(to_sign_in(parts)),
                    Err(e) => return Err(fail(e)),
                };
                let mut c = state.db().acquire().await.map_err(|e| fail(e.into()))?;
                let settings =
                    lms_store::settings::for_person(&mut c.conn(), user.id()).await.map_err(|e| fail(e.into()))?;
                (user, settings)
            }
        };
        let ctx = RequestContext::from_request_parts(parts, state).await.unwrap_or_default();
        let lang = settings.language.as_deref().and_then(Lang::parse).unwrap_or(lang);
        let csrf = match &user.credential {
            Credential::Session(hash) => security::form_token(hash),
            Credential::Token(id) => security::form_token(&format!("token:{id}")),
        };
        let badge = Badge { id: user.id(), name: user.employee.name.clone(), role: user.actor().role };
        let chrome = Chrome {
            user: Some(badge),
            csrf,
            maintenance: settings.maintenance,
            unread: settings.unread_notifications,
            ..Chrome::anonymous(state, lang)
        };
        Ok(Viewer { user, ctx, chrome, state: state.clone() })
    }
}

/// An error page for whoever asked: a signed-in person sees it in their
/// language with their navigation, anyone else in the browser's language.
/// For answers given before a handler runs (no such page, maintenance,
/// a cross-site change).
pub async fn error_page(req: Request, state: &AppState, status: StatusCode, key: &str) -> PageError {
    let (mut parts, _) = req.into_parts();
    match Viewer::from_request_parts(&mut parts, state).await {
        Ok(viewer) => viewer.refuse(status, key),
        Err(_) => PageError::new(browser_lang(&parts.headers), status, key),
    }
}

/// A rendered page, or the error page when rendering fails.
pub fn render(page: &impl Template) -> Response {
    render_with(StatusCode::OK, page)
}

pub fn render_with(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, Html(fallback_error_html())).into_response()
        }
    }
}

fn fallback_error_html() -> String {
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title></head>\
     <body><main><h1>Something went wrong</h1><p><a href=\"/\">Home</a></p></main></body></html>"
        .to_string()
}

/// An error shown as a page: a status and a message from the catalogue
/// (or, for a rule the catalogue does not name, the rule's own message).
#[derive(Debug, Clone)]
pub struct PageError {
    pub lang: Lang,
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
    /// The signed-in person's frame (navigation), when there is one.
    pub chrome: Option<Box<Chrome>>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: Chrome,
    title: String,
    message: &'a str,
    status: u16,
}

impl PageError {
    pub fn new(lang: Lang, status: StatusCode, key: &str) -> PageError {
        PageError { lang, status, message: lang.t(key), retry_after: None, chrome: None }
    }

    /// The page for an API error: 5xx say nothing of the cause; 4xx say
    /// what to fix, in the reader's language where the catalogue has it.
    pub fn from_api(lang: Lang, e: ApiError) -> PageError {
        let message = error_message(lang, &e);
        PageError { lang, status: e.status, message, retry_after: e.retry_after, chrome: None }
    }
}

/// What to tell a reader about `e`: `error-<code>` from the catalogue when
/// it has one, else the rule's own (English) message; never a 5xx's detail.
pub fn error_message(lang: Lang, e: &ApiError) -> String {
    if e.status.is_server_error() {
        return match e.status {
            StatusCode::SERVICE_UNAVAILABLE if e.code == "maintenance" => lang.t("error-maintenance"),
            StatusCode::SERVICE_UNAVAILABLE => lang.t("error-unavailable"),
            _ => lang.t("error-internal"),
        };
    }
    let key = format!("error-{}", e.code.replace('_', "-"));
    if lang.has(&key) {
        lang.t(&key)
    } else {
        e.message.clone()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title_key = match self.status.as_u16() {
            403 => "error-403-title",
            404 => "error-404-title",
            503 => "error-503-title",
            s if s >= 500 => "error-500-title",
            _ => "error-400-title",
        };
        // A signed-in person keeps their navigation; anyone else gets a
        // frame without a user (and without the slot: nothing to leak).
        let c = self.chrome.map(|c| *c).unwrap_or_else(|| Chrome {
            lang: self.lang,
            user: None,
            csrf: String::new(),
            maintenance: false,
            unread: 0,
            here: "",
            slot: String::new(),
            css: super::assets::url("app.css"),
            js: super::assets::url("app.js"),
            icon: super::assets::url("favicon.svg"),
        });
        let page = ErrorPage { title: self.lang.t(title_key), message: &self.message, status: self.status.as_u16(), c };
        let mut res = render_with(self.status, &page);
        if let Some(secs) = self.retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            res.headers_mut().insert(header::RETRY_AFTER, secs);
        }
        res
    }
}

impl From<(Lang, ApiError)> for PageError {
    fn from((lang, e): (Lang, ApiError)) -> Self {
        PageError::from_api(lang, e)
    }
}

/// A form body (`application/x-www-form-urlencoded`), each value checked
/// like every text that comes in (no control characters, not too long).
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let lang = browser_lang(req.headers());
        let bad = |key: &str| PageError::new(lang, StatusCode::BAD_REQUEST, key).into_response();
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|_| bad("error-bad-form"))?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| bad("error-bad-form"))?;
        for (k, v) in &pairs {
            crate::extract::check_text(k, v).map_err(|e| PageError::from_api(lang, e).into_response())?;
        }
        serde_urlencoded::from_bytes(&bytes).map(PageForm).map_err(|_| bad("error-bad-form"))
    }
}

/// A form that carries only its token (sign out, mark all read ...).
#[derive(serde::Deserialize)]
pub struct TokenOnly {
    #[serde(rename = "_csrf", default)]
    pub token: String,
}

/// The form as its pairs, for forms with repeated fields (bulk choices).
pub struct PagePairs(pub Vec<(String, String)>);

impl FromRequest<AppState> for PagePairs {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let PageForm(pairs) = PageForm::<Vec<(String, String)>>::from_request(req, state).await?;
        Ok(PagePairs(pairs))
    }
}

/// A banner message for `?done=<what>` after a change: `done-<what>` from
/// the catalogue when `what` is one of `known`.
pub fn done_banner(lang: Lang, done: Option<&str>, known: &[&str]) -> Option<String> {
    done.filter(|d| known.contains(d)).map(|d| lang.t(&format!("done-{d}")))
}

/// 303 to `to` after a change (so a reload does not repeat it).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}
