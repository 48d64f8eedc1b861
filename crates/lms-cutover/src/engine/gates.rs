//! Gate evaluation (runbook 6.6): each metrics sample against each
//! threshold, with "no data" kept apart from "pass".
//!
//! Pure functions of the plan's thresholds and samples. Error rate, failed
//! requests and p95 are green's (the canary's); CPU and memory are green's
//! processes. A sample with fewer green requests than the plan's minimum is
//! insufficient data for the request-based gates: never a pass.

use serde::{Deserialize, Serialize};

use crate::observe::MetricsSample;
use crate::plan::model::{GateAction, Limit, Metric, Plan, Threshold};
use crate::units::Percent;

/// One gate's verdict on one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum GateStatus {
    /// Below the limit.
    Pass {
        /// Measured value, as text.
        value: String,
    },
    /// At or above the limit.
    Breach {
        /// Measured value, as text.
        value: String,
    },
    /// No data (no traffic on green, no resource reading).
    InsufficientData {
        /// Why.
        why: String,
    },
}

/// A gate and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// The metric.
    pub metric: Metric,
    /// The limit it must stay below.
    pub limit: Limit,
    /// What a breach does.
    pub action: GateAction,
    /// The verdict.
    pub status: GateStatus,
}

impl GateResult {
    /// Whether this gate was breached.
    pub fn breached(&self) -> bool {
        matches!(self.status, GateStatus::Breach { .. })
    }

    /// The measured value as text, or `no data`.
    pub fn value_text(&self) -> String {
        match &self.status {
            GateStatus::Pass { value } | GateStatus::Breach { value } => value.clone(),
            GateStatus::InsufficientData { why } => format!("no data ({why})"),
        }
    }
}

/// Every gate's verdict on one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReport {
    /// In plan order.
    pub results: Vec<GateResult>,
}

impl GateReport {
    /// The first breached gate whose action is rollback.
    pub fn rollback_breach(&self) -> Option<&GateResult> {
        self.results.iter().find(|r| r.breached() && r.action == GateAction::Rollback)
    }

    /// Breached gates whose action is investigate.
    pub fn investigate_breaches(&self) -> impl Iterator<Item = &GateResult> {
        self.results.iter().filter(|r| r.breached() && r.action == GateAction::Investigate)
    }

    /// Whether any gate lacked data.
    pub fn insufficient(&self) -> bool {
        self.results.iter().any(|r| matches!(r.status, GateStatus::InsufficientData { .. }))
    }

    /// Every gate had data and passed.
    pub fn all_green(&self) -> bool {
        self.results.iter().all(|r| matches!(r.status, GateStatus::Pass { .. }))
    }

    /// Results for the given metrics only.
    pub fn only(&self, metrics: &[Metric]) -> GateReport {
        GateReport { results: self.results.iter().filter(|r| metrics.contains(&r.metric)).cloned().collect() }
    }
}

/// Evaluates every threshold of the plan against one sample.
pub fn evaluate(plan: &Plan, sample: &MetricsSample) -> GateReport {
    GateReport {
        results: plan.thresholds.iter().map(|t| evaluate_one(t, sample, plan.monitoring.min_green_requests)).collect(),
    }
}

fn evaluate_one(t: &Threshold, s: &MetricsSample, min_requests: u64) -> GateResult {
    let too_few = s.green.requests < min_requests.max(1);
    let no_traffic = || GateStatus::InsufficientData {
        why: format!(
            "{} request(s) on green with {} error(s) and {} failed, {} needed{}",
            s.green.requests,
            s.green.errors,
            s.green.failed,
            min_requests.max(1),
            match s.green.maintenance {
                0 => String::new(),
                n => format!(" ({n} maintenance answer(s) not counted)"),
            }
        ),
    };
    let pct = |p: Option<Percent>| -> GateStatus {
        match (p, t.below) {
            (Some(v), Limit::Percent(limit)) => {
                if v.value() >= limit.value() {
                    GateStatus::Breach { value: v.to_string() }
                } else {
                    GateStatus::Pass { value: v.to_string() }
                }
            }
            (None, _) => GateStatus::InsufficientData { why: "no reading".into() },
            (Some(_), Limit::Duration(_)) => {
                GateStatus::InsufficientData { why: "threshold has a duration limit".into() }
            }
        }
    };
    let status = match t.metric {
        Metric::ErrorRate if too_few => no_traffic(),
        Metric::ErrorRate => pct(s.green.error_rate()),
        Metric::FailedRequests if too_few => no_traffic(),
        Metric::FailedRequests => pct(s.green.failed_rate()),
        Metric::P95Latency if too_few => no_traffic(),
        Metric::P95Latency => match (s.green.p95_ms, t.below) {
            (Some(ms), Limit::Duration(limit)) => {
                let value = format!("{ms}ms");
                if i64::try_from(ms).unwrap_or(i64::MAX) >= limit.delta().num_milliseconds() {
                    GateStatus::Breach { value }
                } else {
                    GateStatus::Pass { value }
                }
            }
            (None, _) => GateStatus::InsufficientData { why: "no responses on green".into() },
            (Some(_), Limit::Percent(_)) => {
                GateStatus::InsufficientData { why: "threshold has a percent limit".into() }
            }
        },
        Metric::Cpu => pct(s.green_resources.map(|r| r.cpu)),
        Metric::Memory => pct(s.green_resources.map(|r| r.memory)),
    };
    GateResult { metric: t.metric, limit: t.below, action: t.action, status }
}
