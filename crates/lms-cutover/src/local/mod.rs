//! Local driver implementations: what a cutover on one machine (or from one
//! operator's machine) uses today.
//!
//! - traffic and metrics: the `lms proxy` admin API ([`lms_traffic::AdminClient`]),
//!   CPU and memory of green's processes from /proc;
//! - deploy: green started as a local process from the plan's command, with a
//!   pid file so a resumed controller finds it again;
//! - database: `pg_dump -Fc` then `pg_restore --list`, or SQLite `VACUUM
//!   INTO` then `PRAGMA integrity_check`; migrations through the green
//!   artifact's own `migrate up` / `migrate status`;
//! - checks: HTTP, SQL, command, file, TLS certificate; commands run to
//!   completion with a time limit and a log (`command` deploys and steps);
//! - notify: console and a JSON webhook; smoke: `lms_smoke::smoke`;
//! - ports: free loopback ports outside the ephemeral range for rehearsals.
//!
//! Each file implements one trait of [`crate::drivers`]. None of them knows
//! the engine's rules: they act and report what they saw.

pub mod checks;
pub mod command;
pub mod database;
pub mod deploy;
pub mod health;
pub mod maintenance;
pub mod metrics;
pub mod notify;
pub mod planned_deploy;
pub mod ports;
pub mod process;
pub mod prometheus;
pub mod smoke;
pub mod traffic;

use crate::error::CutoverError;

pub(crate) fn err(driver: &'static str, message: impl Into<String>) -> CutoverError {
    CutoverError::Driver { driver, message: message.into() }
}

/// An HTTP client with a timeout, for probes and health checks.
pub(crate) fn http_client(timeout: std::time::Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap_or_else(|_| reqwest::Client::new())
}

/// Crash-test hook inside a driver: when `LMS_CUTOVER_STALL_AT` names
/// this point (e.g. `backup:written`, the dump on disk under its
/// `.partial` name but not yet renamed), waits here to be killed, so that
/// a test can kill the controller half-way through an operation.
pub(crate) async fn stall_point(point: &str) {
    if std::env::var("LMS_CUTOVER_STALL_AT").is_ok_and(|v| v == point) {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    }
}
