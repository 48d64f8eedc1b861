//! Approval chains and delegation over JSON: a leave type's chain (anyone
//! reads it, HR sets it), a request's stages with each decision, and
//! managers' deputies (a manager names their own, HR anyone's). What each
//! step does is `lms_app::approval`'s; these handlers parse and shape.

use super::dto::{Page, RequestDto};
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::approval::Chain;
use lms_core::DateRange;
use lms_store::approvals::{Delegation, Stage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A leave type's approval chain.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"chain": "two", "approvers": ["role:manager", "hr"]}))]
pub struct ChainDto {
    /// `none` (approved on submission), `manager`, `manager_then_hr`, or
    /// `two` (the two `approvers`, in order).
    #[schema(pattern = "^(none|manager|manager_then_hr|two)$")]
    pub chain: String,
    /// The stages in order, each `manager` (the requester's manager; HR for
    /// someone without one and for a manager's own leave), `hr` (any HR
    /// admin) or `role:manager` (anyone with the manager role). Required
    /// for `two`; implied (and shown) for the others.
    #[serde(default)]
    pub approvers: Vec<String>,
}

impl From<Chain> for ChainDto {
    fn from(c: Chain) -> Self {
        ChainDto {
            chain: c.kind().to_string(),
            approvers: c.stages().into_iter().map(|a| a.as_str().to_string()).collect(),
        }
    }
}

/// A leave type's approval chain (anyone signed in).
#[utoipa::path(get, path = "/leave-types/{id}/approval-chain", operation_id = "get_approval_chain", tag = "hr",
    params(("id" = i64, Path)),
    responses((status = 200, body = ChainDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn chain(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ChainDto>> {
    Ok(Json(lms_app::approval::chain(state.db(), id).await?.into()))
}

/// Sets a leave type's approval chain (HR admins); its `requires_approval`
/// follows (false for `none`). Requests already submitted keep their stages.
#[utoipa::path(put, path = "/leave-types/{id}/approval-chain", operation_id = "set_approval_chain", tag = "hr",
    params(("id" = i64, Path)), request_body = ChainDto,
    responses((status = 200, body = ChainDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_chain(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ChainDto>,
) -> ApiResult<Json<ChainDto>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let approvers: Vec<&str> = body.approvers.iter().map(String::as_str).collect();
    let chain = Chain::parse(&body.chain, &approvers)?;
    let saved = lms_app::approval::set_chain(state.db(), &caller, id, &chain, Utc::now()).await?;
    Ok(Json(saved.into()))
}

/// One stage of a request's approval.
#[derive(Serialize, ToSchema)]
pub struct StageDto {
    /// 0: the request; 1, 2, …: a cancellation asked after the leave started.
    pub round: i32,
    /// The place in the chain, from 1.
    pub position: i32,
    /// `manager`, `hr` or `role:manager`.
    pub approver: String,
    /// Who asked (the employee; for a cancellation, who asked for it).
    pub asked_by: Option<i64>,
    pub asked_at: DateTime<Utc>,
    /// `approved` or `rejected`; null while the stage waits.
    pub decision: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    /// The manager a deputy decided for.
    pub on_behalf_of: Option<i64>,
    pub on_behalf_of_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
}

impl From<Stage> for StageDto {
    fn from(s: Stage) -> Self {
        StageDto {
            round: s.round,
            position: s.position,
            approver: s.approver,
            asked_by: s.asked_by,
            asked_at: s.asked_at,
            decision: s.decision,
            decided_by: s.decided_by,
            decided_by_name: s.decided_by_name,
            on_behalf_of: s.on_behalf_of,
            on_behalf_of_name: s.on_behalf_of_name,
            decided_at: s.decided_at,
            comment: s.comment,
        }
    }
}

/// A request with the stages of its approval.
#[derive(Serialize, ToSchema)]
pub struct RequestStagesDto {
    pub request: RequestDto,
    /// Every stage of every round, in order; empty for a request decided in
    /// one step (submitted before chains, or by an instance without them).
    pub stages: Vec<StageDto>,
    /// The stage that waits, if any (`round`, `position`).
    pub waiting: Option<StageRef>,
    /// A cancellation of this approved leave waits for approval.
    pub cancellation_pending: bool,
}

#[derive(Serialize, ToSchema)]
pub struct StageRef {
    pub round: i32,
    pub position: i32,
    pub approver: String,
}

/// A request's approval stages (the owner, their manager, a deputy of the
/// manager, or HR).
#[utoipa::path(get, path = "/leave-requests/{id}/stages", operation_id = "get_request_stages", tag = "leave requests",
    params(("id" = i64, Path)),
    responses((status = 200, body = RequestStagesDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn stages(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RequestStagesDto>> {
    let s = lms_app::approval::request_with_stages(state.db(), &ctx.caller(user.actor()), id).await?;
    let waiting = s.waiting().map(|w| StageRef { round: w.round, position: w.position, approver: w.approver.clone() });
    let cancellation_pending = waiting.as_ref().is_some_and(|w| w.round > 0);
    let unit = lms_app::leave_types::type_units(state.db()).await?.of(&s.request.leave_type);
    Ok(Json(RequestStagesDto {
        request: RequestDto::new(s.request, unit),
        stages: s.stages.into_iter().map(Into::into).collect(),
        waiting,
        cancellation_pending,
    }))
}

/// A manager's deputy for dates.
#[derive(Serialize, ToSchema)]
pub struct DelegationDto {
    pub id: i64,
    pub manager_id: i64,
    pub manager_name: String,
    pub deputy_id: i64,
    pub deputy_name: String,
    /// The first and last day the deputy decides (both included).
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<Delegation> for DelegationDto {
    fn from(d: Delegation) -> Self {
        DelegationDto {
            id: d.id,
            manager_id: d.manager_id,
            manager_name: d.manager_name,
            deputy_id: d.deputy_id,
            deputy_name: d.deputy_name,
            start_date: d.start_date,
            end_date: d.end_date,
            created_by: d.created_by,
            created_at: d.created_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DelegationQuery {
    /// Everyone's (HR admins); otherwise the caller's, as manager or deputy.
    pub all: Option<bool>,
}

/// Delegations that have not ended: the caller's (as manager or deputy),
/// or with `all=true` everyone's (HR admins).
#[utoipa::path(get, path = "/delegations", operation_id = "list_delegations", tag = "leave requests", params(DelegationQuery),
    responses((status = 200, body = Page<DelegationDto>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_delegations(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<DelegationQuery>,
) -> ApiResult<Json<Page<DelegationDto>>> {
    let caller = ctx.caller(user.actor());
    let items =
        lms_app::approval::delegations(state.db(), &caller, q.all.unwrap_or(false), Utc::now().date_naive()).await?;
    Ok(Json(Page { items: items.into_iter().map(Into::into).collect(), next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"deputy_id": 6, "start_date": "2026-12-01", "end_date": "2026-12-12"}))]
pub struct NewDelegationDto {
    /// The manager who is away: the caller by default (HR admins may name anyone's deputy).
    pub manager_id: Option<i64>,
    /// Another active manager or HR admin.
    pub deputy_id: i64,
    /// The first day the deputy decides.
    pub start_date: NaiveDate,
    /// The last day (at most a year after the first, not in the past).
    pub end_date: NaiveDate,
}

/// Names a deputy for dates: on those days they decide the manager's
/// stages, recorded "on behalf of" the manager. The manager keeps deciding.
#[utoipa::path(post, path = "/delegations", operation_id = "create_delegation", tag = "leave requests", request_body = NewDelegationDto,
    responses((status = 201, body = DelegationDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_delegation(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewDelegationDto>,
) -> ApiResult<(StatusCode, Json<DelegationDto>)> {
    let caller = ctx.caller(user.actor());
    let manager = body.manager_id.unwrap_or(caller.actor.id);
    let dates = DateRange::new(body.start_date, body.end_date)?;
    let d = lms_app::approval::name_deputy(state.db(), &caller, manager, body.deputy_id, dates, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Ends a delegation (its manager or an HR admin).
#[utoipa::path(delete, path = "/delegations/{id}", operation_id = "delete_delegation", tag = "leave requests",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_delegation(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    lms_app::approval::remove_deputy(state.db(), &ctx.caller(user.actor()), id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
