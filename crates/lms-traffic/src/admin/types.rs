//! Request and response bodies of the admin API, shared by the server and
//! by [`crate::AdminClient`] (and so by the cutover engine).
//!
//! Plain serde data: no behaviour, no knowledge of how the proxy works.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `PUT /weights` body and the weights shown in `/state`: backend name to
/// percent. Integers summing to 100; backends left out get 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Weights(pub BTreeMap<String, u32>);

impl Weights {
    /// Builds weights from pairs, e.g. `Weights::of(&[("blue", 90), ("green", 10)])`.
    pub fn of(pairs: &[(&str, u32)]) -> Self {
        Self(pairs.iter().map(|(n, w)| (n.to_string(), *w)).collect())
    }
}

/// `POST /rollback` body: send all traffic to this backend in one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// Backend that receives 100%.
    pub backend: String,
}

/// Abort a share of requests with a fixed status, without calling the backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbortFault {
    /// Share of requests aborted, 0 to 100 (fractions allowed).
    pub percent: f64,
    /// Status answered, 200 to 599.
    pub status: u16,
}

/// Delay a share of requests by a fixed time before forwarding them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayFault {
    /// Share of requests delayed, 0 to 100 (fractions allowed).
    pub percent: f64,
    /// Added delay in milliseconds (at most 60000).
    pub delay_ms: u64,
}

/// Faults injected in front of one backend, as Istio's VirtualService offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Abort fault, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort: Option<AbortFault>,
    /// Delay fault, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<DelayFault>,
}

impl FaultSpec {
    /// True when nothing is injected.
    pub fn is_empty(&self) -> bool {
        self.abort.is_none() && self.delay.is_none()
    }
}

/// `PUT /faults` body: backend name to its faults. Backends listed get exactly
/// the given spec (`{}` clears it); backends not listed keep theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct FaultsRequest(pub BTreeMap<String, FaultSpec>);

/// Health as seen by the active checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Not checked yet (counts as up).
    Unknown,
    /// Answering checks.
    Up,
    /// Failing checks or refusing connections; receives no traffic.
    Down,
}

/// Health of one backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthState {
    /// Current verdict.
    pub status: HealthStatus,
    /// Checks run so far.
    pub checks: u64,
    /// Consecutive failed checks.
    pub consecutive_failures: u32,
    /// Unix time of the last check, milliseconds.
    pub last_check_unix_ms: Option<u64>,
    /// Why the last check (or a forwarded request) failed.
    pub last_error: Option<String>,
}

/// Responses counted by status class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StatusClasses {
    /// 1xx responses.
    #[serde(rename = "1xx")]
    pub s1xx: u64,
    /// 2xx responses.
    #[serde(rename = "2xx")]
    pub s2xx: u64,
    /// 3xx responses.
    #[serde(rename = "3xx")]
    pub s3xx: u64,
    /// 4xx responses.
    #[serde(rename = "4xx")]
    pub s4xx: u64,
    /// 5xx responses, the proxy's own 502/503/504 included.
    #[serde(rename = "5xx")]
    pub s5xx: u64,
}

impl StatusClasses {
    /// Sum of all classes.
    pub fn total(&self) -> u64 {
        self.s1xx + self.s2xx + self.s3xx + self.s4xx + self.s5xx
    }
}

/// Failed requests by cause: the proxy answered 502/504 itself, or the
/// backend broke a response already under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Failures {
    /// Could not connect to the backend (502).
    pub connect: u64,
    /// No response head within the first-byte timeout (504), or a body went idle.
    pub timeout: u64,
    /// Connection reset or closed by the backend, before or during the response.
    pub reset: u64,
    /// Aborted by fault injection with status 502 or 504.
    pub injected: u64,
}

impl Failures {
    /// All failed requests.
    pub fn total(&self) -> u64 {
        self.connect + self.timeout + self.reset + self.injected
    }
}

/// Latency percentiles in milliseconds (time from receiving the request to
/// the end of the response). `None` when there were no completed requests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Latency {
    /// Median.
    pub p50_ms: Option<f64>,
    /// 95th percentile (the plan's gate).
    pub p95_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
    /// Largest observed (bucket precision).
    pub max_ms: Option<f64>,
    /// Completed requests measured.
    pub count: u64,
}

/// Statistics of one backend over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StatsSnapshot {
    /// Requests routed to this backend and finished (answered, failed or
    /// abandoned by the client); requests still open are `in_flight`.
    pub requests: u64,
    /// Responses by status class.
    pub responses: StatusClasses,
    /// Failed requests by cause.
    pub failures: Failures,
    /// `failures.total()` for convenience.
    pub failed: u64,
    /// Requests aborted by fault injection (any status).
    pub faults_aborted: u64,
    /// Requests delayed by fault injection.
    pub faults_delayed: u64,
    /// Answers the backend marked as its maintenance mode (a deliberate
    /// 503): in `requests` and `responses`, not in the rates or latency.
    #[serde(default)]
    pub maintenance: u64,
    /// Exchanges the client broke (its request body was truncated or
    /// malformed: answered 400; it stopped sending its body before the
    /// backend answered: 408; it went away before the answer): not the
    /// backend's failures.
    #[serde(default)]
    pub client_faults: u64,
    /// 5xx responses / responses, maintenance answers left out of both (0
    /// when none).
    pub error_rate: f64,
    /// Failed / requests, maintenance answers left out (0 when none).
    pub failed_rate: f64,
    /// Latency percentiles.
    pub latency: Latency,
}

/// Cumulative and sliding-window statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BackendStats {
    /// Since the proxy started.
    pub cumulative: StatsSnapshot,
    /// Over the last `window_secs` seconds.
    pub window: StatsSnapshot,
    /// Requests currently being served.
    pub in_flight: u64,
}

/// One backend in `GET /state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendState {
    /// Name.
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Configured weight (percent).
    pub weight: u32,
    /// Health.
    pub health: HealthState,
    /// Active faults.
    pub faults: FaultSpec,
    /// Statistics.
    pub stats: BackendStats,
}

/// How requests are being routed right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingMode {
    /// Every backend with weight is up: weights apply as configured.
    Normal,
    /// A weighted backend is down: its share goes to the healthy ones.
    Failover,
    /// Every backend is down: clients get 503.
    AllDown,
}

/// Routing counters outside any one backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingState {
    /// Current mode.
    pub mode: RoutingMode,
    /// Requests moved off a down backend to a healthy one.
    pub failovers: u64,
    /// Requests answered 503 because every backend was down.
    pub all_down_responses: u64,
    /// Times the mode changed.
    pub mode_changes: u64,
}

/// One change made through the admin API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecord {
    /// Token name (or `loopback` when no token is configured).
    pub who: String,
    /// Unix time, milliseconds.
    pub at_unix_ms: u64,
    /// What changed, e.g. `weights blue=90,green=10`.
    pub what: String,
}

/// `GET /state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateResponse {
    /// Backends in configuration order.
    pub backends: Vec<BackendState>,
    /// Current weights.
    pub weights: Weights,
    /// Routing mode and counters.
    pub routing: RoutingState,
    /// Sliding window length in seconds.
    pub window_secs: u64,
    /// Whether cookie stickiness is on.
    pub sticky: bool,
    /// Seconds since start.
    pub uptime_secs: u64,
    /// Latest changes, newest last (at most 50).
    pub changes: Vec<ChangeRecord>,
}

/// Answer to `PUT /weights`, `POST /rollback` and `PUT /faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeResponse {
    /// Weights after the change.
    pub weights: Weights,
    /// Faults after the change (backends with none are left out).
    pub faults: BTreeMap<String, FaultSpec>,
    /// The change as recorded.
    pub change: ChangeRecord,
}

/// Error body: `{"error":{"code":"...","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorBody,
}

/// Code and message of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `invalid_weights`.
    pub code: String,
    /// What to fix.
    pub message: String,
}
