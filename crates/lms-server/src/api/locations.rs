//! Locations and their holiday calendars: anyone signed in reads them; HR
//! admins create, rename and delete locations, add, change and remove
//! their holidays, import calendar files (`text/calendar` or `text/csv`
//! bodies, up to the server's 64 KiB body limit), and put people in
//! locations. A person's location decides which holidays their requests
//! skip (docs/LEAVE-RULES.md, "Holiday calendars per location").

use super::dto::Page;
use crate::auth::CurrentUser;
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::{Datelike, NaiveDate, Utc};
use lms_core::calendar_file::CalendarFormat;
use lms_core::HolidayDate;
use lms_store::locations::{Location, LocationHoliday};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct LocationDto {
    pub id: i64,
    pub name: String,
    /// People who belong to it (a location with people cannot be deleted).
    pub people: i64,
}

impl From<Location> for LocationDto {
    fn from(l: Location) -> Self {
        LocationDto { id: l.id, name: l.name, people: l.people }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Munich"}))]
pub struct LocationInput {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// Every location, by name.
#[utoipa::path(get, path = "/locations", operation_id = "list_locations", tag = "hr",
    responses((status = 200, body = Page<LocationDto>, links(
        ("get_location" = (operation_id = "get_location", parameters(("id" = "$response.body#/items/0/id"))))
    ))))]
pub async fn list(State(state): State<AppState>, _user: CurrentUser) -> ApiResult<Json<Page<LocationDto>>> {
    let items = lms_app::locations::list(state.db()).await?.into_iter().map(Into::into).collect();
    Ok(Json(Page { items, next_cursor: None }))
}

/// One location.
#[utoipa::path(get, path = "/locations/{id}", operation_id = "get_location", tag = "hr", params(("id" = i64, Path)),
    responses((status = 200, body = LocationDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<LocationDto>> {
    Ok(Json(lms_app::locations::get(state.db(), id).await?.into()))
}

/// Creates a location with an empty holiday calendar (HR admins).
#[utoipa::path(post, path = "/locations", operation_id = "create_location", tag = "hr", request_body = LocationInput,
    responses((status = 201, body = LocationDto, links(
            ("list_location_holidays" = (operation_id = "list_location_holidays", parameters(("id" = "$response.body#/id")))),
            ("import_location_holidays" = (operation_id = "import_location_holidays", parameters(("id" = "$response.body#/id"))))
        )),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiJson(body): ApiJson<LocationInput>,
) -> ApiResult<(StatusCode, Json<LocationDto>)> {
    let l = lms_app::locations::create(state.db(), &ctx.caller(user.actor()), &body.name, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(l.into())))
}

/// Renames a location (HR admins).
#[utoipa::path(put, path = "/locations/{id}", operation_id = "update_location", tag = "hr", params(("id" = i64, Path)),
    request_body = LocationInput,
    responses((status = 200, body = LocationDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LocationInput>,
) -> ApiResult<Json<LocationDto>> {
    let l = lms_app::locations::rename(state.db(), &ctx.caller(user.actor()), id, &body.name, Utc::now()).await?;
    Ok(Json(l.into()))
}

/// Deletes a location nobody belongs to, with its holidays (HR admins);
/// 409 `location_in_use` while people belong to it.
#[utoipa::path(delete, path = "/locations/{id}", operation_id = "delete_location", tag = "hr", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    lms_app::locations::delete(state.db(), &ctx.caller(user.actor()), id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A holiday of a location as entered.
#[derive(Serialize, ToSchema)]
pub struct LocationHolidayDto {
    pub id: i64,
    pub location_id: i64,
    /// The date; for a recurring holiday the first year's.
    pub date: NaiveDate,
    pub name: String,
    /// Every year on the same month and day from `date`'s year (29 February: leap years only).
    pub recurring: bool,
}

impl From<LocationHoliday> for LocationHolidayDto {
    fn from(h: LocationHoliday) -> Self {
        LocationHolidayDto { id: h.id, location_id: h.location_id, date: h.day, name: h.name, recurring: h.recurring }
    }
}

/// One day off in a year's calendar.
#[derive(Serialize, ToSchema)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub name: String,
}

/// A location's holidays as entered, and the days they make holidays in a year.
#[derive(Serialize, ToSchema)]
pub struct LocationHolidaysDto {
    pub items: Vec<LocationHolidayDto>,
    pub year: i32,
    /// The year's holidays, one per date (a recurring holiday in each of its years).
    pub days: Vec<CalendarDay>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The year whose days to list; the current one by default.
    #[param(minimum = 1970, maximum = 2200)]
    pub year: Option<i32>,
}

/// A location's holidays (anyone signed in): as entered, and the days of a year.
#[utoipa::path(get, path = "/locations/{id}/holidays", operation_id = "list_location_holidays", tag = "hr",
    params(("id" = i64, Path), YearQuery),
    responses((status = 200, body = LocationHolidaysDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn holidays(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<LocationHolidaysDto>> {
    let year = super::me::check_year(q.year.unwrap_or_else(|| Utc::now().year()))?;
    let (from, to) = match (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) {
        (Some(f), Some(t)) => (f, t),
        _ => return Err(ApiError::bad_request("invalid_year", "invalid year")),
    };
    let entries = lms_app::locations::holidays(state.db(), id).await?;
    let named: Vec<(HolidayDate, String)> = entries.iter().map(|h| (h.when(), h.name.clone())).collect();
    let days = lms_core::holiday::expand(&named, from, to)
        .into_iter()
        .map(|(date, name)| CalendarDay { date, name })
        .collect();
    Ok(Json(LocationHolidaysDto { items: entries.into_iter().map(Into::into).collect(), year, days }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-12-25", "name": "Christmas Day", "recurring": true}))]
pub struct LocationHolidayInput {
    /// The date; for a recurring holiday the first year's.
    pub date: NaiveDate,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Every year on this month and day from `date`'s year (default: once).
    #[serde(default)]
    pub recurring: bool,
}

/// Adds a holiday to a location (HR admins); 409 `holiday_exists` when its
/// days are holidays of the location already. Existing requests keep their amounts.
#[utoipa::path(post, path = "/locations/{id}/holidays", operation_id = "create_location_holiday", tag = "hr",
    params(("id" = i64, Path)), request_body = LocationHolidayInput,
    responses((status = 201, body = LocationHolidayDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_holiday(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LocationHolidayInput>,
) -> ApiResult<(StatusCode, Json<LocationHolidayDto>)> {
    let when = HolidayDate::new(body.date, body.recurring);
    let caller = ctx.caller(user.actor());
    let h = lms_app::locations::add_holiday(state.db(), &caller, id, when, &body.name, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(h.into())))
}

/// Changes a location's holiday: date, name, recurrence (HR admins).
#[utoipa::path(put, path = "/locations/{id}/holidays/{holiday_id}", operation_id = "update_location_holiday", tag = "hr",
    params(("id" = i64, Path), ("holiday_id" = i64, Path)), request_body = LocationHolidayInput,
    responses((status = 200, body = LocationHolidayDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_holiday(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath((id, holiday_id)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<LocationHolidayInput>,
) -> ApiResult<Json<LocationHolidayDto>> {
    let when = HolidayDate::new(body.date, body.recurring);
    let caller = ctx.caller(user.actor());
    let h =
        lms_app::locations::update_holiday(state.db(), &caller, id, holiday_id, when, &body.name, Utc::now()).await?;
    Ok(Json(h.into()))
}

/// Removes a location's holiday (HR admins).
#[utoipa::path(delete, path = "/locations/{id}/holidays/{holiday_id}", operation_id = "delete_location_holiday", tag = "hr",
    params(("id" = i64, Path), ("holiday_id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_holiday(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath((id, holiday_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    lms_app::locations::delete_holiday(state.db(), &ctx.caller(user.actor()), id, holiday_id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A holiday a file brought that the location had already.
#[derive(Serialize, ToSchema)]
pub struct AlreadyThereDto {
    pub date: NaiveDate,
    pub name: String,
    pub recurring: bool,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct ImportDto {
    /// How many holidays were added.
    pub added: usize,
    pub added_holidays: Vec<LocationHolidayDto>,
    /// Holidays of the file whose days were holidays of the location already (not added again).
    pub already_there: Vec<AlreadyThereDto>,
}

/// Imports a calendar file into a location (HR admins): the body is the
/// file, sent as `Content-Type: text/calendar` (iCalendar, RFC 5545:
/// whole-day VEVENTs, multi-day through DTEND, `RRULE:FREQ=YEARLY` for a
/// recurring holiday) or `text/csv` (header `date,name[,recurring]`), UTF-8,
/// at most 64 KiB. All or nothing: a file with anything not understood is
/// refused 422 `invalid_calendar_file`, naming the line, and nothing is
/// written. Holidays the location has already are reported, not added again.
#[utoipa::path(post, path = "/locations/{id}/holidays/import", operation_id = "import_location_holidays", tag = "hr",
    params(("id" = i64, Path)),
    request_body(description = "The calendar file", content(
        (String = "text/calendar", example = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Christmas Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"),
        (String = "text/csv", example = "date,name,recurring\n2026-12-25,Christmas Day,yes\n2026-10-03,Unity Day,no\n"))),
    responses((status = 200, body = ImportDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ImportDto>> {
    let caller = ctx.caller(user.actor());
    caller.require_hr()?;
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let format = CalendarFormat::from_media_type(media).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as Content-Type: text/calendar (iCalendar) or text/csv",
        )
    })?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::unprocessable("invalid_calendar_file", format!("the file is not UTF-8 text: {e}")))?;
    if let Some(c) = text.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(ApiError::unprocessable(
            "control_character",
            format!("the file contains the control character U+{:04X}; remove it", u32::from(c)),
        ));
    }
    let imported = lms_app::locations::import(state.db(), &caller, id, format, text, Utc::now()).await?;
    Ok(Json(ImportDto {
        added: imported.added.len(),
        added_holidays: imported.added.into_iter().map(Into::into).collect(),
        already_there: imported
            .already_there
            .into_iter()
            .map(|(when, name)| AlreadyThereDto { date: when.first(), name, recurring: when.is_recurring() })
            .collect(),
    }))
}

/// The location a person belongs to; `null`: none (the company-wide calendar).
#[derive(Serialize, ToSchema)]
pub struct PersonLocationDto {
    pub location: Option<LocationDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"location_id": 1}))]
pub struct PersonLocationInput {
    /// The location; `null` for none (the company-wide calendar).
    pub location_id: Option<i64>,
}

/// The location a person belongs to (HR admins, or the person themself).
#[utoipa::path(get, path = "/employees/{id}/location", operation_id = "get_employee_location", tag = "hr",
    params(("id" = i64, Path)),
    responses((status = 200, body = PersonLocationDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn person_location(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PersonLocationDto>> {
    if id != user.id() {
        user.require_hr()?;
    }
    let location = lms_app::locations::location_of(state.db(), id).await?;
    Ok(Json(PersonLocationDto { location: location.map(Into::into) }))
}

/// Puts a person in a location, or in none (HR admins): from then on their
/// quotes and new requests skip that location's holidays. Requests
/// already made keep their amounts.
#[utoipa::path(put, path = "/employees/{id}/location", operation_id = "set_employee_location", tag = "hr",
    params(("id" = i64, Path)), request_body = PersonLocationInput,
    responses((status = 200, body = PersonLocationDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_person_location(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PersonLocationInput>,
) -> ApiResult<Json<PersonLocationDto>> {
    let caller = ctx.caller(user.actor());
    let location = lms_app::locations::set_location_of(state.db(), &caller, id, body.location_id, Utc::now()).await?;
    Ok(Json(PersonLocationDto { location: location.map(Into::into) }))
}
