//! Gate metrics from Prometheus: each figure a gate needs (requests,
//! 5xx answers, failed requests and p95 per slot over the window — users'
//! requests: probes of `/api/health*` and scrapes of `/metrics` left out —; CPU and
//! memory of a slot against its limits) is one PromQL query, run through
//! Prometheus's instant-query API. The default queries read the LMS's own
//! series (which carry `slot`), the traffic controller's failures by
//! backend, and cAdvisor / kube-state-metrics for CPU and memory; a plan
//! may replace any of them. Without a sample: no requests, no p95 and no
//! CPU/memory are no data (the gates say "insufficient data"); a 5xx or
//! failed count without a sample reads 0, so a query naming no existing
//! series watches nothing.
//!
//! This module knows PromQL and the HTTP API, not the gates' thresholds.

use async_trait::async_trait;
use serde_json::Value;

use crate::drivers::metrics::MetricsDriver;
use crate::drivers::traffic::WindowStats;
use crate::error::Result;
use crate::local::err;
use crate::observe::{BackendWindow, MetricsSample, QueryRecord, ResourceUsage};
use crate::units::{Percent, PlanDuration, Slot, Weights};
use chrono::{DateTime, Utc};

const DRIVER: &str = "prometheus";

/// The PromQL of each figure; `{slot}` becomes `blue` or `green`, `{window}`
/// the window as a Prometheus duration (`300s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queries {
    pub requests: String,
    pub errors: String,
    pub failed: String,
    /// In seconds.
    pub p95: String,
    /// A share of the limit, 0..1.
    pub cpu: String,
    /// A share of the limit, 0..1.
    pub memory: String,
}

impl Default for Queries {
    fn default() -> Self {
        Queries {
            requests: r#"sum(increase(lms_http_requests_total{slot="{slot}",route!~"/metrics|/api/health.*"}[{window}]))"#
                .into(),
            errors: r#"sum(increase(lms_http_requests_total{slot="{slot}",route!~"/metrics|/api/health.*",status=~"5.."}[{window}]))"#
                .into(),
            failed: r#"sum(increase(lms_proxy_failed_total{backend="{slot}"}[{window}]))"#.into(),
            p95: r#"histogram_quantile(0.95, sum by (le) (rate(lms_http_request_duration_seconds_bucket{slot="{slot}",route!~"/metrics|/api/health.*"}[{window}])))"#
                .into(),
            cpu: r#"sum(rate(container_cpu_usage_seconds_total{container="lms",pod=~"lms-{slot}-.*"}[{window}])) / sum(kube_pod_container_resource_limits{container="lms",resource="cpu",pod=~"lms-{slot}-.*"})"#
                .into(),
            memory: r#"sum(container_memory_working_set_bytes{container="lms",pod=~"lms-{slot}-.*"}) / sum(kube_pod_container_resource_limits{container="lms",resource="memory",pod=~"lms-{slot}-.*"})"#
                .into(),
        }
    }
}

impl Queries {
    /// The query `template` for `slot` over `window`.
    pub fn render(template: &str, slot: Slot, window: PlanDuration) -> String {
        let secs = window.delta().num_seconds().max(1);
        template.replace("{slot}", slot_name(slot)).replace("{window}", &format!("{secs}s"))
    }
}

fn slot_name(slot: Slot) -> &'static str {
    match slot {
        Slot::Blue => "blue",
        Slot::Green => "green",
    }
}

/// Reads gate metrics from a Prometheus server.
pub struct PrometheusMetrics {
    base: String,
    window: PlanDuration,
    queries: Queries,
    http: reqwest::Client,
}

impl PrometheusMetrics {
    /// `base` is the server's address (`http://prometheus:9090`).
    pub fn new(base: &str, window: PlanDuration, queries: Queries) -> PrometheusMetrics {
        PrometheusMetrics {
            base: base.trim_end_matches('/').to_string(),
            window,
            queries,
            http: crate::local::http_client(std::time::Duration::from_secs(10)),
        }
    }

    /// The value of an instant query: `None` when it has no sample (no
    /// data), an error when Prometheus refuses the query or is unreachable.
    pub async fn scalar(&self, query: &str) -> Result<Option<f64>> {
        let url = format!("{}/api/v1/query", self.base);
        let res = self
            .http
            .get(&url)
            .query(&[("query", query)])
            .send()
            .await
            .map_err(|e| err(DRIVER, format!("{url}: {e}")))?;
        let status = res.status();
        let body: Value = res.json().await.map_err(|e| err(DRIVER, format!("{url}: the answer is not JSON: {e}")))?;
        if !status.is_success() || body["status"] != "success" {
            let why = body["error"].as_str().unwrap_or("no reason given");
            return Err(err(DRIVER, format!("Prometheus refused `{query}` ({status}): {why}")));
        }
        let data = &body["data"];
        let value = match data["resultType"].as_str() {
            Some("vector") => match data["result"].as_array().map(Vec::as_slice) {
                None | Some([]) => return Ok(None),
                Some([one]) => one["value"][1].clone(),
                Some(many) => {
                    return Err(err(
                        DRIVER,
                        format!(
                            "`{query}` gave {} series; a gate needs one number (aggregate it with sum)",
                            many.len()
                        ),
                    ))
                }
            },
            Some("scalar") => data["result"][1].clone(),
            other => return Err(err(DRIVER, format!("`{query}` gave a {other:?}, not a number"))),
        };
        let number = value
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or_else(|| err(DRIVER, format!("`{query}` gave {value}, not a number")))?;
        // NaN (0/0: no requests in the window) is no data, not a figure.
        Ok(number.is_finite().then_some(number))
    }

    /// Runs figure `figure`'s query for `slot`, noting it in `log`.
    async fn figure(
        &self,
        figure: &str,
        template: &str,
        slot: Slot,
        log: &mut Vec<QueryRecord>,
    ) -> Result<Option<f64>> {
        let query = Queries::render(template, slot, self.window);
        let value = self.scalar(&query).await?;
        log.push(QueryRecord { figure: figure.to_string(), slot, query, value });
        Ok(value)
    }

    async fn window(&self, slot: Slot, log: &mut Vec<QueryRecord>) -> Result<BackendWindow> {
        let q = &self.queries;
        let count = |v: Option<f64>| v.map_or(0, |v| v.max(0.0).round() as u64);
        let requests = count(self.figure("requests", &q.requests, slot, log).await?);
        let errors = count(self.figure("errors", &q.errors, slot, log).await?);
        let failed = count(self.figure("failed", &q.failed, slot, log).await?);
        let p95 = self.figure("p95", &q.p95, slot, log).await?;
        Ok(BackendWindow {
            requests,
            errors,
            failed,
            p95_ms: p95.map(|s| (s * 1000.0).max(0.0).round() as u64),
            maintenance: 0,
        })
    }

    async fn usage(&self, slot: Slot, log: &mut Vec<QueryRecord>) -> Result<Option<ResourceUsage>> {
        let cpu = self.figure("cpu", &self.queries.cpu, slot, log).await?;
        let memory = self.figure("memory", &self.queries.memory, slot, log).await?;
        let share = |v: f64| Percent::new((v * 100.0).clamp(0.0, 100.0));
        match (cpu, memory) {
            (Some(c), Some(m)) => Ok(Some(ResourceUsage { cpu: share(c)?, memory: share(m)? })),
            _ => Ok(None),
        }
    }
}

#[async_trait]
impl MetricsDriver for PrometheusMetrics {
    fn name(&self) -> &str {
        DRIVER
    }

    async fn backends(&self) -> Result<WindowStats> {
        let mut log = Vec::new();
        Ok(WindowStats {
            window: self.window,
            blue: self.window(Slot::Blue, &mut log).await?,
            green: self.window(Slot::Green, &mut log).await?,
        })
    }

    async fn resources(&self, slot: Slot) -> Result<Option<ResourceUsage>> {
        self.usage(slot, &mut Vec::new()).await
    }

    /// One sample with every query behind it, for the journal.
    async fn sample(&self, at: DateTime<Utc>, weights: Option<Weights>) -> Result<MetricsSample> {
        let mut queries = Vec::new();
        let blue = self.window(Slot::Blue, &mut queries).await?;
        let green = self.window(Slot::Green, &mut queries).await?;
        let green_resources = self.usage(Slot::Green, &mut queries).await?;
        Ok(MetricsSample { at, weights, blue, green, green_resources, queries })
    }
}
