//! Mail delivery on HR's dashboard: whether this instance sends mail, how
//! many mails wait and how many failed, the failed ones (recipient,
//! subject, attempts, last error) with a "retry" button each. The figures
//! and the retry are `lms_app::mail`'s, as the API's.

use super::page::{see_other, PageForm, Viewer};
use crate::ApiError;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lms_app::mail;
use lms_core::mail::MailStatus;
use serde::Deserialize;

/// Failed mails the section lists (the API lists them all).
const LISTED: i64 = 20;

pub struct FailedMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub attempts: i32,
    pub error: String,
}

/// What the dashboard shows of mail delivery.
pub struct MailSection {
    /// This instance sends mail (`--smtp-url`).
    pub enabled: bool,
    /// The instance counts on the outbox's migration.
    pub available: bool,
    pub queued: i64,
    pub failed: i64,
    pub rows: Vec<FailedMail>,
}

pub async fn section(viewer: &Viewer) -> Result<MailSection, ApiError> {
    let db = viewer.state.db();
    let available = mail::available(db);
    let enabled = available && viewer.state.config().mail.is_some();
    let counts = mail::counts(db).await?.unwrap_or_default();
    let rows = if available {
        mail::list(db, &viewer.caller(), Some(MailStatus::Failed), None, LISTED).await?
    } else {
        Vec::new()
    };
    let rows = rows
        .into_iter()
        .map(|m| FailedMail {
            id: m.id,
            recipient: format!("{} <{}>", m.recipient_name, m.recipient_email),
            subject: m.subject.unwrap_or(m.kind),
            attempts: m.attempts,
            error: m.last_error.unwrap_or_default(),
        })
        .collect();
    Ok(MailSection { enabled, available, queued: counts.queued, failed: counts.failed, rows })
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    token: String,
}

/// `POST /hr/mail/{id}/retry`: a failed mail queued again.
pub async fn retry(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<TokenForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match mail::retry(viewer.state.db(), &viewer.caller(), id, Utc::now()).await {
        Ok(_) => see_other("/admin?done=mail-retried#mail"),
        Err(e) => viewer.error(ApiError::from(e)).into_response(),
    }
}
