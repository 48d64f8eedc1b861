//! The team calendar: a month as a wall chart, people by days, for a
//! manager's direct reports or (HR) the whole company, 50 people a page,
//! filtered by department. Each leave cell names its type by abbreviation
//! (colour is never the only signal); pending leave is hatched and marked
//! `?`; weekends and holidays are shaded and marked — in each person's row
//! the holidays of their location's calendar (the company's without one),
//! in the day heads the company's.

use super::i18n::Lang;
use super::page::{render, Chrome, Viewer};
use super::view::type_label;
use crate::ApiError;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate, Utc, Weekday};
use lms_store::employees::{self, Directory};
use lms_store::leave_types::LeaveType;
use lms_store::{holidays, leave_types, requests};
use serde::Deserialize;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    /// `2026-03`
    #[serde(default)]
    month: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    page: String,
}

struct DayHead {
    day: u32,
    weekday: String,
    class: &'static str,
}

struct Cell {
    class: String,
    text: String,
    title: String,
}

struct Row {
    name: String,
    cells: Vec<Cell>,
}

struct LegendEntry {
    slot: usize,
    abbr: String,
    name: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    c: Chrome,
    title: String,
    month: String,
    prev: String,
    next: String,
    days: Vec<DayHead>,
    rows: Vec<Row>,
    legend: Vec<LegendEntry>,
    departments: Vec<String>,
    department: String,
    page: i64,
    pages: i64,
}

/// `GET /calendar`
pub async fn page(viewer: Viewer, Query(q): Query<CalendarQuery>) -> Response {
    if let Err(e) = viewer.require_decider() {
        return e.into_response();
    }
    match load(&viewer, q).await {
        Ok(p) => render(&p),
        Err(e) => viewer.error(e).into_response(),
    }
}

/// A leave type's short mark in a cell: its first letter, capitalised.
fn abbreviation(t: &LeaveType) -> String {
    t.name.chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_else(|| "?".into())
}

async fn load(viewer: &Viewer, q: CalendarQuery) -> Result<CalendarPage, ApiError> {
    let lang = viewer.lang();
    let today = Utc::now().date_naive();
    let first = NaiveDate::parse_from_str(&format!("{}-01", q.month.trim()), "%Y-%m-%d")
        .ok()
        .filter(|d| (1970..=2200).contains(&d.year()))
        .unwrap_or_else(|| today.with_day(1).unwrap_or(today));
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    let prev = first.checked_sub_months(Months::new(1)).unwrap_or(first);
    let last = next.pred_opt().unwrap_or(first);
    let manager = (!viewer.chrome.is_hr()).then(|| viewer.user.id());
    let page = q.page.parse::<i64>().unwrap_or(1).max(1);
    let mut c = viewer.state.db().acquire().await?;
    let departments = employees::departments(&mut c.conn()).await?;
    let department = departments.iter().find(|d| **d == q.department).cloned();
    let dir = Directory {
        manager,
        department: department.as_deref(),
        limit: PER_PAGE,
        offset: (page - 1) * PER_PAGE,
        ..Default::default()
    };
    let (people, total) = employees::directory(&mut c.conn(), &dir).await?;
    let types = leave_types::list(&mut c.conn(), true).await?;
    let holidays = holidays::list(&mut c.conn(), first, last).await?;
    let leave = requests::active_between(&mut c.conn(), first, last, manager).await?;
    // Each person's holidays: their location's calendar, or the company's.
    let mut location_of = std::collections::HashMap::new();
    let mut calendars: std::collections::HashMap<i64, Vec<lms_store::holidays::Holiday>> = Default::default();
    if lms_app::locations::available(viewer.state.db()) {
        let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
        for (person, location) in lms_store::locations::locations_of(&mut c.conn(), &ids).await? {
            if let std::collections::hash_map::Entry::Vacant(slot) = calendars.entry(location) {
                slot.insert(lms_store::locations::calendar(&mut c.conn(), location, first, last).await?);
            }
            location_of.insert(person, location);
        }
    }
    let holidays_of = |person: i64| location_of.get(&person).and_then(|l| calendars.get(l)).unwrap_or(&holidays);

    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let weekend = |d: &NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    let holiday = |d: &NaiveDate| holidays.iter().find(|h| h.day == *d);
    let heads = days
        .iter()
        .map(|d| DayHead {
            day: d.day(),
            weekday: lang.weekday_short(*d),
            class: if holiday(d).is_some() {
                "holiday"
            } else if weekend(d) {
                "off"
            } else {
                ""
            },
        })
        .collect();
    let mut by_person: std::collections::HashMap<i64, Vec<&lms_store::requests::LeaveRequest>> =
        std::collections::HashMap::new();
    for r in &leave {
        by_person.entry(r.employee_id).or_default().push(r);
    }
    let none = Vec::new();
    let rows = people
        .iter()
        .map(|p| Row {
            name: p.name.clone(),
            cells: days
                .iter()
                .map(|d| {
                    let theirs = by_person.get(&p.id).unwrap_or(&none);
                    let on = theirs.iter().copied().find(|r| r.start_date <= *d && r.end_date >= *d);
                    let off = holidays_of(p.id).iter().find(|h| h.day == *d);
                    cell(lang, &types, *d, on, weekend(d), off.map(|h| h.name.as_str()))
                })
                .collect(),
        })
        .collect();
    let legend = types
        .iter()
        .enumerate()
        .filter(|(_, t)| t.active)
        .map(|(i, t)| LegendEntry { slot: i % 6, abbr: abbreviation(t), name: t.name.clone() })
        .collect();
    Ok(CalendarPage {
        c: viewer.chrome("calendar"),
        title: lang.month_year(first),
        month: first.format("%Y-%m").to_string(),
        prev: prev.format("%Y-%m").to_string(),
        next: next.format("%Y-%m").to_string(),
        days: heads,
        rows,
        legend,
        departments,
        department: department.unwrap_or_default(),
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
    })
}

fn cell(
    lang: Lang,
    types: &[LeaveType],
    day: NaiveDate,
    on: Option<&lms_store::requests::LeaveRequest>,
    weekend: bool,
    holiday: Option<&str>,
) -> Cell {
    let date = lang.date(day);
    if let Some(name) = holiday {
        return Cell {
            class: "holiday".into(),
            text: lang.t("calendar-holiday-mark"),
            title: format!("{date}: {name}"),
        };
    }
    if weekend {
        return Cell { class: "off".into(), text: String::new(), title: String::new() };
    }
    match on {
        Some(r) => {
            let (name, slot) = type_label(types, &r.leave_type);
            let abbr = types.iter().find(|t| t.code == r.leave_type).map(abbreviation).unwrap_or_else(|| "?".into());
            let pending = r.status() == lms_core::LeaveStatus::Pending;
            let status = super::view::status_label(lang, r.status());
            Cell {
                class: format!("leave lt-{slot}{}", if pending { " pending" } else { "" }),
                text: if pending { format!("{abbr}?") } else { abbr },
                title: format!("{date}: {name} ({status})"),
            }
        }
        None => Cell { class: String::new(), text: String::new(), title: String::new() },
    }
}
