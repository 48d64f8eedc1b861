//! The mail outbox for HR admins: every mail the notifications owe, where it
//! stands (queued, sent, failed, skipped), its attempts and their errors,
//! and retrying a failed one.

use super::dto::Page;
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, Paging};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use lms_app::mail::{self, Attempt, Mail};
use lms_core::mail::MailStatus;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A mail of the outbox.
#[derive(Serialize, ToSchema)]
pub struct MailDto {
    pub id: i64,
    /// The in-app notification it carries.
    pub notification_id: i64,
    pub recipient_id: i64,
    pub recipient_name: String,
    pub recipient_email: String,
    /// The notification's kind, e.g. `leave_request.submitted`.
    pub kind: String,
    /// The subject of the last attempt, in the recipient's language.
    pub subject: Option<String>,
    /// `queued`, `sent`, `failed` (given up on) or `skipped` (recipient deactivated).
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// When a queued mail is attempted next.
    pub next_attempt_at: DateTime<Utc>,
    /// The instance attempting it now, if any.
    pub claimed_by: Option<String>,
    /// The `Message-ID` it goes out with (the same on every attempt).
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<Mail> for MailDto {
    fn from(m: Mail) -> Self {
        MailDto {
            id: m.id,
            notification_id: m.notification_id,
            recipient_id: m.recipient_id,
            recipient_name: m.recipient_name,
            recipient_email: m.recipient_email,
            kind: m.kind,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            next_attempt_at: m.next_attempt_at,
            claimed_by: m.claimed_by,
            message_id: m.message_id,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

/// One attempt at a mail.
#[derive(Serialize, ToSchema)]
pub struct AttemptDto {
    pub at: DateTime<Utc>,
    /// The instance that made it.
    pub instance: String,
    /// What went wrong; none: the SMTP server accepted the mail.
    pub error: Option<String>,
}

impl From<Attempt> for AttemptDto {
    fn from(a: Attempt) -> Self {
        AttemptDto { at: a.at, instance: a.instance, error: a.error }
    }
}

/// A mail with its attempts, oldest first.
#[derive(Serialize, ToSchema)]
pub struct MailDetailDto {
    #[serde(flatten)]
    pub mail: MailDto,
    pub attempt_log: Vec<AttemptDto>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailQuery {
    /// `queued`, `sent`, `failed` or `skipped`; all when absent.
    pub status: Option<String>,
    /// Page size, 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// The mail outbox, newest first (HR admins).
#[utoipa::path(get, path = "/admin/mail", operation_id = "list_mail", tag = "admin", params(MailQuery),
    responses((status = 200, body = Page<MailDto>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<MailQuery>,
) -> ApiResult<Json<Page<MailDto>>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let status = q.status.as_deref().map(str::parse::<MailStatus>).transpose()?;
    let limit = Paging { limit: q.limit, cursor: q.cursor }.limit()?;
    let items = mail::list(state.db(), &caller, status, q.cursor, limit).await?;
    Ok(Json(Page::keyset(items.into_iter().map(MailDto::from).collect(), limit, |m| m.id)))
}

/// One mail and every attempt at it (HR admins).
#[utoipa::path(get, path = "/admin/mail/{id}", operation_id = "get_mail", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = MailDetailDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MailDetailDto>> {
    let caller = ctx.caller(user.actor());
    let (m, attempts) = mail::get(state.db(), &caller, id).await?;
    Ok(Json(MailDetailDto { mail: m.into(), attempt_log: attempts.into_iter().map(AttemptDto::from).collect() }))
}

/// Queues a failed (or skipped) mail again, due now, with a fresh count of
/// attempts (HR admins; audited). A queued or sent mail: 409.
#[utoipa::path(post, path = "/admin/mail/{id}/retry", operation_id = "retry_mail", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 200, body = MailDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MailDto>> {
    let caller = ctx.caller(user.actor());
    Ok(Json(mail::retry(state.db(), &caller, id, Utc::now()).await?.into()))
}
