//! The approvals queue of a manager (direct reports) or HR (everyone): each
//! pending request with the employee's balance after it and who else in the
//! team is off on those days; approve or reject with a comment, one at a
//! time or several approved at once. The decision is `lms_app::leave::decide`,
//! the same as the API's.

use super::i18n::Lang;
use super::page::{render, see_other, Chrome, PageForm, PagePairs, Viewer};
use super::view::{date_range, type_label, RequestRow};
use crate::ApiError;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lms_core::{Comment, RequestAction};
use lms_store::leave_types;
use lms_store::requests::{self, LeaveRequest};
use serde::Deserialize;

struct QueueItem {
    r: RequestRow,
    reason: String,
    available_after: String,
    deducts: bool,
    /// "Name: dates (status)" of teammates off on overlapping days.
    conflicts: Vec<String>,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct QueuePage {
    c: Chrome,
    items: Vec<QueueItem>,
    done: Option<String>,
    error: Option<String>,
    /// The id to continue after, when more requests wait than a page shows.
    more: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct Outcome {
    done: Option<String>,
    count: Option<u32>,
    /// The page after the request with this id (newest first).
    before: Option<String>,
}

/// Requests a page of the queue shows.
const PER_PAGE: i64 = 50;

/// `GET /approvals`
pub async fn queue(viewer: Viewer, Query(o): Query<Outcome>) -> Response {
    if let Err(e) = viewer.require_decider() {
        return e.into_response();
    }
    let lang = viewer.lang();
    let done = match o.done.as_deref() {
        Some("approved") => Some(lang.t("done-approved")),
        Some("rejected") => Some(lang.t("done-rejected")),
        Some("bulk") => {
            Some(lang.t_with("done-bulk", &[("count", super::i18n::Arg::Count(o.count.unwrap_or(0).into()))]))
        }
        _ => None,
    };
    let before = o.before.as_deref().and_then(|b| b.parse::<i64>().ok());
    match load(&viewer, before, done, None).await {
        Ok(p) => render(&p),
        Err(e) => viewer.error(e).into_response(),
    }
}

async fn load(
    viewer: &Viewer,
    before: Option<i64>,
    done: Option<String>,
    error: Option<String>,
) -> Result<QueuePage, ApiError> {
    let lang = viewer.lang();
    let actor = viewer.user.actor();
    let mut c = viewer.state.db().acquire().await?;
    let queue = requests::approval_queue(&mut c.conn(), &actor, before, PER_PAGE).await?;
    let more = (queue.len() as i64 == PER_PAGE).then(|| queue.last().map(|q| q.request.id)).flatten();
    let types = leave_types::list(&mut c.conn(), true).await?;
    let (from, to) =
        match (queue.iter().map(|q| q.request.start_date).min(), queue.iter().map(|q| q.request.end_date).max()) {
            (Some(f), Some(t)) => (f, t),
            _ => return Ok(QueuePage { c: viewer.chrome("approvals"), items: vec![], done, error, more: None }),
        };
    // Who else is off: the active requests of each team in the queue, one
    // index-backed read per manager (a person without a manager has no team).
    let mut managers: Vec<i64> = queue.iter().filter_map(|q| q.request.manager_id).collect();
    managers.sort_unstable();
    managers.dedup();
    let mut team_leave = Vec::new();
    for m in managers {
        team_leave.extend(requests::active_between(&mut c.conn(), from, to, Some(m)).await?);
    }
    let items = queue
        .iter()
        .map(|q| QueueItem {
            r: RequestRow::new(lang, &types, &q.request),
            reason: q.request.reason.clone(),
            // Pending days, this request's included, are already counted.
            available_after: lang.millis(q.available),
            deducts: q.deducts_balance,
            conflicts: conflicts(lang, &types, &q.request, &team_leave),
        })
        .collect();
    Ok(QueuePage { c: viewer.chrome("approvals"), items, done, error, more })
}

/// Teammates (same manager) off on days of `r`.
fn conflicts(
    lang: Lang,
    types: &[lms_store::leave_types::LeaveType],
    r: &LeaveRequest,
    all: &[LeaveRequest],
) -> Vec<String> {
    all.iter()
        .filter(|o| o.employee_id != r.employee_id && r.manager_id.is_some() && o.manager_id == r.manager_id)
        .filter(|o| o.start_date <= r.end_date && o.end_date >= r.start_date)
        .map(|o| {
            let status = super::view::status_label(lang, o.status());
            let dates = date_range(lang, o.start_date, o.end_date, o.half_day_start, o.half_day_end);
            format!("{}: {} {} ({status})", o.employee_name, type_label(types, &o.leave_type).0, dates)
        })
        .collect()
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    intent: String,
}

/// `POST /approvals/{id}`: approve or reject (`intent`), with a comment.
pub async fn decide(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<DecisionForm>) -> Response {
    if let Err(e) = viewer.check_form(&f.token).and_then(|_| viewer.require_decider()) {
        return e.into_response();
    }
    let (Ok(id), Some(action)) = (id.parse::<i64>(), action(&f.intent)) else {
        return viewer.refuse(StatusCode::BAD_REQUEST, "error-bad-form").into_response();
    };
    let comment = match Comment::parse(Some(&f.comment)) {
        Ok(c) => c,
        Err(e) => return refuse(&viewer, ApiError::from(e)).await,
    };
    let metrics = viewer.state.metrics();
    match lms_app::leave::decide(viewer.state.db(), &viewer.caller(), id, action, comment.as_ref(), Utc::now(), metrics)
        .await
    {
        Ok(_) => see_other(&format!(
            "/approvals?done={}",
            if action == RequestAction::Approve { "approved" } else { "rejected" }
        )),
        Err(e) => refuse(&viewer, e.into()).await,
    }
}

fn action(intent: &str) -> Option<RequestAction> {
    match intent {
        "approve" => Some(RequestAction::Approve),
        "reject" => Some(RequestAction::Reject),
        _ => None,
    }
}

/// The queue again, with what went wrong on top.
async fn refuse(viewer: &Viewer, e: ApiError) -> Response {
    let lang = viewer.lang();
    let status = e.status;
    let message = super::page::error_message(lang, &e);
    match load(viewer, None, None, Some(message)).await {
        Ok(p) => super::page::render_with(status, &p),
        Err(e) => viewer.error(e).into_response(),
    }
}

/// `POST /approvals/bulk`: approves every request ticked (`ids`), each in
/// its own transaction; the first refusal stops and is shown.
pub async fn bulk(viewer: Viewer, PagePairs(pairs): PagePairs) -> Response {
    let lang = viewer.lang();
    let token = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(e) = viewer.check_form(token).and_then(|_| viewer.require_decider()) {
        return e.into_response();
    }
    let ids: Vec<i64> =
        pairs.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse().ok()).take(200).collect();
    if ids.is_empty() {
        let message = lang.t("approvals-none-ticked");
        return match load(&viewer, None, None, Some(message)).await {
            Ok(p) => super::page::render_with(StatusCode::UNPROCESSABLE_ENTITY, &p),
            Err(e) => viewer.error(e).into_response(),
        };
    }
    let caller = viewer.caller();
    for id in &ids {
        let outcome = lms_app::leave::decide(
            viewer.state.db(),
            &caller,
            *id,
            RequestAction::Approve,
            None,
            Utc::now(),
            viewer.state.metrics(),
        )
        .await;
        if let Err(e) = outcome {
            return refuse(&viewer, e.into()).await;
        }
    }
    see_other(&format!("/approvals?done=bulk&count={}", ids.len()))
}
