//! The admin dashboard (HR; the cutover plan's SMOKE-008): pending
//! approvals, who is out today and this week, this month's requests by
//! status, headcount, and a 12-month trend drawn as inline SVG by the
//! server. The figures are `lms_store::reports::dashboard`'s, as the API's.
//! Below them, mail delivery (`hr_mail`): failed mails and their retry.

use super::i18n::Lang;
use super::page::{render, Chrome, Viewer};
use super::view::{date_range, status_label, type_label};
use crate::ApiError;
use askama::Template;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lms_core::LeaveStatus;
use lms_store::{leave_types, reports};

/// People a list of who is out shows; the rest are counted.
const LISTED: usize = 15;

struct Bar {
    x: String,
    y: String,
    height: String,
    label: String,
    label_x: String,
    value: i64,
    value_y: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    pending: i64,
    headcount: i64,
    /// How many are out today (the list shows at most [`LISTED`]).
    out_today: usize,
    today: Vec<String>,
    /// Beyond the listed ones.
    today_more: usize,
    week: Vec<String>,
    week_more: usize,
    by_status: Vec<(String, i64)>,
    bars: Vec<Bar>,
    trend_summary: String,
    mail: super::hr_mail::MailSection,
    done: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct DashboardQuery {
    done: Option<String>,
}

/// `GET /admin`
pub async fn page(viewer: Viewer, axum::extract::Query(q): axum::extract::Query<DashboardQuery>) -> Response {
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    let done = super::page::done_banner(viewer.lang(), q.done.as_deref(), &["mail-retried"]);
    match load(&viewer, done).await {
        Ok(p) => render(&p),
        Err(e) => viewer.error(e).into_response(),
    }
}

/// Bars 40 units wide in a 600 × 200 drawing, scaled to the largest month.
fn bars(lang: Lang, trend: &[(chrono::NaiveDate, i64)]) -> Vec<Bar> {
    let max = trend.iter().map(|t| t.1).max().unwrap_or(0).max(1) as f64;
    trend
        .iter()
        .enumerate()
        .map(|(i, (month, n))| {
            let h = (*n as f64) * 150.0 / max;
            let x = 10.0 + i as f64 * 49.0;
            Bar {
                x: format!("{x:.1}"),
                y: format!("{:.1}", 170.0 - h),
                height: format!("{h:.1}"),
                label: lang.t(super::i18n::month_key(*month)),
                label_x: format!("{:.1}", x + 20.0),
                value: *n,
                value_y: format!("{:.1}", 165.0 - h),
            }
        })
        .collect()
}

async fn load(viewer: &Viewer, done: Option<String>) -> Result<DashboardPage, ApiError> {
    let lang = viewer.lang();
    let today = Utc::now().date_naive();
    let mut c = viewer.state.db().acquire().await?;
    let d = reports::dashboard(&mut c.conn(), today).await?;
    let types = leave_types::list(&mut c.conn(), true).await?;
    let who = |o: &reports::OnLeave| {
        let (name, _) = type_label(&types, &o.leave_type);
        format!("{} · {name} · {}", o.employee_name, date_range(lang, o.start_date, o.end_date, false, false))
    };
    let by_status = LeaveStatus::ALL
        .iter()
        .map(|s| (status_label(lang, *s), d.month_by_status.get(s.as_str()).copied().unwrap_or(0)))
        .collect();
    let trend_summary = d
        .trend
        .iter()
        .map(|(m, n)| format!("{} {}: {n}", lang.t(super::i18n::month_key(*m)), chrono::Datelike::year(m)))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(DashboardPage {
        c: viewer.chrome("admin"),
        pending: d.pending_approvals,
        headcount: d.headcount,
        out_today: d.on_leave_today.len(),
        today: d.on_leave_today.iter().take(LISTED).map(who).collect(),
        today_more: d.on_leave_today.len().saturating_sub(LISTED),
        week: d.on_leave_this_week.iter().take(LISTED).map(who).collect(),
        week_more: d.on_leave_this_week.len().saturating_sub(LISTED),
        by_status,
        bars: bars(lang, &d.trend),
        trend_summary,
        mail: super::hr_mail::section(viewer).await?,
        done,
    })
}
