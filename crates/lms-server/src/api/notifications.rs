//! The caller's in-app notifications.

use super::dto::Page;
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, Paging};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use lms_store::notifications::{self, Notification};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub entity_type: String,
    pub entity_id: i64,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationDto {
    fn from(n: Notification) -> Self {
        NotificationDto {
            id: n.id,
            kind: n.kind,
            subject: n.subject,
            body: n.body,
            entity_type: n.entity_type,
            entity_id: n.entity_id,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// Page size, 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/notifications", operation_id = "list_notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = Page<NotificationDto>, links(
            ("mark_read" = (operation_id = "mark_read", parameters(("id" = "$response.body#/items/0/id"))))
        ))))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<Page<NotificationDto>>> {
    let limit = Paging { limit: q.limit, cursor: q.cursor }.limit()?;
    let mut c = state.db().acquire().await?;
    let items = notifications::list(&mut c.conn(), user.id(), q.unread.unwrap_or(false), q.cursor, limit).await?;
    Ok(Json(Page::keyset(items.into_iter().map(NotificationDto::from).collect(), limit, |n| n.id)))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = NotificationDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<NotificationDto>> {
    let n = lms_app::notifications::mark_read(state.db(), &ctx.caller(user.actor()), id, Utc::now())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("notification {id}")))?;
    Ok(Json(n.into()))
}
