//! The home page: the reader's balances for this year as bars (taken,
//! pending, available), upcoming and recent requests, and notifications
//! with a way to mark them read.

use super::i18n::Lang;
use super::page::{render, see_other, Chrome, PageForm, TokenOnly, Viewer};
use super::view::{BalanceBar, RequestRow};
use askama::Template;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lms_store::notifications::Notification;
use lms_store::requests::{LeaveRequest, RequestFilter};
use lms_store::{leave_types, ledger, notifications, requests};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    year: i32,
    balances: Vec<BalanceBar>,
    upcoming: Vec<RequestRow>,
    recent: Vec<RequestRow>,
    notes: Vec<NoteRow>,
}

struct NoteRow {
    what: String,
    when: String,
    unread: bool,
    link: String,
}

fn note_row(lang: Lang, n: &Notification) -> NoteRow {
    let key = format!("notification-{}", n.kind.replace(['.', '_'], "-"));
    let what = if lang.has(&key) { lang.t(&key) } else { n.subject.clone() };
    NoteRow {
        what,
        when: lang.date(n.created_at.date_naive()),
        unread: n.read_at.is_none(),
        link: if n.entity_type == "leave_request" { format!("/requests/{}", n.entity_id) } else { "/".into() },
    }
}

/// `GET /`
pub async fn page(viewer: Viewer) -> Response {
    match load(&viewer).await {
        Ok(p) => render(&p),
        Err(e) => viewer.error(e).into_response(),
    }
}

async fn load(viewer: &Viewer) -> Result<HomePage, crate::ApiError> {
    let lang = viewer.lang();
    let today = Utc::now().date_naive();
    let year = lms_app::leave_year::current(viewer.state.db(), today).await?;
    let me = viewer.user.id();
    let mut c = viewer.state.db().acquire().await?;
    let types = leave_types::list(&mut c.conn(), true).await?;
    let balances = ledger::balances(&mut c.conn(), me, year, lms_app::leave_types::units(viewer.state.db())).await?;
    let filter = RequestFilter { employee_id: Some(me), limit: 50, ..Default::default() };
    let mine = requests::list(&mut c.conn(), &filter).await?;
    let notes = notifications::list(&mut c.conn(), me, false, None, 8).await?;
    let balances = balances
        .iter()
        .filter(|b| b.deducts_balance && (b.balance.entitled.millidays() != 0 || b.balance.taken.millidays() != 0))
        .map(|b| BalanceBar::new(lang, &types, b))
        .collect();
    drop(c);
    let units = lms_app::leave_types::type_units(viewer.state.db()).await?;
    let row = |r: &LeaveRequest| RequestRow::new(lang, &types, r).in_unit(lang, units.of(&r.leave_type), r.amount);
    let (upcoming, recent): (Vec<_>, Vec<_>) = mine.iter().partition(|r| r.end_date >= today && r.status().is_active());
    let mut upcoming: Vec<RequestRow> = upcoming.into_iter().map(row).collect();
    upcoming.sort_by_key(|r| r.start);
    let recent = recent.into_iter().take(5).map(row).collect();
    Ok(HomePage {
        c: viewer.chrome("home"),
        year,
        balances,
        upcoming,
        recent,
        notes: notes.iter().map(|n| note_row(lang, n)).collect(),
    })
}

/// `POST /notifications/read`: marks every notification read.
pub async fn mark_all_read(viewer: Viewer, PageForm(form): PageForm<TokenOnly>) -> Response {
    if let Err(e) = viewer.check_form(&form.token) {
        return e.into_response();
    }
    match lms_app::notifications::mark_all_read(viewer.state.db(), &viewer.caller(), Utc::now()).await {
        Ok(_) => see_other("/"),
        Err(e) => viewer.error(e.into()).into_response(),
    }
}
