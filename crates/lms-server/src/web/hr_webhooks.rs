//! HR: webhooks — the registered endpoints (URL, events, format, active),
//! registering one (its signing secret shown once, on the answer itself,
//! never again), deleting one, an endpoint's recent deliveries with their
//! attempts, and whether deliveries may reach private addresses. Each
//! change is the use case the API calls (`lms_app::webhooks`); resolving
//! the host for the SSRF check is `crate::webhooks::resolve`, as for the
//! API. On an instance without the webhooks' migration the page says they
//! are not available.

use super::page::{done_banner, error_message, render_with, see_other, Chrome, PageForm, PagePairs, Viewer};
use crate::ApiError;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use lms_app::webhooks::{self, Registration};
use lms_core::webhook::{WebhookEvent, WebhookFormat, WebhookUrl};
use lms_core::DomainError;
use serde::Deserialize;

/// Deliveries shown for the chosen endpoint.
const RECENT: i64 = 20;

#[derive(Deserialize, Default)]
pub struct WebhooksQuery {
    webhook: Option<String>,
    done: Option<String>,
}

struct EndpointRow {
    id: i64,
    url: String,
    /// The events' names, in the reader's language.
    events: String,
    format: String,
    active: bool,
    created: String,
}

struct DeliveryRow {
    event: String,
    status: String,
    attempts: i32,
    /// The endpoint's last answer or what went wrong.
    outcome: String,
    created: String,
}

/// An event to subscribe to: its name and words, and whether it is ticked.
struct EventChoice {
    name: &'static str,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "hr_webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    available: bool,
    endpoints: Vec<EndpointRow>,
    /// The chosen endpoint's URL and recent deliveries.
    selected: Option<(String, Vec<DeliveryRow>)>,
    events: Vec<EventChoice>,
    /// The registration form as typed (after a refusal).
    url: String,
    slack: bool,
    allow_private: bool,
    /// A new endpoint's signing secret, shown this once.
    secret: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

const DONE: &[&str] = &["webhook-deleted", "webhooks-private-on", "webhooks-private-off"];

fn when(lang: super::i18n::Lang, at: DateTime<Utc>) -> String {
    format!("{} {}", lang.date(at.date_naive()), at.format("%H:%M"))
}

fn event_label(lang: super::i18n::Lang, name: &str) -> String {
    lang.t(&format!("webhook-event-{}", name.replace(['.', '_'], "-")))
}

/// What the form held when it came back.
#[derive(Default)]
struct Typed {
    url: String,
    events: Vec<String>,
    slack: bool,
}

async fn load(
    viewer: &Viewer,
    chosen: Option<i64>,
    typed: Typed,
    secret: Option<String>,
    done: Option<String>,
    error: Option<String>,
) -> Result<WebhooksPage, ApiError> {
    let lang = viewer.lang();
    let db = viewer.state.db();
    let events = WebhookEvent::ALL
        .iter()
        .map(|e| EventChoice {
            name: e.as_str(),
            label: event_label(lang, e.as_str()),
            checked: typed.events.iter().any(|t| t == e.as_str()),
        })
        .collect();
    let mut page = WebhooksPage {
        c: viewer.chrome("webhooks"),
        available: webhooks::available(db),
        endpoints: Vec::new(),
        selected: None,
        events,
        url: typed.url,
        slack: typed.slack,
        allow_private: false,
        secret,
        done,
        error,
    };
    if !page.available {
        return Ok(page);
    }
    let caller = viewer.caller();
    let all = webhooks::list(db, &caller).await?;
    page.allow_private = webhooks::allow_private(db, &caller).await?;
    if let Some(w) = chosen.and_then(|id| all.iter().find(|w| w.id == id)) {
        let logged = webhooks::deliveries(db, &caller, w.id, None, RECENT).await?;
        let rows = logged
            .into_iter()
            .map(|l| {
                let d = l.delivery;
                let outcome = match (&d.last_error, d.last_status) {
                    (Some(e), _) => e.clone(),
                    (None, Some(code)) => format!("HTTP {code}"),
                    (None, None) => String::new(),
                };
                DeliveryRow {
                    event: event_label(lang, &d.event),
                    status: lang.t(&format!("webhook-status-{}", d.status)),
                    attempts: d.attempts,
                    outcome,
                    created: when(lang, d.created_at),
                }
            })
            .collect();
        page.selected = Some((w.url.clone(), rows));
    }
    page.endpoints = all
        .into_iter()
        .map(|w| EndpointRow {
            events: webhooks::events_of(&w).iter().map(|e| event_label(lang, e)).collect::<Vec<_>>().join(", "),
            id: w.id,
            format: w.format.clone(),
            active: w.active,
            created: when(lang, w.created_at),
            url: w.url,
        })
        .collect();
    Ok(page)
}

/// `GET /hr/webhooks`
pub async fn page(viewer: Viewer, Query(q): Query<WebhooksQuery>) -> Response {
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    let done = done_banner(viewer.lang(), q.done.as_deref(), DONE);
    let chosen = q.webhook.as_deref().and_then(|w| w.parse().ok());
    viewer.respond(load(&viewer, chosen, Typed::default(), None, done, None).await)
}

/// The page again with what to fix (and the form as typed).
async fn refuse(viewer: &Viewer, typed: Typed, e: ApiError) -> Response {
    let status = if e.status.is_client_error() { e.status } else { StatusCode::INTERNAL_SERVER_ERROR };
    let message = error_message(viewer.lang(), &e);
    match load(viewer, None, typed, None, None, Some(message)).await {
        Ok(p) => render_with(status, &p),
        Err(e) => viewer.error(e).into_response(),
    }
}

/// `POST /hr/webhooks`: registers an endpoint and shows its secret once
/// (on this answer, not after a redirect: it is not kept anywhere it could
/// be shown again).
pub async fn create(viewer: Viewer, PagePairs(pairs): PagePairs) -> Response {
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(e) = viewer.check_hr_form(&field("_csrf")) {
        return e.into_response();
    }
    let typed = Typed {
        url: field("url").chars().take(2048).collect(),
        events: pairs.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.clone()).collect(),
        slack: field("format") == "slack",
    };
    let outcome = async {
        let url = WebhookUrl::parse(&typed.url)?;
        let events = typed.events.iter().map(|e| e.parse::<WebhookEvent>()).collect::<Result<Vec<_>, _>>()?;
        let format = if typed.slack { WebhookFormat::Slack } else { WebhookFormat::Json };
        let resolved = crate::webhooks::resolve(&url).await.map_err(DomainError::InvalidRule)?;
        let secret = crate::webhooks::new_secret();
        let r = Registration { url, events, format, active: true, secret: secret.clone(), resolved };
        let w = webhooks::register(viewer.state.db(), &viewer.caller(), r, Utc::now()).await?;
        Ok::<_, ApiError>((w.id, secret))
    };
    match outcome.await {
        Ok((id, secret)) => {
            let done = Some(viewer.lang().t("done-webhook-created"));
            match load(&viewer, Some(id), Typed::default(), Some(secret), done, None).await {
                Ok(p) => render_with(StatusCode::CREATED, &p),
                Err(e) => viewer.error(e).into_response(),
            }
        }
        Err(e) => refuse(&viewer, typed, e).await,
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    token: String,
}

/// `POST /hr/webhooks/{id}/delete`
pub async fn delete(viewer: Viewer, Path(id): Path<String>, PageForm(f): PageForm<TokenForm>) -> Response {
    let id = match viewer.hr_target(&f.token, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match webhooks::delete(viewer.state.db(), &viewer.caller(), id, Utc::now()).await {
        Ok(()) => see_other("/hr/webhooks?done=webhook-deleted"),
        Err(e) => refuse(&viewer, Typed::default(), e.into()).await,
    }
}

#[derive(Deserialize)]
pub struct PrivateForm {
    #[serde(rename = "_csrf", default)]
    token: String,
    #[serde(default)]
    allow_private: String,
}

/// `POST /hr/webhooks/private`: whether deliveries may reach private addresses.
pub async fn set_private(viewer: Viewer, PageForm(f): PageForm<PrivateForm>) -> Response {
    if let Err(e) = viewer.check_hr_form(&f.token) {
        return e.into_response();
    }
    let on = f.allow_private == "on";
    match webhooks::set_allow_private(viewer.state.db(), &viewer.caller(), on, Utc::now()).await {
        Ok(_) => see_other(if on {
            "/hr/webhooks?done=webhooks-private-on"
        } else {
            "/hr/webhooks?done=webhooks-private-off"
        }),
        Err(e) => refuse(&viewer, Typed::default(), e.into()).await,
    }
}
