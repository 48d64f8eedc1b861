//! What happened: the events a run's journal records, in the order they
//! happened. The engine's state is a fold over them.
//!
//! Each `ActionStarted` is written (and fsync'd) before the action is taken;
//! the matching result event after. Decisions, rollback requests, checklist
//! ticks and resumes come from people and are journaled the same way.

use serde::{Deserialize, Serialize};

use crate::engine::action::{Action, CheckSet, Notice, Verdict};
use crate::engine::checkpoint::DecisionRecord;
use crate::observe::{BackupReport, CheckResult, HealthReport, MetricsSample, MigrationReport, Outcome, SmokeResult};
use crate::units::Weights;

/// An override of the blackout calendar, recorded with who and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackoutOverride {
    /// Who overrode.
    pub by: String,
    /// Why.
    pub reason: String,
    /// The rules that were overridden, as text.
    pub rules: Vec<String>,
}

/// One journaled fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A run began.
    RunStarted {
        /// The plan's id.
        plan_id: String,
        /// The controller's own version (resolves `self` version specs).
        own_version: String,
        /// Set when the blackout calendar or window was overridden.
        blackout_override: Option<BlackoutOverride>,
    },
    /// The controller restarted and continues the run from the journal.
    Resumed,
    /// An action is about to be taken (written before acting).
    ActionStarted {
        /// The action.
        action: Action,
    },
    /// A notice went out.
    Notified {
        /// The step, if any.
        step: Option<u32>,
        /// What was said.
        notice: Notice,
        /// Whether delivery worked.
        ok: bool,
    },
    /// The controller stopped by a person's choice (an interrupt, leaving
    /// the run as it is); `resume` continues. A killed controller cannot
    /// write this: the next `Resumed` shows it.
    ControllerStopped {
        /// Why.
        why: String,
    },
    /// Green was stopped after the run (`lms cutover stop-green`).
    GreenStopped {
        /// What the deploy driver reported.
        outcome: Outcome,
    },
    /// Blue was scaled down after go-live and its keep-warm time
    /// (`lms cutover scale-down-blue`).
    BlueScaledDown {
        /// What the deploy driver reported.
        outcome: Outcome,
    },
    /// Nobody confirmed a manual step within the plan's `manual_timeout`:
    /// the step failed.
    StepExpired {
        /// The step.
        step: u32,
        /// How long it waited, as the plan wrote it.
        waited: String,
    },
    /// A person confirmed a manual step.
    ManualConfirmed {
        /// The step.
        step: u32,
        /// Who.
        by: String,
        /// Their note.
        note: Option<String>,
    },
    /// Checks finished.
    ChecksFinished {
        /// The step.
        step: u32,
        /// Which set ran.
        set: CheckSet,
        /// One result per check.
        results: Vec<CheckResult>,
    },
    /// Backup finished; `report` is set when it was written and verified.
    BackupFinished {
        /// The step.
        step: u32,
        /// Success or failure.
        outcome: Outcome,
        /// The verified backup.
        report: Option<BackupReport>,
    },
    /// A step's command ended (or could not run).
    CommandFinished {
        /// The step.
        step: u32,
        /// Exit code and last output lines, or why it failed.
        outcome: Outcome,
    },
    /// Maintenance mode switched (or failed to).
    MaintenanceSet {
        /// The step, if a timeline step.
        step: Option<u32>,
        /// The requested state.
        enabled: bool,
        /// Success or failure.
        outcome: Outcome,
    },
    /// Migration finished.
    MigrationFinished {
        /// The step.
        step: u32,
        /// Success or failure.
        outcome: Outcome,
        /// Status after migrating.
        report: Option<MigrationReport>,
    },
    /// Compatibility check against blue finished.
    CompatibilityFinished {
        /// The step.
        step: u32,
        /// Blue's health.
        health: HealthReport,
        /// Read-only smoke results against blue.
        smoke: Vec<SmokeResult>,
    },
    /// Green was started (or failed to become ready).
    GreenDeployed {
        /// The step, if any.
        step: Option<u32>,
        /// Success or failure.
        outcome: Outcome,
    },
    /// A health check finished.
    HealthChecked {
        /// The step, if any.
        step: Option<u32>,
        /// What was seen.
        report: HealthReport,
    },
    /// Weights were set (or the call failed).
    WeightsSet {
        /// The step, if any.
        step: Option<u32>,
        /// The requested split.
        weights: Weights,
        /// Success or failure.
        outcome: Outcome,
    },
    /// A metrics sample was taken.
    Sampled {
        /// The step whose window it belongs to.
        step: u32,
        /// The sample.
        sample: MetricsSample,
    },
    /// A checkpoint decision (a person's or the engine's).
    Decided {
        /// The decision with who, when, note and metric snapshot.
        record: Box<DecisionRecord>,
    },
    /// Smoke tests finished.
    SmokeFinished {
        /// The step.
        step: u32,
        /// One result per test.
        results: Vec<SmokeResult>,
    },
    /// Someone asked for a rollback.
    RollbackRequested {
        /// Who.
        by: String,
        /// Why.
        reason: String,
    },
    /// The rollback call failed and is being retried with back-off. One
    /// record per change of what fails (not per attempt).
    RollbackRetrying {
        /// Attempts so far.
        attempt: u32,
        /// What fails.
        error: String,
        /// Delay before the next attempt, ms.
        next_in_ms: u64,
    },
    /// A run that went live is reopened to send all traffic back to blue
    /// (`lms cutover rollback --after-go-live`): recorded with who and why,
    /// after blue was checked healthy.
    ReopenedForRollback {
        /// Who.
        by: String,
        /// Why.
        reason: String,
        /// The verdict the run had.
        previous: Verdict,
    },
    /// The rollback call finished.
    RolledBack {
        /// Success or failure.
        outcome: Outcome,
    },
    /// Blue checked after rollback.
    BlueVerified {
        /// Success or failure (healthy, version, error rate recovered).
        outcome: Outcome,
    },
    /// A post-cutover checklist item was done (by a person or a webhook).
    ChecklistDone {
        /// The item id.
        id: String,
        /// Who (or `webhook`).
        by: String,
        /// Success or failure.
        outcome: Outcome,
    },
    /// The run ended.
    RunCompleted {
        /// How.
        verdict: Verdict,
    },
}
