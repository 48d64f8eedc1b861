//! `GET /api/v1/status`: version, build, slot, uptime, database backend and
//! migrations applied versus expected.

use crate::AppState;
use axum::extract::State;
use axum::Json;
use lms_store::{migrations, settings};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Status {
    pub version: &'static str,
    pub git_commit: &'static str,
    pub build_time: &'static str,
    pub slot: String,
    /// The `--instance-id` this process was started with, if any.
    pub instance_id: Option<String>,
    /// The operating system's id of this process.
    pub pid: u32,
    pub uptime_seconds: u64,
    pub database: DatabaseStatus,
    pub maintenance: bool,
    pub draining: bool,
}

#[derive(Serialize, ToSchema)]
pub struct DatabaseStatus {
    pub backend: &'static str,
    pub connected: bool,
    pub migrations_applied: usize,
    pub migrations_expected: usize,
    pub schema_current: bool,
}

pub const GIT_COMMIT: &str = match option_env!("LMS_GIT_COMMIT") {
    Some(c) => c,
    None => "unknown",
};
pub const BUILD_TIME: &str = match option_env!("LMS_BUILD_TIME") {
    Some(t) => t,
    None => "unknown",
};

/// Version, build and database status of this instance.
#[utoipa::path(get, path = "/status", tag = "operations", responses((status = 200, body = Status)))]
pub async fn status(State(state): State<AppState>) -> Json<Status> {
    let db = state.db();
    let ms = migrations::status_capped(db, state.config().schema).await.ok();
    let maintenance = match db.acquire().await {
        Ok(mut c) => settings::maintenance(&mut c.conn()).await.unwrap_or(false),
        Err(_) => false,
    };
    Json(Status {
        version: lms_core::VERSION,
        git_commit: GIT_COMMIT,
        build_time: BUILD_TIME,
        slot: state.config().slot.clone(),
        instance_id: state.config().instance_id.clone(),
        pid: std::process::id(),
        uptime_seconds: state.started().elapsed().as_secs(),
        database: DatabaseStatus {
            backend: db.backend().as_str(),
            connected: ms.is_some(),
            migrations_applied: ms.as_ref().map(|s| s.applied.len()).unwrap_or(0),
            migrations_expected: ms.as_ref().map(|s| s.expected.len()).unwrap_or(0),
            schema_current: ms.as_ref().is_some_and(|s| s.is_current()),
        },
        maintenance,
        draining: state.is_draining(),
    })
}
