//! Smoke: runs SMOKE-001..010 (or a read-only subset) against a base URL.
//! The suite itself lives in `lms-smoke`; this is how the engine calls it.

use async_trait::async_trait;

use crate::error::Result;
use crate::observe::SmokeResult;

/// Runs smoke tests.
#[async_trait]
pub trait SmokeDriver: Send + Sync {
    /// For logs and status.
    fn name(&self) -> &str;

    /// Runs the tests with these ids against `base_url`, one result each.
    async fn run(&self, base_url: &str, ids: &[String]) -> Result<Vec<SmokeResult>>;
}
