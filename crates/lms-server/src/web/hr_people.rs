//! HR: people — the directory (search, department, inactive too), creating
//! a person, editing one (name, department, manager, role, start date,
//! active), resetting a password, and their working schedules (added from
//! a date, removed). The changes are `lms_app::people`'s, with its rules
//! (an active, non-circular manager; no self-lockout; a schedule the
//! domain accepts).

use super::i18n::{Arg, Lang};
use super::page::{done_banner, error_message, see_other, Chrome, PageForm, Viewer};
use super::schedules::{self, ScheduleFields};
use crate::api::text;
use crate::auth::password;
use crate::ApiError;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use lms_core::{DomainError, Email, Role, ScheduleProblem};
use lms_store::employees::{self, Directory, Employee, EmployeeChanges, NewEmployee};
use serde::Deserialize;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    inactive: Option<String>,
    #[serde(default)]
    page: String,
    done: Option<String>,
}

struct PersonRow {
    id: i64,
    name: String,
    email: String,
    department: String,
    role: String,
    manager: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "hr_people.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<PersonRow>,
    departments: Vec<String>,
    q: String,
    department: String,
    inactive: bool,
    page: i64,
    pages: i64,
    total: i64,
    done: Option<String>,
}

/// `GET /hr/people`
pub async fn list(viewer: Viewer, Query(q): Query<ListQuery>) -> Response {
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    viewer.respond(load_list(&viewer, q).await)
}

async fn load_list(viewer: &Viewer, q: ListQuery) -> Result<ListPage, ApiError> {
    let lang = viewer.lang();
    let page = q.page.parse::<i64>().unwrap_or(1).clamp(1, 10_000);
    let mut c = viewer.state.db().acquire().await?;
    let departments = employees::departments(&mut c.conn()).await?;
    let search = q.q.trim();
    let dir = Directory {
        department: departments.iter().find(|d| **d == q.department).map(String::as_str),
        search: (!search.is_empty()).then_some(search),
        include_inactive: q.inactive.is_some(),
        limit: PER_PAGE,
        offset: (page - 1) * PER_PAGE,
        ..Default::default()
    };
    let (people, total) = employees::directory(&mut c.conn(), &dir).await?;
    let mut managers = std::collections::HashMap::new();
    for id in people.iter().filter_map(|p| p.manager_id) {
        if let std::collections::hash_map::Entry::Vacant(v) = managers.entry(id) {
            v.insert(employees::get(&mut c.conn(), id).await?.map(|m| m.name).unwrap_or_default());
        }
    }
    let rows = people
        .iter()
        .map(|p| PersonRow {
            id: p.id,
            name: p.name.clone(),
            email: p.email.clone(),
            department: p.department.clone(),
            role: lang.t(&format!("role-{}", p.role)),
            manager: p.manager_id.and_then(|m| managers.get(&m).cloned()).unwrap_or_default(),
            active: p.active,
        })
        .collect();
    Ok(ListPage {
        c: viewer.chrome("people"),
        rows,
        department: dir.department.unwrap_or_default().to_string(),
        departments: departments.clone(),
        q: search.to_string(),
        inactive: q.inactive.is_some(),
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        total,
        done: done_banner(lang, q.done.as_deref(), &[]),
    })
}

/// The fields of the person form (new and edit), as typed.
#[derive(Deserialize, Default, Clone)]
pub struct PersonFields {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    manager_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    start_date: String,
    active: Option<String>,
    #[serde(default)]
    password: String,
}

impl PersonFields {
    fn of(e: &Employee) -> PersonFields {
        PersonFields {
            email: e.email.clone(),
            name: e.name.clone(),
            department: e.department.clone(),
            manager_id: e.manager_id.map(|m| m.to_string()).unwrap_or_default(),
            role: e.role.clone(),
            start_date: e.start_date.to_string(),
            active: e.active.then(|| "on".to_string()),
            ..Default::default()
        }
    }
    fn manager(&self) -> Result<Option<i64>, ApiError> {
        match self.manager_id.trim() {
            "" => Ok(None),
            m => m
                .parse()
                .map(Some)
                .map_err(|_| ApiError::unprocessable("invalid_manager", "choose a manager from the list")),
        }
    }
    fn start(&self) -> Result<NaiveDate, ApiError> {
        NaiveDate::parse_from_str(self.start_date.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::unprocessable("invalid_date", "the start date must be a date"))
    }
    fn is_active(&self) -> bool {
        self.active.is_some()
    }
}

#[derive(Template)]
#[template(path = "hr_person.html")]
struct PersonPage {
    c: Chrome,
    /// None: a new person.
    id: Option<i64>,
    f: PersonFields,
    managers: Vec<(i64, String)>,
    roles: Vec<(&'static str, String)>,
    /// The locations, the person's one marked (`None`: no locations on this instance, or a new person).
    location: Option<Vec<(i64, String, bool)>>,
    /// The person's working schedules and the form to add one (`None`: a new person).
    schedules: Option<ScheduleSection>,
    /// The person's last day, as a date field's value (`None`: a new person,
    /// or an instance without entitlement policies).
    leaving_date: Option<String>,
    /// How the person signs in (`None`: a new person, or an instance
    /// without single sign-on's migration).
    sign_in: Option<SignInSection>,
    /// Whether HR may set a password (not when password sign-in is off).
    reset_password: bool,
    error: Option<String>,
    done: Option<String>,
}

/// The person page's sign-in: password allowed or not, and the provider
/// identities linked (issuer, email, last sign-in).
struct SignInSection {
    password_login: bool,
    /// Whether this instance has a provider (forbidding passwords needs one).
    sso_configured: bool,
    identities: Vec<(String, String, String)>,
}

/// The person page's working schedules: the stored ones, the form to add
/// one (as typed, when it came back), and what to fix.
struct ScheduleSection {
    rows: Vec<schedules::Row>,
    days: Vec<schedules::Day>,
    valid_from: String,
    error: Option<String>,
}

async fn person_page(
    viewer: &Viewer,
    id: Option<i64>,
    f: PersonFields,
    error: Option<String>,
    done: Option<String>,
) -> Result<PersonPage, ApiError> {
    let lang = viewer.lang();
    let mut c = viewer.state.db().acquire().await?;
    let (everyone, _) = employees::directory(&mut c.conn(), &Directory { limit: 10_000, ..Default::default() }).await?;
    let current = f.manager_id.parse::<i64>().ok();
    let managers = everyone
        .into_iter()
        .filter(|p| Some(p.id) != id && (p.role() != Role::Employee || Some(p.id) == current))
        .map(|p| (p.id, format!("{} ({})", p.name, p.department)))
        .collect();
    let roles = [Role::Employee, Role::Manager, Role::HrAdmin]
        .into_iter()
        .map(|r| (r.as_str(), lang.t(&format!("role-{}", r.as_str()))))
        .collect();
    let schedules = match id {
        Some(id) => {
            let stored = lms_store::schedules::stored(&mut c.conn(), id).await?;
            let days = ScheduleFields::default().days(lang);
            Some(ScheduleSection { rows: schedules::rows(lang, &stored), days, valid_from: String::new(), error: None })
        }
        None => None,
    };
    let location = match id {
        Some(id) => super::hr_locations::person_choice(viewer, id).await?,
        None => None,
    };
    let leaving_date = match id {
        Some(id) if viewer.state.db().counts(lms_store::policies::MIGRATION) => {
            let person = lms_store::entitlement_job::person(&mut c.conn(), id).await?;
            Some(person.leaving_date.map(|d| d.to_string()).unwrap_or_default())
        }
        _ => None,
    };
    drop(c);
    let sign_in = match id {
        Some(id) if lms_app::sso::available(viewer.state.db()) => {
            let m = lms_app::sso::sign_in_methods(viewer.state.db(), &viewer.caller(), id).await?;
            Some(SignInSection {
                password_login: m.password.enabled,
                sso_configured: viewer.state.sso().is_some(),
                identities: m
                    .identities
                    .into_iter()
                    .map(|i| (i.issuer, i.email, lang.date(i.last_login_at.date_naive())))
                    .collect(),
            })
        }
        _ => None,
    };
    let c = viewer.chrome("people");
    let reset_password = sign_in.as_ref().is_none_or(|s| s.password_login);
    Ok(PersonPage {
        c,
        id,
        f,
        managers,
        roles,
        location,
        schedules,
        leaving_date,
        sign_in,
        reset_password,
        error,
        done,
    })
}

/// `GET /hr/people/new`
pub async fn new_form(viewer: Viewer) -> Response {
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    let f = PersonFields {
        role: "employee".into(),
        start_date: Utc::now().date_naive().to_string(),
        active: Some("on".into()),
        ..Default::default()
    };
    viewer.respond(person_page(&viewer, None, f, None, None).await)
}

/// `POST /hr/people/new`
pub async fn create(viewer: Viewer, PageForm(f): PageForm<PersonFields>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    match create_person(&viewer, &f).await {
        Ok(id) => see_other(&format!("/hr/people/{id}?done=created")),
        Err(e) => refuse(&viewer, None, f, e).await,
    }
}

async fn create_person(viewer: &Viewer, f: &PersonFields) -> Result<i64, ApiError> {
    let new = NewEmployee {
        email: Email::parse(&f.email)?,
        name: text::name(&f.name, 200)?,
        department: text::bounded("department", &f.department, 200)?,
        manager_id: f.manager()?,
        start_date: f.start()?,
        role: f.role.parse()?,
        password_hash: password::hash_new(Some(f.password.clone()).filter(|p| !p.is_empty())).await?,
    };
    let caller = viewer.caller();
    Ok(lms_app::people::create(viewer.state.db(), lms_app::By::Caller(&caller), &new, Utc::now()).await?.id)
}

/// The form again with what to fix on top.
async fn refuse(viewer: &Viewer, id: Option<i64>, f: PersonFields, e: ApiError) -> Response {
    let lang = viewer.lang();
    let status = if e.status.is_server_error() { e.status } else { StatusCode::UNPROCESSABLE_ENTITY };
    let status = if e.status == StatusCode::CONFLICT { e.status } else { status };
    match person_page(viewer, id, PersonFields { password: String::new(), ..f }, Some(error_message(lang, &e)), None)
        .await
    {
        Ok(p) => super::page::render_with(status, &p),
        Err(e) => viewer.error(e).into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

/// `GET /hr/people/{id}`
pub async fn edit_form(viewer: Viewer, Path(id): Path<String>, Query(d): Query<Done>) -> Response {
    let lang = viewer.lang();
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    let id = match viewer.path_id(&id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let page = async {
        let person = {
            let mut c = viewer.state.db().acquire().await?;
            employees::require(&mut c.conn(), id).await?
        };
        let done = done_banner(
            lang,
            d.done.as_deref(),
            &[
                "created",
                "saved",
                "password",
                "location",
                "schedule-added",
                "schedule-removed",
                "leaving-date",
                "password-login-on",
                "password-login-off",
            ],
        );
        person_page(&viewer, Some(id), PersonFields::of(&person), None, done).await
    };
    viewer.respond(page.await)
}

/// `POST /hr/people/{id}`
pub async fn update(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<PersonFields>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let changes = EmployeeChanges {
            name: Some(text::name(&f.name, 200)?),
            department: Some(text::bounded("department", &f.department, 200)?),
            manager_id: Some(f.manager()?),
            start_date: Some(f.start()?),
            role: Some(f.role.parse::<Role>()?),
            active: Some(f.is_active()),
        };
        lms_app::people::update(viewer.state.db(), &viewer.caller(), id, &changes, None, Utc::now()).await?;
        Ok::<(), ApiError>(())
    };
    match outcome.await {
        Ok(()) => see_other(&format!("/hr/people/{id}?done=saved")),
        Err(e) => refuse(&viewer, Some(id), f, e).await,
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// `POST /hr/people/{id}/password`: a new password; the person's sessions
/// and API tokens end.
pub async fn reset_password(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<ResetForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        lms_app::sso::require_password_login(viewer.state.db(), id).await?;
        let hash = password::hash_new(Some(f.password)).await?;
        let none = EmployeeChanges::default();
        lms_app::people::update(viewer.state.db(), &viewer.caller(), id, &none, hash.as_deref(), Utc::now()).await?;
        Ok::<(), ApiError>(())
    };
    match outcome.await {
        Ok(()) => see_other(&format!("/hr/people/{id}?done=password")),
        Err(e) => {
            let person = async {
                let mut c = viewer.state.db().acquire().await?;
                Ok::<_, ApiError>(employees::require(&mut c.conn(), id).await?)
            };
            match person.await {
                Ok(p) => refuse(&viewer, Some(id), PersonFields::of(&p), e).await,
                Err(e) => viewer.error(e).into_response(),
            }
        }
    }
}

/// `POST /hr/people/{id}/schedules`: a working schedule from a date, hours
/// per weekday (empty: not worked).
pub async fn add_schedule(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<ScheduleFields>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let lang = viewer.lang();
    let outcome = match f.parse(lang) {
        Ok(schedule) => lms_app::people::add_schedule(viewer.state.db(), &viewer.caller(), id, schedule, Utc::now())
            .await
            .map_err(|e| schedule_refusal(lang, e)),
        Err(why) => Err(ApiError::unprocessable("invalid_schedule", why)),
    };
    match outcome {
        Ok(_) => see_other(&format!("/hr/people/{id}?done=schedule-added")),
        Err(e) => refuse_schedule(&viewer, id, f, e).await,
    }
}

#[derive(Deserialize)]
pub struct RemoveScheduleForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    valid_from: String,
}

/// `POST /hr/people/{id}/schedules/remove`: the schedule starting on
/// `valid_from` goes; the one before it runs on (none left: full time).
pub async fn remove_schedule(
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<RemoveScheduleForm>,
) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let lang = viewer.lang();
    let outcome = match NaiveDate::parse_from_str(f.valid_from.trim(), "%Y-%m-%d") {
        Ok(day) => lms_app::people::remove_schedule(viewer.state.db(), &viewer.caller(), id, day, Utc::now())
            .await
            .map_err(|e| match e {
                // Removed in the meantime (another tab, another HR admin).
                lms_app::AppError::Store(lms_store::StoreError::NotFound(_)) => {
                    ApiError::new(StatusCode::NOT_FOUND, "schedule_not_found", lang.t("schedule-gone"))
                }
                e => schedule_refusal(lang, e),
            }),
        Err(_) => Err(ApiError::unprocessable("invalid_date", lang.t("schedule-date-needed"))),
    };
    match outcome {
        Ok(_) => see_other(&format!("/hr/people/{id}?done=schedule-removed")),
        Err(e) => refuse_schedule(&viewer, id, ScheduleFields::default(), e).await,
    }
}

/// A refused schedule in the reader's language: the domain's problem
/// named, what to fix with it.
fn schedule_refusal(lang: Lang, e: lms_app::AppError) -> ApiError {
    match e {
        lms_app::AppError::Domain(DomainError::InvalidSchedule(problem)) => {
            let why = match problem {
                ScheduleProblem::NoWorkingDay => lang.t("schedule-no-working-day"),
                ScheduleProblem::SameStart(day) => {
                    lang.t_with("schedule-same-start", &[("date", Arg::Text(lang.date(day)))])
                }
                other => other.to_string(),
            };
            ApiError::unprocessable("invalid_schedule", why)
        }
        other => ApiError::from(other),
    }
}

/// The person page again, the schedule form as typed and what to fix in it.
async fn refuse_schedule(viewer: &Viewer, id: i64, f: ScheduleFields, e: ApiError) -> Response {
    let lang = viewer.lang();
    if e.status.is_server_error() {
        return viewer.error(e).into_response();
    }
    let page = async {
        let person = {
            let mut c = viewer.state.db().acquire().await?;
            employees::require(&mut c.conn(), id).await?
        };
        let mut page = person_page(viewer, Some(id), PersonFields::of(&person), None, None).await?;
        if let Some(s) = page.schedules.as_mut() {
            s.days = f.days(lang);
            s.valid_from = f.valid_from.clone();
            s.error = Some(error_message(lang, &e));
        }
        Ok::<_, ApiError>(page)
    };
    match page.await {
        Ok(p) => super::page::render_with(e.status, &p),
        Err(e) => viewer.error(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct LeavingForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    leaving_date: String,
}

/// `POST /hr/people/{id}/leaving-date`: the person's last day (empty: not
/// leaving); the entitlement job then settles their allocation pro-rata.
pub async fn set_leaving_date(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<LeavingForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let day =
            match f.leaving_date.trim() {
                "" => None,
                s => Some(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                    ApiError::unprocessable("invalid_date", "the leaving date is not a date (YYYY-MM-DD)")
                })?),
            };
        let caller = viewer.caller();
        lms_app::entitlements::set_leaving_date(viewer.state.db(), lms_app::By::Caller(&caller), id, day, Utc::now())
            .await?;
        Ok::<(), ApiError>(())
    };
    match outcome.await {
        Ok(()) => see_other(&format!("/hr/people/{id}?done=leaving-date")),
        Err(e) => {
            let person = {
                let mut c = match viewer.state.db().acquire().await {
                    Ok(c) => c,
                    Err(e) => return viewer.error(e.into()).into_response(),
                };
                match employees::require(&mut c.conn(), id).await {
                    Ok(p) => p,
                    Err(e) => return viewer.error(e.into()).into_response(),
                }
            };
            refuse(&viewer, Some(id), PersonFields::of(&person), e).await
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordLoginForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    password_login: String,
}

/// `POST /hr/people/{id}/sign-in`: allow or forbid signing in with a
/// password (forbidding drops the password; single sign-on only).
pub async fn set_password_login(
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(f): PageForm<PasswordLoginForm>,
) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let on = f.password_login == "on";
    let configured = viewer.state.sso().is_some();
    match lms_app::sso::set_password_login(viewer.state.db(), &viewer.caller(), id, on, configured, Utc::now()).await {
        Ok(_) => {
            see_other(&format!("/hr/people/{id}?done={}", if on { "password-login-on" } else { "password-login-off" }))
        }
        Err(e) => {
            let e = ApiError::from(e);
            let person = async {
                let mut c = viewer.state.db().acquire().await?;
                Ok::<_, ApiError>(employees::require(&mut c.conn(), id).await?)
            };
            match person.await {
                Ok(p) => refuse(&viewer, Some(id), PersonFields::of(&p), e).await,
                Err(e) => viewer.error(e).into_response(),
            }
        }
    }
}
