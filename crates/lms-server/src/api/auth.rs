//! Login, logout and personal API tokens. Signing in and out is
//! `auth::sign_in`'s, shared with the sign-in page.

use super::dto::EmployeeDto;
use crate::auth::current_user::Credential;
use crate::auth::{secret, sign_in, CurrentUser};
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use lms_store::auth;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: EmployeeDto,
    pub expires_at: DateTime<Utc>,
}

/// Logs in with email and password; sets the session cookie and a device
/// cookie. After repeated failures for an account or an address each
/// further attempt waits (429 with `Retry-After`), except from a device that
/// signed in to the account before.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let signed = sign_in::sign_in(&state, &ctx, &headers, &body.email, body.password).await?;
    let mut res = Json(LoginResponse { user: signed.employee.into(), expires_at: signed.expires_at }).into_response();
    for c in signed.cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// Ends the current session and clears the cookie; with a bearer token, revokes that token.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, ctx: RequestContext, user: CurrentUser) -> ApiResult<Response> {
    let mut headers = HeaderMap::new();
    if let Some(v) = sign_in::sign_out(&state, &ctx, &user).await?.clear_cookie {
        headers.insert(header::SET_COOKIE, v);
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// Live API tokens one person may hold.
pub use lms_app::tokens::MAX_LIVE_TOKENS;

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    /// What the token is for, e.g. `smoke-suite`.
    pub name: String,
    /// Days until it expires; none means it lasts until revoked.
    pub expires_in_days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When the token was last used (to the nearest few minutes).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<auth::ApiToken> for TokenDto {
    fn from(t: auth::ApiToken) -> Self {
        TokenDto {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenDto,
    /// The secret, shown only this once. Send it as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Creates a personal API token; the secret is returned once and stored hashed.
#[utoipa::path(post, path = "/me/tokens", tag = "auth", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    if let Credential::Token(_) = user.credential {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "session_required",
            "a token cannot create tokens: sign in (POST /api/v1/auth/login) and create it from that session",
        ));
    }
    let token = secret::generate("lms_pat_");
    let caller = ctx.caller(user.actor());
    let t = lms_app::tokens::create(
        state.db(),
        &caller,
        &body.name,
        body.expires_in_days,
        &secret::hash(&token),
        Utc::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { info: t.into(), token })))
}

/// The caller's API tokens (without secrets).
#[utoipa::path(get, path = "/me/tokens", tag = "auth", responses((status = 200, body = crate::api::dto::Page<TokenDto>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<super::dto::Page<TokenDto>>> {
    let mut c = state.db().acquire().await?;
    let items = auth::list_tokens(&mut c.conn(), user.id()).await?.into_iter().map(Into::into).collect();
    Ok(Json(super::dto::Page { items, next_cursor: None }))
}

/// Revokes one of the caller's API tokens.
#[utoipa::path(delete, path = "/me/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    if !lms_app::tokens::revoke(state.db(), &ctx.caller(user.actor()), id, Utc::now()).await? {
        return Err(ApiError::not_found(format!("token {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}
