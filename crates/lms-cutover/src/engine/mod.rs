//! The engine: a pure state machine that, given the plan, the state
//! replayed from the journal and the current time, returns the next action.
//!
//! It performs no IO and reads no clock: the runner journals each action
//! before handing it to the drivers, journals the result, applies both to
//! the [`RunState`] and asks again. Rollback and abort take precedence over
//! everything; then re-asserting weights after a resume; then status
//! updates and alerts; then the first unfinished timeline step.
//!
//! The engine knows the runbook's rules (gates, checkpoints, the order of
//! steps); it does not know how traffic is moved or a database backed up.

pub mod action;
pub mod checkpoint;
pub mod event;
pub mod gates;
pub mod state;

use chrono::{DateTime, TimeDelta, Utc};

pub use action::{Action, CheckSet, Notice, RollbackReason, Verdict, WeightsReason, WindowPurpose};
pub use checkpoint::{Answer, AnsweredQuestion, CheckpointPrompt, DecisionInput, DecisionRecord};
pub use event::{BlackoutOverride, Event};
pub use gates::{GateReport, GateResult, GateStatus};
pub use state::RunState;

use crate::error::{CutoverError, Result};
use crate::plan::model::{Checkpoint, Decision, Due, Performer, Plan, Step, StepAction};
use crate::units::{Slot, Weights};

/// The runbook's decision logic over one plan.
#[derive(Debug, Clone)]
pub struct Engine {
    plan: Plan,
}

impl Engine {
    /// An engine for a validated plan.
    pub fn new(plan: Plan) -> Self {
        Engine { plan }
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The first timeline step not yet finished (skipping disabled
    /// maintenance steps); `None` when the timeline is done.
    pub fn current_step(&self, state: &RunState) -> Option<&Step> {
        self.plan.steps.iter().find(|s| !self.skipped(s) && !self.finished(s, state))
    }

    /// Done, or an optional step that failed: the run goes on past it (the
    /// failure stays in the journal and the report).
    fn finished(&self, s: &Step, state: &RunState) -> bool {
        state.step_done(s.n) || (s.optional && state.step_failed(s.n).is_some())
    }

    fn skipped(&self, s: &Step) -> bool {
        !self.plan.maintenance.enabled && matches!(s.action, StepAction::MaintenanceOn | StepAction::MaintenanceOff)
    }

    fn checkpoint(&self, n: u32) -> Option<&Checkpoint> {
        self.plan.checkpoints.iter().find(|c| c.n == n)
    }

    /// The first failure that stops the run: a failed step, or a required
    /// pre-check that did not pass.
    pub fn failure(&self, state: &RunState) -> Option<(Option<u32>, String)> {
        for s in &self.plan.steps {
            if self.skipped(s) {
                continue;
            }
            if let Some(why) = state.step_failed(s.n).filter(|_| !s.optional) {
                return Some((Some(s.n), format!("step {} ({}) failed: {why}", s.n, s.activity)));
            }
            if matches!(s.action, StepAction::PreChecks) && state.step_done(s.n) {
                let failed: Vec<String> = state
                    .prechecks
                    .iter()
                    .filter(|r| !r.passed)
                    .filter(|r| self.plan.prechecks.iter().any(|c| c.id() == r.id && c.required))
                    .map(|r| format!("{} ({})", r.id, r.detail))
                    .collect();
                if !failed.is_empty() {
                    return Some((Some(s.n), format!("required pre-checks failed: {}", failed.join(", "))));
                }
            }
            if !self.finished(s, state) {
                break;
            }
        }
        None
    }

    /// The next action.
    pub fn next(&self, state: &RunState, now: DateTime<Utc>) -> Action {
        if let Some(verdict) = &state.verdict {
            return Action::Complete { verdict: verdict.clone() };
        }
        if let Some(a) = self.rollback_flow(state, now) {
            return a;
        }
        if let Some(a) = self.abort_flow(state) {
            return a;
        }
        if let Some(w) = state.reassert {
            return Action::SetWeights { step: None, weights: w, reason: WeightsReason::Reassert };
        }
        if state.recheck_green {
            return Action::HealthCheck { step: None, slot: Slot::Green, expect: self.plan.versions.green.clone() };
        }
        if state.green_lost && self.deploy_done(state) {
            return Action::DeployGreen { step: None };
        }
        if let Some(a) = self.status_due(state, now) {
            return a;
        }
        if let Some(a) = self.pending_alert(state) {
            return a;
        }
        match self.current_step(state) {
            Some(step) => self.step_action(step, state, now),
            None => self.after_timeline(state),
        }
    }

    /// What the current timeline step asks for now, leaving aside what
    /// the controller does first (a status update, an alert, re-asserted
    /// weights): a checkpoint stays open to a person while its notices go
    /// out. `None` once the run rolls back, aborts or has its verdict.
    pub fn step_action_now(&self, state: &RunState, now: DateTime<Utc>) -> Option<Action> {
        if state.verdict.is_some() || state.rollback.is_some() || state.rollback_requested.is_some() {
            return None;
        }
        if self.abort_flow(state).is_some() {
            return None;
        }
        self.current_step(state).map(|step| self.step_action(step, state, now))
    }

    fn deploy_done(&self, state: &RunState) -> bool {
        self.plan.steps.iter().any(|s| matches!(s.action, StepAction::DeployGreen) && state.step_done(s.n))
    }

    fn rollback_flow(&self, state: &RunState, now: DateTime<Utc>) -> Option<Action> {
        if let Some(r) = &state.rollback {
            if r.on_blue_at.is_none() {
                return Some(Action::Rollback {
                    reason: r.reason.clone(),
                    triggered_at: r.triggered_at,
                    attempt: r.attempts + 1,
                });
            }
            if r.blue_verified.is_none() {
                let within = self
                    .plan
                    .monitoring
                    .rollback_verify
                    .unwrap_or(self.plan.monitoring.sample_every)
                    .compressed(self.plan.meta.compression);
                return Some(Action::VerifyBlue { within, expect: self.plan.versions.blue.clone() });
            }
            if state.maintenance_on && !state.cleanup_failed {
                return Some(Action::MaintenanceOff { step: None });
            }
            let to_blue_ms = r.on_blue_at.map(|t| (t - r.triggered_at).num_milliseconds());
            return Some(Action::Complete {
                verdict: Verdict::RolledBack {
                    reason: r.reason.to_string(),
                    to_blue_ms,
                    blue_verified: r.blue_verified == Some(true),
                },
            });
        }
        if !state.green_exposed {
            return None;
        }
        let trigger = self.rollback_trigger(state, now)?;
        Some(Action::Rollback { reason: trigger.0, triggered_at: trigger.1, attempt: 1 })
    }

    /// Why traffic must go back to blue now, and since when.
    fn rollback_trigger(&self, state: &RunState, now: DateTime<Utc>) -> Option<(RollbackReason, DateTime<Utc>)> {
        if let Some((by, reason)) = &state.rollback_requested {
            return Some((
                RollbackReason::Manual { by: by.clone(), reason: reason.clone() },
                state.last_event_at.unwrap_or(now),
            ));
        }
        for (n, c) in &state.checkpoints {
            if let Some(d) = c.decisions.last().filter(|d| d.decision == Decision::Rollback) {
                return Some((
                    RollbackReason::Decision { checkpoint: *n, by: d.by.clone(), note: d.note.clone() },
                    d.at,
                ));
            }
        }
        for entry in &state.samples {
            let report = gates::evaluate(&self.plan, &entry.sample);
            if let Some(b) = report.rollback_breach() {
                return Some((
                    RollbackReason::Gate { metric: b.metric, value: b.value_text(), limit: b.limit.to_string() },
                    entry.at,
                ));
            }
        }
        if state.green_lost {
            return Some((
                RollbackReason::Failure { step: None, detail: "green unhealthy when the run resumed".into() },
                state.last_event_at.unwrap_or(now),
            ));
        }
        if let Some((step, why)) = self.failure(state) {
            let at = step.and_then(|n| state.steps.get(&n)).and_then(|p| p.finished_at).unwrap_or(now);
            return Some((RollbackReason::Failure { step, detail: why }, at));
        }
        None
    }

    fn abort_flow(&self, state: &RunState) -> Option<Action> {
        let reason = if let Some((by, why)) = &state.rollback_requested {
            format!("stopped by {by} before traffic moved: {why}")
        } else {
            self.failure(state)?.1
        };
        if state.maintenance_on && !state.cleanup_failed {
            return Some(Action::MaintenanceOff { step: None });
        }
        Some(Action::Complete { verdict: Verdict::Aborted { reason } })
    }

    fn status_due(&self, state: &RunState, now: DateTime<Utc>) -> Option<Action> {
        let every = self.plan.notify.status_every.delta();
        if every <= TimeDelta::zero() {
            return None;
        }
        let since = state.last_status_at.or(state.started_at)?;
        if now < since + every {
            return None;
        }
        let step = self.current_step(state);
        let summary = format!(
            "{}: {}; traffic {}",
            self.plan.meta.id,
            step.map_or_else(
                || "timeline complete".to_string(),
                |s| format!("step {}/{} {} ({})", s.n, self.plan.steps.len(), s.activity, s.owner)
            ),
            state.weights
        );
        Some(Action::Notify { step: None, notice: Notice::Status { summary } })
    }

    fn pending_alert(&self, state: &RunState) -> Option<Action> {
        let stage = state.stage_started_at?;
        if let Some((expected, actual)) = state.drift().filter(|_| state.drift_alerted != Some(stage)) {
            return Some(Action::Notify {
                step: None,
                notice: Notice::WeightsDrift { expected, actual, stage_started: stage },
            });
        }
        for entry in state.stage_samples() {
            let report = gates::evaluate(&self.plan, &entry.sample);
            for b in report.investigate_breaches() {
                if !state.alerts.contains(&(b.metric, stage)) {
                    return Some(Action::Notify {
                        step: None,
                        notice: Notice::Alert {
                            metric: b.metric,
                            value: b.value_text(),
                            limit: b.limit.to_string(),
                            stage_started: stage,
                        },
                    });
                }
            }
        }
        None
    }

    fn next_sample_at(&self, state: &RunState, from: DateTime<Utc>) -> DateTime<Utc> {
        let every = self.plan.monitoring.sample_every.delta();
        let last = state.samples.iter().rev().map(|s| s.at).find(|at| *at >= from);
        last.unwrap_or(from) + every
    }

    fn step_action(&self, step: &Step, state: &RunState, now: DateTime<Utc>) -> Action {
        let n = step.n;
        let auto = self.plan.meta.auto_confirm_manual;
        match &step.action {
            StepAction::Announce { message } => {
                Action::Notify { step: Some(n), notice: Notice::Announce { message: message.clone() } }
            }
            StepAction::Manual => Action::AwaitManual {
                step: n,
                activity: step.activity.clone(),
                owner: step.owner.clone(),
                auto_confirm: auto,
                expires_at: self.plan.monitoring.manual_timeout.map(|t| {
                    let since = state.steps.get(&n).and_then(|p| p.started_at).unwrap_or(now);
                    since + t.compressed(self.plan.meta.compression).delta()
                }),
            },
            StepAction::PreChecks => Action::RunChecks {
                step: n,
                set: CheckSet::PreCutover,
                checks: self.plan.prechecks.iter().map(|c| c.id()).collect(),
                auto_confirm_manual: auto,
            },
            StepAction::Backup => Action::Backup { step: n },
            StepAction::MaintenanceOn => Action::MaintenanceOn { step: n },
            StepAction::Migrate if !state.migrated => Action::Migrate { step: n },
            StepAction::Migrate => Action::CompatibilityCheck {
                step: n,
                smoke: self.plan.smoke.iter().filter(|s| s.read_only).map(|s| s.id.clone()).collect(),
                expect: self.plan.versions.blue.clone(),
            },
            StepAction::DeployGreen => Action::DeployGreen { step: Some(n) },
            StepAction::HealthCheck => {
                Action::HealthCheck { step: Some(n), slot: Slot::Green, expect: self.plan.versions.green.clone() }
            }
            StepAction::Traffic { green } => {
                Action::SetWeights { step: Some(n), weights: Weights::green(*green), reason: WeightsReason::Step }
            }
            StepAction::Monitor { window } => {
                let length = window.compressed(self.plan.meta.compression).delta();
                self.monitor(state, n, WindowPurpose::Step, length, now)
            }
            StepAction::Checkpoint { checkpoint } => self.checkpoint_action(step, *checkpoint, state, now),
            StepAction::Validation => Action::RunChecks {
                step: n,
                set: CheckSet::PostDeployment,
                checks: self.plan.verifications.iter().map(|c| c.id()).collect(),
                auto_confirm_manual: auto,
            },
            StepAction::MaintenanceOff => Action::MaintenanceOff { step: Some(n) },
            StepAction::Smoke => {
                Action::RunSmoke { step: n, tests: self.plan.smoke.iter().map(|s| s.id.clone()).collect() }
            }
            StepAction::Command { argv, timeout, expect_exit, .. } => Action::RunCommand {
                step: n,
                argv: argv.clone(),
                timeout: timeout
                    .unwrap_or(crate::units::PlanDuration::minutes(10).unwrap_or(crate::units::PlanDuration::ZERO)),
                expect_exit: expect_exit.unwrap_or(0),
            },
        }
    }

    fn monitor(
        &self,
        state: &RunState,
        step: u32,
        purpose: WindowPurpose,
        length: TimeDelta,
        now: DateTime<Utc>,
    ) -> Action {
        let (started, ends) = match &state.window {
            Some(w) if w.step == step && w.purpose == purpose && !w.done => (w.started, w.ends),
            _ => (now, now + length),
        };
        let sample_at = self.next_sample_at(state, started).min(ends);
        Action::Monitor { step, purpose, started, ends, sample_at }
    }

    fn checkpoint_action(&self, step: &Step, n: u32, state: &RunState, now: DateTime<Utc>) -> Action {
        let Some(cp) = self.checkpoint(n) else {
            // Validation guarantees the checkpoint exists; a plan built by
            // hand without it cannot be decided, so wait for a person.
            return Action::AwaitManual {
                step: step.n,
                activity: format!("{} (checkpoint {n} is not defined)", step.activity),
                owner: step.owner.clone(),
                auto_confirm: false,
                expires_at: None,
            };
        };
        let progress = state.checkpoints.get(&n);
        if let Some(p) = progress.filter(|p| p.holding) {
            let length = self.plan.monitoring.hold_extension.compressed(self.plan.meta.compression).delta();
            let purpose = WindowPurpose::Hold { checkpoint: n, round: p.round };
            return self.monitor(state, step.n, purpose, length, now);
        }
        let prompt = checkpoint::prompt(&self.plan, state, cp);
        let mut auto = checkpoint::auto_decision(&self.plan, cp, step.n, &prompt, now).map(Box::new);
        let round_from = progress.and_then(|p| p.round_opened_at).or(state.stage_started_at).unwrap_or(now);
        let mut sample_at = if prompt.samples == 0 { now } else { self.next_sample_at(state, round_from) };
        // A person must decide: the plan's deadline, if any, counts from
        // the round's opening; when it has passed, its default is taken.
        let m = &self.plan.monitoring;
        let decide_by = match (&auto, m.decision_timeout) {
            (None, Some(t)) => {
                let opened = progress.and_then(|p| p.round_opened_at).unwrap_or(now);
                Some(opened + t.compressed(self.plan.meta.compression).delta())
            }
            _ => None,
        };
        if let Some(deadline) = decide_by {
            if now >= deadline {
                auto = Some(Box::new(checkpoint::on_timeout(&self.plan, cp, step.n, &prompt, now)));
            } else {
                sample_at = sample_at.min(deadline);
            }
        }
        Action::AwaitCheckpoint { step: step.n, prompt: Box::new(prompt), sample_at, auto, decide_by }
    }

    fn after_timeline(&self, state: &RunState) -> Action {
        for item in &self.plan.post_cutover {
            if let (Due::Immediate, Performer::Webhook { url }) = (item.due, &item.by) {
                if !state.checklist.contains_key(&item.id) {
                    return Action::ChecklistWebhook { id: item.id.clone(), url: url.clone() };
                }
            }
        }
        Action::Complete { verdict: Verdict::GoLive }
    }

    /// Checks a person's decision against the open checkpoint and returns
    /// the record to journal; refuses decisions for a checkpoint that is
    /// not open, decisions the checkpoint does not allow, and a forward
    /// decision while alerts force a HOLD without an override reason.
    pub fn decide(&self, state: &RunState, input: &DecisionInput, now: DateTime<Utc>) -> Result<DecisionRecord> {
        if state.verdict.is_some() || state.rollback.is_some() {
            return Err(CutoverError::DecisionRefused("the run is rolling back or over".into()));
        }
        let step =
            self.current_step(state).ok_or_else(|| CutoverError::DecisionRefused("the timeline is complete".into()))?;
        let StepAction::Checkpoint { checkpoint: open } = step.action else {
            return Err(CutoverError::DecisionRefused(format!(
                "no checkpoint is open: the run is at step {} ({})",
                step.n, step.activity
            )));
        };
        let cp = self
            .checkpoint(open)
            .ok_or_else(|| CutoverError::DecisionRefused(format!("checkpoint {open} is not defined")))?;
        let prompt = checkpoint::prompt(&self.plan, state, cp);
        // Bound to the evidence the person saw: a forward decision is refused
        // when a warning appeared after it (hold and rollback stay allowed).
        if let (Some(seen), true) = (input.samples_seen, input.decision.is_forward()) {
            let unseen = checkpoint::unseen_warnings(&self.plan, state, cp, seen);
            if !unseen.is_empty() {
                return Err(CutoverError::DecisionRefused(format!(
                    "the evidence changed after the {seen} sample(s) you decided on: {}. Look again (lms cutover status, evidence {}) and decide anew",
                    unseen.join("; "),
                    checkpoint::evidence_id(&prompt)
                )));
            }
        }
        checkpoint::accept(cp, step.n, &prompt, input, now)
    }
}
