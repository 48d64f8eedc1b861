//! My profile: the language of the pages (or the browser's), changing my
//! password (the current one checked; every other session and API token
//! ends), my API tokens, my calendar feeds (the address shown once) and my
//! working schedule (read only: HR sets it). The changes are
//! `lms_app::profile`'s, `tokens`' and `calendar`'s.

use super::i18n::Lang;
use super::page::{error_message, render, render_with, see_other, Chrome, PageForm, Viewer};
use crate::auth::current_user::Credential;
use crate::auth::password;
use crate::ApiError;
use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lms_core::calendar_feed::FeedScope;
use lms_core::Language;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    c: Chrome,
    email: String,
    department: String,
    role: String,
    chosen: String,
    languages: Vec<(&'static str, String)>,
    done: Option<String>,
    error: Option<String>,
    tokens: Vec<TokenRow>,
    /// A token's secret just made: shown this once.
    new_token: Option<String>,
    /// My working schedules, oldest first (empty: full time).
    schedules: Vec<super::schedules::Row>,
    /// The weekdays, as the schedules' column heads.
    weekdays: Vec<super::schedules::Day>,
    feeds: Vec<FeedRow>,
    /// The scopes the viewer may choose for a feed, with their labels.
    feed_scopes: Vec<(&'static str, String)>,
    /// A feed's address just made: shown this once.
    new_feed: Option<String>,
    /// Whether this instance has calendar feeds.
    feeds_available: bool,
    /// Whether I have a password to change.
    has_password: bool,
}

/// One calendar feed as the profile lists it.
pub struct FeedRow {
    id: i64,
    name: String,
    scope: String,
    created: String,
    last_used: String,
    live: bool,
}

/// One API token as the profile lists it.
pub struct TokenRow {
    id: i64,
    name: String,
    created: String,
    expires: String,
    last_used: String,
    live: bool,
}

/// What the profile shows that is read from the database: the chosen
/// language and the API tokens.
struct Stored {
    chosen: Option<String>,
    tokens: Vec<TokenRow>,
    schedules: Vec<lms_store::schedules::StoredSchedule>,
    feeds: Vec<FeedRow>,
    /// Whether I have a password (not when I sign in through single sign-on only).
    has_password: bool,
}

async fn stored(viewer: &Viewer) -> Result<Stored, ApiError> {
    let lang = viewer.lang();
    let now = Utc::now();
    let mut c = viewer.state.db().acquire().await?;
    let chosen = lms_store::settings::for_person(&mut c.conn(), viewer.user.id()).await?.language;
    let date = |t: Option<chrono::DateTime<Utc>>| t.map(|t| lang.date(t.date_naive())).unwrap_or_else(|| "–".into());
    let tokens = lms_store::auth::list_tokens(&mut c.conn(), viewer.user.id())
        .await?
        .into_iter()
        .rev()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            created: lang.date(t.created_at.date_naive()),
            expires: date(t.expires_at),
            last_used: date(t.last_used_at),
            live: t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now),
        })
        .collect();
    let schedules = lms_store::schedules::stored(&mut c.conn(), viewer.user.id()).await?;
    let email = &viewer.user.employee.email;
    let has_password =
        lms_store::employees::login_record(&mut c.conn(), email).await?.is_some_and(|(_, h)| h.is_some());
    drop(c);
    let feeds = lms_app::calendar::feeds(viewer.state.db(), viewer.user.id())
        .await?
        .into_iter()
        .rev()
        .map(|f| FeedRow {
            id: f.id,
            name: f.name,
            scope: lang.t(&format!("feed-scope-{}", f.scope)),
            created: lang.date(f.created_at.date_naive()),
            last_used: date(f.last_used_at),
            live: f.revoked_at.is_none(),
        })
        .collect();
    Ok(Stored { chosen, tokens, schedules, feeds, has_password })
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

fn page_for(viewer: &Viewer, stored: Stored, done: Option<String>, error: Option<String>) -> ProfilePage {
    let lang = viewer.lang();
    let e = &viewer.user.employee;
    ProfilePage {
        c: viewer.chrome("profile"),
        email: e.email.clone(),
        department: e.department.clone(),
        role: lang.t(&format!("role-{}", e.role)),
        chosen: stored.chosen.unwrap_or_default(),
        languages: Language::ALL.iter().map(|l| (l.tag(), lang.t(&format!("language-{}", l.tag())))).collect(),
        done,
        error,
        tokens: stored.tokens,
        new_token: None,
        schedules: super::schedules::rows(lang, &stored.schedules),
        weekdays: super::schedules::weekdays(lang),
        feeds: stored.feeds,
        feed_scopes: [FeedScope::Person, FeedScope::Team, FeedScope::Company]
            .into_iter()
            .filter(|s| s.allowed(viewer.user.actor().role))
            .map(|s| (s.as_str(), lang.t(&format!("feed-scope-{}", s.as_str()))))
            .collect(),
        new_feed: None,
        feeds_available: lms_app::calendar::available(viewer.state.db()),
        has_password: stored.has_password,
    }
}

/// `GET /profile`
pub async fn page(viewer: Viewer, Query(d): Query<Done>) -> Response {
    let lang = viewer.lang();
    let done = match d.done.as_deref() {
        Some("language") => Some(lang.t("profile-language-saved")),
        Some("password") => Some(lang.t("profile-password-saved")),
        Some("token-revoked") => Some(lang.t("profile-token-revoked")),
        Some("feed-revoked") => Some(lang.t("profile-feed-revoked")),
        _ => None,
    };
    match stored(&viewer).await {
        Ok(s) => render(&page_for(&viewer, s, done, None)),
        Err(e) => viewer.error(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    language: String,
}

/// `POST /profile/language`: a language, or empty for the browser's.
pub async fn set_language(viewer: Viewer, PageForm(f): PageForm<LanguageForm>) -> Response {
    if let Err(e) = viewer.check_form(&f.token) {
        return e.into_response();
    }
    let language = match f.language.as_str() {
        "" => None,
        tag => match Language::parse(tag) {
            Some(l) => Some(l),
            None => return viewer.refuse(StatusCode::UNPROCESSABLE_ENTITY, "error-bad-form").into_response(),
        },
    };
    match lms_app::profile::set_language(viewer.state.db(), &viewer.caller(), language, Utc::now()).await {
        Ok(()) => see_other("/profile?done=language"),
        Err(e) => viewer.error(e.into()).into_response(),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /profile/password`
pub async fn change_password(viewer: Viewer, PageForm(f): PageForm<PasswordForm>) -> Response {
    let lang = viewer.lang();
    if let Err(e) = viewer.check_form(&f.token) {
        return e.into_response();
    }
    match password_change(&viewer, lang, f).await {
        Ok(()) => see_other("/profile?done=password"),
        Err(e) => refuse(&viewer, e).await,
    }
}

async fn password_change(viewer: &Viewer, lang: Lang, f: PasswordForm) -> Result<(), ApiError> {
    if f.new != f.confirm {
        return Err(ApiError::unprocessable("password_mismatch", lang.t("error-password-mismatch")));
    }
    password::check_policy(&f.new)?;
    let stored = {
        let mut c = viewer.state.db().acquire().await?;
        lms_store::employees::login_record(&mut c.conn(), &viewer.user.employee.email).await?.and_then(|(_, h)| h)
    };
    if !password::verify(f.current, stored, password::Lane::Other).await? {
        return Err(ApiError::unprocessable("wrong_password", lang.t("error-wrong-password")));
    }
    let hash = password::hash(f.new).await?;
    let keep = match &viewer.user.credential {
        Credential::Session(h) => Some(h.as_str()),
        Credential::Token(_) => None,
    };
    lms_app::profile::change_password(viewer.state.db(), &viewer.caller(), &hash, keep, Utc::now()).await?;
    Ok(())
}

/// The profile again with what went wrong on top.
async fn refuse(viewer: &Viewer, e: ApiError) -> Response {
    let status = if e.status.is_server_error() { e.status } else { StatusCode::UNPROCESSABLE_ENTITY };
    match stored(viewer).await {
        Ok(s) => render_with(status, &page_for(viewer, s, None, Some(error_message(viewer.lang(), &e)))),
        Err(e) => viewer.error(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

/// `POST /profile/tokens`: a new API token, its secret shown this once.
pub async fn create_token(viewer: Viewer, PageForm(f): PageForm<TokenForm>) -> Response {
    if let Err(e) = viewer.check_form(&f.token) {
        return e.into_response();
    }
    let days = match f.days.trim() {
        "" => None,
        d => match d.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => return refuse(&viewer, lms_core::DomainError::TokenExpiry.into()).await,
        },
    };
    let secret = crate::auth::secret::generate("lms_pat_");
    let made = lms_app::tokens::create(
        viewer.state.db(),
        &viewer.caller(),
        &f.name,
        days,
        &crate::auth::secret::hash(&secret),
        Utc::now(),
    )
    .await;
    match made {
        Ok(_) => match stored(&viewer).await {
            Ok(s) => {
                let done = Some(viewer.lang().t("profile-token-created"));
                render(&ProfilePage { new_token: Some(secret), ..page_for(&viewer, s, done, None) })
            }
            Err(e) => viewer.error(e).into_response(),
        },
        Err(e) => refuse(&viewer, e.into()).await,
    }
}

/// `POST /profile/tokens/{id}/revoke`
pub async fn revoke_token(
    viewer: Viewer,
    axum::extract::Path(id): axum::extract::Path<String>,
    PageForm(f): PageForm<super::page::TokenOnly>,
) -> Response {
    if let Err(e) = viewer.check_form(&f.token) {
        return e.into_response();
    }
    let id = match viewer.path_id(&id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match lms_app::tokens::revoke(viewer.state.db(), &viewer.caller(), id, Utc::now()).await {
        Ok(true) => see_other("/profile?done=token-revoked"),
        Ok(false) => viewer.refuse(StatusCode::NOT_FOUND, "error-not-found").into_response(),
        Err(e) => viewer.error(e.into()).into_response(),
    }
}

#[derive(Deserialize)]
pub struct FeedForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
}

/// `POST /profile/calendar-feeds`: a new calendar feed, its address shown this once.
pub async fn create_feed(
    viewer: Viewer,
    ctx: crate::context::RequestContext,
    headers: axum::http::HeaderMap,
    PageForm(f): PageForm<FeedForm>,
) -> Response {
    if let Err(e) = viewer.check_form(&f.token) {
        return e.into_response();
    }
    let scope = match f.scope.parse::<FeedScope>() {
        Ok(s) => s,
        Err(e) => return refuse(&viewer, e.into()).await,
    };
    let secret = crate::auth::secret::generate(crate::api::calendar::SECRET_PREFIX);
    let made = lms_app::calendar::create_feed(
        viewer.state.db(),
        &viewer.caller(),
        &f.name,
        scope,
        &crate::auth::secret::hash(&secret),
        Utc::now(),
    )
    .await;
    match made {
        Ok(_) => match stored(&viewer).await {
            Ok(s) => {
                let done = Some(viewer.lang().t("profile-feed-created"));
                let url = crate::api::calendar::feed_url(&ctx, &headers, &secret);
                render(&ProfilePage { new_feed: Some(url), ..page_for(&viewer, s, done, None) })
            }
            Err(e) => viewer.error(e).into_response(),
        },
        Err(e) => refuse(&viewer, e.into()).await,
    }
}

/// `POST /profile/calendar-feeds/{id}/revoke`
pub async fn revoke_feed(
    viewer: Viewer,
    axum::extract::Path(id): axum::extract::Path<String>,
    PageForm(f): PageForm<super::page::TokenOnly>,
) -> Response {
    if let Err(e) = viewer.check_form(&f.token) {
        return e.into_response();
    }
    let id = match viewer.path_id(&id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match lms_app::calendar::revoke_feed(viewer.state.db(), &viewer.caller(), id, Utc::now()).await {
        Ok(true) => see_other("/profile?done=feed-revoked"),
        Ok(false) => viewer.refuse(StatusCode::NOT_FOUND, "error-not-found").into_response(),
        Err(e) => viewer.error(e.into()).into_response(),
    }
}
