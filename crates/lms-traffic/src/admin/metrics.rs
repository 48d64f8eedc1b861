//! Prometheus text exposition of the live statistics (admin `/metrics`).
//!
//! Counters are cumulative; the window figures are gauges named
//! `*_window_*`. Renders from the same snapshots as `GET /state`; knows
//! nothing about how the numbers are collected.

use std::fmt::Write;

use super::routes::state;
use super::types::{HealthStatus, RoutingMode, StatsSnapshot};
use crate::state::Shared;

const LE_SECONDS: [f64; 12] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Renders every metric.
pub fn render(shared: &Shared) -> String {
    let st = state(shared);
    let mut out = String::new();
    let w = &mut out;
    header(w, "lms_proxy_backend_weight", "gauge", "Configured weight of the backend, percent.");
    for b in &st.backends {
        let _ = writeln!(w, "lms_proxy_backend_weight{{backend=\"{}\"}} {}", b.name, b.weight);
    }
    header(w, "lms_proxy_backend_up", "gauge", "1 when the backend passes health checks.");
    for b in &st.backends {
        let up = u8::from(b.health.status != HealthStatus::Down);
        let _ = writeln!(w, "lms_proxy_backend_up{{backend=\"{}\"}} {up}", b.name);
    }
    header(w, "lms_proxy_requests_total", "counter", "Requests routed to the backend.");
    for b in &st.backends {
        let _ = writeln!(w, "lms_proxy_requests_total{{backend=\"{}\"}} {}", b.name, b.stats.cumulative.requests);
    }
    header(w, "lms_proxy_responses_total", "counter", "Responses by status class.");
    for b in &st.backends {
        classes(w, "lms_proxy_responses_total", &b.name, &b.stats.cumulative);
    }
    header(
        w,
        "lms_proxy_failed_total",
        "counter",
        "Failed requests (proxy 502/504, broken bodies, injected) by reason.",
    );
    for b in &st.backends {
        failures(w, "lms_proxy_failed_total", &b.name, &b.stats.cumulative);
    }
    header(w, "lms_proxy_faults_injected_total", "counter", "Requests hit by fault injection.");
    for b in &st.backends {
        let c = &b.stats.cumulative;
        let _ = writeln!(
            w,
            "lms_proxy_faults_injected_total{{backend=\"{}\",kind=\"abort\"}} {}",
            b.name, c.faults_aborted
        );
        let _ = writeln!(
            w,
            "lms_proxy_faults_injected_total{{backend=\"{}\",kind=\"delay\"}} {}",
            b.name, c.faults_delayed
        );
    }
    header(w, "lms_proxy_in_flight", "gauge", "Requests being served.");
    for b in &st.backends {
        let _ = writeln!(w, "lms_proxy_in_flight{{backend=\"{}\"}} {}", b.name, b.stats.in_flight);
    }
    header(w, "lms_proxy_request_duration_seconds", "histogram", "Time from request to end of response.");
    for (b, backend) in st.backends.iter().zip(shared.backends.iter()) {
        let h = backend.stats.cumulative_histogram();
        for le in LE_SECONDS {
            let n = h.count_at_or_below((le * 1e6) as u64);
            let _ = writeln!(w, "lms_proxy_request_duration_seconds_bucket{{backend=\"{}\",le=\"{le}\"}} {n}", b.name);
        }
        let _ = writeln!(
            w,
            "lms_proxy_request_duration_seconds_bucket{{backend=\"{}\",le=\"+Inf\"}} {}",
            b.name,
            h.count()
        );
        let _ = writeln!(w, "lms_proxy_request_duration_seconds_count{{backend=\"{}\"}} {}", b.name, h.count());
    }
    let secs = st.window_secs;
    header(w, "lms_proxy_window_requests", "gauge", "Requests in the sliding window.");
    for b in &st.backends {
        let _ = writeln!(
            w,
            "lms_proxy_window_requests{{backend=\"{}\",window_seconds=\"{secs}\"}} {}",
            b.name, b.stats.window.requests
        );
    }
    header(w, "lms_proxy_window_responses", "gauge", "Responses by status class in the sliding window.");
    for b in &st.backends {
        classes(w, "lms_proxy_window_responses", &b.name, &b.stats.window);
    }
    header(w, "lms_proxy_window_maintenance", "gauge", "Maintenance-mode answers in the sliding window (not errors).");
    for b in &st.backends {
        let _ = writeln!(w, "lms_proxy_window_maintenance{{backend=\"{}\"}} {}", b.name, b.stats.window.maintenance);
    }
    header(w, "lms_proxy_window_client_faults", "gauge", "Requests the client broke (bad body) in the sliding window.");
    for b in &st.backends {
        let _ =
            writeln!(w, "lms_proxy_window_client_faults{{backend=\"{}\"}} {}", b.name, b.stats.window.client_faults);
    }
    header(w, "lms_proxy_window_failed", "gauge", "Failed requests in the sliding window, by reason.");
    for b in &st.backends {
        failures(w, "lms_proxy_window_failed", &b.name, &b.stats.window);
    }
    header(w, "lms_proxy_window_latency_seconds", "gauge", "Latency quantiles over the sliding window.");
    for b in &st.backends {
        let l = &b.stats.window.latency;
        for (q, v) in [("0.5", l.p50_ms), ("0.95", l.p95_ms), ("0.99", l.p99_ms)] {
            if let Some(ms) = v {
                let _ = writeln!(
                    w,
                    "lms_proxy_window_latency_seconds{{backend=\"{}\",quantile=\"{q}\"}} {}",
                    b.name,
                    ms / 1000.0
                );
            }
        }
    }
    header(w, "lms_proxy_failovers_total", "counter", "Requests moved off a down backend.");
    let _ = writeln!(w, "lms_proxy_failovers_total {}", st.routing.failovers);
    header(w, "lms_proxy_all_down_total", "counter", "Requests answered 503 because every backend was down.");
    let _ = writeln!(w, "lms_proxy_all_down_total {}", st.routing.all_down_responses);
    header(w, "lms_proxy_routing_mode", "gauge", "1 for the current routing mode.");
    for (name, mode) in
        [("normal", RoutingMode::Normal), ("failover", RoutingMode::Failover), ("all_down", RoutingMode::AllDown)]
    {
        let _ = writeln!(w, "lms_proxy_routing_mode{{mode=\"{name}\"}} {}", u8::from(st.routing.mode == mode));
    }
    out
}

fn header(w: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(w, "# HELP {name} {help}");
    let _ = writeln!(w, "# TYPE {name} {kind}");
}

fn classes(w: &mut String, metric: &str, backend: &str, s: &StatsSnapshot) {
    let r = &s.responses;
    for (class, n) in [("1xx", r.s1xx), ("2xx", r.s2xx), ("3xx", r.s3xx), ("4xx", r.s4xx), ("5xx", r.s5xx)] {
        let _ = writeln!(w, "{metric}{{backend=\"{backend}\",class=\"{class}\"}} {n}");
    }
}

fn failures(w: &mut String, metric: &str, backend: &str, s: &StatsSnapshot) {
    let f = &s.failures;
    for (reason, n) in [("connect", f.connect), ("timeout", f.timeout), ("reset", f.reset), ("injected", f.injected)] {
        let _ = writeln!(w, "{metric}{{backend=\"{backend}\",reason=\"{reason}\"}} {n}");
    }
}
