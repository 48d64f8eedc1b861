//! HR: a person's allowances for a year — each leave type's balance with
//! the ledger lines behind it (allocations and adjustments with their
//! reasons), and the form that writes the year's allocation or an
//! adjustment. The write is `lms_app::allowances::write`, as the API's.

use super::i18n::Lang;
use super::page::{done_banner, error_message, render_with, see_other, Chrome, PageForm, Viewer};
use super::view::{type_label, BalanceBar};
use crate::ApiError;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lms_core::{EntitlementChange, LedgerKind};
use lms_store::{employees, leave_types, ledger};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
    done: Option<String>,
    /// A day to show the balances on (past, or projected into the future).
    #[serde(default)]
    on: String,
}

/// One leave type's balance on a day, line by line.
struct OnSection {
    name: String,
    year: i32,
    lines: Vec<OnLine>,
    entitled: String,
    taken: String,
    pending: String,
    available: String,
}

struct OnLine {
    from: String,
    kind: String,
    amount: String,
    projected: bool,
    reason: String,
}

/// The balances on `on`, when the instance has entitlement policies.
async fn balances_on(viewer: &Viewer, id: i64, on: chrono::NaiveDate) -> Result<Vec<OnSection>, ApiError> {
    let lang = viewer.lang();
    let db = viewer.state.db();
    let types = {
        let mut c = db.acquire().await?;
        leave_types::list(&mut c.conn(), true).await?
    };
    let units = lms_app::leave_types::type_units(db).await?;
    let balances = lms_app::entitlements::balance_on(db, id, on, Utc::now().date_naive()).await?;
    Ok(balances
        .into_iter()
        .filter_map(|b| {
            let t = types.iter().find(|t| t.id == b.leave_type_id)?;
            let unit = units.of(&t.code);
            let amount = |m: i64| lang.amount(unit, m);
            Some(OnSection {
                name: type_label(&types, &t.code).0,
                year: b.year,
                lines: b
                    .lines
                    .iter()
                    .map(|l| OnLine {
                        from: l.valid_from.map(|d| lang.date(d)).unwrap_or_default(),
                        kind: lang.t(&format!("ledger-{}", l.kind)),
                        amount: amount(l.amount),
                        projected: l.projected,
                        reason: l.reason.clone(),
                    })
                    .collect(),
                entitled: amount(b.entitled),
                taken: amount(b.taken),
                pending: amount(b.pending),
                available: amount(b.available),
            })
        })
        .collect())
}

struct Line {
    when: String,
    kind: String,
    amount: String,
    reason: String,
}

struct TypeSection {
    bar: BalanceBar,
    lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "hr_allowances.html")]
struct AllowancesPage {
    c: Chrome,
    id: i64,
    name: String,
    year: i32,
    years: Vec<i32>,
    sections: Vec<TypeSection>,
    /// The day asked for and the balances on it (`None`: not asked, or no policies on this instance).
    on: Option<(String, Vec<OnSection>)>,
    types: Vec<(String, String)>,
    f: ChangeFields,
    done: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ChangeFields {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    leave_type: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    year: String,
}

/// An amount as typed in `unit` (`2.5`, `2,5`, `-1`): days, or hours.
pub fn parse_amount(raw: &str, unit: lms_core::LeaveUnit) -> Result<lms_core::Quantity, ApiError> {
    let value: f64 = raw
        .trim()
        .replace(',', ".")
        .parse()
        .map_err(|_| ApiError::unprocessable("invalid_amount", format!("enter a number of {}", unit.as_str())))?;
    Ok(lms_core::Quantity::parse(unit, value)?)
}

/// The year asked for, or the leave year today falls in.
async fn year_of(viewer: &Viewer, raw: &str) -> Result<i32, ApiError> {
    let now = lms_app::leave_year::current(viewer.state.db(), Utc::now().date_naive()).await?;
    Ok(raw.parse::<i32>().ok().filter(|y| (now - 20..=now + 5).contains(y)).unwrap_or(now))
}

async fn load(
    viewer: &Viewer,
    id: i64,
    year: i32,
    f: ChangeFields,
    done: Option<String>,
    error: Option<String>,
) -> Result<AllowancesPage, ApiError> {
    load_on(viewer, id, year, f, done, error, None).await
}

async fn load_on(
    viewer: &Viewer,
    id: i64,
    year: i32,
    f: ChangeFields,
    done: Option<String>,
    error: Option<String>,
    on: Option<chrono::NaiveDate>,
) -> Result<AllowancesPage, ApiError> {
    let lang = viewer.lang();
    let on = match on {
        Some(day) if viewer.state.db().counts(lms_store::policies::MIGRATION) => {
            Some((day.to_string(), balances_on(viewer, id, day).await?))
        }
        _ => None,
    };
    let mut c = viewer.state.db().acquire().await?;
    let person = employees::require(&mut c.conn(), id).await?;
    let types = leave_types::list(&mut c.conn(), true).await?;
    let balances = ledger::balances(&mut c.conn(), id, year, lms_app::leave_types::units(viewer.state.db())).await?;
    let entries = ledger::entries(&mut c.conn(), id, year).await?;
    let units: Vec<(String, lms_core::LeaveUnit)> = balances.iter().map(|b| (b.leave_type.clone(), b.unit)).collect();
    let sections = balances
        .iter()
        .filter(|b| b.deducts_balance || entries.iter().any(|e| e.leave_type == b.leave_type))
        .map(|b| TypeSection {
            bar: BalanceBar::new(lang, &types, b),
            lines: entries.iter().filter(|e| e.leave_type == b.leave_type).map(|e| line(lang, b.unit, e)).collect(),
        })
        .collect();
    let now = lms_app::leave_year::current(viewer.state.db(), Utc::now().date_naive()).await?;
    Ok(AllowancesPage {
        c: viewer.chrome("people"),
        id,
        name: person.name,
        year,
        years: (now - 2..=now + 1).rev().collect(),
        sections,
        on,
        types: types
            .iter()
            .filter(|t| t.active)
            .map(|t| {
                let unit = units.iter().find(|(code, _)| *code == t.code).map_or(lms_core::LeaveUnit::Days, |u| u.1);
                (t.code.clone(), format!("{} ({})", type_label(&types, &t.code).0, lang.unit(unit)))
            })
            .collect(),
        f,
        done,
        error,
    })
}

fn line(lang: Lang, unit: lms_core::LeaveUnit, e: &ledger::LedgerEntry) -> Line {
    Line {
        when: lang.date(e.created_at.date_naive()),
        kind: lang.t(&format!("ledger-{}", e.kind)),
        amount: lang.amount(unit, e.amount),
        reason: e.reason.clone(),
    }
}

/// `GET /hr/people/{id}/allowances`
pub async fn page(viewer: Viewer, Path(id): Path<String>, Query(q): Query<YearQuery>) -> Response {
    let lang = viewer.lang();
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    let id = match viewer.path_id(&id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let done = done_banner(lang, q.done.as_deref(), &["allocation", "adjustment", "correction"]);
    let f = ChangeFields { kind: "adjustment".into(), ..Default::default() };
    let on = chrono::NaiveDate::parse_from_str(q.on.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1970..=2200).contains(&chrono::Datelike::year(d)));
    let page = match year_of(&viewer, &q.year).await {
        Ok(year) => load_on(&viewer, id, year, f, done, None, on).await,
        Err(e) => Err(e),
    };
    viewer.respond(page)
}

/// `POST /hr/people/{id}/allowances`
pub async fn write(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<ChangeFields>) -> Response {
    let lang = viewer.lang();
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let year = match year_of(&viewer, &f.year).await {
        Ok(year) => year,
        Err(e) => return viewer.error(e).into_response(),
    };
    let outcome = async {
        let kind: LedgerKind = f
            .kind
            .parse()
            .map_err(|_| ApiError::unprocessable("invalid_kind", "choose allocation, adjustment or correction"))?;
        // The amount is in the unit of the type chosen (days or hours).
        let unit = lms_app::leave_types::type_units(viewer.state.db()).await?.of(&f.leave_type);
        let change = EntitlementChange::parse_in(kind, parse_amount(&f.days, unit)?, Some(&f.reason))?;
        lms_app::allowances::write(viewer.state.db(), &viewer.caller(), id, &f.leave_type, year, &change, Utc::now())
            .await?;
        Ok::<LedgerKind, ApiError>(kind)
    };
    match outcome.await {
        Ok(kind) => see_other(&format!("/hr/people/{id}/allowances?year={year}&done={}", kind.as_str())),
        Err(e) => {
            let status = if e.status.is_client_error() { e.status } else { StatusCode::INTERNAL_SERVER_ERROR };
            let message = error_message(lang, &e);
            match load(&viewer, id, year, f, None, Some(message)).await {
                Ok(p) => render_with(status, &p),
                Err(e) => viewer.error(e).into_response(),
            }
        }
    }
}
