//! HR: locations and their holiday calendars — create, rename, delete an
//! unused location; a location's holidays (one-off or every year) listed,
//! added, removed; a calendar file (iCalendar or CSV) imported by pasting
//! its text; and the location a person belongs to (from the person's
//! page). Each change is the use case the API calls. On an instance that
//! runs the schema before locations the page says they are not available.

use super::page::{done_banner, error_message, render_with, see_other, Chrome, PageError, PageForm, Viewer};
use crate::api::text;
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{FromRequest, Path, Query, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate, Utc};
use lms_core::calendar_file::CalendarFormat;
use lms_core::HolidayDate;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct LocationsQuery {
    location: Option<String>,
    #[serde(default)]
    year: String,
    done: Option<String>,
    added: Option<u32>,
    already: Option<u32>,
}

struct LocationRow {
    id: i64,
    name: String,
    people: i64,
}

struct EntryRow {
    id: i64,
    date: String,
    name: String,
    recurring: bool,
}

struct Selected {
    id: i64,
    name: String,
    entries: Vec<EntryRow>,
    year: i32,
    years: Vec<i32>,
    /// The year's holidays, one per date: (date, name).
    days: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "hr_locations.html")]
struct LocationsPage {
    c: Chrome,
    available: bool,
    locations: Vec<LocationRow>,
    selected: Option<Selected>,
    /// The pasted calendar of a refused import, to fix and send again.
    paste: String,
    done: Option<String>,
    error: Option<String>,
}

const DONE: &[&str] =
    &["location-created", "location-renamed", "location-deleted", "location-holiday-added", "location-holiday-removed"];

fn year_of(raw: &str) -> i32 {
    let now = Utc::now().year();
    raw.parse::<i32>().ok().filter(|y| (1970..=2200).contains(y)).unwrap_or(now)
}

async fn load(
    viewer: &Viewer,
    location: Option<i64>,
    year: i32,
    paste: String,
    done: Option<String>,
    error: Option<String>,
) -> Result<LocationsPage, ApiError> {
    let c = viewer.chrome("locations");
    let db = viewer.state.db();
    if !lms_app::locations::available(db) {
        return Ok(LocationsPage { c, available: false, locations: Vec::new(), selected: None, paste, done, error });
    }
    let lang = viewer.lang();
    let all = lms_app::locations::list(db).await?;
    let chosen = location.and_then(|id| all.iter().find(|l| l.id == id)).or(all.first()).cloned();
    let selected = match chosen {
        None => None,
        Some(l) => {
            let entries = lms_app::locations::holidays(db, l.id).await?;
            let named: Vec<(HolidayDate, String)> = entries.iter().map(|h| (h.when(), h.name.clone())).collect();
            let (from, to) = (
                NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
                NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
            );
            let days =
                lms_core::holiday::expand(&named, from, to).into_iter().map(|(d, n)| (lang.date(d), n)).collect();
            let now = Utc::now().year();
            Some(Selected {
                id: l.id,
                name: l.name,
                entries: entries
                    .into_iter()
                    .map(|h| EntryRow { id: h.id, date: lang.date(h.day), name: h.name, recurring: h.recurring })
                    .collect(),
                year,
                years: (now - 1..=now + 3).collect(),
                days,
            })
        }
    };
    Ok(LocationsPage {
        c,
        available: true,
        locations: all.into_iter().map(|l| LocationRow { id: l.id, name: l.name, people: l.people }).collect(),
        selected,
        paste,
        done,
        error,
    })
}

/// `GET /hr/locations`
pub async fn page(viewer: Viewer, Query(q): Query<LocationsQuery>) -> Response {
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    let lang = viewer.lang();
    let done = match (q.done.as_deref(), q.added, q.already) {
        (Some("imported"), Some(added), Some(already)) => Some(lang.t_with(
            "done-location-imported",
            &[("added", super::i18n::Arg::Count(added.into())), ("already", super::i18n::Arg::Count(already.into()))],
        )),
        (d, _, _) => done_banner(lang, d, DONE),
    };
    let location = q.location.as_deref().and_then(|l| l.parse().ok());
    viewer.respond(load(&viewer, location, year_of(&q.year), String::new(), done, None).await)
}

/// After a change: back to the page with its banner, or the page with what to fix.
async fn after(viewer: &Viewer, location: Option<i64>, outcome: Result<String, ApiError>, paste: String) -> Response {
    match outcome {
        Ok(to) => see_other(&to),
        Err(e) => {
            let status = if e.status.is_client_error() { e.status } else { StatusCode::INTERNAL_SERVER_ERROR };
            let message = error_message(viewer.lang(), &e);
            match load(viewer, location, Utc::now().year(), paste, None, Some(message)).await {
                Ok(p) => render_with(status, &p),
                Err(e) => viewer.error(e).into_response(),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    name: String,
}

/// `POST /hr/locations`
pub async fn create(viewer: Viewer, PageForm(f): PageForm<NameForm>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    let outcome = lms_app::locations::create(viewer.state.db(), &viewer.caller(), &f.name, Utc::now())
        .await
        .map(|l| format!("/hr/locations?location={}&done=location-created", l.id))
        .map_err(ApiError::from);
    after(&viewer, None, outcome, String::new()).await
}

/// `POST /hr/locations/{id}`: renames it.
pub async fn rename(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<NameForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = lms_app::locations::rename(viewer.state.db(), &viewer.caller(), id, &f.name, Utc::now())
        .await
        .map(|_| format!("/hr/locations?location={id}&done=location-renamed"))
        .map_err(ApiError::from);
    after(&viewer, Some(id), outcome, String::new()).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    token: String,
}

/// `POST /hr/locations/{id}/delete`
pub async fn delete(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<TokenForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = lms_app::locations::delete(viewer.state.db(), &viewer.caller(), id, Utc::now())
        .await
        .map(|_| "/hr/locations?done=location-deleted".to_string())
        .map_err(ApiError::from);
    after(&viewer, Some(id), outcome, String::new()).await
}

#[derive(Deserialize)]
pub struct HolidayForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    name: String,
    recurring: Option<String>,
}

/// `POST /hr/locations/{id}/holidays`
pub async fn add_holiday(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<HolidayForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let day = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::unprocessable("invalid_date", "the holiday needs a date"))?;
        let name = text::name(&f.name, lms_core::calendar_file::MAX_NAME_CHARS)?;
        let when = HolidayDate::new(day, f.recurring.is_some());
        lms_app::locations::add_holiday(viewer.state.db(), &viewer.caller(), id, when, &name, Utc::now()).await?;
        Ok(format!("/hr/locations?location={id}&year={}&done=location-holiday-added", day.year()))
    };
    after(&viewer, Some(id), outcome.await, String::new()).await
}

/// `POST /hr/locations/{id}/holidays/{holiday_id}/delete`
pub async fn remove_holiday(
    viewer: Viewer,
    Path((id, holiday)): Path<(String, String)>,
    PageForm(f): PageForm<TokenForm>,
) -> Response {
    let (id, holiday) = match viewer.hr_target(&f.token, &id).and_then(|id| Ok((id, viewer.path_id(&holiday)?))) {
        Ok(ids) => ids,
        Err(e) => return e.into_response(),
    };
    let outcome = lms_app::locations::delete_holiday(viewer.state.db(), &viewer.caller(), id, holiday, Utc::now())
        .await
        .map(|_| format!("/hr/locations?location={id}&done=location-holiday-removed"))
        .map_err(ApiError::from);
    after(&viewer, Some(id), outcome, String::new()).await
}

/// The import form: the form token and the pasted calendar. The calendar
/// is a whole file, so it is not held to the 2,000 characters of other
/// form fields (the request body limit, 64 KiB encoded, bounds it); it may
/// hold line breaks and tabs but no other control character.
pub struct ImportForm {
    token: String,
    calendar: String,
}

impl FromRequest<AppState> for ImportForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let lang = super::page::browser_lang(req.headers());
        let bad = |key: &str| PageError::new(lang, StatusCode::BAD_REQUEST, key).into_response();
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|_| bad("error-bad-form"))?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| bad("error-bad-form"))?;
        let (mut token, mut calendar) = (String::new(), String::new());
        for (k, v) in pairs {
            match k.as_str() {
                "_csrf" => token = v,
                "calendar" => calendar = v,
                _ => {}
            }
        }
        if let Some(c) = calendar.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
            let e = ApiError::unprocessable(
                "control_character",
                format!("`calendar` contains the control character U+{:04X}; remove it", u32::from(c)),
            );
            return Err(PageError::from_api(lang, e).into_response());
        }
        Ok(ImportForm { token, calendar })
    }
}

/// `POST /hr/locations/{id}/import`: the pasted iCalendar or CSV text.
pub async fn import(viewer: Viewer, Path(id): Path<String>, f: ImportForm) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let format = CalendarFormat::sniff(&f.calendar);
    let outcome = lms_app::locations::import(viewer.state.db(), &viewer.caller(), id, format, &f.calendar, Utc::now())
        .await
        .map(|r| {
            format!(
                "/hr/locations?location={id}&done=imported&added={}&already={}",
                r.added.len(),
                r.already_there.len()
            )
        })
        .map_err(ApiError::from);
    let paste = if outcome.is_err() { f.calendar } else { String::new() };
    after(&viewer, Some(id), outcome, paste).await
}

#[derive(Deserialize)]
pub struct PersonLocationForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    location_id: String,
}

/// `POST /hr/people/{id}/location`: the person's location, or none.
pub async fn set_person_location(
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<PersonLocationForm>,
) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let location = match f.location_id.trim() {
            "" => None,
            raw => Some(raw.parse::<i64>().map_err(|_| {
                ApiError::unprocessable("invalid_location", "choose a location from the list, or none")
            })?),
        };
        lms_app::locations::set_location_of(viewer.state.db(), &viewer.caller(), id, location, Utc::now()).await?;
        Ok::<(), ApiError>(())
    };
    match outcome.await {
        Ok(()) => see_other(&format!("/hr/people/{id}?done=location")),
        Err(e) => viewer.error(e).into_response(),
    }
}

/// The person page's location choice: the locations, the person's one
/// marked; `None` on an instance without locations.
pub async fn person_choice(viewer: &Viewer, id: i64) -> Result<Option<Vec<(i64, String, bool)>>, ApiError> {
    let db = viewer.state.db();
    if !lms_app::locations::available(db) {
        return Ok(None);
    }
    let current = lms_app::locations::location_of(db, id).await?.map(|l| l.id);
    let all = lms_app::locations::list(db).await?;
    Ok(Some(all.into_iter().map(|l| (l.id, l.name, Some(l.id) == current)).collect()))
}
