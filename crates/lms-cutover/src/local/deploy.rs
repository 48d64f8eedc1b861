//! Deploy as local processes: green (or blue) is started from the plan's
//! command and environment, its pid kept in `<run_dir>/<slot>.pid` so that a
//! controller resumed after a crash finds it again, readiness awaited on its
//! health URL, and stopped with SIGTERM on an explicit command.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;

use crate::drivers::{DeployDriver, DeployStatus};
use crate::error::Result;
use crate::local::{err, health, http_client, process};
use crate::observe::HealthReport;
use crate::plan::model::Environment;
use crate::units::{PlanDuration, Slot, VersionSpec};

/// Local processes, one per slot.
#[derive(Debug, Clone)]
pub struct LocalDeploy {
    run_dir: PathBuf,
    health_urls: [String; 2],
    expect: [VersionSpec; 2],
    own_version: String,
}

impl LocalDeploy {
    /// A driver keeping pid files and logs in `run_dir`; `blue`/`green` are
    /// the resolved environments, `expect` the versions each must report.
    pub fn new(
        run_dir: PathBuf,
        blue: &Environment,
        green: &Environment,
        expect: [VersionSpec; 2],
        own_version: &str,
    ) -> Self {
        let url = |e: &Environment| format!("{}{}", e.url.trim_end_matches('/'), e.health_path);
        LocalDeploy { run_dir, health_urls: [url(blue), url(green)], expect, own_version: own_version.to_string() }
    }

    fn idx(slot: Slot) -> usize {
        match slot {
            Slot::Blue => 0,
            Slot::Green => 1,
        }
    }

    /// The pid file of a slot.
    pub fn pid_file(&self, slot: Slot) -> PathBuf {
        self.run_dir.join(format!("{slot}.pid"))
    }

    /// The live pid of a slot, if any.
    pub fn pid(&self, slot: Slot) -> Option<u32> {
        process::read_pid(&self.pid_file(slot)).filter(|p| process::alive(*p))
    }
}

#[async_trait]
impl DeployDriver for LocalDeploy {
    fn name(&self) -> &str {
        "local-process"
    }

    async fn start(&self, slot: Slot, env: &Environment) -> Result<DeployStatus> {
        if let Some(old) = self.pid(slot) {
            // A previous controller started it and died before recording
            // readiness: start afresh from a known state.
            process::terminate(old, Duration::from_secs(10)).await;
        }
        if env.command.is_empty() {
            return Err(err("deploy", format!("the plan has no command to start {slot}")));
        }
        let log = self.run_dir.join("logs").join(format!("{slot}.log"));
        let pid = process::spawn_detached(&env.command, &env.env, &log)?;
        let pid_file = self.pid_file(slot);
        std::fs::write(&pid_file, format!("{pid}\n"))
            .map_err(|e| err("deploy", format!("{}: {e}", pid_file.display())))?;
        Ok(DeployStatus { slot, running: 1, ready: 0, detail: format!("pid {pid}, log {}", log.display()) })
    }

    async fn wait_ready(&self, slot: Slot, timeout: PlanDuration) -> Result<HealthReport> {
        let client = http_client(Duration::from_secs(2));
        let url = &self.health_urls[Self::idx(slot)];
        let expect = &self.expect[Self::idx(slot)];
        let deadline = tokio::time::Instant::now() + timeout.to_std();
        loop {
            let report = health::check(&client, url, slot, expect, &self.own_version).await;
            if report.healthy {
                return Ok(report);
            }
            let gone = process::read_pid(&self.pid_file(slot)).is_some_and(|p| !process::alive(p));
            if gone || tokio::time::Instant::now() >= deadline {
                let why = if gone { "the process exited" } else { "not ready in time" };
                return Ok(HealthReport { detail: format!("{why}: {}", report.detail), ..report });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn status(&self, slot: Slot) -> Result<DeployStatus> {
        Ok(match self.pid(slot) {
            Some(pid) => DeployStatus { slot, running: 1, ready: 1, detail: format!("pid {pid}") },
            None => DeployStatus { slot, running: 0, ready: 0, detail: "not running".into() },
        })
    }

    async fn stop(&self, slot: Slot) -> Result<DeployStatus> {
        match self.pid(slot) {
            Some(pid) => {
                let stopped = process::terminate(pid, Duration::from_secs(30)).await;
                let _ = std::fs::remove_file(self.pid_file(slot));
                Ok(DeployStatus {
                    slot,
                    running: u32::from(!stopped),
                    ready: 0,
                    detail: if stopped { format!("pid {pid} stopped") } else { format!("pid {pid} did not stop") },
                })
            }
            None => Ok(DeployStatus { slot, running: 0, ready: 0, detail: "was not running".into() }),
        }
    }
}
