//! Single sign-on over JSON: HR's settings (create people on their first
//! sign-in, and their department; whether this instance has a provider),
//! and how a person signs in (password allowed or not, the provider
//! identities linked to them). Signing in itself happens in the browser
//! (`web::sso`). What a change means is `lms_app::sso`'s.

use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use lms_app::sso::{self, SignInMethods, SsoSettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The provider this instance signs people in through.
#[derive(Serialize, ToSchema)]
pub struct SsoProviderDto {
    pub issuer: String,
    /// The words of the sign-in button ("Sign in with …").
    pub name: String,
    /// The redirect URI to register at the provider.
    pub redirect_uri: String,
    /// The post-logout redirect URI to register at the provider.
    pub post_logout_redirect_uri: String,
}

/// Single sign-on's settings.
#[derive(Serialize, ToSchema)]
pub struct SsoSettingsDto {
    /// The provider of the instance that answers (`lms serve
    /// --oidc-issuer`); none: it signs in with passwords only.
    pub provider: Option<SsoProviderDto>,
    /// Whether a verified email no person has creates one (role employee) at
    /// their first sign-in. Off by default: HR creates people first.
    pub create_people: bool,
    /// The department of people created so.
    pub department: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"create_people": true, "department": "Engineering"}))]
pub struct SsoSettingsInput {
    pub create_people: bool,
    /// 1 to 100 characters; `General` when left out.
    pub department: Option<String>,
}

fn settings_dto(state: &AppState, s: SsoSettings) -> SsoSettingsDto {
    let provider = state.sso().map(|p| {
        let c = p.config();
        SsoProviderDto {
            issuer: c.issuer.clone(),
            name: c.display_name.clone(),
            redirect_uri: c.redirect_url(),
            post_logout_redirect_uri: c.post_logout_url(),
        }
    });
    SsoSettingsDto { provider, create_people: s.create_people, department: s.department }
}

/// Single sign-on's settings (HR admins).
#[utoipa::path(get, path = "/settings/sso", operation_id = "get_sso_settings", tag = "hr",
    responses((status = 200, body = SsoSettingsDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
) -> ApiResult<Json<SsoSettingsDto>> {
    let s = sso::settings(state.db(), &ctx.caller(user.actor())).await?;
    Ok(Json(settings_dto(&state, s)))
}

/// Changes single sign-on's settings (HR admins; audited as `settings.sso`).
#[utoipa::path(put, path = "/settings/sso", operation_id = "set_sso_settings", tag = "hr",
    request_body = SsoSettingsInput,
    responses((status = 200, body = SsoSettingsDto), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_settings(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<SsoSettingsInput>,
) -> ApiResult<Json<SsoSettingsDto>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let new = SsoSettings {
        create_people: body.create_people,
        department: body.department.unwrap_or_else(|| sso::DEFAULT_DEPARTMENT.to_string()),
    };
    let s = sso::set_settings(state.db(), &caller, new, Utc::now()).await?;
    Ok(Json(settings_dto(&state, s)))
}

/// A provider identity linked to the person.
#[derive(Serialize, ToSchema)]
pub struct SsoIdentityDto {
    pub issuer: String,
    /// The provider's id of the person (`sub`).
    pub subject: String,
    /// The email it was linked by, or last signed in with.
    pub email: String,
    pub linked_at: DateTime<Utc>,
    pub last_sign_in_at: DateTime<Utc>,
}

/// How a person signs in.
#[derive(Serialize, ToSchema)]
pub struct SignInMethodsDto {
    /// Whether they may sign in with a password.
    pub password_login: bool,
    /// Whether they have a password.
    pub has_password: bool,
    /// The provider identities linked to them (at their first single sign-on).
    pub identities: Vec<SsoIdentityDto>,
}

impl From<SignInMethods> for SignInMethodsDto {
    fn from(m: SignInMethods) -> Self {
        SignInMethodsDto {
            password_login: m.password.enabled,
            has_password: m.password.has_password,
            identities: m
                .identities
                .into_iter()
                .map(|i| SsoIdentityDto {
                    issuer: i.issuer,
                    subject: i.subject,
                    email: i.email,
                    linked_at: i.created_at,
                    last_sign_in_at: i.last_login_at,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password_login": false}))]
pub struct SignInMethodsInput {
    /// `false`: the person signs in through single sign-on only; their
    /// password is dropped and the sessions it opened end. `true`: a
    /// password may be set again (`PATCH /employees/{id}`).
    pub password_login: bool,
}

/// How a person signs in (HR admins, or the person themselves).
#[utoipa::path(get, path = "/employees/{id}/sign-in", operation_id = "get_sign_in_methods", tag = "hr",
    params(("id" = i64, Path)),
    responses((status = 200, body = SignInMethodsDto), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn sign_in_methods(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SignInMethodsDto>> {
    let m = sso::sign_in_methods(state.db(), &ctx.caller(user.actor()), id).await?;
    Ok(Json(m.into()))
}

/// Allows or forbids a person to sign in with a password (HR admins;
/// audited as `employee.password_login`). Forbidding needs single sign-on
/// on the instance that answers (409 otherwise), and an HR admin may not
/// forbid their own (422).
#[utoipa::path(put, path = "/employees/{id}/sign-in", operation_id = "set_sign_in_methods", tag = "hr",
    params(("id" = i64, Path)), request_body = SignInMethodsInput,
    responses((status = 200, body = SignInMethodsDto), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_sign_in_methods(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SignInMethodsInput>,
) -> ApiResult<Json<SignInMethodsDto>> {
    let caller = ctx.caller(user.actor());
    let configured = state.sso().is_some();
    let m = sso::set_password_login(state.db(), &caller, id, body.password_login, configured, Utc::now()).await?;
    Ok(Json(m.into()))
}
