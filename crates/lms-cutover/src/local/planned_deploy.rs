//! Deploy as the plan says, slot by slot: a `local-process` slot goes to
//! [`LocalDeploy`]; a `command` slot runs the plan's command to completion
//! (with a timeout; exit 0 is success; stdout and stderr kept in
//! `<run_dir>/<slot>.deploy.log`, the last lines in the answer) and is then
//! awaited on its health URL; an `external` slot is never started or
//! stopped, only awaited on its health URL with its version checked; a
//! `kubernetes` slot goes to [`KubernetesDeploy`] (image, rollout), and
//! once rolled out is awaited on its health URL like the others.
//!
//! This module knows commands and health URLs, not what a command deploys to.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;

use crate::drivers::{DeployDriver, DeployStatus};
use crate::engines::kubernetes::KubernetesDeploy;
use crate::error::Result;
use crate::local::deploy::LocalDeploy;
use crate::local::{command, err, health, http_client};
use crate::observe::HealthReport;
use crate::plan::model::{DeployKind, Environment};
use crate::units::{PlanDuration, Slot};

/// The default time a `command` deploy may take.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Blue and green, each deployed its own way.
pub struct PlannedDeploy {
    local: LocalDeploy,
    run_dir: PathBuf,
    kinds: [DeployKind; 2],
    timeouts: [Duration; 2],
    kubernetes: Option<KubernetesDeploy>,
}

fn idx(slot: Slot) -> usize {
    match slot {
        Slot::Blue => 0,
        Slot::Green => 1,
    }
}

impl PlannedDeploy {
    /// `local` deploys the `local-process` slots and knows every slot's
    /// health URL and expected version.
    pub fn new(local: LocalDeploy, run_dir: PathBuf, blue: &Environment, green: &Environment) -> Self {
        let timeout = |e: &Environment| e.deploy_timeout.map_or(DEFAULT_TIMEOUT, |t| t.to_std());
        PlannedDeploy {
            local,
            run_dir,
            kinds: [blue.deploy, green.deploy],
            timeouts: [timeout(blue), timeout(green)],
            kubernetes: None,
        }
    }

    /// Deploys the `kubernetes` slots through `k`.
    pub fn with_kubernetes(mut self, k: KubernetesDeploy) -> Self {
        self.kubernetes = Some(k);
        self
    }

    fn kube(&self, slot: Slot) -> Result<&KubernetesDeploy> {
        self.kubernetes
            .as_ref()
            .ok_or_else(|| err("deploy", format!("{slot} is deployed on Kubernetes but the plan has no [kubernetes]")))
    }

    /// Where a `command` deploy's output goes.
    pub fn log(&self, slot: Slot) -> PathBuf {
        self.run_dir.join(format!("{slot}.deploy.log"))
    }

    /// Runs a slot's deploy command to completion.
    async fn run_command(&self, slot: Slot, env: &Environment) -> Result<DeployStatus> {
        if env.command.is_empty() {
            return Err(err("deploy", format!("the plan has no command to deploy {slot}")));
        }
        let log = self.log(slot);
        let done = command::run(&env.command, &env.env, self.timeouts[idx(slot)], &log)
            .await
            .map_err(|e| err("deploy", format!("deploying {slot}: {e}")))?;
        match done.code {
            Some(0) => Ok(DeployStatus {
                slot,
                running: 1,
                ready: 0,
                detail: format!("deploy command exited 0: {}", done.tail),
            }),
            _ => Err(err(
                "deploy",
                format!(
                    "deploying {slot} failed: `{}` exited {} — {} (all of it in {})",
                    env.command.join(" "),
                    done.code_text(),
                    done.tail,
                    log.display()
                ),
            )),
        }
    }

    /// Polls the slot's health URL until it is healthy with the expected
    /// version, or `timeout` passes.
    async fn await_health(&self, slot: Slot, timeout: PlanDuration) -> HealthReport {
        let client = http_client(Duration::from_secs(2));
        let url = self.local.health_url(slot);
        let (expect, own_version) = self.local.expected_version(slot);
        let deadline = tokio::time::Instant::now() + timeout.to_std();
        loop {
            let report = health::check(&client, url, slot, expect, own_version).await;
            if report.healthy {
                return report;
            }
            if tokio::time::Instant::now() >= deadline {
                return HealthReport {
                    healthy: false,
                    detail: format!("not ready within {timeout}: {}", report.detail),
                    ..report
                };
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[async_trait]
impl DeployDriver for PlannedDeploy {
    fn name(&self) -> &str {
        "planned"
    }

    async fn start(&self, slot: Slot, env: &Environment) -> Result<DeployStatus> {
        match self.kinds[idx(slot)] {
            DeployKind::LocalProcess => self.local.start(slot, env).await,
            DeployKind::Command => self.run_command(slot, env).await,
            DeployKind::Kubernetes => self.kube(slot)?.start(slot, env).await,
            DeployKind::External => Ok(DeployStatus {
                slot,
                running: 1,
                ready: 0,
                detail: "deployed by other means (external): only its readiness and version are checked".into(),
            }),
        }
    }

    async fn wait_ready(&self, slot: Slot, timeout: PlanDuration) -> Result<HealthReport> {
        match self.kinds[idx(slot)] {
            DeployKind::LocalProcess => self.local.wait_ready(slot, timeout).await,
            DeployKind::Command | DeployKind::External => Ok(self.await_health(slot, timeout).await),
            DeployKind::Kubernetes => {
                let started = tokio::time::Instant::now();
                let rollout = self.kube(slot)?.wait_ready(slot, timeout).await?;
                if !rollout.healthy {
                    return Ok(rollout);
                }
                let spent = PlanDuration::new(chrono::TimeDelta::from_std(started.elapsed()).unwrap_or_default())
                    .unwrap_or(PlanDuration::ZERO);
                let left = PlanDuration::new(timeout.delta() - spent.delta()).unwrap_or(PlanDuration::ZERO);
                let health = self.await_health(slot, left).await;
                Ok(HealthReport { detail: format!("{}; {}", rollout.detail, health.detail), ..health })
            }
        }
    }

    async fn status(&self, slot: Slot) -> Result<DeployStatus> {
        match self.kinds[idx(slot)] {
            DeployKind::LocalProcess => self.local.status(slot).await,
            DeployKind::Kubernetes => self.kube(slot)?.status(slot).await,
            DeployKind::Command | DeployKind::External => {
                let r = self.await_health(slot, PlanDuration::ZERO).await;
                let up = u32::from(r.healthy);
                Ok(DeployStatus { slot, running: up, ready: up, detail: r.detail })
            }
        }
    }

    async fn stop(&self, slot: Slot) -> Result<DeployStatus> {
        match self.kinds[idx(slot)] {
            DeployKind::LocalProcess => self.local.stop(slot).await,
            DeployKind::Kubernetes => self.kube(slot)?.stop(slot).await,
            kind => Err(err(
                "deploy",
                format!(
                    "{slot} was deployed {}; stop it the way it was deployed — the controller never stops it",
                    if kind == DeployKind::Command { "by a command" } else { "by other means (external)" }
                ),
            )),
        }
    }
}
