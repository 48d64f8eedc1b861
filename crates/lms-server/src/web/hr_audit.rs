//! The audit log for HR: every change, newest first, filtered by action,
//! entity type and person, 100 at a time with "older" paging.

use super::page::{Chrome, Viewer};
use crate::ApiError;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use lms_store::audit::{self, AuditFilter};
use lms_store::employees;
use serde::Deserialize;
use std::collections::HashMap;

const PER_PAGE: i64 = 100;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    before: String,
}

struct EventRow {
    when: String,
    who: String,
    action: String,
    entity: String,
    client: String,
}

#[derive(Template)]
#[template(path = "hr_audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<EventRow>,
    action: String,
    entity_type: String,
    actor: String,
    older: Option<String>,
    /// The API's spreadsheet of every event these filters match.
    xlsx: String,
}

/// `GET /hr/audit`
pub async fn page(viewer: Viewer, Query(q): Query<AuditQuery>) -> Response {
    if let Err(e) = viewer.require_hr() {
        return e.into_response();
    }
    viewer.respond(load(&viewer, q).await)
}

async fn load(viewer: &Viewer, q: AuditQuery) -> Result<AuditPage, ApiError> {
    let lang = viewer.lang();
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = AuditFilter {
        actor_id: q.actor.trim().parse().ok(),
        action: text(&q.action),
        entity_type: text(&q.entity_type),
        entity_id: None,
        from: None,
        to: None,
        before_id: q.before.parse().ok(),
        limit: PER_PAGE,
    };
    let mut c = viewer.state.db().acquire().await?;
    let events = audit::list(&mut c.conn(), &filter).await?;
    let mut names: HashMap<i64, String> = HashMap::new();
    for id in events.iter().filter_map(|e| e.actor_id) {
        if let std::collections::hash_map::Entry::Vacant(v) = names.entry(id) {
            v.insert(employees::get(&mut c.conn(), id).await?.map(|e| e.name).unwrap_or_else(|| format!("#{id}")));
        }
    }
    let older = (events.len() as i64 == PER_PAGE).then(|| events.last().map(|e| e.id.to_string())).flatten();
    let rows = events
        .iter()
        .map(|e| EventRow {
            when: format!("{} {}", lang.date(e.at.date_naive()), e.at.format("%H:%M:%S")),
            who: e.actor_id.and_then(|id| names.get(&id).cloned()).unwrap_or_else(|| lang.t("audit-system")),
            action: e.action.clone(),
            entity: format!("{} {}", e.entity_type, e.entity_id),
            client: e.client_addr.clone(),
        })
        .collect();
    let mut export = vec![("format", "xlsx".to_string())];
    export.extend(filter.action.clone().map(|a| ("action", a)));
    export.extend(filter.entity_type.clone().map(|t| ("entity_type", t)));
    export.extend(filter.actor_id.map(|a| ("actor_id", a.to_string())));
    let xlsx = format!("/api/v1/audit-events?{}", serde_urlencoded::to_string(&export).unwrap_or_default());
    Ok(AuditPage {
        c: viewer.chrome("audit"),
        xlsx,
        rows,
        action: filter.action.unwrap_or_default(),
        entity_type: filter.entity_type.unwrap_or_default(),
        actor: q.actor.trim().to_string(),
        older,
    })
}
