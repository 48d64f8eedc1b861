//! `/api/health` (database-backed, the shape the cutover plan expects),
//! `/api/health/live` and `/api/health/ready` (false while draining or when
//! the schema is behind this build).

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{SecondsFormat, Utc};
use lms_store::{migrations, settings};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

const DB_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `healthy` or `unhealthy`.
    pub status: &'static str,
    pub version: &'static str,
    /// `connected` or `disconnected`.
    pub database: &'static str,
    pub timestamp: String,
    pub maintenance: bool,
    pub slot: String,
}

/// Health of this instance and its database.
#[utoipa::path(get, path = "/api/health", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let maintenance = tokio::time::timeout(DB_TIMEOUT, async {
        let mut c = state.db().acquire().await?;
        settings::maintenance(&mut c.conn()).await
    })
    .await;
    let (ok, maintenance) = match maintenance {
        Ok(Ok(m)) => (true, m),
        _ => (false, false),
    };
    let body = Health {
        status: if ok { "healthy" } else { "unhealthy" },
        version: lms_core::VERSION,
        database: if ok { "connected" } else { "disconnected" },
        timestamp: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        maintenance,
        slot: state.config().slot.clone(),
    };
    (if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body))
}

#[derive(Serialize, ToSchema)]
pub struct Probe {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/api/health/live", tag = "operations", responses((status = 200, body = Probe)))]
pub async fn live() -> Json<Probe> {
    Json(Probe { status: "live", reason: None })
}

/// Readiness: not draining, database answering, schema up to date.
#[utoipa::path(get, path = "/api/health/ready", tag = "operations",
    responses((status = 200, body = Probe), (status = 503, body = Probe)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Probe>) {
    let not_ready =
        |reason: String| (StatusCode::SERVICE_UNAVAILABLE, Json(Probe { status: "not_ready", reason: Some(reason) }));
    if state.is_draining() {
        return not_ready("draining: shutting down".into());
    }
    match tokio::time::timeout(DB_TIMEOUT, migrations::status_capped(state.db(), state.config().schema)).await {
        Ok(Ok(s)) if s.is_current() => (StatusCode::OK, Json(Probe { status: "ready", reason: None })),
        Ok(Ok(s)) => {
            not_ready(format!("schema is behind: {} migration(s) pending; run `lms migrate up`", s.pending().len()))
        }
        _ => not_ready("database does not answer".into()),
    }
}
