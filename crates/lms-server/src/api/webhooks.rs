//! Webhooks over JSON for HR admins: register an endpoint (its signing
//! secret shown once, in the answer), list and delete endpoints, read an
//! endpoint's delivery log, and allow or forbid deliveries to private
//! addresses. What a change means is `lms_app::webhooks`'s; resolving the
//! host for the SSRF check at registration happens here, the rule is
//! `lms_core::webhook`'s.

use super::dto::Page;
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Paging};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use lms_app::webhooks::{self, Attempt, Logged, Registration, Webhook};
use lms_core::webhook::{WebhookEvent, WebhookFormat, WebhookUrl};
use lms_core::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A registered endpoint.
#[derive(Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: i64,
    pub url: String,
    /// The events delivered to it.
    pub events: Vec<String>,
    /// `json` (the event) or `slack` (`{"text": …}`).
    pub format: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i64>,
}

impl From<Webhook> for WebhookDto {
    fn from(w: Webhook) -> Self {
        WebhookDto {
            id: w.id,
            events: webhooks::events_of(&w).into_iter().map(str::to_string).collect(),
            url: w.url,
            format: w.format,
            active: w.active,
            created_at: w.created_at,
            created_by: w.created_by,
        }
    }
}

/// A newly registered endpoint with its signing secret: shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhookDto {
    #[serde(flatten)]
    pub webhook: WebhookDto,
    /// The key of every delivery's `X-LMS-Signature`; keep it: it is not shown again.
    pub secret: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/lms", "events": ["leave_request.approved"], "format": "json"}))]
pub struct WebhookInput {
    /// `https://…` or `http://…`, without user or password.
    pub url: String,
    /// Any of `leave_request.submitted`, `leave_request.approved`,
    /// `leave_request.rejected`, `leave_request.cancelled`,
    /// `employee.created`, `employee.deactivated`.
    pub events: Vec<String>,
    /// `json` (the default) or `slack`.
    pub format: Option<String>,
    /// Whether it is delivered to (true by default).
    pub active: Option<bool>,
}

/// Registers a webhook endpoint (HR admins; audited as `webhook.create`).
/// Its host must resolve to public addresses only unless HR allows private
/// ones (`PUT /settings/webhooks`); otherwise 422 and nothing is written.
#[utoipa::path(post, path = "/webhooks", operation_id = "create_webhook", tag = "hr", request_body = WebhookInput,
    responses((status = 201, body = CreatedWebhookDto), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<CreatedWebhookDto>)> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let url = WebhookUrl::parse(&body.url)?;
    let events = body.events.iter().map(|e| e.parse::<WebhookEvent>()).collect::<Result<Vec<_>, _>>()?;
    let format = body.format.as_deref().map(str::parse::<WebhookFormat>).transpose()?.unwrap_or(WebhookFormat::Json);
    let resolved = crate::webhooks::resolve(&url).await.map_err(DomainError::InvalidRule)?;
    let secret = crate::webhooks::new_secret();
    let r = Registration { url, events, format, active: body.active.unwrap_or(true), secret: secret.clone(), resolved };
    let w = webhooks::register(state.db(), &caller, r, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(CreatedWebhookDto { webhook: w.into(), secret })))
}

/// The registered endpoints (HR admins; secrets are never shown again).
#[utoipa::path(get, path = "/webhooks", operation_id = "list_webhooks", tag = "hr",
    responses((status = 200, body = Vec<WebhookDto>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
) -> ApiResult<Json<Vec<WebhookDto>>> {
    let caller = ctx.caller(user.actor());
    Ok(Json(webhooks::list(state.db(), &caller).await?.into_iter().map(WebhookDto::from).collect()))
}

/// Deletes an endpoint (HR admins; audited as `webhook.delete`): nothing
/// more is delivered to it, its queued deliveries fail, its log stays.
#[utoipa::path(delete, path = "/webhooks/{id}", operation_id = "delete_webhook", tag = "hr", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    webhooks::delete(state.db(), &ctx.caller(user.actor()), id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One attempt at a delivery.
#[derive(Serialize, ToSchema)]
pub struct WebhookAttemptDto {
    pub at: DateTime<Utc>,
    /// The instance that made it.
    pub instance: String,
    /// The endpoint's answer, when it answered.
    pub status_code: Option<i32>,
    /// What went wrong; none: delivered.
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl From<Attempt> for WebhookAttemptDto {
    fn from(a: Attempt) -> Self {
        WebhookAttemptDto {
            at: a.at,
            instance: a.instance,
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// A delivery and its attempts, oldest first.
#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryDto {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    /// The audit record of the change it tells of.
    pub audit_id: i64,
    /// `queued`, `delivered` or `failed` (given up on).
    pub status: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempt_log: Vec<WebhookAttemptDto>,
}

impl From<Logged> for WebhookDeliveryDto {
    fn from(l: Logged) -> Self {
        let d = l.delivery;
        WebhookDeliveryDto {
            id: d.id,
            webhook_id: d.webhook_id,
            event: d.event,
            audit_id: d.audit_id,
            status: d.status,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            attempt_log: l.attempts.into_iter().map(WebhookAttemptDto::from).collect(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Page size, 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// An endpoint's delivery log, newest first, each delivery with its
/// attempts (HR admins).
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", operation_id = "list_webhook_deliveries", tag = "hr",
    params(("id" = i64, Path), DeliveryQuery),
    responses((status = 200, body = Page<WebhookDeliveryDto>), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Page<WebhookDeliveryDto>>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let limit = Paging { limit: q.limit, cursor: q.cursor }.limit()?;
    let items = webhooks::deliveries(state.db(), &caller, id, q.cursor, limit).await?;
    Ok(Json(Page::keyset(items.into_iter().map(WebhookDeliveryDto::from).collect(), limit, |d| d.id)))
}

/// The webhook settings.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"allow_private": false}))]
pub struct WebhookSettingsDto {
    /// Whether endpoints may be (and be delivered to) loopback, private,
    /// link-local or other non-public addresses. Off by default.
    pub allow_private: bool,
}

/// The webhook settings (HR admins).
#[utoipa::path(get, path = "/settings/webhooks", operation_id = "get_webhook_settings", tag = "hr",
    responses((status = 200, body = WebhookSettingsDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
) -> ApiResult<Json<WebhookSettingsDto>> {
    let caller = ctx.caller(user.actor());
    Ok(Json(WebhookSettingsDto { allow_private: webhooks::allow_private(state.db(), &caller).await? }))
}

/// Allows or forbids deliveries to private addresses (HR admins; audited
/// as `settings.webhooks`).
#[utoipa::path(put, path = "/settings/webhooks", operation_id = "set_webhook_settings", tag = "hr",
    request_body = WebhookSettingsDto,
    responses((status = 200, body = WebhookSettingsDto), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_settings(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<WebhookSettingsDto>,
) -> ApiResult<Json<WebhookSettingsDto>> {
    let caller = ctx.caller(user.actor());
    let on = webhooks::set_allow_private(state.db(), &caller, body.allow_private, Utc::now()).await?;
    Ok(Json(WebhookSettingsDto { allow_private: on }))
}
