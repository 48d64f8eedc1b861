//! A person's requests: the history with filters (status, type, year), one
//! request with its timeline (submitted, decided by whom with the comment,
//! cancelled), and cancelling where the rules allow it.

use super::i18n::Lang;
use super::page::{render, see_other, Chrome, PageForm, Viewer};
use super::view::{status_label, RequestRow};
use crate::ApiError;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lms_core::{Comment, LeaveStatus, RequestAction};
use lms_store::requests::{self, LeaveRequest, RequestFilter};
use lms_store::{employees, leave_types};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    leave_type: String,
    #[serde(default)]
    year: String,
}

#[derive(Template)]
#[template(path = "my_requests.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<RequestRow>,
    statuses: Vec<(&'static str, String)>,
    types: Vec<(String, String)>,
    years: Vec<i32>,
    f: Filters,
}

/// `GET /requests`
pub async fn list(viewer: Viewer, Query(f): Query<Filters>) -> Response {
    match load_list(&viewer, f).await {
        Ok(p) => render(&p),
        Err(e) => viewer.error(e).into_response(),
    }
}

async fn load_list(viewer: &Viewer, f: Filters) -> Result<ListPage, ApiError> {
    let lang = viewer.lang();
    let leave_year = lms_app::leave_year::start(viewer.state.db()).await?;
    let this_year = leave_year.year_of(Utc::now().date_naive());
    let status = f.status.parse::<LeaveStatus>().ok();
    let year = f.year.parse::<i32>().ok().filter(|y| (this_year - 20..=this_year + 5).contains(y));
    let days = year.and_then(|y| leave_year.range(y));
    let mut c = viewer.state.db().acquire().await?;
    let types = leave_types::list(&mut c.conn(), true).await?;
    let leave_type = types.iter().find(|t| t.code == f.leave_type).map(|t| t.code.clone());
    let filter = RequestFilter {
        employee_id: Some(viewer.user.id()),
        status,
        leave_type,
        from: days.map(|d| d.start()),
        to: days.map(|d| d.end()),
        before_id: None,
        limit: 200,
    };
    let rows = requests::list(&mut c.conn(), &filter).await?;
    drop(c);
    let parts = lms_app::leave_year::parts_of(viewer.state.db(), &rows).await?;
    let units = lms_app::leave_types::type_units(viewer.state.db()).await?;
    Ok(ListPage {
        c: viewer.chrome("requests"),
        rows: rows
            .iter()
            .map(|r| {
                let unit = units.of(&r.leave_type);
                RequestRow::new(lang, &types, r).in_unit(lang, unit, r.amount).with_part(lang, &parts)
            })
            .collect(),
        statuses: LeaveStatus::ALL.iter().map(|s| (s.as_str(), status_label(lang, *s))).collect(),
        types: types.iter().map(|t| (t.code.clone(), t.name.clone())).collect(),
        years: (this_year - 2..=this_year + 1).rev().collect(),
        f,
    })
}

#[derive(Template)]
#[template(path = "request_detail.html")]
struct DetailPage {
    c: Chrome,
    r: RequestRow,
    /// The leave year it is charged to.
    year: i32,
    /// The other parts of its request (across a turn of the leave year).
    other_parts: Vec<i64>,
    timeline: Vec<String>,
    done: Option<String>,
    /// The approval's stages in words (empty: decided in one step).
    stages: Vec<String>,
    /// A cancellation of this started leave waits for approval.
    cancellation_waits: bool,
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

/// `GET /requests/{id}`
pub async fn detail(viewer: Viewer, Path(id): Path<String>, Query(d): Query<Done>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return viewer.refuse(axum::http::StatusCode::NOT_FOUND, "error-not-found").into_response();
    };
    match load_detail(&viewer, id, d).await {
        Ok(p) => render(&p),
        Err(e) => viewer.error(e).into_response(),
    }
}

async fn load_detail(viewer: &Viewer, id: i64, d: Done) -> Result<DetailPage, ApiError> {
    let lang = viewer.lang();
    let mut c = viewer.state.db().acquire().await?;
    let staged = lms_app::approval::request_with_stages(viewer.state.db(), &viewer.caller(), id).await?;
    let waiting = staged.waiting().map(|s| s.round);
    let stages = stage_lines(lang, &staged.stages);
    let r = staged.request;
    let types = leave_types::list(&mut c.conn(), true).await?;
    let mut names = [String::new(), String::new()];
    for (name, id) in names.iter_mut().zip([r.decided_by, r.cancelled_by]) {
        if let Some(id) = id {
            *name = employees::get(&mut c.conn(), id).await?.map(|e| e.name).unwrap_or_default();
        }
    }
    let [decided_by, cancelled_by] = names;
    let timeline = timeline(lang, &r, &decided_by, &cancelled_by);
    let done = d
        .done
        .filter(|k| matches!(k.as_str(), "submitted" | "cancelled" | "cancel-asked"))
        .map(|k| lang.t(&format!("done-{k}")));
    drop(c);
    let parts = lms_app::leave_year::parts_of(viewer.state.db(), std::slice::from_ref(&r)).await?;
    let other_parts = parts.get(&r.id).map(|ids| ids.iter().copied().filter(|i| *i != r.id).collect());
    let unit = lms_app::leave_types::type_units(viewer.state.db()).await?.of(&r.leave_type);
    let mut row = RequestRow::new(lang, &types, &r).in_unit(lang, unit, r.amount).with_part(lang, &parts);
    // Started leave: its cancellation is asked through the chain (once at a time).
    let asks = lms_app::approval::staged(viewer.state.db())
        && r.status() == LeaveStatus::Approved
        && lms_core::approval::cancellation_needs_approval(true, r.start_date, Utc::now().date_naive());
    row.can_cancel =
        (row.can_cancel || (asks && waiting.is_none())) && (r.employee_id == viewer.user.id() || viewer.chrome.is_hr());
    let cancellation_waits = waiting.is_some_and(|round| round > 0);
    let (year, other_parts) = (r.year, other_parts.unwrap_or_default());
    Ok(DetailPage {
        c: viewer.chrome("requests"),
        r: row,
        year,
        other_parts,
        timeline,
        done,
        stages,
        cancellation_waits,
    })
}

/// Each stage of each round in words: who it waits for, or who decided
/// when (on whose behalf), with the comment.
fn stage_lines(lang: Lang, stages: &[lms_store::approvals::Stage]) -> Vec<String> {
    use super::i18n::Arg::Text;
    stages
        .iter()
        .map(|s| {
            let approver = super::approvals::approver_label(lang, &s.approver);
            let key = if s.round == 0 { "stage-request" } else { "stage-cancellation" };
            let head = lang.t_with(key, &[("position", Text(s.position.to_string())), ("approver", Text(approver))]);
            let who = Text(s.decided_by_name.clone().unwrap_or_default());
            let when = Text(s.decided_at.map(|t| lang.date(t.date_naive())).unwrap_or_default());
            let mut state = match s.decision.as_deref() {
                Some("approved") => lang.t_with("stage-approved", &[("who", who), ("when", when)]),
                Some(_) => lang.t_with("stage-rejected", &[("who", who), ("when", when)]),
                None => lang.t("stage-open"),
            };
            if let Some(m) = &s.on_behalf_of_name {
                state = format!("{state} {}", lang.t_with("stage-on-behalf", &[("manager", Text(m.clone()))]));
            }
            match &s.comment {
                Some(c) => format!("{head}: {state} — “{c}”"),
                None => format!("{head}: {state}"),
            }
        })
        .collect()
}

fn timeline(lang: Lang, r: &LeaveRequest, decided_by: &str, cancelled_by: &str) -> Vec<String> {
    use super::i18n::Arg::Text;
    let when = |t: chrono::DateTime<Utc>| lang.date(t.date_naive());
    let mut out = vec![lang.t_with("timeline-submitted", &[("when", Text(when(r.created_at)))])];
    if let Some(at) = r.decided_at {
        let key = if r.status() == LeaveStatus::Rejected { "timeline-rejected" } else { "timeline-approved" };
        out.push(lang.t_with(key, &[("when", Text(when(at))), ("who", Text(decided_by.to_string()))]));
    }
    if let Some(at) = r.cancelled_at {
        out.push(
            lang.t_with("timeline-cancelled", &[("when", Text(when(at))), ("who", Text(cancelled_by.to_string()))]),
        );
    }
    out
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    comment: String,
}

/// `POST /requests/{id}/cancel`
pub async fn cancel(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<CancelForm>) -> Response {
    if let Err(e) = viewer.check_form(&f.token) {
        return e.into_response();
    }
    let Ok(id) = id.parse::<i64>() else {
        return viewer.refuse(axum::http::StatusCode::NOT_FOUND, "error-not-found").into_response();
    };
    let comment = match Comment::parse(Some(&f.comment)) {
        Ok(c) => c,
        Err(e) => return viewer.error(e.into()).into_response(),
    };
    let caller = viewer.caller();
    let db = viewer.state.db();
    let metrics = viewer.state.metrics();
    match lms_app::leave::decide(db, &caller, id, RequestAction::Cancel, comment.as_ref(), Utc::now(), metrics).await {
        // Still approved: the cancellation of started leave was asked.
        Ok(r) if r.status() == LeaveStatus::Approved => see_other(&format!("/requests/{id}?done=cancel-asked")),
        Ok(_) => see_other(&format!("/requests/{id}?done=cancelled")),
        Err(e) => viewer.error(e.into()).into_response(),
    }
}
