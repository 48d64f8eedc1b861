//! A simulated world for driving the engine in tests: every action gets a
//! scripted outcome, time advances deterministically (no sleeps), and every
//! event goes through the same `RunState::apply` (and optionally a real
//! journal file) the runner will use.

#![allow(dead_code)]

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use lms_cutover::engine::{Action, DecisionInput, Engine, Event, RunState, Verdict};
use lms_cutover::journal::Journal;
use lms_cutover::observe::{
    BackendWindow, BackupReport, CheckResult, HealthReport, MetricsSample, MigrationReport, Outcome, ResourceUsage,
    SmokeResult,
};
use lms_cutover::plan::{self, Decision, Plan};
use lms_cutover::units::{Percent, Slot, Weights};

pub const PHASE29: &str = include_str!("../../../../examples/cutover/phase29.toml");
pub const REHEARSAL: &str = include_str!("../../../../examples/cutover/rehearsal.toml");

pub fn phase29() -> Plan {
    plan::parse(PHASE29).unwrap_or_else(|e| panic!("{e}"))
}

/// The rehearsal plan with maintenance mode switched on (the shipped
/// rehearsal leaves it off because its load keeps writing), so the engine
/// tests cover steps 4 and 16.
pub fn rehearsal() -> Plan {
    let text = REHEARSAL.replacen("[maintenance]\nenabled = false", "[maintenance]\nenabled = true", 1);
    plan::parse(&text).unwrap_or_else(|e| panic!("{e}"))
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 22, 0, 0).single().unwrap_or_default()
}

/// Green window with `requests` requests, `errors` 5xx, `failed` unanswered, p95.
pub fn green(requests: u64, errors: u64, failed: u64, p95_ms: u64) -> BackendWindow {
    BackendWindow { requests, errors, failed, p95_ms: (requests > 0).then_some(p95_ms), maintenance: 0 }
}

pub fn pct(v: f64) -> Percent {
    Percent::new(v).unwrap_or(Percent::ZERO)
}

/// What the world answers.
pub struct World {
    /// Green's metrics for a sample, by (step, sample index in the run).
    pub metrics: Box<dyn FnMut(u32, usize) -> (BackendWindow, Option<ResourceUsage>)>,
    /// Decisions people give, in order, when a checkpoint waits.
    pub decisions: VecDeque<DecisionInput>,
    /// Samples to take at a waiting checkpoint before the next decision comes.
    pub samples_before_decision: usize,
    /// Fail these actions (by name). Besides action names, `"blue_health"`
    /// makes blue report unhealthy in the compatibility check after the migration.
    pub fail: Vec<&'static str>,
    /// A pre-check id that fails.
    pub failing_check: Option<String>,
    /// Smoke ids that fail.
    pub failing_smoke: Vec<String>,
    /// Weights the traffic controller reports instead of the run's (drift).
    pub reported_weights: Option<Weights>,
}

impl Default for World {
    fn default() -> Self {
        World {
            metrics: Box::new(|_, _| {
                (green(200, 0, 0, 120), Some(ResourceUsage { cpu: pct(20.0), memory: pct(30.0) }))
            }),
            decisions: VecDeque::new(),
            samples_before_decision: 1,
            fail: Vec::new(),
            failing_check: None,
            failing_smoke: Vec::new(),
            reported_weights: None,
        }
    }
}

pub fn decision(checkpoint: u32, d: Decision) -> DecisionInput {
    DecisionInput {
        checkpoint,
        decision: d,
        by: "Release Commander".into(),
        note: Some(format!("{} at checkpoint {checkpoint}", d.label())),
        override_reason: None,
        round: None,
        made_at: None,
        samples_seen: None,
    }
}

pub struct Sim {
    pub engine: Engine,
    pub state: RunState,
    pub now: DateTime<Utc>,
    pub world: World,
    pub actions: Vec<Action>,
    pub events: Vec<(DateTime<Utc>, Event)>,
    pub journal: Option<Journal>,
    samples: usize,
    waited: usize,
}

impl Sim {
    pub fn new(plan: Plan, world: World) -> Self {
        Sim {
            engine: Engine::new(plan),
            state: RunState::default(),
            now: t0(),
            world,
            actions: Vec::new(),
            events: Vec::new(),
            journal: None,
            samples: 0,
            waited: 0,
        }
    }

    pub fn record(&mut self, event: Event) {
        if let Some(j) = self.journal.as_mut() {
            if let Err(e) = j.append(self.now, event.clone()) {
                panic!("journal: {e}");
            }
        }
        self.state.apply(self.now, &event);
        self.events.push((self.now, event));
    }

    pub fn start(&mut self) {
        let id = self.engine.plan().meta.id.clone();
        self.record(Event::RunStarted { plan_id: id, own_version: "3.0.0".into(), blackout_override: None });
    }

    /// Takes one action: journal it, answer it, journal the result.
    pub fn step(&mut self) -> Action {
        let action = self.engine.next(&self.state, self.now);
        self.actions.push(action.clone());
        self.record(Event::ActionStarted { action: action.clone() });
        self.answer(&action);
        action
    }

    /// Runs until `stop` says so or the run completes; panics after `limit` actions.
    pub fn run_until(&mut self, limit: usize, mut stop: impl FnMut(&Action) -> bool) -> Action {
        for _ in 0..limit {
            let a = self.step();
            if stop(&a) || matches!(a, Action::Complete { .. }) {
                return a;
            }
        }
        panic!("no stop after {limit} actions; last: {:?}", self.actions.iter().rev().take(3).collect::<Vec<_>>());
    }

    pub fn run_to_end(&mut self) -> Verdict {
        match self.run_until(5000, |_| false) {
            Action::Complete { verdict } => verdict,
            other => panic!("ended on {other:?}"),
        }
    }

    fn ok(&self, name: &str) -> bool {
        !self.world.fail.contains(&name)
    }

    fn outcome(&self, name: &str) -> Outcome {
        if self.ok(name) {
            Outcome::ok(format!("{name} ok"))
        } else {
            Outcome::failed(format!("{name} failed (simulated)"))
        }
    }

    fn sample(&mut self, step: u32) {
        let (g, res) = (self.world.metrics)(step, self.samples);
        self.samples += 1;
        let sample = MetricsSample {
            at: self.now,
            weights: Some(self.world.reported_weights.unwrap_or(self.state.weights)),
            blue: BackendWindow { requests: 500, errors: 0, failed: 0, p95_ms: Some(100), maintenance: 0 },
            green: g,
            green_resources: res,
            queries: Vec::new(),
        };
        self.record(Event::Sampled { step, sample });
    }

    fn answer(&mut self, action: &Action) {
        let tick = TimeDelta::seconds(1);
        match action.clone() {
            Action::Notify { step, notice } => {
                self.now += tick;
                self.record(Event::Notified { step, notice, ok: true });
            }
            Action::AwaitManual { step, .. } => {
                self.now += tick;
                self.record(Event::ManualConfirmed { step, by: "Release Commander".into(), note: None });
            }
            Action::RunChecks { step, set, checks, .. } => {
                self.now += tick;
                let results = checks
                    .iter()
                    .map(|id| CheckResult {
                        id: id.clone(),
                        passed: self.world.failing_check.as_deref() != Some(id.as_str()),
                        detail: "simulated".into(),
                        by: Some("sim".into()),
                    })
                    .collect();
                self.record(Event::ChecksFinished { step, set, results });
            }
            Action::Backup { step } => {
                self.now += tick;
                let outcome = self.outcome("backup");
                let report = outcome.ok.then(|| BackupReport {
                    artifact: "backup.dump".into(),
                    size_bytes: 1000,
                    previous_size_bytes: Some(990),
                    verification: "42 entries".into(),
                    sha256: None,
                });
                self.record(Event::BackupFinished { step, outcome, report });
            }
            Action::MaintenanceOn { step } => {
                self.now += tick;
                let outcome = self.outcome("maintenance_on");
                self.record(Event::MaintenanceSet { step: Some(step), enabled: true, outcome });
            }
            Action::RunCommand { step, .. } => {
                self.now += tick;
                let outcome = self.outcome("run_command");
                self.record(Event::CommandFinished { step, outcome });
            }
            Action::MaintenanceOff { step } => {
                self.now += tick;
                let outcome = self.outcome("maintenance_off");
                self.record(Event::MaintenanceSet { step, enabled: false, outcome });
            }
            Action::Migrate { step } => {
                self.now += tick;
                let outcome = self.outcome("migrate");
                self.record(Event::MigrationFinished {
                    step,
                    outcome,
                    report: Some(MigrationReport {
                        applied: vec!["0007_add_column".into()],
                        pending: vec![],
                        detail: "up to date".into(),
                    }),
                });
            }
            Action::CompatibilityCheck { step, smoke, .. } => {
                self.now += tick;
                let ok = self.ok("compatibility_check");
                let blue_healthy = self.ok("blue_health");
                self.record(Event::CompatibilityFinished {
                    step,
                    health: HealthReport {
                        slot: Slot::Blue,
                        healthy: blue_healthy,
                        version: Some("2.4.0".into()),
                        detail: if blue_healthy { "healthy" } else { "unhealthy: /api/health answered 503" }.into(),
                    },
                    smoke: smoke
                        .iter()
                        .enumerate()
                        .map(|(i, id)| SmokeResult {
                            id: id.clone(),
                            passed: ok || i > 0,
                            detail: "simulated".into(),
                            elapsed_ms: 5,
                        })
                        .collect(),
                });
            }
            Action::DeployGreen { step } => {
                self.now += tick;
                let outcome = self.outcome("deploy_green");
                self.record(Event::GreenDeployed { step, outcome });
            }
            Action::HealthCheck { step, slot, .. } => {
                self.now += tick;
                let healthy = self.ok("health_check");
                self.record(Event::HealthChecked {
                    step,
                    report: HealthReport {
                        slot,
                        healthy,
                        version: Some("3.0.0".into()),
                        detail: if healthy { "healthy" } else { "unhealthy" }.into(),
                    },
                });
            }
            Action::SetWeights { step, weights, .. } => {
                self.now += tick;
                let outcome = self.outcome("set_weights");
                self.record(Event::WeightsSet { step, weights, outcome });
            }
            Action::Monitor { step, sample_at, .. } => {
                self.now = self.now.max(sample_at);
                self.sample(step);
            }
            Action::AwaitCheckpoint { step, prompt, sample_at, auto, .. } => {
                if let Some(record) = auto {
                    self.now += tick;
                    self.record(Event::Decided { record });
                    return;
                }
                let due = self.world.decisions.front().is_some_and(|d| d.checkpoint == prompt.checkpoint);
                if due && self.waited >= self.world.samples_before_decision {
                    self.waited = 0;
                    self.now += tick;
                    let input = self
                        .world
                        .decisions
                        .pop_front()
                        .unwrap_or_else(|| decision(prompt.checkpoint, Decision::Proceed));
                    match self.engine.decide(&self.state, &input, self.now) {
                        Ok(record) => self.record(Event::Decided { record: Box::new(record) }),
                        Err(e) => panic!("decision refused: {e}"),
                    }
                } else {
                    self.waited += 1;
                    self.now = self.now.max(sample_at);
                    self.sample(step);
                }
            }
            Action::RunSmoke { step, tests } => {
                self.now += tick;
                let results = tests
                    .iter()
                    .map(|id| SmokeResult {
                        id: id.clone(),
                        passed: !self.world.failing_smoke.contains(id),
                        detail: "simulated".into(),
                        elapsed_ms: 10,
                    })
                    .collect();
                self.record(Event::SmokeFinished { step, results });
            }
            Action::Rollback { .. } => {
                self.now += TimeDelta::milliseconds(300);
                let outcome = self.outcome("rollback");
                self.record(Event::RolledBack { outcome });
            }
            Action::VerifyBlue { .. } => {
                self.now += tick;
                self.record(Event::BlueVerified { outcome: Outcome::ok("blue healthy, error rate 0%") });
            }
            Action::ChecklistWebhook { id, .. } => {
                self.now += tick;
                self.record(Event::ChecklistDone { id, by: "webhook".into(), outcome: Outcome::ok("204") });
            }
            Action::Complete { verdict } => {
                self.record(Event::RunCompleted { verdict });
            }
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.actions.iter().map(Action::name).collect()
    }
}

/// Green's weight at each `SetWeights` the engine asked for, in order.
pub fn weights_set(sim: &Sim) -> Vec<u8> {
    sim.actions
        .iter()
        .filter_map(|a| match a {
            Action::SetWeights { weights, .. } => Some(weights.green_weight().get()),
            _ => None,
        })
        .collect()
}

/// Where `name` first stands in `names`; panics naming both when absent.
pub fn position(names: &[&str], name: &str) -> usize {
    names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("no {name} in {names:?}"))
}
