//! Typed observations: what drivers report and the engine reasons about.
//!
//! Plain data with no behaviour beyond small derived values (rates). They
//! are journaled as they are, so a run can be replayed and reported on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::units::{Percent, PlanDuration, Slot, Weights};

/// One backend's statistics over the controller's recent window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BackendWindow {
    /// Requests routed to the backend in the window and judged by the
    /// gates (answers of maintenance mode left out).
    pub requests: u64,
    /// Of those, answered with a 5xx status.
    pub errors: u64,
    /// Of those, with no answer at all (connect error, reset, timeout).
    pub failed: u64,
    /// 95th percentile response time, when there were responses.
    pub p95_ms: Option<u64>,
    /// Writes answered 503 by maintenance mode, which the backend marked as
    /// a deliberate pause: counted apart, never an error.
    #[serde(default)]
    pub maintenance: u64,
}

impl BackendWindow {
    /// Share of requests answered with a 5xx; `None` without requests.
    pub fn error_rate(&self) -> Option<Percent> {
        Percent::ratio(self.errors, self.requests)
    }

    /// Share of requests that got no answer; `None` without requests.
    pub fn failed_rate(&self) -> Option<Percent> {
        Percent::ratio(self.failed, self.requests)
    }
}

/// CPU and memory utilisation of a deployment's processes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResourceUsage {
    /// CPU, as a share of the capacity available to it.
    pub cpu: Percent,
    /// Resident memory, as a share of the memory available to it.
    pub memory: Percent,
}

/// One metrics sample taken during a monitoring window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsSample {
    /// When the sample was taken.
    pub at: DateTime<Utc>,
    /// The weights the controller reported while sampling.
    pub weights: Option<Weights>,
    /// Blue's window.
    pub blue: BackendWindow,
    /// Green's window.
    pub green: BackendWindow,
    /// Green's resources, when they could be read.
    pub green_resources: Option<ResourceUsage>,
    /// The queries the figures came from, with what each gave, when the
    /// source is a metrics system (Prometheus); empty for the traffic
    /// controller's own statistics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<QueryRecord>,
}

/// One query behind a sample's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryRecord {
    /// Which figure (`requests`, `errors`, `failed`, `p95`, `cpu`, `memory`).
    pub figure: String,
    /// Which slot it was asked for.
    pub slot: crate::units::Slot,
    /// The query as sent.
    pub query: String,
    /// What it gave; `None`: no sample.
    pub value: Option<f64>,
}

/// The result of one pre-check or verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check's id (`T-1h#2`, `business#1`).
    pub id: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was observed.
    pub detail: String,
    /// Who confirmed it, for manual checks.
    #[serde(default)]
    pub by: Option<String>,
}

/// The result of one smoke test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeResult {
    /// `SMOKE-001` ...
    pub id: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was observed.
    pub detail: String,
    /// How long it took.
    pub elapsed_ms: u64,
}

/// What a health endpoint said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// Which deployment.
    pub slot: Slot,
    /// Healthy, with the database connected.
    pub healthy: bool,
    /// Reported version.
    pub version: Option<String>,
    /// Raw status or error text.
    pub detail: String,
}

/// A verified database backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupReport {
    /// Where it was written.
    pub artifact: String,
    /// Its size.
    pub size_bytes: u64,
    /// The previous backup's size, when there was one.
    pub previous_size_bytes: Option<u64>,
    /// Verification output summary (`pg_restore --list` entries, `integrity_check`).
    pub verification: String,
    /// SHA-256 of the verified file, hex.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// The database's migration state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationReport {
    /// Migrations applied by this run.
    pub applied: Vec<String>,
    /// Migrations still pending afterwards (should be none).
    pub pending: Vec<String>,
    /// Raw status output.
    pub detail: String,
}

/// A generic success-or-failure with what was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Whether it worked.
    pub ok: bool,
    /// What happened.
    pub detail: String,
}

impl Outcome {
    /// A success.
    pub fn ok(detail: impl Into<String>) -> Self {
        Outcome { ok: true, detail: detail.into() }
    }

    /// A failure.
    pub fn failed(detail: impl Into<String>) -> Self {
        Outcome { ok: false, detail: detail.into() }
    }
}

/// How long something took, for reports.
pub fn elapsed(from: DateTime<Utc>, to: DateTime<Utc>) -> PlanDuration {
    PlanDuration::new(to - from).unwrap_or(PlanDuration::ZERO)
}
