//! Deploy as local processes: green (or blue) is started from the plan's
//! command and environment, its pid kept in `<run_dir>/<slot>.pid` so that a
//! controller resumed after a crash finds it again, readiness awaited on its
//! health URL, and stopped with SIGTERM on an explicit command.
//!
//! Readiness comes from the process this run started, never from whatever
//! answers the URL: the process must be alive, healthy, and its
//! `/api/v1/status` must report the slot and the instance id this run gave
//! it (`LMS_INSTANCE_ID`, kept in `<run_dir>/<slot>.instance`). An older
//! process still holding the address is named as such.

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
    base_urls: [String; 2],
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
        let base = |e: &Environment| e.url.trim_end_matches('/').to_string();
        LocalDeploy {
            run_dir,
            base_urls: [base(blue), base(green)],
            health_urls: [url(blue), url(green)],
            expect,
            own_version: own_version.to_string(),
        }
    }

    fn run_id(&self) -> String {
        self.run_dir.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned())
    }

    /// The file keeping the instance id given to a slot's process.
    pub fn instance_file(&self, slot: Slot) -> PathBuf {
        self.run_dir.join(format!("{slot}.instance"))
    }

    fn log(&self, slot: Slot) -> PathBuf {
        self.run_dir.join("logs").join(format!("{slot}.log"))
    }

    /// Whether the process answering `slot`'s URL is the one this run
    /// started: `Ok(())`, or why not.
    async fn is_ours(&self, client: &reqwest::Client, slot: Slot) -> std::result::Result<(), String> {
        let expected = std::fs::read_to_string(self.instance_file(slot)).map(|s| s.trim().to_string()).ok();
        let url = format!("{}/api/v1/status", self.base_urls[Self::idx(slot)]);
        let body: serde_json::Value = match client.get(&url).send().await {
            Ok(r) if r.status().is_success() => r.json().await.map_err(|e| format!("GET {url}: {e}"))?,
            Ok(r) => return Err(format!("GET {url}: HTTP {}", r.status().as_u16())),
            Err(e) => return Err(format!("GET {url}: {e}")),
        };
        let seen = body.get("instance_id").and_then(|v| v.as_str()).map(str::to_string);
        let seen_slot = body.get("slot").and_then(|v| v.as_str()).unwrap_or("?").to_string();
        let pid = body.get("pid").and_then(|v| v.as_u64());
        if seen.is_some() && seen == expected && seen_slot == slot.to_string() {
            return Ok(());
        }
        Err(format!(
            "another process answers {url}: instance {}, slot {seen_slot}{} — not the one this run started (instance {})",
            seen.as_deref().unwrap_or("none"),
            pid.map_or_else(String::new, |p| format!(", pid {p}")),
            expected.as_deref().unwrap_or("unknown")
        ))
    }
}

/// The last non-empty line of a log file (why a process exited).
fn last_line(path: &std::path::Path) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string()))
        .unwrap_or_else(|| "no output".into())
}

impl LocalDeploy {
    /// The health URL of `slot`.
    pub fn health_url(&self, slot: Slot) -> &str {
        &self.health_urls[Self::idx(slot)]
    }

    /// The version `slot` must report, and this build's own (for `own`).
    pub fn expected_version(&self, slot: Slot) -> (&VersionSpec, &str) {
        (&self.expect[Self::idx(slot)], &self.own_version)
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
        let log = self.log(slot);
        let instance = format!("{}/{slot}/{:08x}", self.run_id(), rand::random::<u32>());
        let instance_file = self.instance_file(slot);
        std::fs::write(&instance_file, format!("{instance}\n"))
            .map_err(|e| err("deploy", format!("{}: {e}", instance_file.display())))?;
        let mut vars = env.env.clone();
        vars.insert("LMS_INSTANCE_ID".into(), instance);
        let pid = process::spawn_detached(&env.command, &vars, &log)?;
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
        let pid = process::read_pid(&self.pid_file(slot));
        loop {
            if let Some(p) = pid.filter(|p| !process::alive(*p)) {
                return Ok(HealthReport {
                    slot,
                    healthy: false,
                    version: None,
                    detail: format!(
                        "the process this run started (pid {p}) exited: {} (see {})",
                        last_line(&self.log(slot)),
                        self.log(slot).display()
                    ),
                });
            }
            let report = health::check(&client, url, slot, expect, &self.own_version).await;
            let ours = if report.healthy { self.is_ours(&client, slot).await } else { Err(report.detail.clone()) };
            // Alive after answering: the answer came while it ran.
            let alive = pid.is_none_or(process::alive);
            match ours {
                Ok(()) if alive => {
                    return Ok(HealthReport {
                        detail: format!("{}; instance verified (pid {})", report.detail, pid.unwrap_or(0)),
                        ..report
                    })
                }
                Ok(()) => continue,
                Err(why) if tokio::time::Instant::now() >= deadline => {
                    return Ok(HealthReport {
                        healthy: false,
                        detail: format!("not ready within {timeout}: {why}"),
                        ..report
                    })
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
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
