//! Company holidays: everyone may list them; HR admins manage them.

use super::dto::Page;
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Datelike, NaiveDate, Utc};
use lms_store::holidays::{self, Holiday};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct HolidayDto {
    pub id: i64,
    pub date: NaiveDate,
    pub name: String,
}

impl From<Holiday> for HolidayDto {
    fn from(h: Holiday) -> Self {
        HolidayDto { id: h.id, date: h.day, name: h.name }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HolidayQuery {
    /// The year to list; the current one by default.
    #[param(minimum = 1970, maximum = 2200)]
    pub year: Option<i32>,
}

/// Company holidays of a year.
#[utoipa::path(get, path = "/holidays", operation_id = "list_holidays", tag = "hr", params(HolidayQuery),
    responses((status = 200, body = Page<HolidayDto>, links(
            ("update_holiday" = (operation_id = "update_holiday", parameters(("id" = "$response.body#/items/0/id")))),
            ("delete_holiday" = (operation_id = "delete_holiday", parameters(("id" = "$response.body#/items/0/id"))))
        ))))]
pub async fn list(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiQuery(q): ApiQuery<HolidayQuery>,
) -> ApiResult<Json<Page<HolidayDto>>> {
    let year = super::me::check_year(q.year.unwrap_or_else(|| Utc::now().year()))?;
    let (from, to) = match (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) {
        (Some(f), Some(t)) => (f, t),
        _ => return Err(ApiError::bad_request("invalid_year", "invalid year")),
    };
    let mut c = state.db().acquire().await?;
    let items = holidays::list(&mut c.conn(), from, to).await?.into_iter().map(Into::into).collect();
    Ok(Json(Page { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-12-24", "name": "Christmas Eve"}))]
pub struct HolidayInput {
    pub date: NaiveDate,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// Adds a company holiday (HR admins). Existing requests keep their amounts.
#[utoipa::path(post, path = "/holidays", operation_id = "create_holiday", tag = "hr", request_body = HolidayInput,
    responses((status = 201, body = HolidayDto, links(
            ("update_holiday" = (operation_id = "update_holiday", parameters(("id" = "$response.body#/id")))),
            ("delete_holiday" = (operation_id = "delete_holiday", parameters(("id" = "$response.body#/id"))))
        )),
              (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<HolidayInput>,
) -> ApiResult<(StatusCode, Json<HolidayDto>)> {
    let h = lms_app::holidays::create(state.db(), &ctx.caller(user.actor()), body.date, &body.name, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(h.into())))
}

/// Changes a holiday's date or name (HR admins).
#[utoipa::path(put, path = "/holidays/{id}", operation_id = "update_holiday", tag = "hr", params(("id" = i64, Path)), request_body = HolidayInput,
    responses((status = 200, body = HolidayDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<HolidayInput>,
) -> ApiResult<Json<HolidayDto>> {
    let caller = ctx.caller(user.actor());
    let after = lms_app::holidays::update(state.db(), &caller, id, body.date, &body.name, Utc::now()).await?;
    Ok(Json(after.into()))
}

/// Removes a holiday (HR admins).
#[utoipa::path(delete, path = "/holidays/{id}", operation_id = "delete_holiday", tag = "hr", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    lms_app::holidays::delete(state.db(), &ctx.caller(user.actor()), id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
