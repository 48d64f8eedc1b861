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
    /// The stage it waits at, in words (none: decided in one step).
    stage: Option<String>,
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
    /// The viewer's deputies, when this instance runs approval chains.
    deputies: Option<Deputies>,
}

struct DelegationRow {
    id: i64,
    /// "Maya Singh decides for Morgan Lee, 1 Dec 2026 – 12 Dec 2026".
    text: String,
    /// The viewer named it (or is HR): they may end it.
    removable: bool,
}

struct Deputies {
    rows: Vec<DelegationRow>,
    /// Who may be named: other active managers and HR admins.
    candidates: Vec<(i64, String)>,
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
        Some("deputy-named") => Some(lang.t("done-deputy-named")),
        Some("deputy-removed") => Some(lang.t("done-deputy-removed")),
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
    let scope = lms_app::approval::queue(viewer.state.db(), Utc::now().date_naive());
    let queue = requests::approval_queue(&mut c.conn(), &actor, scope, before, PER_PAGE).await?;
    let more = (queue.len() as i64 == PER_PAGE).then(|| queue.last().map(|q| q.request.id)).flatten();
    let queue = if lms_app::leave_year::splits(viewer.state.db()) {
        let ids: Vec<i64> = queue.iter().map(|q| q.request.id).collect();
        one_row_per_request(queue, &lms_store::request_parts::siblings_of(&mut c.conn(), &ids).await?)
    } else {
        queue
    };
    let types = leave_types::list(&mut c.conn(), true).await?;
    let staged = lms_app::approval::staged(viewer.state.db());
    let deputies = if staged { Some(deputies(viewer, &mut c.conn()).await?) } else { None };
    let (from, to) =
        match (queue.iter().map(|q| q.request.start_date).min(), queue.iter().map(|q| q.request.end_date).max()) {
            (Some(f), Some(t)) => (f, t),
            _ => {
                return Ok(QueuePage {
                    c: viewer.chrome("approvals"),
                    items: vec![],
                    done,
                    error,
                    more: None,
                    deputies,
                })
            }
        };
    let mut stage_labels = Vec::with_capacity(queue.len());
    for q in &queue {
        stage_labels.push(if staged { stage_label(lang, &mut c.conn(), q.request.id).await? } else { None });
    }
    // Who else is off: the active requests of each team in the queue, one
    // index-backed read per manager (a person without a manager has no team).
    let mut managers: Vec<i64> = queue.iter().filter_map(|q| q.request.manager_id).collect();
    managers.sort_unstable();
    managers.dedup();
    let mut team_leave = Vec::new();
    for m in managers {
        team_leave.extend(requests::active_between(&mut c.conn(), from, to, Some(m)).await?);
    }
    let units = lms_app::leave_types::type_units(viewer.state.db()).await?;
    let items = queue
        .iter()
        .zip(stage_labels)
        .map(|(q, stage)| {
            let unit = units.of(&q.request.leave_type);
            QueueItem {
                r: RequestRow::new(lang, &types, &q.request).in_unit(lang, unit, q.request.amount),
                stage,
                reason: q.request.reason.clone(),
                // Pending days, this request's included, are already counted (in the type's unit).
                available_after: lang.amount(unit, q.available),
                deducts: q.deducts_balance,
                conflicts: conflicts(lang, &types, &q.request, &team_leave),
            }
        })
        .collect();
    Ok(QueuePage { c: viewer.chrome("approvals"), items, done, error, more, deputies })
}

/// The queue with one row per request: a request across a turn of the
/// leave year is stored as one row per year (`parts`: each part's id to
/// all its parts), decided as one, so it is shown as one — the first of
/// its parts in the queue, its dates and amount spanning the parts there.
/// (The balance shown stays that of the first part's year.)
fn one_row_per_request(
    queue: Vec<requests::QueueEntry>,
    parts: &std::collections::HashMap<i64, Vec<i64>>,
) -> Vec<requests::QueueEntry> {
    let group = |id: i64| parts.get(&id).and_then(|members| members.first().copied());
    let mut rows: Vec<requests::QueueEntry> = Vec::with_capacity(queue.len());
    for q in queue {
        let Some(g) = group(q.request.id) else {
            rows.push(q);
            continue;
        };
        match rows.iter_mut().find(|r| group(r.request.id) == Some(g)) {
            Some(row) => {
                let (r, part) = (&mut row.request, &q.request);
                if part.start_date < r.start_date {
                    (r.start_date, r.half_day_start) = (part.start_date, part.half_day_start);
                }
                if part.end_date > r.end_date {
                    (r.end_date, r.half_day_end) = (part.end_date, part.half_day_end);
                }
                r.amount += part.amount;
            }
            None => rows.push(q),
        }
    }
    rows
}

/// "Stage 1 of 2: the manager" (or of a cancellation) for request `id`.
async fn stage_label(lang: Lang, c: &mut lms_store::Conn<'_>, id: i64) -> Result<Option<String>, ApiError> {
    use super::i18n::Arg::Text;
    let stages = lms_store::approvals::stages(c, id).await?;
    let Some(round) = stages.last().map(|s| s.round) else { return Ok(None) };
    let current: Vec<_> = stages.iter().filter(|s| s.round == round).collect();
    let Some(open) = current.iter().find(|s| s.decision.is_none()) else { return Ok(None) };
    let key = if round == 0 { "approvals-stage" } else { "approvals-stage-cancellation" };
    let args = [
        ("position", Text(open.position.to_string())),
        ("count", Text(current.len().to_string())),
        ("approver", Text(approver_label(lang, &open.approver))),
    ];
    Ok(Some(lang.t_with(key, &args)))
}

/// An approver (`manager`, `hr`, `role:manager`) in the reader's language.
pub(super) fn approver_label(lang: Lang, approver: &str) -> String {
    lang.t(match approver {
        "manager" => "approver-manager",
        "hr" => "approver-hr",
        _ => "approver-role-manager",
    })
}

/// The viewer's delegations and whom they may name.
async fn deputies(viewer: &Viewer, c: &mut lms_store::Conn<'_>) -> Result<Deputies, ApiError> {
    let lang = viewer.lang();
    let me = viewer.user.id();
    let today = Utc::now().date_naive();
    let mine = lms_store::approvals::delegations(c, Some(me), today).await?;
    let rows = mine
        .into_iter()
        .map(|d| {
            use super::i18n::Arg::Text;
            let args = [
                ("deputy", Text(d.deputy_name.clone())),
                ("manager", Text(d.manager_name.clone())),
                ("from", Text(lang.date(d.start_date))),
                ("to", Text(lang.date(d.end_date))),
            ];
            DelegationRow {
                id: d.id,
                text: lang.t_with("deputies-row", &args),
                removable: d.manager_id == me || viewer.chrome.is_hr(),
            }
        })
        .collect();
    let people = lms_store::employees::list(c, false, 1000, 0).await?;
    let candidates = people
        .into_iter()
        .filter(|e| e.id != me && matches!(e.role(), lms_core::Role::Manager | lms_core::Role::HrAdmin))
        .map(|e| (e.id, e.name))
        .collect();
    Ok(Deputies { rows, candidates })
}

#[derive(Deserialize)]
pub struct DeputyForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    deputy: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
}

/// `POST /approvals/deputies`: names a deputy of the viewer for dates.
pub async fn name_deputy(viewer: Viewer, PageForm(f): PageForm<DeputyForm>) -> Response {
    if let Err(e) = viewer.check_form(&f.token).and_then(|_| viewer.require_decider()) {
        return e.into_response();
    }
    let outcome = async {
        let deputy = f
            .deputy
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::unprocessable("invalid_delegation", "choose the deputy"))?;
        let date = |raw: &str, what: &str| {
            chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|_| ApiError::unprocessable("invalid_date", format!("the {what} day needs a date")))
        };
        let dates = lms_core::DateRange::new(date(&f.start, "first")?, date(&f.end, "last")?)?;
        let caller = viewer.caller();
        lms_app::approval::name_deputy(viewer.state.db(), &caller, caller.actor.id, deputy, dates, Utc::now()).await?;
        Ok::<_, ApiError>(())
    };
    match outcome.await {
        Ok(()) => see_other("/approvals?done=deputy-named"),
        Err(e) => refuse(&viewer, e).await,
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    token: String,
}

/// `POST /approvals/deputies/{id}/delete`: ends a delegation.
pub async fn remove_deputy(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<TokenForm>) -> Response {
    if let Err(e) = viewer.check_form(&f.token).and_then(|_| viewer.require_decider()) {
        return e.into_response();
    }
    let Ok(id) = id.parse::<i64>() else {
        return viewer.refuse(StatusCode::NOT_FOUND, "error-not-found").into_response();
    };
    match lms_app::approval::remove_deputy(viewer.state.db(), &viewer.caller(), id, Utc::now()).await {
        Ok(()) => see_other("/approvals?done=deputy-removed"),
        Err(e) => refuse(&viewer, e.into()).await,
    }
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
