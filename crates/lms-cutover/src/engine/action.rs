//! What the engine asks the world to do next, and the vocabulary around it
//! (notices, verdicts, rollback reasons).
//!
//! Actions are plain data: the engine returns them, the runner journals them
//! (before acting) and hands them to the drivers. Nothing here performs IO.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::checkpoint::{CheckpointPrompt, DecisionRecord};
use crate::plan::model::Metric;
use crate::units::{PlanDuration, Slot, VersionSpec, Weights};

/// The next thing to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Post a notice (console, webhook). Journal `Notified` afterwards.
    Notify {
        /// The step it belongs to, if any.
        step: Option<u32>,
        /// What to say.
        notice: Notice,
    },
    /// Wait for a person to confirm a manual step (`ManualConfirmed`).
    AwaitManual {
        /// The step.
        step: u32,
        /// What must be done.
        activity: String,
        /// Who must do it.
        owner: String,
        /// Counts as confirmed without a person (rehearsals).
        auto_confirm: bool,
        /// When the plan's `manual_timeout` runs out and the step fails.
        #[serde(default)]
        expires_at: Option<DateTime<Utc>>,
    },
    /// Run a set of checks (`ChecksFinished`).
    RunChecks {
        /// The step.
        step: u32,
        /// Which set.
        set: CheckSet,
        /// Check ids, in plan order.
        checks: Vec<String>,
        /// Manual checks count as confirmed without a person (rehearsals).
        auto_confirm_manual: bool,
    },
    /// Back up the database and verify the backup (`BackupFinished`).
    Backup {
        /// The step.
        step: u32,
    },
    /// Turn the LMS's maintenance mode on (`MaintenanceSet`).
    MaintenanceOn {
        /// The step.
        step: u32,
    },
    /// Turn maintenance mode off (`MaintenanceSet`); `step` is `None` when
    /// cleaning up after an abort or rollback.
    MaintenanceOff {
        /// The step, if a timeline step.
        step: Option<u32>,
    },
    /// Run the green artifact's migrations, then their status (`MigrationFinished`).
    Migrate {
        /// The step.
        step: u32,
    },
    /// After migrating, before traffic moves: blue's health plus the
    /// read-only smoke tests against blue (`CompatibilityFinished`).
    CompatibilityCheck {
        /// The step.
        step: u32,
        /// Read-only smoke test ids.
        smoke: Vec<String>,
        /// What blue must still report.
        expect: VersionSpec,
    },
    /// Start green and wait until ready (`GreenDeployed`).
    DeployGreen {
        /// The step; `None` when redeploying after a resume found green gone.
        step: Option<u32>,
    },
    /// Check a deployment's health and version (`HealthChecked`).
    HealthCheck {
        /// The step; `None` for the re-check after a resume.
        step: Option<u32>,
        /// Which deployment.
        slot: Slot,
        /// The version it must report.
        expect: VersionSpec,
    },
    /// Set the traffic split (`WeightsSet`).
    SetWeights {
        /// The step; `None` when re-asserting after a resume.
        step: Option<u32>,
        /// The split.
        weights: Weights,
        /// Why.
        reason: WeightsReason,
    },
    /// Watch the gates: wait until `sample_at`, take one sample (`Sampled`),
    /// ask again. Decisions and rollback requests may arrive meanwhile.
    Monitor {
        /// The step the window belongs to.
        step: u32,
        /// A timeline monitoring window, or a HOLD's extension.
        purpose: WindowPurpose,
        /// When the window opened.
        started: DateTime<Utc>,
        /// When it closes.
        ends: DateTime<Utc>,
        /// When to take the next sample.
        sample_at: DateTime<Utc>,
    },
    /// Show the checkpoint with measured answers and wait for a decision
    /// (`Decided`); keep sampling at `sample_at` meanwhile. When `auto` is
    /// set the plan allows it and every gate is green: journal it as is.
    AwaitCheckpoint {
        /// The step.
        step: u32,
        /// Questions with measured answers, gates, alerts.
        prompt: Box<CheckpointPrompt>,
        /// When to take the next sample while waiting.
        sample_at: DateTime<Utc>,
        /// The decision the engine takes by itself, if allowed.
        auto: Option<Box<DecisionRecord>>,
        /// When the plan's `decision_timeout` runs out and its default is
        /// taken, if the plan sets one and a person must decide.
        #[serde(default)]
        decide_by: Option<DateTime<Utc>>,
    },
    /// Run the smoke suite through the public URL (`SmokeFinished`).
    RunSmoke {
        /// The step.
        step: u32,
        /// Smoke test ids.
        tests: Vec<String>,
    },
    /// Run a step's command to completion (`CommandFinished`).
    RunCommand {
        /// The step.
        step: u32,
        /// The command as the plan writes it (placeholders resolved when run).
        argv: Vec<String>,
        /// How long it may run.
        timeout: crate::units::PlanDuration,
        /// The exit code that means success.
        expect_exit: i32,
    },
    /// All traffic to blue in one call (`RolledBack`).
    Rollback {
        /// Why.
        reason: RollbackReason,
        /// When the trigger happened (for time-to-blue).
        triggered_at: DateTime<Utc>,
        /// 1 for the first try.
        attempt: u32,
    },
    /// After a rollback: blue healthy and its error rate recovering within
    /// `within` (`BlueVerified`).
    VerifyBlue {
        /// How long to watch.
        within: PlanDuration,
        /// What blue must report.
        expect: VersionSpec,
    },
    /// Perform a post-cutover checklist item by webhook (`ChecklistDone`).
    ChecklistWebhook {
        /// The item id.
        id: String,
        /// The URL to POST to.
        url: String,
    },
    /// The run is over (`RunCompleted`).
    Complete {
        /// How it ended.
        verdict: Verdict,
    },
}

impl Action {
    /// The timeline step this action belongs to, if any.
    pub fn step(&self) -> Option<u32> {
        match self {
            Action::Notify { step, .. }
            | Action::MaintenanceOff { step }
            | Action::DeployGreen { step }
            | Action::HealthCheck { step, .. }
            | Action::SetWeights { step, .. } => *step,
            Action::AwaitManual { step, .. }
            | Action::RunChecks { step, .. }
            | Action::Backup { step }
            | Action::MaintenanceOn { step }
            | Action::Migrate { step }
            | Action::CompatibilityCheck { step, .. }
            | Action::Monitor { step, .. }
            | Action::AwaitCheckpoint { step, .. }
            | Action::RunSmoke { step, .. }
            | Action::RunCommand { step, .. } => Some(*step),
            Action::Rollback { .. }
            | Action::VerifyBlue { .. }
            | Action::ChecklistWebhook { .. }
            | Action::Complete { .. } => None,
        }
    }

    /// A short name, for status lines.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Notify { .. } => "notify",
            Action::AwaitManual { .. } => "await_manual",
            Action::RunChecks { .. } => "run_checks",
            Action::Backup { .. } => "backup",
            Action::MaintenanceOn { .. } => "maintenance_on",
            Action::MaintenanceOff { .. } => "maintenance_off",
            Action::Migrate { .. } => "migrate",
            Action::CompatibilityCheck { .. } => "compatibility_check",
            Action::DeployGreen { .. } => "deploy_green",
            Action::HealthCheck { .. } => "health_check",
            Action::SetWeights { .. } => "set_weights",
            Action::Monitor { .. } => "monitor",
            Action::AwaitCheckpoint { .. } => "await_checkpoint",
            Action::RunSmoke { .. } => "run_smoke",
            Action::RunCommand { .. } => "run_command",
            Action::Rollback { .. } => "rollback",
            Action::VerifyBlue { .. } => "verify_blue",
            Action::ChecklistWebhook { .. } => "checklist_webhook",
            Action::Complete { .. } => "complete",
        }
    }
}

/// Which checks a `RunChecks` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckSet {
    /// 5.1 and 5.2: a required failure stops the cutover.
    PreCutover,
    /// 7.2 and 7.3: failures are answered at the final checkpoint.
    PostDeployment,
}

/// Why weights are being set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightsReason {
    /// A timeline traffic step.
    Step,
    /// Re-asserting the last recorded weights after a resume.
    Reassert,
}

/// Why a monitoring window runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WindowPurpose {
    /// A timeline monitoring step.
    Step,
    /// A HOLD (or EXTENDED MONITORING) at a checkpoint.
    Hold {
        /// The checkpoint held.
        checkpoint: u32,
        /// The round that will be asked when the window closes.
        round: u32,
    },
}

/// Something to tell the war room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A timeline announcement.
    Announce {
        /// The text.
        message: String,
    },
    /// The periodic status update (10.3).
    Status {
        /// Where the run stands.
        summary: String,
    },
    /// A rollback cannot reach the traffic controller: what fails and what
    /// a person can do by hand.
    RollbackFailing {
        /// What fails.
        error: String,
        /// Attempts so far.
        attempts: u32,
        /// The manual way out.
        by_hand: String,
    },
    /// The traffic controller reports other weights than the run set
    /// (it restarted, or someone changed them by hand): the checkpoint holds.
    WeightsDrift {
        /// What the run set.
        expected: Weights,
        /// What the controller reports.
        actual: Weights,
        /// When the traffic stage it belongs to began (dedupe key).
        stage_started: DateTime<Utc>,
    },
    /// A war-room event taken from the journal as it is written: a
    /// checkpoint waiting (with its questions), a decision (with actor and
    /// reason), rollback started and completed (with timings), the
    /// verdict, a blackout override. Only sent to the webhook (the console
    /// shows these as they happen).
    WarRoom {
        /// `checkpoint_waiting`, `decision`, `rollback_started`,
        /// `rollback_completed`, `blue_verified`, `verdict`, `blackout_override`.
        event: String,
        /// One human line.
        text: String,
        /// The details, as structured data.
        data: serde_json::Value,
    },
    /// A gate with action "investigate" was breached.
    Alert {
        /// The metric.
        metric: Metric,
        /// Measured value.
        value: String,
        /// The limit.
        limit: String,
        /// When the traffic stage it belongs to began (dedupe key).
        stage_started: DateTime<Utc>,
    },
}

/// Why a rollback happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RollbackReason {
    /// A gate whose action is rollback was breached.
    Gate {
        /// The metric.
        metric: Metric,
        /// Measured value.
        value: String,
        /// The limit.
        limit: String,
    },
    /// A checkpoint decided ROLLBACK.
    Decision {
        /// Which checkpoint.
        checkpoint: u32,
        /// Who decided.
        by: String,
        /// Their note.
        note: Option<String>,
    },
    /// Someone asked for it (`lms cutover rollback`).
    Manual {
        /// Who.
        by: String,
        /// Why.
        reason: String,
    },
    /// A step failed after traffic reached green.
    Failure {
        /// The step, if any.
        step: Option<u32>,
        /// What failed.
        detail: String,
    },
}

impl std::fmt::Display for RollbackReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RollbackReason::Gate { metric, value, limit } => {
                write!(f, "gate {metric:?} breached: {value} (limit {limit})")
            }
            RollbackReason::Decision { checkpoint, by, note } => {
                write!(f, "checkpoint {checkpoint} decided ROLLBACK by {by}")?;
                if let Some(n) = note {
                    write!(f, ": {n}")?;
                }
                Ok(())
            }
            RollbackReason::Manual { by, reason } => write!(f, "manual rollback by {by}: {reason}"),
            RollbackReason::Failure { step, detail } => match step {
                Some(s) => write!(f, "step {s} failed: {detail}"),
                None => write!(f, "failure: {detail}"),
            },
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Go-live confirmed; all traffic on green.
    GoLive,
    /// Traffic went back to blue. Migrations are not reversed.
    RolledBack {
        /// Why.
        reason: String,
        /// Measured time from the trigger to all traffic on blue.
        to_blue_ms: Option<i64>,
        /// Whether blue was verified healthy afterwards.
        blue_verified: bool,
    },
    /// Stopped before any traffic reached green.
    Aborted {
        /// Why.
        reason: String,
    },
}
