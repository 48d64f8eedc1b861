//! My profile: the language of the pages (or the browser's), and changing
//! my password (the current one checked; every other session and API token
//! ends). The changes are `lms_app::profile`'s.

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
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

fn page_for(viewer: &Viewer, chosen: Option<String>, done: Option<String>, error: Option<String>) -> ProfilePage {
    let lang = viewer.lang();
    let e = &viewer.user.employee;
    ProfilePage {
        c: viewer.chrome("profile"),
        email: e.email.clone(),
        department: e.department.clone(),
        role: lang.t(&format!("role-{}", e.role)),
        chosen: chosen.unwrap_or_default(),
        languages: Language::ALL.iter().map(|l| (l.tag(), lang.t(&format!("language-{}", l.tag())))).collect(),
        done,
        error,
    }
}

async fn chosen_language(viewer: &Viewer) -> Result<Option<String>, ApiError> {
    let mut c = viewer.state.db().acquire().await?;
    Ok(lms_store::settings::for_person(&mut c.conn(), viewer.user.id()).await?.language)
}

/// `GET /profile`
pub async fn page(viewer: Viewer, Query(d): Query<Done>) -> Response {
    let lang = viewer.lang();
    let done = match d.done.as_deref() {
        Some("language") => Some(lang.t("profile-language-saved")),
        Some("password") => Some(lang.t("profile-password-saved")),
        _ => None,
    };
    match chosen_language(&viewer).await {
        Ok(chosen) => render(&page_for(&viewer, chosen, done, None)),
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
        Err(e) => {
            let chosen = chosen_language(&viewer).await.ok().flatten();
            let status = if e.status.is_server_error() { e.status } else { StatusCode::UNPROCESSABLE_ENTITY };
            render_with(status, &page_for(&viewer, chosen, None, Some(error_message(lang, &e))))
        }
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
