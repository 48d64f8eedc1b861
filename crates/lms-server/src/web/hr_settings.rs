//! HR: leave settings — the leave year's first month, leave types (create,
//! rename, what they count, their unit — days or hours —, the default
//! allowance, retire, their request
//! rules, their approval chain), the holidays of a year (add, remove),
//! single sign-on's settings, and maintenance mode on or off. Each change is the use case the API calls.

use super::hr_allowances::parse_amount;
use super::page::{done_banner, error_message, render_with, see_other, Chrome, PageForm, Viewer};
use crate::api::text;
use crate::ApiError;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate, Utc};
use lms_core::{Colour, LeaveTypeCode};
use lms_store::leave_types::{self, LeaveTypeChanges, NewLeaveType};
use lms_store::{holidays, settings};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    year: String,
    done: Option<String>,
}

struct TypeRow {
    id: i64,
    code: String,
    name: String,
    deducts: bool,
    approval: bool,
    allowance: String,
    /// `days` or `hours`: the type's unit (its allowance and limit are in it).
    unit: &'static str,
    active: bool,
    max_days: String,
    notice: String,
    negative: String,
    document: bool,
    /// The approval chain's kind and, for `two`, its approvers.
    chain: String,
    first: String,
    second: String,
}

struct HolidayRow {
    id: i64,
    date: String,
    name: String,
}

#[derive(Template)]
#[template(path = "hr_settings.html")]
struct SettingsPage {
    c: Chrome,
    types: Vec<TypeRow>,
    year: i32,
    years: Vec<i32>,
    holidays: Vec<HolidayRow>,
    maintenance_on: bool,
    leave_year: LeaveYearView,
    done: Option<String>,
    error: Option<String>,
    /// This instance runs approval chains (their migration counts).
    chains: bool,
    /// This instance reads units (their migration counts): types may be in hours.
    units: bool,
    /// Single sign-on's settings, on an instance that counts on its migration.
    sso: Option<SsoView>,
}

/// Single sign-on as HR sees it.
struct SsoView {
    /// The provider's issuer and the redirect URI to register there, when
    /// this instance has one.
    provider: Option<(String, String)>,
    create_people: bool,
    department: String,
}

async fn sso_view(viewer: &Viewer) -> Result<Option<SsoView>, ApiError> {
    if !lms_app::sso::available(viewer.state.db()) {
        return Ok(None);
    }
    let s = lms_app::sso::settings(viewer.state.db(), &viewer.caller()).await?;
    let provider = viewer.state.sso().map(|p| (p.config().issuer.clone(), p.config().redirect_url()));
    Ok(Some(SsoView { provider, create_people: s.create_people, department: s.department }))
}

/// The leave year as this instance applies it, and the months to choose from.
struct LeaveYearView {
    first_month: u32,
    months: Vec<(u32, String)>,
    /// The days of the current leave year, e.g. `1 Apr 2026 – 31 Mar 2027`.
    current: String,
    /// False on an instance one migration behind (calendar year, no change).
    splits: bool,
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

async fn leave_year_view(viewer: &Viewer) -> Result<LeaveYearView, ApiError> {
    let lang = viewer.lang();
    let db = viewer.state.db();
    let start = lms_app::leave_year::start(db).await?;
    let current = start.range(start.year_of(Utc::now().date_naive()));
    Ok(LeaveYearView {
        first_month: start.month(),
        months: (1..=12).zip(MONTHS).map(|(m, key)| (m, lang.t(&format!("month-long-{key}")))).collect(),
        current: current.map(|r| format!("{} – {}", lang.date(r.start()), lang.date(r.end()))).unwrap_or_default(),
        splits: lms_app::leave_year::splits(db),
    })
}

const DONE: &[&str] = &[
    "type-created",
    "type-saved",
    "rules-saved",
    "chain-saved",
    "holiday-added",
    "holiday-removed",
    "maintenance-on",
    "maintenance-off",
    "leave-year-saved",
    "sso-saved",
];

fn year_of(raw: &str) -> i32 {
    let now = Utc::now().year();
    raw.parse::<i32>().ok().filter(|y| (now - 20..=now + 5).contains(y)).unwrap_or(now)
}

async fn load(
    viewer: &Viewer,
    year: i32,
    done: Option<String>,
    error: Option<String>,
) -> Result<SettingsPage, ApiError> {
    let lang = viewer.lang();
    let mut c = viewer.state.db().acquire().await?;
    let types = leave_types::list(&mut c.conn(), true).await?;
    let mut rules = Vec::with_capacity(types.len());
    let mut type_chains = Vec::with_capacity(types.len());
    for t in &types {
        rules.push(leave_types::rules(&mut c.conn(), t.id).await?);
        type_chains.push(lms_app::approval::chain(viewer.state.db(), t.id).await?);
    }
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let days = holidays::list(&mut c.conn(), from, to).await?;
    let maintenance_on = settings::maintenance(&mut c.conn()).await?;
    drop(c);
    let units = lms_app::leave_types::type_units(viewer.state.db()).await?;
    let leave_year = leave_year_view(viewer).await?;
    let sso = sso_view(viewer).await?;
    let now = Utc::now().year();
    Ok(SettingsPage {
        c: viewer.chrome("settings"),
        types: types
            .into_iter()
            .zip(rules)
            .zip(type_chains)
            .map(|((t, r), chain)| {
                let unit = units.of(&t.code);
                TypeRow {
                    unit: unit.as_str(),
                    chain: chain.kind().to_string(),
                    first: chain.stages().first().map_or("manager", |a| a.as_str()).to_string(),
                    second: chain.stages().get(1).map_or("hr", |a| a.as_str()).to_string(),
                    id: t.id,
                    code: t.code,
                    name: t.name,
                    deducts: t.deducts_balance,
                    approval: t.requires_approval,
                    allowance: t.default_allowance.map(|a| lang.amount(unit, a)).unwrap_or_default(),
                    active: t.active,
                    max_days: r.max_consecutive_days().map(|d| d.to_string()).unwrap_or_default(),
                    notice: r.min_notice_days().map(|d| d.to_string()).unwrap_or_default(),
                    negative: match r.negative_limit().millidays() {
                        0 => String::new(),
                        m => lang.amount(unit, m),
                    },
                    document: r.document_required(),
                }
            })
            .collect(),
        year,
        years: (now - 1..=now + 2).collect(),
        holidays: days.into_iter().map(|h| HolidayRow { id: h.id, date: lang.date(h.day), name: h.name }).collect(),
        maintenance_on,
        leave_year,
        done,
        error,
        chains: lms_app::approval::staged(viewer.state.db()),
        units: lms_app::leave_types::units(viewer.state.db()) == lms_store::leave_types::Units::PerType,
        sso,
    })
}

/// `GET /hr/settings`
pub async fn page(viewer: Viewer, Query(q): Query<SettingsQuery>) -> Response {
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    let done = done_banner(viewer.lang(), q.done.as_deref(), DONE);
    viewer.respond(load(&viewer, year_of(&q.year), done, None).await)
}

/// After a change: back to the page with its banner, or the page with what to fix.
async fn after(viewer: &Viewer, year: i32, outcome: Result<&str, ApiError>) -> Response {
    let lang = viewer.lang();
    match outcome {
        Ok(done) => see_other(&format!("/hr/settings?year={year}&done={done}")),
        Err(e) => {
            let status = if e.status.is_client_error() { e.status } else { StatusCode::INTERNAL_SERVER_ERROR };
            match load(viewer, year, None, Some(error_message(lang, &e))).await {
                Ok(p) => render_with(status, &p),
                Err(e) => viewer.error(e).into_response(),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct TypeForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    deducts: Option<String>,
    approval: Option<String>,
    #[serde(default)]
    allowance: String,
    active: Option<String>,
    /// `days` or `hours`; empty: days for a new type, unchanged for one that exists.
    #[serde(default)]
    unit: String,
}

impl TypeForm {
    fn unit(&self) -> Result<Option<lms_core::LeaveUnit>, ApiError> {
        match self.unit.trim() {
            "" => Ok(None),
            u => Ok(Some(u.parse()?)),
        }
    }

    /// The default allowance in `unit`: at most 366 days (or 8784 hours).
    fn allowance(&self, unit: lms_core::LeaveUnit) -> Result<Option<i64>, ApiError> {
        match self.allowance.trim() {
            "" => Ok(None),
            raw => {
                let a = parse_amount(raw, unit)?;
                let whole_year = lms_core::EntitlementChange::parse_in(lms_core::LedgerKind::Allocation, a, None);
                if whole_year.is_err() {
                    return Err(ApiError::unprocessable(
                        "invalid_amount",
                        "the default allowance must be 0 to 366 days (8784 hours)",
                    ));
                }
                Ok(Some(a.raw()))
            }
        }
    }
}

/// `POST /hr/leave-types`
pub async fn create_type(viewer: Viewer, PageForm(f): PageForm<TypeForm>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    let outcome = async {
        let unit = f.unit()?.unwrap_or_default();
        let new = NewLeaveType {
            code: LeaveTypeCode::parse(f.code.trim())?.as_str().to_string(),
            name: text::name(&f.name, 100)?,
            deducts_balance: f.deducts.is_some(),
            requires_approval: f.approval.is_some(),
            colour: Colour::parse("#4a90d9")?.as_str().to_string(),
            default_allowance: f.allowance(unit)?,
        };
        lms_app::leave_types::create(viewer.state.db(), &viewer.caller(), &new, unit, Utc::now()).await?;
        Ok("type-created")
    };
    after(&viewer, Utc::now().year(), outcome.await).await
}

/// `POST /hr/leave-types/{id}`
pub async fn update_type(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<TypeForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let db = viewer.state.db();
        let asked = f.unit()?;
        let unit = match asked {
            Some(u) => u,
            None => lms_app::leave_types::unit_of(db, &mut db.acquire().await?.conn(), id).await?,
        };
        let changes = LeaveTypeChanges {
            name: Some(text::name(&f.name, 100)?),
            deducts_balance: Some(f.deducts.is_some()),
            requires_approval: Some(f.approval.is_some()),
            colour: None,
            default_allowance: Some(f.allowance(unit)?),
            active: Some(f.active.is_some()),
        };
        lms_app::leave_types::update(db, &viewer.caller(), id, &changes, asked, Utc::now()).await?;
        Ok("type-saved")
    };
    after(&viewer, Utc::now().year(), outcome.await).await
}

#[derive(Deserialize)]
pub struct RulesForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    max_days: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    negative: String,
    document: Option<String>,
}

/// A whole number of days from a form field; empty is none.
fn form_days(raw: &str, what: &str) -> Result<Option<u32>, ApiError> {
    match raw.trim() {
        "" => Ok(None),
        s => s.parse::<u32>().map(Some).map_err(|_| {
            ApiError::unprocessable("invalid_rule", format!("{what} must be a whole number of days, or empty"))
        }),
    }
}

/// `POST /hr/leave-types/{id}/rules`
pub async fn update_rules(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<RulesForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let db = viewer.state.db();
        let unit = lms_app::leave_types::unit_of(db, &mut db.acquire().await?.conn(), id).await?;
        let negative = match f.negative.trim() {
            "" => lms_core::LeaveAmount::ZERO,
            raw => parse_amount(raw, unit)?.stored(),
        };
        let rules = lms_core::TypeRules::new(
            form_days(&f.max_days, "the longest request")?,
            form_days(&f.notice, "the notice")?,
            negative,
            f.document.is_some(),
        )?;
        lms_app::leave_types::set_rules(viewer.state.db(), &viewer.caller(), id, &rules, Utc::now()).await?;
        Ok("rules-saved")
    };
    after(&viewer, Utc::now().year(), outcome.await).await
}

#[derive(Deserialize)]
pub struct ChainForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    chain: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    second: String,
}

/// `POST /hr/leave-types/{id}/chain`: the approval chain (the two
/// approvers count for `two` only).
pub async fn update_chain(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<ChainForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let approvers: Vec<&str> =
            if f.chain == "two" { vec![f.first.as_str(), f.second.as_str()] } else { Vec::new() };
        let chain = lms_core::approval::Chain::parse(&f.chain, &approvers)?;
        lms_app::approval::set_chain(viewer.state.db(), &viewer.caller(), id, &chain, Utc::now()).await?;
        Ok("chain-saved")
    };
    after(&viewer, Utc::now().year(), outcome.await).await
}

#[derive(Deserialize)]
pub struct HolidayForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    name: String,
}

/// `POST /hr/holidays`
pub async fn add_holiday(viewer: Viewer, PageForm(f): PageForm<HolidayForm>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    let day = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d");
    let year = day.map(|d| d.year()).unwrap_or_else(|_| Utc::now().year());
    let outcome = async {
        let day = day.map_err(|_| ApiError::unprocessable("invalid_date", "the holiday needs a date"))?;
        let name = text::name(&f.name, 200)?;
        lms_app::holidays::create(viewer.state.db(), &viewer.caller(), day, &name, Utc::now()).await?;
        Ok("holiday-added")
    };
    after(&viewer, year_of(&year.to_string()), outcome.await).await
}

#[derive(Deserialize)]
pub struct YearForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    year: String,
}

/// `POST /hr/holidays/{id}/delete`
pub async fn remove_holiday(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<YearForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let outcome = lms_app::holidays::delete(viewer.state.db(), &viewer.caller(), id, Utc::now()).await;
    after(&viewer, year_of(&f.year), outcome.map(|_| "holiday-removed").map_err(ApiError::from)).await
}

#[derive(Deserialize)]
pub struct MaintenanceForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    enabled: String,
}

/// `POST /hr/maintenance`: on (`enabled=on`) or off. Works while on.
pub async fn maintenance(viewer: Viewer, PageForm(f): PageForm<MaintenanceForm>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    let on = f.enabled == "on";
    let caller = viewer.caller();
    let outcome = lms_app::maintenance::set(viewer.state.db(), lms_app::By::Caller(&caller), on, Utc::now()).await;
    let done = if on { "maintenance-on" } else { "maintenance-off" };
    after(&viewer, Utc::now().year(), outcome.map(|_| done).map_err(ApiError::from)).await
}

#[derive(Deserialize)]
pub struct LeaveYearForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    first_month: String,
}

/// `POST /hr/leave-year`: the month the leave year starts in.
pub async fn leave_year(viewer: Viewer, PageForm(f): PageForm<LeaveYearForm>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    let outcome = async {
        let month = f.first_month.trim().parse::<u32>().map_err(|_| {
            ApiError::unprocessable("invalid_leave_year_start", "choose the month the leave year starts in")
        })?;
        let start = lms_core::LeaveYearStart::new(month)?;
        lms_app::leave_year::set_start(viewer.state.db(), &viewer.caller(), start, Utc::now()).await?;
        Ok("leave-year-saved")
    };
    after(&viewer, Utc::now().year(), outcome.await).await
}

#[derive(Deserialize)]
pub struct SsoForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    create_people: String,
    #[serde(default)]
    department: String,
}

/// `POST /hr/sso`: whether single sign-on creates people, and where.
pub async fn sso(viewer: Viewer, PageForm(f): PageForm<SsoForm>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    let new = lms_app::sso::SsoSettings { create_people: f.create_people == "on", department: f.department };
    let outcome = lms_app::sso::set_settings(viewer.state.db(), &viewer.caller(), new, Utc::now()).await;
    after(&viewer, Utc::now().year(), outcome.map(|_| "sso-saved").map_err(ApiError::from)).await
}
