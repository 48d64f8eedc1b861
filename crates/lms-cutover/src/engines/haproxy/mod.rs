//! Traffic through HAProxy's runtime API: the blue and green servers of one
//! backend, their weights set with `set server <backend>/<server> weight
//! <w>`, read back from `show servers state <backend>`, and per-server
//! counters from `show stat`.
//!
//! The plan's percentages are HAProxy weights as they are (blue 10 / green
//! 90 → weight 10 and 90, out of HAProxy's 0..=256); weight 0 takes a
//! server out of load balancing for new requests. Both weights go in one
//! round (`;`-separated commands on one connection), the one that rises
//! first, so the backend never has both servers at 0. Every change is read
//! back: weights in force that differ from those set are an error naming
//! both (drift).
//!
//! This driver must not know the runbook (steps, gates, checkpoints) nor
//! how HAProxy was configured or started; it needs only a runtime API at
//! `level admin` and a backend whose two servers carry weights summing
//! to 100.

mod answers;
pub mod runtime_api;

use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;

use crate::drivers::{BackendState, TrafficDriver, TrafficState, WindowStats};
use crate::error::Result;
use crate::local::err;
use crate::observe::BackendWindow;
use crate::units::{PlanDuration, Slot, Weights};

pub use answers::{Counters, ServerRow};
pub use runtime_api::Address;

/// One backend's blue and green servers behind HAProxy's runtime API.
#[derive(Debug)]
pub struct HaproxyTraffic {
    address: Address,
    backend: String,
    blue: String,
    green: String,
    /// Counters at the previous `window_stats` call, and when.
    previous: Mutex<Option<(Instant, [Counters; 2])>>,
}

impl HaproxyTraffic {
    /// A driver for servers `blue` and `green` of `backend`, through the
    /// runtime API at `socket` (a UNIX socket path or `tcp://host:port`).
    pub fn new(socket: &str, backend: &str, blue: &str, green: &str) -> Result<Self> {
        for (what, name) in [("backend", backend), ("blue server", blue), ("green server", green)] {
            if name.trim().is_empty() || name.contains(char::is_whitespace) || name.contains(['/', ';']) {
                return Err(err(
                    "traffic",
                    format!("HAProxy {what} name {name:?} is empty or holds a space, '/' or ';'"),
                ));
            }
        }
        Ok(HaproxyTraffic {
            address: Address::parse(socket)?,
            backend: backend.to_string(),
            blue: blue.to_string(),
            green: green.to_string(),
            previous: Mutex::new(None),
        })
    }

    /// Sends one raw command line and returns HAProxy's answer (for
    /// diagnostics; the driver's own commands go through the typed methods).
    pub async fn raw(&self, command: &str) -> Result<String> {
        runtime_api::send(&self.address, command).await
    }

    /// The weights in force, which must be `expected`: anything else is an
    /// error naming both (someone or something changed HAProxy behind the
    /// controller's back, or a change did not take).
    pub async fn verify(&self, expected: Weights) -> Result<TrafficState> {
        let state = self.state().await?;
        if state.weights != expected {
            return Err(err(
                "traffic",
                format!(
                    "HAProxy backend {} has {} in force, not the {} that was set (drift)",
                    self.backend, state.weights, expected
                ),
            ));
        }
        Ok(state)
    }

    fn set_command(&self, weights: Weights) -> String {
        let blue = format!("set server {}/{} weight {}", self.backend, self.blue, weights.blue_weight().get());
        let green = format!("set server {}/{} weight {}", self.backend, self.green, weights.green_weight().get());
        // Raise first: blue 100 → 0 with green 0 → 100 must never pass
        // through 0 / 0, which would leave the backend without a server.
        if weights.blue_weight().get() >= 50 {
            format!("{blue}; {green}")
        } else {
            format!("{green}; {blue}")
        }
    }

    async fn apply(&self, weights: Weights) -> Result<TrafficState> {
        let command = self.set_command(weights);
        let answer = self.raw(&command).await?;
        let errors = answers::command_errors(&answer);
        if !errors.is_empty() {
            return Err(err("traffic", format!("HAProxy refused `{command}`: {}", errors.join("; "))));
        }
        self.verify(weights).await
    }

    async fn counters(&self) -> Result<[Counters; 2]> {
        let csv = self.raw("show stat").await?;
        let found = answers::stat_counters(&csv, &self.backend, &[&self.blue, &self.green])
            .map_err(|m| err("traffic", format!("HAProxy {m}")))?;
        match found.as_slice() {
            [b, g] => Ok([*b, *g]),
            _ => Err(err("traffic", "HAProxy `show stat`: expected two servers")),
        }
    }
}

/// `now - before`; a counter that went down means HAProxy restarted (its
/// counters start at 0 again), so what it counts now is all since then.
fn delta(now: Counters, before: Counters) -> Counters {
    let d = |n: u64, b: u64| if n >= b { n - b } else { n };
    if now.requests < before.requests {
        return now;
    }
    Counters {
        requests: d(now.requests, before.requests),
        errors: d(now.errors, before.errors),
        failed: d(now.failed, before.failed),
    }
}

fn window(c: Counters) -> BackendWindow {
    BackendWindow { requests: c.requests, errors: c.errors, failed: c.failed, p95_ms: None, maintenance: 0 }
}

#[async_trait]
impl TrafficDriver for HaproxyTraffic {
    fn name(&self) -> &str {
        "haproxy"
    }

    async fn set_weights(&self, weights: Weights) -> Result<TrafficState> {
        self.apply(weights).await
    }

    async fn rollback(&self) -> Result<TrafficState> {
        self.apply(Weights::ALL_BLUE).await
    }

    async fn state(&self) -> Result<TrafficState> {
        let command = format!("show servers state {}", self.backend);
        let answer = self.raw(&command).await?;
        let rows =
            answers::servers_state(&answer, &self.backend).map_err(|m| err("traffic", format!("HAProxy {m}")))?;
        let row = |name: &str| {
            rows.iter().find(|r| r.name == name).ok_or_else(|| {
                let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
                err(
                    "traffic",
                    format!(
                        "HAProxy backend {} has no server named {name:?} (its servers: {})",
                        self.backend,
                        if names.is_empty() { "none".to_string() } else { names.join(", ") }
                    ),
                )
            })
        };
        let (blue, green) = (row(&self.blue)?, row(&self.green)?);
        let weights = Weights::new(i64::from(blue.weight), i64::from(green.weight)).map_err(|_| {
            err(
                "traffic",
                format!(
                    "HAProxy backend {} has weights {}/{} {} and {}/{} {}, which do not sum to 100 as blue and green percentages",
                    self.backend, self.backend, self.blue, blue.weight, self.backend, self.green, green.weight
                ),
            )
        })?;
        let backend = |slot, r: &ServerRow| BackendState { slot, target: r.address.clone(), healthy: Some(r.running) };
        Ok(TrafficState { weights, backends: vec![backend(Slot::Blue, blue), backend(Slot::Green, green)] })
    }

    /// HAProxy keeps cumulative counters only, so the "window" is the time
    /// since the previous call: requests (`req_tot`), 5xx answers
    /// (`hrsp_5xx`) and unanswered requests (`econ + eresp`) counted since
    /// then. The first call takes the baseline and reports zeros over a
    /// zero window. No p95 (HAProxy's CSV has averages, not percentiles).
    async fn window_stats(&self) -> Result<WindowStats> {
        let now_counters = self.counters().await?;
        let now = Instant::now();
        let mut previous = self.previous.lock().map_err(|_| err("traffic", "poisoned lock"))?;
        let stats = match *previous {
            Some((then, [b, g])) => {
                let secs = i64::try_from(now.duration_since(then).as_secs()).unwrap_or(i64::MAX);
                WindowStats {
                    window: PlanDuration::seconds(secs).unwrap_or(PlanDuration::ZERO),
                    blue: window(delta(now_counters[0], b)),
                    green: window(delta(now_counters[1], g)),
                }
            }
            None => WindowStats {
                window: PlanDuration::ZERO,
                blue: window(Counters::default()),
                green: window(Counters::default()),
            },
        };
        *previous = Some((now, now_counters));
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver() -> HaproxyTraffic {
        HaproxyTraffic::new("/tmp/x.sock", "lms", "b", "g").unwrap()
    }

    #[test]
    fn the_rising_weight_goes_first() {
        let d = driver();
        assert_eq!(
            d.set_command(Weights::new(0, 100).unwrap()),
            "set server lms/g weight 100; set server lms/b weight 0"
        );
        assert_eq!(d.set_command(Weights::ALL_BLUE), "set server lms/b weight 100; set server lms/g weight 0");
    }

    #[test]
    fn names_that_would_break_a_command_are_refused() {
        assert!(HaproxyTraffic::new("/tmp/x.sock", "lms; shutdown", "b", "g").is_err());
        assert!(HaproxyTraffic::new("/tmp/x.sock", "lms", "a/b", "g").is_err());
        assert!(HaproxyTraffic::new("/tmp/x.sock", "lms", "b", "").is_err());
    }

    #[test]
    fn deltas_restart_with_haproxy() {
        let c = |requests, errors, failed| Counters { requests, errors, failed };
        assert_eq!(delta(c(10, 2, 1), c(4, 1, 1)), c(6, 1, 0));
        assert_eq!(delta(c(3, 0, 0), c(40, 5, 2)), c(3, 0, 0));
    }
}
