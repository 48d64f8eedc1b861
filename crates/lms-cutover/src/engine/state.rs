//! The state of a run: a fold over its journal's events.
//!
//! `RunState` remembers facts (what started, what finished, what was
//! measured and decided), never what to do next; that is the engine's job.
//! Replaying the same events always yields the same state, which is what
//! makes `resume` possible: a `Resumed` event forgets the interrupted
//! monitoring window and asks for the last recorded weights to be re-asserted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::engine::action::{Action, CheckSet, Notice, RollbackReason, Verdict, WindowPurpose};
use crate::engine::checkpoint::DecisionRecord;
use crate::engine::event::{BlackoutOverride, Event};
use crate::observe::{CheckResult, MetricsSample, SmokeResult};
use crate::plan::model::Metric;
use crate::units::{Slot, Weights};

/// Progress of one timeline step.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StepProgress {
    /// When its first action started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished (successfully, or finally failed).
    pub finished_at: Option<DateTime<Utc>>,
    /// `Some(false)`: the step failed.
    pub ok: Option<bool>,
    /// What failed, if it did.
    pub failure: Option<String>,
}

/// The monitoring window in progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveWindow {
    /// Its step.
    pub step: u32,
    /// Why it runs.
    pub purpose: WindowPurpose,
    /// When it opened.
    pub started: DateTime<Utc>,
    /// When it closes.
    pub ends: DateTime<Utc>,
    /// Whether a sample at or after `ends` closed it.
    pub done: bool,
}

/// A sample with the step it was taken in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleEntry {
    /// The step.
    pub step: u32,
    /// When it was journaled.
    pub at: DateTime<Utc>,
    /// The sample.
    pub sample: MetricsSample,
}

/// Progress of a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckpointProgress {
    /// 1 for the first time it is asked; +1 after each HOLD.
    pub round: u32,
    /// When the current round opened (first prompt or end of a hold).
    pub round_opened_at: Option<DateTime<Utc>>,
    /// Every decision, in order.
    pub decisions: Vec<DecisionRecord>,
    /// Set after a HOLD until its extension window closes.
    pub holding: bool,
}

/// Progress of a rollback.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollbackProgress {
    /// Why.
    pub reason: RollbackReason,
    /// When the trigger happened.
    pub triggered_at: DateTime<Utc>,
    /// Calls made so far.
    pub attempts: u32,
    /// When all traffic was on blue.
    pub on_blue_at: Option<DateTime<Utc>>,
    /// Blue verified healthy afterwards (`None` until checked).
    pub blue_verified: Option<bool>,
}

/// Everything the engine needs to know about a run so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunState {
    /// When the run started.
    pub started_at: Option<DateTime<Utc>>,
    /// The controller's own version.
    pub own_version: String,
    /// A recorded blackout override.
    pub blackout_override: Option<BlackoutOverride>,
    /// How often the run was resumed.
    pub resumes: u32,
    /// Per timeline step.
    pub steps: BTreeMap<u32, StepProgress>,
    /// The action started but not finished (in flight).
    pub in_flight: Option<Action>,
    /// The action a crash interrupted (set on resume).
    pub interrupted: Option<Action>,
    /// The last weights the controller confirmed.
    pub weights: Weights,
    /// Whether green has ever been asked to carry traffic.
    pub green_exposed: bool,
    /// When the current traffic stage began (last successful traffic step).
    pub stage_started_at: Option<DateTime<Utc>>,
    /// Weights to re-assert after a resume.
    pub reassert: Option<Weights>,
    /// Whether maintenance mode is on.
    pub maintenance_on: bool,
    /// Whether the migration itself succeeded (the compatibility check follows).
    pub migrated: bool,
    /// Whether green was started.
    pub green_deployed: bool,
    /// When green was stopped after the run (`stop-green`), if it was.
    pub green_stopped_at: Option<DateTime<Utc>>,
    /// After a resume: green must be health-checked again before going on.
    pub recheck_green: bool,
    /// The re-check after a resume found green unhealthy or gone.
    pub green_lost: bool,
    /// A clean-up `MaintenanceOff` (after abort or rollback) failed.
    pub cleanup_failed: bool,
    /// The monitoring window in progress.
    pub window: Option<ActiveWindow>,
    /// Every sample.
    pub samples: Vec<SampleEntry>,
    /// The stage whose weight drift was alerted.
    pub drift_alerted: Option<DateTime<Utc>>,
    /// Investigate alerts sent: (metric, stage start).
    pub alerts: Vec<(Metric, DateTime<Utc>)>,
    /// Per checkpoint number.
    pub checkpoints: BTreeMap<u32, CheckpointProgress>,
    /// Post-deployment verification results.
    pub validation: Vec<CheckResult>,
    /// Pre-check results.
    pub prechecks: Vec<CheckResult>,
    /// Smoke results.
    pub smoke: Option<Vec<SmokeResult>>,
    /// A manual rollback request not yet acted on: (by, reason).
    pub rollback_requested: Option<(String, String)>,
    /// A rollback in progress or done.
    pub rollback: Option<RollbackProgress>,
    /// Why the run stopped before traffic moved.
    pub abort: Option<String>,
    /// When the last status update went out.
    pub last_status_at: Option<DateTime<Utc>>,
    /// Checklist items done: id -> (by, ok).
    pub checklist: BTreeMap<String, (String, bool)>,
    /// How the run ended.
    pub verdict: Option<Verdict>,
    /// The verdict a run had before it was reopened for a rollback after go-live.
    pub reopened_from: Option<Verdict>,
    /// Time of the last event applied.
    pub last_event_at: Option<DateTime<Utc>>,
}

impl RunState {
    /// A state built from events in order.
    pub fn replay<'a>(events: impl IntoIterator<Item = (DateTime<Utc>, &'a Event)>) -> Self {
        let mut s = RunState::default();
        for (at, e) in events {
            s.apply(at, e);
        }
        s
    }

    /// The first sample of the current stage whose weights, as the traffic
    /// controller reported them, differ from the ones the run set.
    pub fn drift(&self) -> Option<(Weights, Weights)> {
        self.stage_samples().find_map(|s| s.sample.weights.filter(|w| *w != self.weights).map(|w| (self.weights, w)))
    }

    /// Samples of the current traffic stage.
    pub fn stage_samples(&self) -> impl Iterator<Item = &SampleEntry> {
        let from = self.stage_started_at;
        self.samples.iter().filter(move |s| from.is_some_and(|f| s.at >= f))
    }

    /// The last sample, if any.
    pub fn last_sample(&self) -> Option<&SampleEntry> {
        self.samples.last()
    }

    fn step_mut(&mut self, n: u32) -> &mut StepProgress {
        self.steps.entry(n).or_default()
    }

    fn finish(&mut self, step: Option<u32>, at: DateTime<Utc>, ok: bool, failure: Option<String>) {
        if let Some(n) = step {
            let p = self.step_mut(n);
            p.finished_at = Some(at);
            p.ok = Some(ok);
            p.failure = if ok { None } else { failure };
        }
    }

    /// Whether step `n` finished successfully.
    pub fn step_done(&self, n: u32) -> bool {
        self.steps.get(&n).is_some_and(|p| p.ok == Some(true))
    }

    /// Whether step `n` failed.
    pub fn step_failed(&self, n: u32) -> Option<&str> {
        self.steps.get(&n).filter(|p| p.ok == Some(false)).map(|p| p.failure.as_deref().unwrap_or("failed"))
    }

    /// Applies one event.
    pub fn apply(&mut self, at: DateTime<Utc>, event: &Event) {
        self.last_event_at = Some(at);
        match event {
            Event::RunStarted { own_version, blackout_override, .. } => {
                self.started_at = Some(at);
                self.own_version = own_version.clone();
                self.blackout_override = blackout_override.clone();
                self.weights = Weights::ALL_BLUE;
            }
            Event::Resumed => {
                self.resumes += 1;
                self.interrupted = self.in_flight.take();
                // An interrupted monitoring window restarts from zero.
                if self.window.as_ref().is_some_and(|w| !w.done) {
                    self.window = None;
                }
                if self.green_exposed && self.rollback.is_none() {
                    self.reassert = Some(self.weights);
                }
                self.recheck_green = self.green_deployed && self.verdict.is_none();
            }
            Event::ActionStarted { action } => {
                if let Some(n) = action.step() {
                    let p = self.step_mut(n);
                    if p.started_at.is_none() {
                        p.started_at = Some(at);
                    }
                }
                match action {
                    Action::Monitor { step, purpose, started, ends, .. } => {
                        let same = self.window.as_ref().is_some_and(|w| w.step == *step && w.purpose == *purpose);
                        if !same {
                            self.window = Some(ActiveWindow {
                                step: *step,
                                purpose: *purpose,
                                started: *started,
                                ends: *ends,
                                done: false,
                            });
                        }
                    }
                    Action::AwaitCheckpoint { prompt, .. } => {
                        let c = self.checkpoints.entry(prompt.checkpoint).or_default();
                        if c.round == 0 {
                            c.round = 1;
                        }
                        if c.round_opened_at.is_none() {
                            c.round_opened_at = Some(at);
                        }
                    }
                    Action::Rollback { reason, triggered_at, .. } => {
                        let r = self.rollback.get_or_insert_with(|| RollbackProgress {
                            reason: reason.clone(),
                            triggered_at: *triggered_at,
                            attempts: 0,
                            on_blue_at: None,
                            blue_verified: None,
                        });
                        r.attempts += 1;
                        self.rollback_requested = None;
                    }
                    Action::SetWeights { weights, .. } if weights.green_weight().get() > 0 => {
                        self.green_exposed = true;
                    }
                    Action::Complete { verdict: Verdict::Aborted { reason } } => {
                        self.abort.get_or_insert_with(|| reason.clone());
                    }
                    _ => {}
                }
                self.in_flight = Some(action.clone());
                return;
            }
            Event::Notified { step, notice, .. } => match notice {
                Notice::Status { .. } => self.last_status_at = Some(at),
                Notice::Alert { metric, stage_started, .. } => self.alerts.push((*metric, *stage_started)),
                Notice::Announce { .. } => self.finish(*step, at, true, None),
                Notice::RollbackFailing { .. } | Notice::WarRoom { .. } => {}
                Notice::WeightsDrift { stage_started, .. } => self.drift_alerted = Some(*stage_started),
            },
            Event::ManualConfirmed { step, .. } => self.finish(Some(*step), at, true, None),
            Event::StepExpired { step, waited } => self.finish(
                Some(*step),
                at,
                false,
                Some(format!("nobody confirmed it within {waited} (the plan's manual_timeout)")),
            ),
            Event::ChecksFinished { step, set, results } => {
                match set {
                    CheckSet::PreCutover => self.prechecks = results.clone(),
                    CheckSet::PostDeployment => self.validation = results.clone(),
                }
                // Whether a failed check stops the run is the engine's call
                // (it knows which checks are required).
                self.finish(Some(*step), at, true, None);
            }
            Event::CommandFinished { step, outcome } => {
                self.finish(Some(*step), at, outcome.ok, Some(outcome.detail.clone()))
            }
            Event::BackupFinished { step, outcome, .. } => {
                self.finish(Some(*step), at, outcome.ok, Some(outcome.detail.clone()))
            }
            Event::MaintenanceSet { step, enabled, outcome } => {
                if outcome.ok {
                    self.maintenance_on = *enabled;
                } else if step.is_none() && !enabled {
                    self.cleanup_failed = true;
                }
                self.finish(*step, at, outcome.ok, Some(outcome.detail.clone()));
            }
            Event::MigrationFinished { step, outcome, .. } => {
                if outcome.ok {
                    self.migrated = true;
                } else {
                    self.finish(Some(*step), at, false, Some(outcome.detail.clone()));
                }
            }
            Event::CompatibilityFinished { step, health, smoke } => {
                let failed: Vec<&str> = smoke.iter().filter(|r| !r.passed).map(|r| r.id.as_str()).collect();
                if !health.healthy {
                    self.finish(
                        Some(*step),
                        at,
                        false,
                        Some(format!("blue unhealthy after migration: {}", health.detail)),
                    );
                } else if !failed.is_empty() {
                    self.finish(
                        Some(*step),
                        at,
                        false,
                        Some(format!("read-only smoke failed against blue after migration: {}", failed.join(", "))),
                    );
                } else {
                    self.finish(Some(*step), at, true, None);
                }
            }
            Event::ControllerStopped { .. } => {}
            Event::GreenStopped { outcome } => {
                if outcome.ok {
                    self.green_stopped_at = Some(at);
                }
            }
            Event::BlueScaledDown { .. } => {}
            Event::GreenDeployed { step, outcome } => {
                if outcome.ok {
                    self.green_deployed = true;
                    self.recheck_green = false;
                    self.green_lost = false;
                }
                self.finish(*step, at, outcome.ok, Some(outcome.detail.clone()));
            }
            Event::HealthChecked { step, report } => {
                if report.slot == Slot::Green && step.is_none() {
                    self.recheck_green = false;
                    if !report.healthy {
                        self.green_deployed = false;
                        self.green_lost = true;
                    }
                }
                self.finish(*step, at, report.healthy, Some(report.detail.clone()));
            }
            Event::WeightsSet { step, weights, outcome } => {
                if outcome.ok {
                    self.weights = *weights;
                    if step.is_some() {
                        self.stage_started_at = Some(at);
                    }
                    if step.is_none() {
                        self.reassert = None;
                    }
                }
                self.finish(*step, at, outcome.ok, Some(outcome.detail.clone()));
            }
            Event::Sampled { step, sample } => {
                self.samples.push(SampleEntry { step: *step, at, sample: sample.clone() });
                let mut closed = None;
                if let Some(w) = self.window.as_mut() {
                    if w.step == *step && at >= w.ends && !w.done {
                        w.done = true;
                        closed = Some(w.purpose);
                    }
                }
                match closed {
                    Some(WindowPurpose::Step) => self.finish(Some(*step), at, true, None),
                    Some(WindowPurpose::Hold { checkpoint, .. }) => {
                        if let Some(c) = self.checkpoints.get_mut(&checkpoint) {
                            c.holding = false;
                            c.round_opened_at = Some(at);
                        }
                    }
                    None => {}
                }
            }
            Event::Decided { record } => {
                let c = self.checkpoints.entry(record.checkpoint).or_default();
                c.decisions.push((**record).clone());
                if record.decision.is_hold() {
                    c.round = c.round.max(1) + 1;
                    c.holding = true;
                    c.round_opened_at = None;
                    self.window = None;
                } else if record.decision.is_forward() {
                    self.finish(Some(record.step), at, true, None);
                }
            }
            Event::SmokeFinished { step, results } => {
                self.smoke = Some(results.clone());
                self.finish(Some(*step), at, true, None);
            }
            Event::RollbackRequested { by, reason } => {
                if self.rollback.is_none() {
                    self.rollback_requested = Some((by.clone(), reason.clone()));
                }
            }
            Event::RollbackRetrying { .. } => return,
            Event::ReopenedForRollback { by, reason, previous } => {
                self.reopened_from = Some(previous.clone());
                self.verdict = None;
                self.rollback = None;
                self.green_exposed = true;
                self.rollback_requested = Some((by.clone(), reason.clone()));
            }
            Event::RolledBack { outcome } => {
                if let Some(r) = self.rollback.as_mut() {
                    if outcome.ok {
                        r.on_blue_at = Some(at);
                        self.weights = Weights::ALL_BLUE;
                        self.reassert = None;
                    }
                }
            }
            Event::BlueVerified { outcome } => {
                if let Some(r) = self.rollback.as_mut() {
                    r.blue_verified = Some(outcome.ok);
                }
            }
            Event::ChecklistDone { id, by, outcome } => {
                self.checklist.insert(id.clone(), (by.clone(), outcome.ok));
            }
            Event::RunCompleted { verdict } => {
                self.verdict = Some(verdict.clone());
            }
        }
        self.in_flight = None;
    }
}
