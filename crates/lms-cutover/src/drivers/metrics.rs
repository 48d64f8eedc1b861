//! Metrics: what the gates need, per backend (error rate, failed requests,
//! p95) and for green's processes (CPU, memory). From the proxy's window
//! statistics and /proc now; from Prometheus later.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::drivers::traffic::WindowStats;
use crate::error::Result;
use crate::observe::{MetricsSample, ResourceUsage};
use crate::units::{Slot, Weights};

/// Reads gate metrics.
#[async_trait]
pub trait MetricsDriver: Send + Sync {
    /// For logs and status ("proxy+proc", "prometheus").
    fn name(&self) -> &str;

    /// Requests, errors, failures and p95 per backend over the recent window.
    async fn backends(&self) -> Result<WindowStats>;

    /// CPU and memory of a deployment's processes; `None` when unreadable
    /// (which the gates treat as insufficient data).
    async fn resources(&self, slot: Slot) -> Result<Option<ResourceUsage>>;

    /// One complete sample taken `at`.
    async fn sample(&self, at: DateTime<Utc>, weights: Option<Weights>) -> Result<MetricsSample> {
        let stats = self.backends().await?;
        let green_resources = self.resources(Slot::Green).await?;
        Ok(MetricsSample { at, weights, blue: stats.blue, green: stats.green, green_resources, queries: Vec::new() })
    }
}
