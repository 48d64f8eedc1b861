//! The SMOKE-001..010 suite of the cutover plan (section 7.1), run against
//! the public LMS API of one deployment (blue, green or the public URL).
//!
//! It acts as three dedicated accounts — an employee, that employee's
//! manager and an HR admin — and cleans up after itself (the request it
//! approves is cancelled again; the one it rejects stays rejected), so it can
//! run against production repeatedly. It speaks HTTP only and knows nothing
//! of the server's crates or database.

mod cli;
mod client;
mod tests;

pub use cli::{run_smoke, SmokeArgs};

use std::time::Duration;

/// How one smoke account authenticates.
#[derive(Debug, Clone)]
pub enum Credentials {
    Password { email: String, password: String },
    Token(String),
}

/// Where and as whom the suite runs.
#[derive(Debug, Clone)]
pub struct SmokeConfig {
    /// Base URL of the deployment, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// A regular employee whose manager is `manager`.
    pub employee: Credentials,
    pub manager: Credentials,
    /// An HR admin (reports, dashboard).
    pub admin: Credentials,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// The result of one smoke test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SmokeOutcome {
    pub id: String,
    pub case: String,
    pub passed: bool,
    /// What was observed, or why it failed.
    pub detail: String,
    pub elapsed_ms: u64,
}

/// The ten tests: id, case (as the plan names it), whether it is read-only
/// (changes no business data; safe against blue right after a migration).
pub const TESTS: [(&str, &str, bool); 10] = [
    ("SMOKE-001", "User login", true),
    ("SMOKE-002", "View leave balance", true),
    ("SMOKE-003", "Submit leave request", false),
    ("SMOKE-004", "Approve leave request", false),
    ("SMOKE-005", "Reject leave request", false),
    ("SMOKE-006", "View leave history", true),
    ("SMOKE-007", "Generate report", true),
    ("SMOKE-008", "Admin dashboard access", true),
    ("SMOKE-009", "Notification delivery", false),
    ("SMOKE-010", "API health check", true),
];

/// The ids of the read-only tests.
pub fn read_only_ids() -> Vec<String> {
    TESTS.iter().filter(|t| t.2).map(|t| t.0.to_string()).collect()
}

/// Runs the tests with these ids (all ten when `ids` is empty), in order,
/// and cleans up. Unknown ids come back as failed outcomes.
pub async fn run(cfg: &SmokeConfig, ids: &[String]) -> Vec<SmokeOutcome> {
    tests::Suite::new(cfg).run(ids).await
}
