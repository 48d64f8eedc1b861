//! `GET /api/v1/status`: what a load balancer or deployer needs (version,
//! slot, instance id, maintenance, draining, schema current, mail on or
//! off) for anyone; the mail outbox's counts and the
//! build, process and migration detail only for HR or the holder of the
//! status token, since it helps an attacker more than it helps a client.

use crate::auth::current_user::Presented;
use crate::auth::secret;
use crate::auth::CurrentUser;
use crate::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::HeaderMap;
use axum::Json;
use lms_store::{migrations, settings};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Status {
    pub version: &'static str,
    pub slot: String,
    /// The `--instance-id` this process was started with, if any.
    pub instance_id: Option<String>,
    pub maintenance: bool,
    pub draining: bool,
    pub database: DatabaseStatus,
    /// Shown to HR and to the holder of the status token only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<&'static str>,
    /// Shown to HR and to the holder of the status token only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_time: Option<&'static str>,
    /// The operating system's id of this process (HR and status token only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// HR and status token only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_seconds: Option<u64>,
    pub mail: MailStatus,
    pub sso: SsoStatus,
}

/// Whether this instance signs people in through an OpenID provider.
#[derive(Serialize, ToSchema)]
pub struct SsoStatus {
    /// A provider configured (`--oidc-issuer`) and single sign-on's migration counted on.
    pub enabled: bool,
}

/// Whether this instance sends the notifications by mail.
#[derive(Serialize, ToSchema)]
pub struct MailStatus {
    /// SMTP configured (`--smtp-url`) and the outbox's migration counted on.
    pub enabled: bool,
    /// Mails owed, on the whole database (HR and status token only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued: Option<i64>,
    /// Mails given up on (HR and status token only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DatabaseStatus {
    pub connected: bool,
    pub schema_current: bool,
    /// `sqlite` or `postgresql` (HR and status token only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
    /// HR and status token only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migrations_applied: Option<usize>,
    /// HR and status token only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migrations_expected: Option<usize>,
}

pub const GIT_COMMIT: &str = match option_env!("LMS_GIT_COMMIT") {
    Some(c) => c,
    None => "unknown",
};
pub const BUILD_TIME: &str = match option_env!("LMS_BUILD_TIME") {
    Some(t) => t,
    None => "unknown",
};

/// Version, slot and readiness of this instance; build and database detail
/// for HR or `Authorization: Bearer <status token>`.
#[utoipa::path(get, path = "/status", tag = "operations", responses((status = 200, body = Status)))]
pub async fn status(State(state): State<AppState>, headers: HeaderMap) -> Json<Status> {
    let detailed = may_see_detail(&state, headers).await;
    let db = state.db();
    let ms = migrations::status_capped(db, state.config().schema).await.ok();
    let maintenance = match db.acquire().await {
        Ok(mut c) => settings::maintenance(&mut c.conn()).await.unwrap_or(false),
        Err(_) => false,
    };
    let shown = |v| if detailed { Some(v) } else { None };
    let mail_enabled = state.config().mail.is_some() && lms_app::mail::available(db);
    let mail_counts = if detailed && mail_enabled { lms_app::mail::counts(db).await.ok().flatten() } else { None };
    Json(Status {
        version: lms_core::VERSION,
        slot: state.config().slot.clone(),
        instance_id: state.config().instance_id.clone(),
        maintenance,
        draining: state.is_draining(),
        database: DatabaseStatus {
            connected: ms.is_some(),
            schema_current: ms.as_ref().is_some_and(|s| s.is_current()),
            backend: detailed.then(|| db.backend().as_str()),
            migrations_applied: shown(ms.as_ref().map(|s| s.applied.len()).unwrap_or(0)),
            migrations_expected: shown(ms.as_ref().map(|s| s.expected.len()).unwrap_or(0)),
        },
        git_commit: detailed.then_some(GIT_COMMIT),
        build_time: detailed.then_some(BUILD_TIME),
        pid: detailed.then(std::process::id),
        uptime_seconds: detailed.then(|| state.started().elapsed().as_secs()),
        mail: MailStatus {
            enabled: mail_enabled,
            queued: mail_counts.map(|c| c.queued),
            failed: mail_counts.map(|c| c.failed),
        },
        sso: SsoStatus { enabled: state.sso().is_some() },
    })
}

/// Whether the caller holds the status token or is signed in as HR. A
/// wrong credential is not an error here: the caller sees the public part.
async fn may_see_detail(state: &AppState, headers: HeaderMap) -> bool {
    let Some(presented) = Presented::from_headers(&headers) else { return false };
    // Compared as hashes, so the comparison's time says nothing about the secret.
    if let (Presented::Token(hash), Some(expected)) = (&presented, &state.config().status_token) {
        if *hash == secret::hash(expected) {
            return true;
        }
    }
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    CurrentUser::from_request_parts(&mut parts, state).await.is_ok_and(|u| u.actor().is_hr())
}
