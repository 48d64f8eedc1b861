//! Leave in calendars over HTTP: a person's calendar feeds (create, list,
//! revoke under `/api/v1/me/calendar-feeds`), the feed itself at its secret
//! URL `/calendar/feeds/{secret}.ics` (no cookie: the secret is the
//! credential; outside `/api/v1`, described in docs/INTEGRATIONS.md), and
//! one request as an `.ics` file. What a feed holds is `lms_app::calendar`'s.

use super::dto::Page;
use crate::auth::{secret, CurrentUser};
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use lms_core::calendar_feed::FeedScope;
use lms_store::calendar_feeds::CalendarFeed;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The content type of an iCalendar file.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// The prefix of a feed's secret.
pub const SECRET_PREFIX: &str = "lms_cal_";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "My phone", "scope": "person"}))]
pub struct NewFeed {
    /// What the feed is for, e.g. `My phone` (1 to 100 characters).
    pub name: String,
    /// `person` (the default: one's own leave and one's holidays), `team`
    /// (managers: their direct reports' leave) or `company` (HR: everyone's).
    #[schema(schema_with = feed_scope)]
    pub scope: Option<String>,
}

fn feed_scope() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["person", "team", "company"]))
        .description(Some("What a feed shows."))
        .build()
}

#[derive(Serialize, ToSchema)]
pub struct FeedDto {
    pub id: i64,
    pub name: String,
    /// person, team or company.
    pub scope: String,
    pub created_at: DateTime<Utc>,
    /// When a calendar last fetched it (to the nearest ten minutes).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<CalendarFeed> for FeedDto {
    fn from(f: CalendarFeed) -> Self {
        FeedDto {
            id: f.id,
            name: f.name,
            scope: f.scope,
            created_at: f.created_at,
            last_used_at: f.last_used_at,
            revoked_at: f.revoked_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedFeed {
    #[serde(flatten)]
    pub info: FeedDto,
    /// The feed's address, shown only this once: subscribe to it in a
    /// calendar. Whoever holds it reads the feed; revoke it when it leaks.
    /// Add `?pending=1` to include pending requests (as tentative).
    pub url: String,
    /// The same address without scheme and host.
    pub path: String,
}

/// Creates a calendar feed; its secret address is returned once and only its hash is stored.
#[utoipa::path(post, path = "/me/calendar-feeds", operation_id = "create_calendar_feed", tag = "me", request_body = NewFeed,
    responses((status = 201, body = CreatedFeed), (status = 403, body = crate::error::ErrorBody),
              (status = 409, description = "`unavailable`: this instance runs on the schema of the release before feeds", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_feed(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewFeed>,
) -> ApiResult<(StatusCode, Json<CreatedFeed>)> {
    let scope = body.scope.as_deref().unwrap_or("person").parse::<FeedScope>()?;
    let secret = secret::generate(SECRET_PREFIX);
    let f = lms_app::calendar::create_feed(
        state.db(),
        &ctx.caller(user.actor()),
        &body.name,
        scope,
        &secret::hash(&secret),
        Utc::now(),
    )
    .await?;
    let url = feed_url(&ctx, &headers, &secret);
    Ok((StatusCode::CREATED, Json(CreatedFeed { info: f.into(), url, path: feed_path(&secret) })))
}

/// The absolute address of the feed with `secret`, as the client reached this server.
pub fn feed_url(ctx: &RequestContext, headers: &HeaderMap, secret: &str) -> String {
    let scheme = if ctx.https { "https" } else { "http" };
    format!("{scheme}://{}{}", host(headers).unwrap_or("localhost"), feed_path(secret))
}

/// The path of the feed with `secret`.
pub fn feed_path(secret: &str) -> String {
    format!("/calendar/feeds/{secret}.ics")
}

/// The caller's calendar feeds (without their addresses), revoked ones included.
#[utoipa::path(get, path = "/me/calendar-feeds", operation_id = "list_calendar_feeds", tag = "me",
    responses((status = 200, body = Page<FeedDto>)))]
pub async fn list_feeds(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Page<FeedDto>>> {
    let items = lms_app::calendar::feeds(state.db(), user.id()).await?.into_iter().map(Into::into).collect();
    Ok(Json(Page { items, next_cursor: None }))
}

/// Revokes one of the caller's calendar feeds: its address answers 404 from then on.
#[utoipa::path(delete, path = "/me/calendar-feeds/{id}", operation_id = "revoke_calendar_feed", tag = "me", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_feed(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    if !lms_app::calendar::revoke_feed(state.db(), &ctx.caller(user.actor()), id, Utc::now()).await? {
        return Err(ApiError::not_found(format!("calendar feed {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// An iCalendar file of one event.
#[derive(ToSchema)]
#[schema(value_type = String)]
pub struct IcsFile(pub String);

/// One request as an iCalendar (`.ics`) file, for whoever may see it: its
/// UID and SEQUENCE are those of the calendar feeds, so importing it and
/// subscribing agree.
#[utoipa::path(get, path = "/leave-requests/{id}/ics", operation_id = "leave_request_ics", tag = "leave requests",
    params(("id" = i64, Path)),
    responses((status = 200, description = "An iCalendar file (RFC 5545) with the request's all-day event",
               content((IcsFile = "text/calendar"))),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn request_ics(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let domain = domain(&state, &headers);
    let body = lms_app::calendar::request_file(state.db(), &user.actor(), id, &domain, &summary_words).await?;
    Ok(ics(body, &format!("leave-request-{id}.ics")))
}

#[derive(Deserialize)]
pub struct FeedQuery {
    /// `1` (or `true`): pending requests too, as tentative events.
    pub pending: Option<String>,
}

/// `GET /calendar/feeds/{secret}.ics`: the feed, or 404 for an unknown,
/// revoked or no longer allowed feed (or a deactivated holder) alike.
pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Response {
    let not_found = || {
        (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no such calendar feed\n")
            .into_response()
    };
    let Some(secret) = file.strip_suffix(".ics").filter(|s| s.starts_with(SECRET_PREFIX) && s.len() < 200) else {
        return not_found();
    };
    let pending = matches!(q.pending.as_deref(), Some("1" | "true" | "yes"));
    let domain = domain(&state, &headers);
    match lms_app::calendar::feed(state.db(), &secret::hash(secret), pending, &domain, &summary_words, Utc::now()).await
    {
        Ok(Some(body)) => {
            let mut res = ics(body, "lms.ics");
            // A feed is personal: no shared cache keeps it.
            res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, max-age=300"));
            res
        }
        Ok(None) => not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn ics(body: String, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, CONTENT_TYPE.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}

/// The request's host name, without a port.
fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(|h| !h.is_empty())
}

/// The domain in UIDs: the configured one, else the request's host name.
fn domain(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(d) = &state.config().calendar_domain {
        return d.clone();
    }
    let host = host(headers).unwrap_or("lms.invalid");
    // `name:port` or `[v6]:port`: the name before the port.
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    let clean: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-')).collect();
    if clean.is_empty() {
        "lms.invalid".into()
    } else {
        clean
    }
}

/// A calendar summary's words in the language a person chose (English when
/// none), from the message catalogue.
fn summary_words(language: Option<&str>) -> lms_core::calendar_feed::SummaryWords {
    let lang = language.and_then(crate::web::i18n::Lang::parse).unwrap_or_default();
    lms_core::calendar_feed::SummaryWords {
        leave: lang.t("feed-leave"),
        half_day: lang.t("feed-half-day"),
        first_day_half: lang.t("feed-first-day-half"),
        last_day_half: lang.t("feed-last-day-half"),
        both_halves: lang.t("feed-both-halves"),
        pending: lang.t("feed-pending"),
        rejected: lang.t("feed-rejected"),
        cancelled: lang.t("feed-cancelled"),
    }
}
