//! Prometheus metrics with an explicit registry: requests by route and
//! status, a latency histogram, the database pool, leave-workflow counters
//! `lms_build_info{version,slot}`, and this process's CPU seconds and
//! resident memory beside the CPU and memory it may use (`lms_process_*`),
//! so CPU and memory can be compared per slot without a container runtime.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: String,
}

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<HttpLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    leave_events: Family<EventLabels, Counter>,
    pool_size: Gauge,
    pool_idle: Gauge,
    process: ProcessSeries,
}

/// This process's CPU and memory, refreshed at every scrape.
#[derive(Clone, Default)]
struct ProcessSeries {
    cpu_seconds: Counter<f64, AtomicU64>,
    /// CPU seconds already counted.
    cpu_counted: Arc<Mutex<f64>>,
    resident_bytes: Gauge,
    cpu_limit_cores: Gauge<f64, AtomicU64>,
    memory_limit_bytes: Gauge,
}

impl ProcessSeries {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "lms_process_cpu_seconds",
            "CPU time of this process (user + system)",
            self.cpu_seconds.clone(),
        );
        registry.register(
            "lms_process_resident_memory_bytes",
            "Resident memory of this process",
            self.resident_bytes.clone(),
        );
        registry.register(
            "lms_process_cpu_limit_cores",
            "Cores this process may use (its cgroup's quota, else the machine's)",
            self.cpu_limit_cores.clone(),
        );
        registry.register(
            "lms_process_memory_limit_bytes",
            "Memory this process may use (its cgroup's limit, else MemTotal)",
            self.memory_limit_bytes.clone(),
        );
    }

    fn refresh(&self) {
        if let Some((cpu, rss)) = super::process::own_usage() {
            if let Ok(mut counted) = self.cpu_counted.lock() {
                if cpu > *counted {
                    self.cpu_seconds.inc_by(cpu - *counted);
                    *counted = cpu;
                }
            }
            self.resident_bytes.set(i64::try_from(rss).unwrap_or(i64::MAX));
        }
        self.cpu_limit_cores.set(super::process::cpu_limit_cores());
        if let Some(limit) = super::process::memory_limit_bytes() {
            self.memory_limit_bytes.set(i64::try_from(limit).unwrap_or(i64::MAX));
        }
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl lms_app::Events for Metrics {
    fn leave_event(&self, event: &'static str) {
        Metrics::leave_event(self, event);
    }
}

impl Metrics {
    pub fn new(slot: &str) -> Self {
        // Every series carries the instance's slot and version, so one
        // Prometheus can compare blue with green (`sum by (slot) (...)`).
        let labels = [
            (std::borrow::Cow::Borrowed("slot"), std::borrow::Cow::Owned(slot.to_string())),
            (std::borrow::Cow::Borrowed("version"), std::borrow::Cow::Borrowed(lms_core::VERSION)),
        ];
        let mut registry = Registry::with_labels(labels.into_iter());
        let requests = Family::<HttpLabels, Counter>::default();
        registry.register("lms_http_requests", "HTTP requests by route, method and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("lms_http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        let leave_events = Family::<EventLabels, Counter>::default();
        registry.register(
            "lms_leave_requests",
            "Leave requests submitted, approved, rejected, cancelled",
            leave_events.clone(),
        );
        let pool_size = Gauge::default();
        registry.register("lms_db_pool_connections", "Open database connections", pool_size.clone());
        let pool_idle = Gauge::default();
        registry.register("lms_db_pool_idle_connections", "Idle database connections", pool_idle.clone());
        let build = Gauge::<i64>::default();
        build.set(1);
        registry.register("lms_build_info", "Version and slot of this instance (its labels)", build);
        let process = ProcessSeries::default();
        process.register(&mut registry);
        Metrics { registry: Arc::new(registry), requests, latency, leave_events, pool_size, pool_idle, process }
    }

    /// Counts one leave-workflow event (`submitted`, `approved`, ...).
    pub fn leave_event(&self, event: &str) {
        self.leave_events.get_or_create(&EventLabels { event: event.into() }).inc();
    }

    fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests.get_or_create(&HttpLabels { route: route.into(), method: method.into(), status }).inc();
        self.latency.get_or_create(&RouteLabels { route: route.into() }).observe(seconds);
    }

    pub fn render(&self, pool: (u32, usize)) -> String {
        self.pool_size.set(pool.0 as i64);
        self.pool_idle.set(pool.1 as i64);
        self.process.refresh();
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// A method as a metric label: the standard ones by name, any other as
/// `other`, so made-up methods cannot add series without end.
fn method_label(m: &axum::http::Method) -> String {
    use axum::http::Method;
    let known = [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS];
    if known.contains(m) { m.as_str() } else { "other" }.to_string()
}

/// Middleware: counts and times every request by its route template
/// (`unmatched` for any path no route matches).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = method_label(req.method());
    let start = Instant::now();
    let res = next.run(req).await;
    state.metrics().observe(&route, &method, res.status().as_u16(), start.elapsed().as_secs_f64());
    res
}

/// `GET /metrics` in the Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics().render(state.db().pool_stats());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}
