//! Deploy: bring green up (a local process, a Deployment's image), wait
//! for readiness, stop it on request; and the LMS's maintenance switch.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::observe::{HealthReport, Outcome};
use crate::plan::model::Environment;
use crate::units::{PlanDuration, Slot};

/// Whether a deployment runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployStatus {
    /// Which deployment.
    pub slot: Slot,
    /// Instances running (processes, pods).
    pub running: u32,
    /// Instances ready.
    pub ready: u32,
    /// Free text (pids, pod names, image).
    pub detail: String,
}

/// Starts, watches and stops a deployment.
#[async_trait]
pub trait DeployDriver: Send + Sync {
    /// For logs and status ("local-process", "kubernetes").
    fn name(&self) -> &str;

    /// Starts `slot` as the plan describes it (command, env, artifact);
    /// returns once started, not necessarily ready.
    async fn start(&self, slot: Slot, env: &Environment) -> Result<DeployStatus>;

    /// Waits until `slot` is ready or `timeout` passes.
    async fn wait_ready(&self, slot: Slot, timeout: PlanDuration) -> Result<HealthReport>;

    /// What runs now.
    async fn status(&self, slot: Slot) -> Result<DeployStatus>;

    /// Stops `slot` (after a rollback, only on an explicit command).
    async fn stop(&self, slot: Slot) -> Result<DeployStatus>;
}

/// The LMS's own maintenance mode (`lms maintenance on|off` or
/// `PUT /api/v1/admin/maintenance`).
#[async_trait]
pub trait MaintenanceDriver: Send + Sync {
    /// For logs and status ("cli", "http").
    fn name(&self) -> &str;

    /// Turns maintenance mode on or off.
    async fn set(&self, enabled: bool) -> Result<Outcome>;
}
