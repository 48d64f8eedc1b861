//! Leave types: everyone may list them and read their request rules; HR
//! admins create and update them and set their rules.

use super::dto::Page;
use super::text::name;
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use lms_core::{Colour, LeaveAmount, LeaveTypeCode, LeaveUnit};
use lms_store::leave_types::{self, LeaveType, LeaveTypeChanges, NewLeaveType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct LeaveTypeDto {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub deducts_balance: bool,
    pub requires_approval: bool,
    pub colour: String,
    /// `days` or `hours`: what the type is measured in. Every amount of the
    /// type (requests, allowances, balances, policies) is in it.
    #[schema(example = "days")]
    pub unit: String,
    /// Granted per year by default, in `unit`.
    pub default_allowance: Option<f64>,
    pub active: bool,
}

impl LeaveTypeDto {
    fn new(t: LeaveType, unit: LeaveUnit) -> Self {
        LeaveTypeDto {
            id: t.id,
            code: t.code,
            name: t.name,
            deducts_balance: t.deducts_balance,
            requires_approval: t.requires_approval,
            colour: t.colour,
            unit: unit.as_str().to_string(),
            default_allowance: t.default_allowance.map(|a| super::dto::amount(unit, a)),
            active: t.active,
        }
    }
}

/// A unit as the API names it (`days` or `hours`).
fn parse_unit(raw: Option<&str>) -> Result<Option<LeaveUnit>, ApiError> {
    Ok(raw.map(str::parse).transpose()?)
}

/// Leave types.
#[utoipa::path(get, path = "/leave-types", operation_id = "list_leave_types", tag = "hr",
    responses((status = 200, body = Page<LeaveTypeDto>, links(
            ("update_leave_type" = (operation_id = "update_leave_type", parameters(("id" = "$response.body#/items/0/id"))))
        ))))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Page<LeaveTypeDto>>> {
    let mut c = state.db().acquire().await?;
    let types = leave_types::list(&mut c.conn(), user.actor().is_hr()).await?;
    drop(c);
    let units = lms_app::leave_types::type_units(state.db()).await?;
    let items = types
        .into_iter()
        .map(|t| {
            let unit = units.of(&t.code);
            LeaveTypeDto::new(t, unit)
        })
        .collect();
    Ok(Json(Page { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "study", "name": "Study leave", "deducts_balance": false, "colour": "#7b61ff"}))]
pub struct CreateLeaveType {
    /// Lower-case letters, digits, `-` and `_`.
    #[schema(pattern = "^[a-z0-9_-]{1,32}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub deducts_balance: bool,
    #[serde(default = "yes")]
    pub requires_approval: bool,
    /// `#rrggbb`; `#4a90d9` by default.
    #[schema(pattern = "^#[0-9a-fA-F]{6}$")]
    pub colour: Option<String>,
    /// Granted per year by default, in `unit` (days: at most three
    /// decimals, 0–366; hours: a whole number of minutes, 0–8784).
    #[schema(minimum = 0, maximum = 8784)]
    pub default_allowance: Option<f64>,
    /// `days` (the default) or `hours`: what the type is measured in. It
    /// can change later only while nothing was allocated, requested or
    /// given a policy in the type. An instance on the release before's
    /// schema refuses `hours` (409 `not_available`).
    #[schema(example = "days")]
    pub unit: Option<String>,
}

fn yes() -> bool {
    true
}

fn allowance(unit: LeaveUnit, value: Option<f64>) -> Result<Option<i64>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    let (max, what) = match unit {
        LeaveUnit::Days => (366.0, "366 days"),
        LeaveUnit::Hours => (8784.0, "8784 hours"),
    };
    if !(0.0..=max).contains(&v) {
        return Err(ApiError::unprocessable(
            "invalid_amount",
            format!("default_allowance must be between 0 and {what}"),
        ));
    }
    Ok(Some(lms_core::Quantity::parse(unit, v)?.raw()))
}

/// Creates a leave type (HR admins).
#[utoipa::path(post, path = "/leave-types", operation_id = "create_leave_type", tag = "hr", request_body = CreateLeaveType,
    responses((status = 201, body = LeaveTypeDto, links(
            ("update_leave_type" = (operation_id = "update_leave_type", parameters(("id" = "$response.body#/id"))))
        )),
              (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateLeaveType>,
) -> ApiResult<(StatusCode, Json<LeaveTypeDto>)> {
    // Who may is checked before the input is read (and again by the use case).
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let code = LeaveTypeCode::parse(&body.code)?;
    let colour = Colour::parse(body.colour.as_deref().unwrap_or("#4a90d9"))?;
    let unit = parse_unit(body.unit.as_deref())?.unwrap_or_default();
    let new = NewLeaveType {
        code: code.as_str().to_string(),
        name: name(&body.name, 100)?,
        deducts_balance: body.deducts_balance,
        requires_approval: body.requires_approval,
        colour: colour.as_str().to_string(),
        default_allowance: allowance(unit, body.default_allowance)?,
    };
    let t = lms_app::leave_types::create(state.db(), &caller, &new, unit, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(LeaveTypeDto::new(t, unit))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Annual leave", "colour": "#2e7d32"}))]
pub struct UpdateLeaveType {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub deducts_balance: Option<bool>,
    pub requires_approval: Option<bool>,
    #[schema(pattern = "^#[0-9a-fA-F]{6}$")]
    pub colour: Option<String>,
    /// In the type's unit (the new one, when `unit` changes it).
    #[schema(minimum = 0, maximum = 8784)]
    pub default_allowance: Option<f64>,
    /// false retires the type: no new requests, history kept.
    pub active: Option<bool>,
    /// `days` or `hours`. Changes only while nothing was allocated,
    /// requested or given a policy in the type (409 `unit_in_use`); a
    /// change clears the default allowance and the negative-balance limit
    /// (numbers of the old unit) unless given again. An instance on the
    /// release before's schema refuses `hours` (409 `not_available`).
    #[schema(example = "hours")]
    pub unit: Option<String>,
}

/// Updates a leave type (HR admins).
#[utoipa::path(patch, path = "/leave-types/{id}", operation_id = "update_leave_type", tag = "hr", params(("id" = i64, Path)), request_body = UpdateLeaveType,
    responses((status = 200, body = LeaveTypeDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "the unit cannot change: the type has allowances, requests or policies, or this instance has no units", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateLeaveType>,
) -> ApiResult<Json<LeaveTypeDto>> {
    // Who may is checked before the input is read (and again by the use case).
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let asked = parse_unit(body.unit.as_deref())?;
    let unit = match asked {
        Some(u) => u,
        None => {
            let mut c = state.db().acquire().await?;
            lms_app::leave_types::unit_of(state.db(), &mut c.conn(), id).await?
        }
    };
    let changes = LeaveTypeChanges {
        name: body.name.as_deref().map(|n| name(n, 100)).transpose()?,
        deducts_balance: body.deducts_balance,
        requires_approval: body.requires_approval,
        colour: body.colour.as_deref().map(Colour::parse).transpose()?.map(|c| c.as_str().to_string()),
        default_allowance: body.default_allowance.map(|d| allowance(unit, Some(d))).transpose()?,
        active: body.active,
    };
    let after = lms_app::leave_types::update(state.db(), &caller, id, &changes, asked, Utc::now()).await?;
    let mut c = state.db().acquire().await?;
    let unit = lms_app::leave_types::unit_of(state.db(), &mut c.conn(), id).await?;
    Ok(Json(LeaveTypeDto::new(after, unit)))
}

/// A leave type's request rules.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"max_consecutive_days": 10, "min_notice_days": 14, "negative_limit_days": 2.5, "document_required": false}))]
pub struct LeaveTypeRulesDto {
    /// The most calendar days one request may cover (1–366); null: no limit.
    #[schema(minimum = 1, maximum = 366)]
    pub max_consecutive_days: Option<u32>,
    /// The least notice, in days between today and the first day (0–366); null: none.
    #[schema(minimum = 0, maximum = 366)]
    pub min_notice_days: Option<u32>,
    /// How far below zero the balance may go, in days (0–366), for a type
    /// measured in days (absent for one in hours).
    #[schema(minimum = 0, maximum = 366)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_limit_days: Option<f64>,
    /// How far below zero the balance may go, in hours (a whole number of
    /// minutes), for a type measured in hours (absent for one in days).
    #[schema(minimum = 0, maximum = 6100)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_limit_hours: Option<f64>,
    /// A supporting document is expected (a flag shown to the person and
    /// their approver; no file is kept).
    #[serde(default)]
    pub document_required: bool,
}

impl LeaveTypeRulesDto {
    fn new(r: lms_core::TypeRules, unit: LeaveUnit) -> Self {
        let limit = r.negative_limit().millidays();
        LeaveTypeRulesDto {
            max_consecutive_days: r.max_consecutive_days(),
            min_notice_days: r.min_notice_days(),
            negative_limit_days: super::dto::amount_in(LeaveUnit::Days, unit, limit),
            negative_limit_hours: super::dto::amount_in(LeaveUnit::Hours, unit, limit),
            document_required: r.document_required(),
        }
    }
}

/// A leave type's request rules (anyone signed in: they decide whether a
/// request is accepted).
#[utoipa::path(get, path = "/leave-types/{id}/rules", operation_id = "get_leave_type_rules", tag = "hr", params(("id" = i64, Path)),
    responses((status = 200, body = LeaveTypeRulesDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn rules(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<LeaveTypeRulesDto>> {
    let mut c = state.db().acquire().await?;
    leave_types::get(&mut c.conn(), id).await?.ok_or_else(|| ApiError::not_found(format!("leave type {id}")))?;
    let unit = lms_app::leave_types::unit_of(state.db(), &mut c.conn(), id).await?;
    Ok(Json(LeaveTypeRulesDto::new(leave_types::rules(&mut c.conn(), id).await?, unit)))
}

/// Sets a leave type's request rules, replacing the ones before (HR admins).
#[utoipa::path(put, path = "/leave-types/{id}/rules", operation_id = "set_leave_type_rules", tag = "hr", params(("id" = i64, Path)), request_body = LeaveTypeRulesDto,
    responses((status = 200, body = LeaveTypeRulesDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_rules(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LeaveTypeRulesDto>,
) -> ApiResult<Json<LeaveTypeRulesDto>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let unit = {
        let mut c = state.db().acquire().await?;
        leave_types::get(&mut c.conn(), id).await?.ok_or_else(|| ApiError::not_found(format!("leave type {id}")))?;
        lms_app::leave_types::unit_of(state.db(), &mut c.conn(), id).await?
    };
    let limit = match (unit, body.negative_limit_days, body.negative_limit_hours) {
        (_, Some(_), Some(_)) => {
            return Err(ApiError::unprocessable(
                "invalid_rule",
                "give negative_limit_days or negative_limit_hours, not both",
            ))
        }
        (LeaveUnit::Days, Some(d), None) if !(0.0..=366.0).contains(&d) => {
            return Err(ApiError::unprocessable("invalid_rule", "negative_limit_days must be between 0 and 366"))
        }
        (LeaveUnit::Hours, None, Some(h)) if !(0.0..=6100.0).contains(&h) => {
            return Err(ApiError::unprocessable("invalid_rule", "negative_limit_hours must be between 0 and 6100"))
        }
        (LeaveUnit::Days, Some(v), None) | (LeaveUnit::Hours, None, Some(v)) => {
            LeaveAmount::from_millidays(lms_core::Quantity::parse(unit, v)?.raw())
        }
        (_, None, None) => LeaveAmount::ZERO,
        (_, Some(v), None) | (_, None, Some(v)) if v == 0.0 => LeaveAmount::ZERO,
        (u, _, _) => {
            let u = u.as_str();
            let why = format!("leave type {id} is measured in {u}: send negative_limit_{u}");
            return Err(ApiError::unprocessable("wrong_unit", why));
        }
    };
    let rules =
        lms_core::TypeRules::new(body.max_consecutive_days, body.min_notice_days, limit, body.document_required)?;
    let saved = lms_app::leave_types::set_rules(state.db(), &caller, id, &rules, Utc::now()).await?;
    Ok(Json(LeaveTypeRulesDto::new(saved, unit)))
}
