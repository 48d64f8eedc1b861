//! Synthetic traffic for the gates: off-peak, too few users reach green for
//! the gates to judge it ("insufficient data"). The plan's
//! `[monitoring] synthetic` names a rate and the paths to request; the
//! controller then sends that traffic through the public URL — split by
//! the traffic controller like users' requests — from the first traffic
//! step until the run ends. Knows the load generator's public API, not the
//! engine.

use std::sync::Arc;
use std::time::Duration;

use lms_smoke::loadgen::{self, LiveStats, LoadSpec, Mode, RequestSpec};
use tokio::task::JoinHandle;

use crate::error::{CutoverError, Result};
use crate::plan::Synthetic;

/// The running synthetic load; stopped when dropped.
pub struct SyntheticLoad {
    task: JoinHandle<()>,
    /// Its counters.
    pub live: Arc<LiveStats>,
}

impl SyntheticLoad {
    /// Starts `spec` against `public_url`.
    pub fn start(public_url: &str, spec: &Synthetic) -> Result<SyntheticLoad> {
        let base = public_url
            .parse()
            .map_err(|e| CutoverError::Driver { driver: "synthetic", message: format!("{public_url}: {e}") })?;
        let mix = spec
            .paths
            .iter()
            .map(|p| RequestSpec { method: reqwest::Method::GET, path: p.clone(), weight: 1 })
            .collect();
        let load = LoadSpec {
            base,
            mix,
            headers: Vec::new(),
            mode: Mode::Rate { per_second: spec.rate, max_in_flight: 256 },
            duration: Duration::from_secs(7 * 24 * 3600),
            timeout: Duration::from_secs(10),
        };
        let live = Arc::new(LiveStats::default());
        let l = live.clone();
        let task = tokio::spawn(async move {
            loadgen::run(load, l).await;
        });
        Ok(SyntheticLoad { task, live })
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.live.snapshot().requests
    }
}

impl Drop for SyntheticLoad {
    fn drop(&mut self) {
        self.task.abort();
    }
}
