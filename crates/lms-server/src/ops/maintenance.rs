//! Maintenance mode: a flag in the database that every instance of every
//! version reads. While it is on, reads work and writes answer 503 with
//! `Retry-After` and [`MAINTENANCE_HEADER`]`: on`; logging in and out and
//! switching the flag still work. The header tells a traffic controller
//! (`lms proxy`, and through it the cutover gates) that the 503 is a
//! deliberate pause, not a failure of this instance.

use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use lms_store::settings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The response header that marks an answer of maintenance mode.
pub const MAINTENANCE_HEADER: &str = "lms-maintenance";

/// Seconds a client is told to wait during maintenance.
pub const RETRY_AFTER_SECS: u64 = 60;

fn exempt(path: &str) -> bool {
    path.starts_with("/api/v1/auth/") || path == "/api/v1/admin/maintenance"
}

/// Pages whose forms work during maintenance: signing in and out, and the
/// switch itself.
fn page_exempt(path: &str) -> bool {
    matches!(path, "/sign-in" | "/sign-out" | "/hr/maintenance")
}

/// Middleware: refuses writes while maintenance mode is on.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = req.uri().path();
    let api = path.starts_with("/api/v1/") && !exempt(path);
    let page = !path.starts_with("/api/") && !page_exempt(path);
    if write && (api || page) {
        let on = match state.db().acquire().await {
            Ok(mut c) => settings::maintenance(&mut c.conn()).await,
            Err(e) => Err(e),
        };
        match on {
            Ok(true) if page => {
                let status = StatusCode::SERVICE_UNAVAILABLE;
                let mut res = crate::web::page::error_page(req, &state, status, "error-maintenance").await;
                res.retry_after = Some(RETRY_AFTER_SECS);
                let mut res = res.into_response();
                res.headers_mut().insert(MAINTENANCE_HEADER, HeaderValue::from_static("on"));
                return res;
            }
            Ok(true) => {
                let mut res = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "maintenance",
                    "LMS is in maintenance mode: reading works, changes are paused; try again shortly",
                )
                .with_retry_after(RETRY_AFTER_SECS)
                .into_response();
                res.headers_mut().insert(MAINTENANCE_HEADER, HeaderValue::from_static("on"));
                return res;
            }
            Ok(false) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    next.run(req).await
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Maintenance {
    pub enabled: bool,
}

/// Whether maintenance mode is on.
#[utoipa::path(get, path = "/admin/maintenance", tag = "admin", responses((status = 200, body = Maintenance)))]
pub async fn get_maintenance(State(state): State<AppState>, _user: CurrentUser) -> ApiResult<Json<Maintenance>> {
    let mut c = state.db().acquire().await?;
    Ok(Json(Maintenance { enabled: settings::maintenance(&mut c.conn()).await? }))
}

/// Turns maintenance mode on or off (HR admins); audited.
#[utoipa::path(put, path = "/admin/maintenance", tag = "admin", request_body = Maintenance,
    responses((status = 200, body = Maintenance), (status = 403, body = crate::error::ErrorBody)))]
pub async fn set_maintenance(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<Maintenance>,
) -> ApiResult<Json<Maintenance>> {
    let caller = ctx.caller(user.actor());
    lms_app::maintenance::set(state.db(), lms_app::By::Caller(&caller), body.enabled, Utc::now()).await?;
    Ok(Json(Maintenance { enabled: body.enabled }))
}
