//! Reports for HR: leave usage over a period (taken, pending, remaining per
//! person and type) filtered by department, a chart of days taken per
//! leave type drawn by the server as SVG, and the CSV and XLSX downloads (the
//! API's `format=csv` and `format=xlsx`, reached with the same session).

use super::page::{Chrome, Viewer};
use super::view::type_label;
use crate::ApiError;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use lms_core::DateRange;
use lms_store::{employees, leave_types, reports};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    page: String,
}

/// Table lines a page shows (the chart and the CSV cover all of them).
const PER_PAGE: usize = 100;

struct UsageLine {
    name: String,
    department: String,
    leave_type: String,
    taken: String,
    pending: String,
    remaining: String,
}

struct ChartBar {
    label: String,
    y: String,
    width: String,
    value: String,
    value_x: String,
}

#[derive(Template)]
#[template(path = "hr_reports.html")]
struct ReportPage {
    c: Chrome,
    from: String,
    to: String,
    department: String,
    departments: Vec<String>,
    lines: Vec<UsageLine>,
    bars: Vec<ChartBar>,
    chart_height: usize,
    csv: String,
    xlsx: String,
    error: Option<String>,
    page: usize,
    pages: usize,
}

/// `GET /hr/reports`
pub async fn page(viewer: Viewer, Query(q): Query<ReportQuery>) -> Response {
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    viewer.respond(load(&viewer, q).await)
}

async fn load(viewer: &Viewer, q: ReportQuery) -> Result<ReportPage, ApiError> {
    let lang = viewer.lang();
    let leave_year = lms_app::leave_year::start(viewer.state.db()).await?;
    let today = Utc::now().date_naive();
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let from =
        date(&q.from).unwrap_or_else(|| leave_year.range(leave_year.year_of(today)).map_or(today, |r| r.start()));
    let to = date(&q.to).unwrap_or_else(|| leave_year.range(leave_year.year_of(from)).map_or(from, |r| r.end()));
    let mut c = viewer.state.db().acquire().await?;
    let departments = employees::departments(&mut c.conn()).await?;
    let department = departments.iter().find(|d| **d == q.department).cloned().unwrap_or_default();
    let csv = format!("/api/v1/reports/leave-usage?format=csv&from={from}&to={to}");
    let xlsx = format!("/api/v1/reports/leave-usage?format=xlsx&from={from}&to={to}");
    let base = ReportPage {
        c: viewer.chrome("reports"),
        from: from.to_string(),
        to: to.to_string(),
        department: department.clone(),
        departments,
        lines: vec![],
        bars: vec![],
        chart_height: 0,
        csv,
        xlsx,
        error: None,
        page: 1,
        pages: 1,
    };
    let period = match DateRange::new(from, to) {
        Ok(p) if (to - from).num_days() <= 366 => p,
        Ok(_) => return Ok(ReportPage { error: Some(lang.t("reports-period-too-long")), ..base }),
        Err(e) => return Ok(ReportPage { error: Some(super::page::error_message(lang, &e.into())), ..base }),
    };
    let types = leave_types::list(&mut c.conn(), true).await?;
    let units = lms_app::leave_types::units(viewer.state.db());
    let rows: Vec<_> = reports::leave_usage(&mut c.conn(), &period, leave_year.year_of(from), units)
        .await?
        .into_iter()
        .filter(|r| department.is_empty() || r.department == department)
        .collect();
    // A type measured in hours is named with its unit; its figures are hours.
    let label = |r: &reports::UsageRow| match r.unit {
        lms_core::LeaveUnit::Days => type_label(&types, &r.leave_type).0,
        unit => format!("{} ({})", type_label(&types, &r.leave_type).0, lang.unit(unit)),
    };
    let mut totals: Vec<(String, i64, lms_core::LeaveUnit)> = Vec::new();
    for r in &rows {
        let name = label(r);
        match totals.iter_mut().find(|t| t.0 == name) {
            Some(t) => t.1 += r.taken.millidays(),
            None => totals.push((name, r.taken.millidays(), r.unit)),
        }
    }
    let max = totals.iter().map(|t| t.1).max().unwrap_or(0).max(1) as f64;
    let bars = totals
        .iter()
        .enumerate()
        .map(|(i, (name, m, unit))| {
            let w = *m as f64 * 380.0 / max;
            ChartBar {
                label: name.clone(),
                y: format!("{}", 10 + i * 30),
                width: format!("{w:.1}"),
                value: lang.amount(*unit, *m),
                value_x: format!("{:.1}", 165.0 + w),
            }
        })
        .collect::<Vec<_>>();
    let shown: Vec<_> = rows
        .iter()
        .filter(|r| r.taken.millidays() != 0 || r.pending.millidays() != 0 || r.remaining.millidays() != 0)
        .collect();
    let pages = shown.len().div_ceil(PER_PAGE).max(1);
    let page = q.page.parse::<usize>().unwrap_or(1).clamp(1, pages);
    let lines = shown
        .into_iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|r| UsageLine {
            name: r.employee_name.clone(),
            department: r.department.clone(),
            leave_type: label(r),
            taken: lang.amount(r.unit, r.taken.millidays()),
            pending: lang.amount(r.unit, r.pending.millidays()),
            remaining: lang.amount(r.unit, r.remaining.millidays()),
        })
        .collect();
    let chart_height = 20 + bars.len() * 30;
    Ok(ReportPage { lines, bars, chart_height, page, pages, ..base })
}
