//! Live statistics per backend: the raw material of the cutover gates.
//!
//! Every request routed to a backend is counted here, cumulatively and in a
//! sliding window: requests, responses by status class, failures by cause,
//! fault injections and a latency histogram. An answer the backend marks
//! with [`MAINTENANCE_HEADER`] (a deliberate pause of writes, not a fault)
//! is counted apart: it stays in `requests` and in its status class, but
//! not in the error rate, the failed rate or the latency. Knows nothing about HTTP
//! plumbing; `forward` tells it what happened.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::admin::types::{self, Failures, Latency, StatsSnapshot, StatusClasses};
use crate::histogram::Histogram;
use crate::window::Window;

/// The response header with which a backend marks an answer of its
/// maintenance mode (LMS sends `lms-maintenance: on` with its 503).
pub const MAINTENANCE_HEADER: &str = "lms-maintenance";

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Could not connect.
    Connect,
    /// First-byte or idle timeout.
    Timeout,
    /// Reset or closed by the backend.
    Reset,
    /// Injected abort with a failure status.
    Injected,
}

/// What happened to one request, recorded when it ends.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// Status of the response head the client got, if one was sent.
    pub status: Option<u16>,
    /// Why it failed, if it did.
    pub failure: Option<FailureKind>,
    /// Aborted by fault injection.
    pub fault_aborted: bool,
    /// Delayed by fault injection.
    pub fault_delayed: bool,
    /// Answered by the backend's maintenance mode.
    pub maintenance: bool,
    /// Failed because of the client (its request body broke off, was
    /// malformed or stalled, or it went away before the answer): counted
    /// apart, never the backend's failure.
    pub client_fault: bool,
}

/// Plain counters for one period (cumulative, or one window slot).
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Requests routed.
    pub requests: u64,
    /// Responses by class (index 0 = 1xx ... 4 = 5xx).
    pub classes: [u64; 5],
    /// Failures by cause.
    pub failures: Failures,
    /// Fault-injected aborts.
    pub faults_aborted: u64,
    /// Fault-injected delays.
    pub faults_delayed: u64,
    /// Answers of the backend's maintenance mode.
    pub maintenance: u64,
    /// Exchanges the client broke (bad or stalled request body, gone
    /// before the answer).
    pub client_faults: u64,
    /// Latency of completed requests.
    pub latency: Histogram,
}

impl Counters {
    /// Resets every counter to zero.
    pub fn clear(&mut self) {
        let mut latency = std::mem::take(&mut self.latency);
        latency.clear();
        *self = Counters { latency, ..Counters::default() };
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Counters) {
        self.requests += other.requests;
        for (a, b) in self.classes.iter_mut().zip(other.classes.iter()) {
            *a += b;
        }
        self.failures.connect += other.failures.connect;
        self.failures.timeout += other.failures.timeout;
        self.failures.reset += other.failures.reset;
        self.failures.injected += other.failures.injected;
        self.faults_aborted += other.faults_aborted;
        self.faults_delayed += other.faults_delayed;
        self.maintenance += other.maintenance;
        self.client_faults += other.client_faults;
        self.latency.merge(&other.latency);
    }

    fn snapshot(&self) -> StatsSnapshot {
        let responses = StatusClasses {
            s1xx: self.classes[0],
            s2xx: self.classes[1],
            s3xx: self.classes[2],
            s4xx: self.classes[3],
            s5xx: self.classes[4],
        };
        let failed = self.failures.total();
        let ms = |q: f64| self.latency.quantile(q).map(|us| round3(us / 1000.0));
        StatsSnapshot {
            requests: self.requests,
            responses,
            failures: self.failures,
            failed,
            faults_aborted: self.faults_aborted,
            faults_delayed: self.faults_delayed,
            maintenance: self.maintenance,
            client_faults: self.client_faults,
            error_rate: ratio(
                responses.s5xx.saturating_sub(self.maintenance),
                responses.total().saturating_sub(self.maintenance),
            ),
            failed_rate: ratio(failed, self.requests.saturating_sub(self.maintenance + self.client_faults)),
            latency: Latency {
                p50_ms: ms(0.50),
                p95_ms: ms(0.95),
                p99_ms: ms(0.99),
                max_ms: self.latency.max().map(|us| round3(us / 1000.0)),
                count: self.latency.count(),
            },
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[derive(Debug)]
struct Inner {
    cumulative: Counters,
    window: Window,
}

/// Statistics of one backend, shared by every connection.
#[derive(Debug)]
pub struct BackendStats {
    inner: Mutex<Inner>,
    in_flight: AtomicU64,
    started: Instant,
    window_secs: u64,
}

impl BackendStats {
    /// Empty statistics with a sliding window of `window`.
    pub fn new(window: Duration, started: Instant) -> Self {
        let window_secs = window.as_secs().max(1);
        Self {
            inner: Mutex::new(Inner { cumulative: Counters::default(), window: Window::new(window_secs) }),
            in_flight: AtomicU64::new(0),
            started,
            window_secs,
        }
    }

    fn update(&self, now: Instant, f: impl Fn(&mut Counters)) {
        // Both the cumulative and the current window slot get the same update.
        let now = now.saturating_duration_since(self.started).as_secs();
        // A poisoned lock only means another thread panicked mid-update of
        // plain counters; the numbers are still usable.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut inner.cumulative);
        f(inner.window.slot(now));
    }

    /// A request was routed here (counted in flight until [`Self::finish`]).
    pub fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// The request routed by [`Self::begin`] is over: everything about it is
    /// recorded at once, under one lock.
    pub fn finish(&self, o: &Outcome, start: Instant) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let now = Instant::now();
        let us = u64::try_from(now.saturating_duration_since(start).as_micros()).unwrap_or(u64::MAX);
        let class = o.status.map(|s| usize::from(s / 100).clamp(1, 5) - 1);
        self.update(now, |c| {
            c.requests += 1;
            if let Some(class) = class {
                c.classes[class] += 1;
            }
            match o.failure {
                Some(FailureKind::Connect) => c.failures.connect += 1,
                Some(FailureKind::Timeout) => c.failures.timeout += 1,
                Some(FailureKind::Reset) => c.failures.reset += 1,
                Some(FailureKind::Injected) => c.failures.injected += 1,
                None => {}
            }
            c.faults_aborted += u64::from(o.fault_aborted);
            c.faults_delayed += u64::from(o.fault_delayed);
            if o.maintenance {
                c.maintenance += 1;
            } else if o.client_fault {
                c.client_faults += 1;
            } else {
                c.latency.record(us);
            }
        });
    }

    /// Snapshot for the admin API.
    pub fn snapshot(&self) -> types::BackendStats {
        let now = self.started.elapsed().as_secs();
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        types::BackendStats {
            cumulative: inner.cumulative.snapshot(),
            window: inner.window.sum(now).snapshot(),
            in_flight: self.in_flight.load(Ordering::Relaxed),
        }
    }

    /// Cumulative latency histogram (for Prometheus buckets).
    pub fn cumulative_histogram(&self) -> Histogram {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.cumulative.latency.clone()
    }

    /// Window length in seconds.
    pub fn window_secs(&self) -> u64 {
        self.window_secs
    }
}
