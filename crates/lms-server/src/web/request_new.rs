//! Requesting leave: the form (type, native date inputs, half days,
//! reason) and, while it is filled in, the server's quote — days counted (by the person's schedule),
//! weekends and holidays skipped, balance after, overlaps with the person's
//! own requests, and what each leave year is charged when the request
//! crosses a turn of the year. Without JavaScript a "Check" button shows the same quote;
//! with it, `app.js` fetches `/requests/quote` as the fields change.

use super::i18n::Lang;
use super::page::{error_message, render, render_with, see_other, Chrome, PageError, PageForm, Viewer};
use super::view::{date_range, RequestRow};
use crate::ApiError;
use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use lms_core::NewRequest;
use lms_store::leave_types::{self, LeaveType};
use lms_store::requests::Quote;
use serde::Deserialize;

/// The form's fields as typed (kept when the form comes back with an error).
#[derive(Deserialize, Default, Clone)]
pub struct RequestFields {
    #[serde(default)]
    pub leave_type: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub end_date: String,
    pub half_day_start: Option<String>,
    pub half_day_end: Option<String>,
    #[serde(default)]
    pub reason: String,
    /// Part of one day in hours (a type measured in hours); empty: whole days.
    #[serde(default)]
    pub hours: String,
    #[serde(rename = "_csrf", default)]
    pub token: String,
    /// `check`: show the quote, submit nothing (the form without script).
    pub intent: Option<String>,
}

impl RequestFields {
    /// The request the fields describe, or what to fix.
    fn parse(&self, lang: Lang) -> Result<NewRequest, String> {
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let (Some(start), Some(end)) = (date(&self.start_date), date(&self.end_date)) else {
            return Err(lang.t("request-dates-needed"));
        };
        let new = NewRequest::parse(
            &self.leave_type,
            start,
            end,
            self.half_day_start.is_some(),
            self.half_day_end.is_some(),
            Some(&self.reason),
        )
        .map_err(|e| error_message(lang, &ApiError::from(e)))?;
        match self.hours.trim() {
            "" => Ok(new),
            raw => super::hr_allowances::parse_amount(raw, lms_core::LeaveUnit::Hours)
                .and_then(|h| Ok(new.part_of_day(h)?))
                .map_err(|e| error_message(lang, &e)),
        }
    }
    pub fn half_start(&self) -> bool {
        self.half_day_start.is_some()
    }
    pub fn half_end(&self) -> bool {
        self.half_day_end.is_some()
    }
}

/// A quote as the page shows it: its amounts in the type's unit.
pub struct QuoteView {
    pub days: String,
    /// The unit's name ("days", "hours").
    pub unit: String,
    pub working_days: i64,
    pub weekend_days: i64,
    pub holidays: Vec<String>,
    /// The location whose holiday calendar applied (none: the company's).
    pub location: Option<String>,
    /// The working schedules the days were counted by, one line each.
    pub schedules: Vec<String>,
    pub deducts: bool,
    pub before: String,
    pub after: String,
    pub overlaps: Vec<RequestRow>,
    pub document_required: bool,
    pub problem: Option<String>,
    /// What each leave year is charged, when the request crosses a turn
    /// of the year (empty for a request within one year).
    pub parts: Vec<QuotePartView>,
}

/// One leave year's part of a request that crosses a turn of the year.
pub struct QuotePartView {
    pub year: i32,
    pub dates: String,
    pub days: String,
    pub before: String,
    pub after: String,
}

impl QuoteView {
    fn new(lang: Lang, types: &[LeaveType], q: Quote) -> QuoteView {
        let problem = q.problem.map(|p| error_message(lang, &ApiError::from(p)));
        let unit = q.unit;
        QuoteView {
            days: lang.amount(unit, q.amount),
            unit: lang.unit(unit),
            working_days: q.working_days,
            weekend_days: q.weekend_days,
            holidays: q.holidays.iter().map(|h| format!("{} ({})", h.name, lang.date(h.day))).collect(),
            location: q.location.map(|l| l.name),
            schedules: q.schedules.iter().map(|s| super::schedules::applied(lang, s)).collect(),
            deducts: q.deducts_balance,
            before: lang.amount(unit, q.available_before),
            after: lang.amount(unit, q.available_after),
            overlaps: q
                .overlaps
                .iter()
                .map(|r| RequestRow::new(lang, types, r).in_unit(lang, unit, r.amount))
                .collect(),
            document_required: q.document_required,
            problem,
            parts: match q.parts.len() {
                0 | 1 => Vec::new(),
                _ => q
                    .parts
                    .iter()
                    .map(|p| QuotePartView {
                        year: p.year,
                        dates: date_range(lang, p.start, p.end, p.half_day_start, p.half_day_end),
                        days: lang.amount(unit, p.amount),
                        before: lang.amount(unit, p.available_before),
                        after: lang.amount(unit, p.available_after),
                    })
                    .collect(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "quote.html")]
struct QuoteFragment {
    c: Chrome,
    quote: Option<QuoteView>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "request_new.html")]
struct RequestPage {
    c: Chrome,
    types: Vec<(String, String)>,
    f: RequestFields,
    quote: QuoteFragment,
    error: Option<String>,
}

async fn quote_for(viewer: &Viewer, types: &[LeaveType], f: &RequestFields) -> QuoteFragment {
    let c = viewer.chrome("new");
    if f.start_date.is_empty() || f.end_date.is_empty() {
        return QuoteFragment { c, quote: None, error: None };
    }
    let new = match f.parse(viewer.lang()) {
        Ok(n) => n,
        Err(e) => return QuoteFragment { c, quote: None, error: Some(e) },
    };
    match lms_app::leave::quote(viewer.state.db(), &viewer.caller(), &new, chrono::Utc::now().date_naive()).await {
        Ok(q) => QuoteFragment { c, quote: Some(QuoteView::new(viewer.lang(), types, q)), error: None },
        Err(e) => {
            let e = ApiError::from(e);
            QuoteFragment { c, quote: None, error: Some(error_message(viewer.lang(), &e)) }
        }
    }
}

async fn types(viewer: &Viewer) -> Result<Vec<LeaveType>, PageError> {
    let mut c = viewer.state.db().acquire().await.map_err(|e| viewer.error(e.into()))?;
    leave_types::list(&mut c.conn(), false).await.map_err(|e| viewer.error(e.into()))
}

fn type_choices(types: &[LeaveType]) -> Vec<(String, String)> {
    types.iter().map(|t| (t.code.clone(), t.name.clone())).collect()
}

/// `GET /requests/new` (with the fields in the query: the no-script "Check").
pub async fn form(viewer: Viewer, Query(mut f): Query<RequestFields>) -> Response {
    let types = match types(&viewer).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    if f.leave_type.is_empty() {
        f.leave_type = types.first().map(|t| t.code.clone()).unwrap_or_default();
    }
    let quote = quote_for(&viewer, &types, &f).await;
    render(&RequestPage { c: viewer.chrome("new"), types: type_choices(&types), f, quote, error: None })
}

/// `GET /requests/quote`: the quote alone, for the form's live preview.
pub async fn quote(viewer: Viewer, Query(f): Query<RequestFields>) -> Response {
    let types = match types(&viewer).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let fragment = quote_for(&viewer, &types, &f).await;
    match fragment.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `POST /requests/new`
pub async fn submit(viewer: Viewer, PageForm(f): PageForm<RequestFields>) -> Response {
    if let Err(e) = viewer.check_form(&f.token) {
        return e.into_response();
    }
    let lang = viewer.lang();
    let types = match types(&viewer).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    if f.intent.as_deref() == Some("check") {
        let quote = quote_for(&viewer, &types, &f).await;
        return render(&RequestPage { c: viewer.chrome("new"), types: type_choices(&types), f, quote, error: None });
    }
    let outcome = match f.parse(lang) {
        Ok(new) => {
            lms_app::leave::submit(viewer.state.db(), &viewer.caller(), &new, Utc::now(), viewer.state.metrics())
                .await
                .map_err(ApiError::from)
        }
        Err(message) => Err(ApiError::unprocessable("invalid_request", message)),
    };
    match outcome {
        Ok(r) => see_other(&format!("/requests/{}?done=submitted", r.id)),
        Err(e) => {
            let status = if e.status.is_server_error() { e.status } else { StatusCode::UNPROCESSABLE_ENTITY };
            let quote = quote_for(&viewer, &types, &f).await;
            let error = Some(error_message(lang, &e));
            let page = RequestPage { c: viewer.chrome("new"), types: type_choices(&types), f, quote, error };
            render_with(status, &page)
        }
    }
}
