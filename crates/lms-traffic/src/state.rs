//! The proxy's shared state: backends, weights, faults, health, statistics
//! and the change log, behind one `Arc` every connection holds.
//!
//! Weights and faults are swapped atomically as whole values (`ArcSwap`), so
//! a request reads one consistent split and a change never disturbs a
//! request already routed. Knows nothing about sockets.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use hyper::Uri;

use crate::admin::types::{ChangeRecord, FaultSpec, HealthState, HealthStatus, RoutingMode};
use crate::config::Config;
use crate::stats::BackendStats;

const MAX_CHANGES: usize = 50;

/// One backend and everything the proxy knows about it.
#[derive(Debug)]
pub struct Backend {
    /// Name (`blue`, `green`, ...).
    pub name: String,
    /// Base URL.
    pub url: Uri,
    /// Fast health flag read on every request.
    pub up: AtomicBool,
    /// Health details for the admin API.
    pub health: Mutex<HealthState>,
    /// Statistics.
    pub stats: BackendStats,
}

/// Everything shared between connections, the admin API and health checks.
#[derive(Debug)]
pub struct Shared {
    /// Validated configuration.
    pub config: Config,
    /// Backends in configuration order.
    pub backends: Vec<Backend>,
    /// Current weights, same order as `backends`, summing to 100.
    pub weights: ArcSwap<Vec<u32>>,
    /// Current faults, same order as `backends`.
    pub faults: ArcSwap<Vec<FaultSpec>>,
    /// Requests moved off a down backend.
    pub failovers: AtomicU64,
    /// Requests answered 503 because every backend was down.
    pub all_down: AtomicU64,
    /// Current routing mode (see `RoutingMode`).
    mode: AtomicU8,
    /// Times the routing mode changed.
    pub mode_changes: AtomicU64,
    /// Recent changes made through the admin API.
    changes: Mutex<VecDeque<ChangeRecord>>,
    /// Serialises admin writes so read-modify-write changes do not interleave.
    pub write_lock: tokio::sync::Mutex<()>,
    /// Start time.
    pub started: Instant,
}

impl Shared {
    /// Builds the state from a validated configuration.
    pub fn new(config: Config) -> Arc<Self> {
        let started = Instant::now();
        let backends = config
            .backends
            .iter()
            .map(|b| Backend {
                name: b.name.clone(),
                url: b.url.clone(),
                up: AtomicBool::new(true),
                health: Mutex::new(HealthState {
                    status: HealthStatus::Unknown,
                    checks: 0,
                    consecutive_failures: 0,
                    last_check_unix_ms: None,
                    last_error: None,
                }),
                stats: BackendStats::new(config.window, started),
            })
            .collect::<Vec<_>>();
        let n = backends.len();
        Arc::new(Self {
            weights: ArcSwap::from_pointee(config.weights.clone()),
            faults: ArcSwap::from_pointee(vec![FaultSpec::default(); n]),
            config,
            backends,
            failovers: AtomicU64::new(0),
            all_down: AtomicU64::new(0),
            mode: AtomicU8::new(0),
            mode_changes: AtomicU64::new(0),
            changes: Mutex::new(VecDeque::new()),
            write_lock: tokio::sync::Mutex::new(()),
            started,
        })
    }

    /// Index of the backend called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.backends.iter().position(|b| b.name == name)
    }

    /// Current routing mode.
    pub fn mode(&self) -> RoutingMode {
        match self.mode.load(Ordering::Relaxed) {
            0 => RoutingMode::Normal,
            1 => RoutingMode::Failover,
            _ => RoutingMode::AllDown,
        }
    }

    /// Recomputes the routing mode after a health or weight change.
    pub fn refresh_mode(&self) {
        let weights = self.weights.load();
        let any_up = self.backends.iter().any(|b| b.up.load(Ordering::Relaxed));
        let weighted_down =
            self.backends.iter().zip(weights.iter()).any(|(b, w)| *w > 0 && !b.up.load(Ordering::Relaxed));
        let mode = if !any_up {
            RoutingMode::AllDown
        } else if weighted_down {
            RoutingMode::Failover
        } else {
            RoutingMode::Normal
        };
        let code = match mode {
            RoutingMode::Normal => 0,
            RoutingMode::Failover => 1,
            RoutingMode::AllDown => 2,
        };
        let old = self.mode.swap(code, Ordering::Relaxed);
        if old != code {
            self.mode_changes.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(mode = ?mode, "routing mode changed");
        }
    }

    /// Records a change in the log (and in tracing) and returns the record.
    pub fn record_change(&self, who: &str, what: String) -> ChangeRecord {
        let record = ChangeRecord { who: who.to_string(), at_unix_ms: unix_ms(), what };
        tracing::info!(who = %record.who, at_unix_ms = record.at_unix_ms, change = %record.what, "admin change");
        let mut log = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() == MAX_CHANGES {
            log.pop_front();
        }
        log.push_back(record.clone());
        record
    }

    /// The change log, oldest first.
    pub fn changes(&self) -> Vec<ChangeRecord> {
        self.changes.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).unwrap_or(0)
}
