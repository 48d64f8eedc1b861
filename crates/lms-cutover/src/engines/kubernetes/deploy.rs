//! Deploying a slot as a Deployment: set its image (and replicas) with one
//! JSON patch pinned to the resourceVersion that was read — or apply the
//! plan's manifest onto it with a merge patch pinned the same way — wait
//! for the rollout from the Deployment's status, and scale it to zero when
//! asked.
//!
//! A rollout is complete, as `kubectl rollout status` has it, when the
//! controller has seen the latest spec (`status.observedGeneration >=
//! metadata.generation`), every replica runs it (`updatedReplicas ==
//! spec.replicas`), no old one is left (`status.replicas ==
//! updatedReplicas`) and all are available (`availableReplicas ==
//! updatedReplicas`). A rollout that is not complete within the plan's
//! `ready_timeout`, or that the Deployment controller gave up on
//! (`Progressing` false with `ProgressDeadlineExceeded`), makes the slot
//! not ready — the deploy step fails and the engine takes the plan's
//! action (before traffic moved: abort).
//!
//! Blue is scaled down only when the plan gives it a `keep_warm` time;
//! when that time has passed is the caller's to judge. Knows Deployments,
//! not the runbook.

use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::Deployment;
use serde_json::json;

use super::client::{KubeClient, Patch, Patched, DEPLOYMENTS};
use super::manifest;
use super::traffic::ATTEMPTS;
use crate::drivers::{DeployDriver, DeployStatus};
use crate::error::Result;
use crate::local::err;
use crate::observe::HealthReport;
use crate::plan::kubernetes::KubernetesSlot;
use crate::plan::model::Environment;
use crate::units::{PlanDuration, Slot};

/// How often a rollout's status is read.
const POLL: Duration = Duration::from_secs(2);

/// Blue's and green's Deployments.
#[derive(Debug, Clone)]
pub struct KubernetesDeploy {
    client: KubeClient,
    slots: [Option<KubernetesSlot>; 2],
    poll: Duration,
}

fn idx(slot: Slot) -> usize {
    match slot {
        Slot::Blue => 0,
        Slot::Green => 1,
    }
}

/// Where a rollout stands, read from a Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    /// `spec.replicas` (1 when absent).
    pub desired: i32,
    /// `status.replicas`.
    pub current: i32,
    /// `status.updatedReplicas`.
    pub updated: i32,
    /// `status.availableReplicas`.
    pub available: i32,
    /// `status.readyReplicas`.
    pub ready: i32,
    /// `metadata.generation`.
    pub generation: i64,
    /// `status.observedGeneration`.
    pub observed: i64,
    /// The `Progressing` condition's message when its reason is
    /// `ProgressDeadlineExceeded`.
    pub gave_up: Option<String>,
}

impl Rollout {
    /// Reads `d`'s rollout.
    pub fn of(d: &Deployment) -> Self {
        let spec_replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let status = d.status.clone().unwrap_or_default();
        let gave_up = status.conditions.unwrap_or_default().into_iter().find_map(|c| {
            (c.type_ == "Progressing" && c.status == "False" && c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
                .then(|| c.message.unwrap_or_else(|| "progress deadline exceeded".into()))
        });
        Rollout {
            desired: spec_replicas,
            current: status.replicas.unwrap_or(0),
            updated: status.updated_replicas.unwrap_or(0),
            available: status.available_replicas.unwrap_or(0),
            ready: status.ready_replicas.unwrap_or(0),
            generation: d.metadata.generation.unwrap_or(0),
            observed: status.observed_generation.unwrap_or(0),
            gave_up,
        }
    }

    /// Every replica runs the latest spec and is available.
    pub fn complete(&self) -> bool {
        self.observed >= self.generation
            && self.updated == self.desired
            && self.current == self.updated
            && self.available == self.updated
    }
}

impl std::fmt::Display for Rollout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {} replica(s) updated, {} available, {} in all (generation {} observed {})",
            self.updated, self.desired, self.available, self.current, self.generation, self.observed
        )
    }
}

impl KubernetesDeploy {
    /// The Deployments of `blue` and `green` (`None`: that slot is not on
    /// the cluster) through `client`.
    pub fn new(client: KubeClient, blue: Option<KubernetesSlot>, green: Option<KubernetesSlot>) -> Self {
        KubernetesDeploy { client, slots: [blue, green], poll: POLL }
    }

    /// Reads rollouts every `poll` instead of every 2 s.
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    fn slot(&self, slot: Slot) -> Result<&KubernetesSlot> {
        self.slots[idx(slot)]
            .as_ref()
            .ok_or_else(|| err("deploy", format!("the plan has no [kubernetes.{slot}] Deployment")))
    }

    fn what(&self, name: &str) -> String {
        format!("deployment/{name} in namespace {:?}", self.client.namespace())
    }

    /// The slot's Deployment and its rollout.
    pub async fn rollout(&self, slot: Slot) -> Result<(Deployment, Rollout)> {
        let d: Deployment = self.client.get(&DEPLOYMENTS, &self.slot(slot)?.deployment).await?;
        let r = Rollout::of(&d);
        Ok((d, r))
    }

    /// The JSON patch that sets `s`'s image and replicas on `d`, pinned to
    /// the resourceVersion read; `None` when `d` has them already.
    fn image_patch(&self, s: &KubernetesSlot, d: &Deployment) -> Result<Option<Patch>> {
        let version = d
            .metadata
            .resource_version
            .clone()
            .ok_or_else(|| err("deploy", format!("{} has no resourceVersion", self.what(&s.deployment))))?;
        let containers = d.spec.as_ref().and_then(|s| s.template.spec.as_ref()).map(|p| p.containers.clone());
        let containers = containers.unwrap_or_default();
        let mut ops = vec![json!({ "op": "test", "path": "/metadata/resourceVersion", "value": version })];
        if let Some(image) = &s.image {
            let at = match &s.container {
                Some(name) => containers.iter().position(|c| &c.name == name),
                None if containers.len() == 1 => Some(0),
                None => None,
            };
            let Some(at) = at else {
                let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
                let wanted = s.container.as_deref().map_or_else(
                    || "its only container (write `container` to choose one)".to_string(),
                    |c| format!("container {c:?}"),
                );
                return Err(err(
                    "deploy",
                    format!("{} has no {wanted}; its containers: {}", self.what(&s.deployment), names.join(", ")),
                ));
            };
            if containers[at].image.as_deref() != Some(image.as_str()) {
                let path = format!("/spec/template/spec/containers/{at}/image");
                ops.push(json!({ "op": "replace", "path": path, "value": image }));
            }
        }
        if let Some(n) = s.replicas {
            if d.spec.as_ref().and_then(|s| s.replicas) != Some(n) {
                ops.push(json!({ "op": "add", "path": "/spec/replicas", "value": n }));
            }
        }
        Ok((ops.len() > 1).then_some(Patch::Json(serde_json::Value::Array(ops))))
    }

    /// Writes a patch built from a fresh read, again after each conflict.
    async fn write(
        &self,
        name: &str,
        make: impl Fn(&Deployment) -> Result<Option<Patch>>,
    ) -> Result<Option<Deployment>> {
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            let d: Deployment = self.client.get(&DEPLOYMENTS, name).await?;
            let Some(patch) = make(&d)? else { return Ok(None) };
            match self.client.patch::<Deployment>(&DEPLOYMENTS, name, &patch).await? {
                Patched::Done(d) => return Ok(Some(d)),
                Patched::Conflict(m) => last = m,
            }
        }
        Err(err(
            "deploy",
            format!(
                "{} changed under every one of {ATTEMPTS} writes (last: {last}); nothing was changed",
                self.what(name)
            ),
        ))
    }

    /// Scales the slot's Deployment to zero replicas (blue only when the
    /// plan gives it a `keep_warm`).
    pub async fn scale_to_zero(&self, slot: Slot) -> Result<DeployStatus> {
        let s = self.slot(slot)?;
        if slot == Slot::Blue && s.keep_warm.is_none() {
            return Err(err(
                "deploy",
                "the plan does not ask for blue to be scaled down ([kubernetes.blue] has no keep_warm)",
            ));
        }
        let what = self.what(&s.deployment);
        self.write(&s.deployment, |d| {
            let version = d
                .metadata
                .resource_version
                .clone()
                .ok_or_else(|| err("deploy", format!("{what} has no resourceVersion")))?;
            let at_zero = d.spec.as_ref().and_then(|s| s.replicas) == Some(0);
            Ok((!at_zero).then(|| {
                Patch::Merge(json!({ "metadata": { "resourceVersion": version }, "spec": { "replicas": 0 } }))
            }))
        })
        .await?;
        let (_, r) = self.rollout(slot).await?;
        Ok(DeployStatus {
            slot,
            running: count(r.current),
            ready: count(r.ready),
            detail: format!("{what} scaled to 0: {r}"),
        })
    }
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

#[async_trait]
impl DeployDriver for KubernetesDeploy {
    fn name(&self) -> &str {
        "kubernetes"
    }

    /// Sets the image (and replicas) the plan gives; returns once the API
    /// server took the change, before the rollout.
    async fn start(&self, slot: Slot, _env: &Environment) -> Result<DeployStatus> {
        let s = self.slot(slot)?.clone();
        let what = self.what(&s.deployment);
        if let Some(path) = &s.manifest {
            let text = tokio::fs::read_to_string(path)
                .await
                .map_err(|e| err("deploy", format!("cannot read the manifest {path}: {e}")))?;
            let wanted = manifest::deployment(&text, path, &s.deployment, self.client.namespace())
                .map_err(|m| err("deploy", m))?;
            let written = self
                .write(&s.deployment, |d| {
                    let version = d
                        .metadata
                        .resource_version
                        .as_deref()
                        .ok_or_else(|| err("deploy", format!("{what} has no resourceVersion")))?;
                    Ok(Some(manifest::patch(&wanted, version)))
                })
                .await?;
            let generation = written.and_then(|d| d.metadata.generation).unwrap_or(0);
            let (_, r) = self.rollout(slot).await?;
            let detail = format!("{what}: {path} applied (generation {generation})");
            return Ok(DeployStatus { slot, running: count(r.current), ready: count(r.ready), detail });
        }
        let written = self.write(&s.deployment, |d| self.image_patch(&s, d)).await?;
        let detail = match (&written, &s.image) {
            (Some(d), Some(image)) => {
                format!("{what}: image {image} set (generation {})", d.metadata.generation.unwrap_or(0))
            }
            (Some(d), None) => format!("{what}: replicas set (generation {})", d.metadata.generation.unwrap_or(0)),
            (None, Some(image)) => format!("{what} has image {image} already"),
            (None, None) => format!("{what} as it stands (no image in the plan)"),
        };
        let (_, r) = self.rollout(slot).await?;
        Ok(DeployStatus { slot, running: count(r.current), ready: count(r.ready), detail })
    }

    /// Polls the Deployment until its rollout is complete, the Deployment
    /// controller gives up on it, or `timeout` passes.
    async fn wait_ready(&self, slot: Slot, timeout: PlanDuration) -> Result<HealthReport> {
        let what = self.what(&self.slot(slot)?.deployment);
        let deadline = tokio::time::Instant::now() + timeout.to_std();
        loop {
            let (d, r) = self.rollout(slot).await?;
            let image = d
                .spec
                .as_ref()
                .and_then(|s| s.template.spec.as_ref())
                .and_then(|p| p.containers.first())
                .and_then(|c| c.image.clone());
            let report = |healthy, detail| HealthReport { slot, healthy, version: image.clone(), detail };
            if r.complete() {
                return Ok(report(true, format!("{what} rolled out: {r}")));
            }
            if let Some(why) = &r.gave_up {
                return Ok(report(false, format!("{what}: the rollout failed (ProgressDeadlineExceeded: {why}): {r}")));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(report(false, format!("{what} not rolled out within {timeout}: {r}")));
            }
            tokio::time::sleep(self.poll.min(deadline.saturating_duration_since(tokio::time::Instant::now()))).await;
        }
    }

    async fn status(&self, slot: Slot) -> Result<DeployStatus> {
        let what = self.what(&self.slot(slot)?.deployment);
        let (_, r) = self.rollout(slot).await?;
        Ok(DeployStatus { slot, running: count(r.current), ready: count(r.ready), detail: format!("{what}: {r}") })
    }

    /// Scales the Deployment to zero (green on `stop-green`; blue only
    /// with a `keep_warm` in the plan).
    async fn stop(&self, slot: Slot) -> Result<DeployStatus> {
        self.scale_to_zero(slot).await
    }
}
