//! HR: people. List, create, update; deactivate (never delete) by setting
//! `active: false`, which also ends the person's sessions.

use super::dto::{EmployeeDto, Page};
use super::text::name;
use crate::auth::{password, CurrentUser};
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{NaiveDate, Utc};
use lms_core::{Email, Role};
use lms_store::employees::{self, EmployeeChanges, NewEmployee};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmployeeQuery {
    /// Include deactivated people.
    pub include_inactive: Option<bool>,
    /// Page size, 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Skip this many (the `next_cursor` of the previous page).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// People (HR admins).
#[utoipa::path(get, path = "/employees", operation_id = "list_employees", tag = "hr", params(EmployeeQuery),
    responses((status = 200, body = Page<EmployeeDto>, links(
            ("get_employee" = (operation_id = "get_employee", parameters(("id" = "$response.body#/items/0/id")))),
            ("update_employee" = (operation_id = "update_employee", parameters(("id" = "$response.body#/items/0/id"))))
        )),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<EmployeeQuery>,
) -> ApiResult<Json<Page<EmployeeDto>>> {
    user.require_hr()?;
    let limit = crate::extract::Paging { limit: q.limit, cursor: None }.limit()?;
    let offset = q.offset.unwrap_or(0).max(0);
    let mut c = state.db().acquire().await?;
    let items: Vec<EmployeeDto> = employees::list(&mut c.conn(), q.include_inactive.unwrap_or(false), limit, offset)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let next = if items.len() as i64 == limit { Some(offset + limit) } else { None };
    Ok(Json(Page { items, next_cursor: next }))
}

/// One person (HR admins, or the person themself).
#[utoipa::path(get, path = "/employees/{id}", operation_id = "get_employee", tag = "hr", params(("id" = i64, Path)),
    responses((status = 200, body = EmployeeDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<EmployeeDto>> {
    if id != user.id() {
        user.require_hr()?;
    }
    let mut c = state.db().acquire().await?;
    Ok(Json(employees::require(&mut c.conn(), id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "new.starter@demo.local", "name": "New Starter", "department": "Engineering",
    "manager_id": 2, "start_date": "2026-12-01", "role": "employee", "password": "change-me-soon"}))]
pub struct CreateEmployee {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub department: String,
    pub manager_id: Option<i64>,
    pub start_date: NaiveDate,
    #[schema(schema_with = super::schema::role)]
    pub role: String,
    /// Initial password (at least 8 characters); without one the person cannot log in yet.
    #[schema(min_length = 8)]
    pub password: Option<String>,
}

/// Creates a person (HR admins).
#[utoipa::path(post, path = "/employees", operation_id = "create_employee", tag = "hr", request_body = CreateEmployee,
    responses((status = 201, body = EmployeeDto, links(
            ("get_employee" = (operation_id = "get_employee", parameters(("id" = "$response.body#/id")))),
            ("update_employee" = (operation_id = "update_employee", parameters(("id" = "$response.body#/id"))))
        )),
              (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateEmployee>,
) -> ApiResult<(StatusCode, Json<EmployeeDto>)> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let new = NewEmployee {
        email: Email::parse(&body.email)?,
        name: name(&body.name, 200)?,
        department: super::text::bounded("department", &body.department, 200)?,
        manager_id: body.manager_id,
        start_date: body.start_date,
        role: body.role.parse()?,
        password_hash: password::hash_new(body.password).await?,
    };
    let e = lms_app::people::create(state.db(), lms_app::By::Caller(&caller), &new, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"department": "Finance", "manager_id": 2}))]
pub struct UpdateEmployee {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 200)]
    pub department: Option<String>,
    /// A manager id, or null to remove the manager.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub manager_id: Option<Option<i64>>,
    pub start_date: Option<NaiveDate>,
    #[schema(schema_with = super::schema::role)]
    pub role: Option<String>,
    /// false deactivates the person (and ends their sessions and API tokens).
    pub active: Option<bool>,
    /// A new password (at least 8 characters); ends the person's sessions and API tokens.
    #[schema(min_length = 8)]
    pub password: Option<String>,
}

/// Distinguishes an absent field from an explicit null.
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Updates a person (HR admins).
#[utoipa::path(patch, path = "/employees/{id}", operation_id = "update_employee", tag = "hr", params(("id" = i64, Path)), request_body = UpdateEmployee,
    responses((status = 200, body = EmployeeDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateEmployee>,
) -> ApiResult<Json<EmployeeDto>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let changes = EmployeeChanges {
        name: body.name.as_deref().map(|n| name(n, 200)).transpose()?,
        department: body.department.map(|d| super::text::bounded("department", &d, 200)).transpose()?,
        manager_id: body.manager_id,
        start_date: body.start_date,
        role: body.role.as_deref().map(str::parse::<Role>).transpose()?,
        active: body.active,
    };
    if body.password.is_some() {
        // A person who signs in through single sign-on only gets no password.
        lms_app::sso::require_password_login(state.db(), id).await?;
    }
    let password_hash = password::hash_new(body.password).await?;
    let after =
        lms_app::people::update(state.db(), &caller, id, &changes, password_hash.as_deref(), Utc::now()).await?;
    Ok(Json(after.into()))
}

/// One working schedule: from which day, and the minutes worked on each
/// weekday, Monday first (0: not a working day).
#[derive(serde::Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDto {
    pub valid_from: NaiveDate,
    /// Seven numbers, Monday to Sunday, each 0 to 1440; at least one above 0.
    #[schema(min_items = 7, max_items = 7)]
    pub minutes: Vec<u32>,
}

/// A person's working schedules, each valid until the next one starts; an
/// empty list means full time, Monday to Friday, 8 hours.
#[derive(serde::Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"schedules": [{"valid_from": "2026-01-01", "minutes": [480, 480, 480, 0, 0, 0, 0]}]}))]
pub struct SchedulesDto {
    #[schema(max_items = 100)]
    pub schedules: Vec<ScheduleDto>,
}

fn to_dto(stored: Vec<lms_store::schedules::StoredSchedule>) -> SchedulesDto {
    SchedulesDto {
        schedules: stored
            .into_iter()
            .map(|s| ScheduleDto { valid_from: s.valid_from, minutes: s.minutes.to_vec() })
            .collect(),
    }
}

/// A person's working schedules (HR admins, or the person themself); the
/// days a request counts follow them.
#[utoipa::path(get, path = "/employees/{id}/schedules", operation_id = "get_employee_schedules", tag = "hr", params(("id" = i64, Path)),
    responses((status = 200, body = SchedulesDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn schedules(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SchedulesDto>> {
    if id != user.id() {
        user.require_hr()?;
    }
    let mut c = state.db().acquire().await?;
    employees::require(&mut c.conn(), id).await?;
    Ok(Json(to_dto(lms_store::schedules::stored(&mut c.conn(), id).await?)))
}

/// Replaces a person's working schedules (HR admins).
#[utoipa::path(put, path = "/employees/{id}/schedules", operation_id = "set_employee_schedules", tag = "hr", params(("id" = i64, Path)), request_body = SchedulesDto,
    responses((status = 200, body = SchedulesDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_schedules(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SchedulesDto>,
) -> ApiResult<Json<SchedulesDto>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    if body.schedules.len() > 100 {
        return Err(crate::ApiError::unprocessable("invalid_schedule", "at most 100 schedules per person"));
    }
    let stored = body
        .schedules
        .iter()
        .map(|s| {
            let minutes: [u32; 7] = s.minutes.as_slice().try_into().map_err(|_| {
                crate::ApiError::unprocessable(
                    "invalid_schedule",
                    format!("a schedule has 7 numbers of minutes, Monday to Sunday; {} were given", s.minutes.len()),
                )
            })?;
            Ok(lms_store::schedules::StoredSchedule { valid_from: s.valid_from, minutes })
        })
        .collect::<Result<Vec<_>, crate::ApiError>>()?;
    let saved = lms_app::people::set_schedules(state.db(), &caller, id, &stored, Utc::now()).await?;
    Ok(Json(to_dto(saved)))
}
