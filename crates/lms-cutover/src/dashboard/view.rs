//! What the war-room page shows, as one serializable snapshot built from
//! the plan and the journal alone (and whether a controller holds the run):
//! the timeline planned vs actual with the current step, the weights the
//! run set and the ones the traffic driver last reported, every gate's
//! values against its threshold (a series per gate, for a chart), the open
//! checkpoint with its questions, answers and evidence id, the decision
//! log, the rollback's progress and the verdict.
//!
//! Pure apart from reading the run directory: the same journal gives the
//! same snapshot. Knows nothing about HTTP, credentials or the page.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::engine::checkpoint::evidence_id;
use crate::engine::{Action, Engine, WindowPurpose};
use crate::error::Result;
use crate::report::model::{GateSeries, RollbackRow, StepRow};
use crate::runner::context::RunDir;
use crate::units::Weights;

/// The whole page's data at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// The run id.
    pub run_id: String,
    /// Whether the run has started (its plan and journal exist).
    pub started: bool,
    /// The plan's id.
    pub plan_id: String,
    /// The plan's title.
    pub plan_title: String,
    /// Records in the journal; grows with every event.
    pub records: usize,
    /// When the snapshot was built.
    pub generated_at: DateTime<Utc>,
    /// When the run started.
    pub started_at: Option<DateTime<Utc>>,
    /// Whether a controller runs the run now.
    pub controller: bool,
    /// Whether this dashboard hands decisions and rollbacks to the
    /// controller (false: read-only, served from the journal).
    pub controls: bool,
    /// Whether a person can act now: this dashboard controls, a
    /// controller runs and the run has no verdict.
    pub can_act: bool,
    /// `go_live`, `rolled_back`, `aborted` or `not_finished`.
    pub outcome: String,
    /// One sentence on where the run stands.
    pub headline: String,
    /// The verdict, in one line, once there is one.
    pub verdict: Option<String>,
    /// The timeline step in progress.
    pub current_step: Option<u32>,
    /// Every step, planned vs actual.
    pub steps: Vec<StepView>,
    /// The split, as set and as reported.
    pub weights: WeightsView,
    /// Every gate's values against its threshold.
    pub gates: Vec<GateSeries>,
    /// The checkpoint waiting for a person, if one is.
    pub checkpoint: Option<OpenCheckpoint>,
    /// A checkpoint on hold: its extended monitoring runs.
    pub holding: Option<Holding>,
    /// Every checkpoint decision, oldest first.
    pub decisions: Vec<DecisionEntry>,
    /// A rollback requested by a person and not yet started: who, why.
    pub rollback_requested: Option<(String, String)>,
    /// The rollback, once one started.
    pub rollback: Option<RollbackRow>,
}

/// One timeline step.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// The step as the report shows it (planned vs actual).
    #[serde(flatten)]
    pub row: StepRow,
    /// The step in progress.
    pub current: bool,
}

/// The split.
#[derive(Debug, Clone, Serialize)]
pub struct WeightsView {
    /// The last split the controller set and confirmed.
    pub set: Weights,
    /// The split the traffic driver reported at the last sample.
    pub reported: Option<Weights>,
    /// When it reported it.
    pub reported_at: Option<DateTime<Utc>>,
    /// The reported split differs from the one set.
    pub drift: bool,
}

/// A checkpoint waiting for a person.
#[derive(Debug, Clone, Serialize)]
pub struct OpenCheckpoint {
    /// Its number.
    pub n: u32,
    /// Its title.
    pub name: String,
    /// 1, then +1 after each hold.
    pub round: u32,
    /// `checkpoint.round.samples`: what a decision is made on.
    pub evidence: String,
    /// Samples of the round so far.
    pub samples: usize,
    /// Questions with measured answers.
    pub questions: Vec<QuestionView>,
    /// Alerts that force a hold (a forward decision needs an override reason).
    pub forced_hold: Vec<String>,
    /// Too little data for the gates to vouch for green.
    pub insufficient_data: bool,
    /// What the answers point to.
    pub suggestion: Option<String>,
    /// The decisions allowed here.
    pub decisions: Vec<Choice>,
    /// When the plan's default is taken if nobody decides.
    pub decide_by: Option<DateTime<Utc>>,
    /// The engine decides by itself (the plan allows it): no person needed.
    pub automatic: bool,
}

/// A question with its measured answer.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    /// As the plan words it.
    pub text: String,
    /// `yes`, `no` or `unknown`.
    pub answer: String,
    /// Whether the answer is the good one.
    pub good: Option<bool>,
    /// The numbers behind it.
    pub evidence: String,
}

/// One decision allowed at a checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// What to send (`proceed`, `hold`, `rollback`, `go_live_confirmed`, …).
    pub value: String,
    /// What to show (`PROCEED TO 50%`).
    pub label: String,
    /// Moves the cutover forward.
    pub forward: bool,
}

/// A checkpoint on hold.
#[derive(Debug, Clone, Serialize)]
pub struct Holding {
    /// Its number.
    pub n: u32,
    /// The round it asks next.
    pub round: u32,
    /// When the extended monitoring ends.
    pub until: Option<DateTime<Utc>>,
}

/// One line of the decision log.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionEntry {
    /// Checkpoint number.
    pub checkpoint: u32,
    /// Its title.
    pub name: String,
    /// Round decided.
    pub round: u32,
    /// The decision, as the seed words it.
    pub decision: String,
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Taken by the engine or a deadline.
    pub auto: bool,
    /// Their note.
    pub note: Option<String>,
    /// Why a forced hold was overridden.
    pub override_reason: Option<String>,
}

/// The snapshot of the run in `dir` now; `controls` says whether this
/// dashboard may hand requests to the controller, `controller` whether
/// one runs.
pub fn build(dir: &RunDir, controls: bool, controller: bool) -> Result<Snapshot> {
    let now = Utc::now();
    if !dir.journal().exists() || !dir.plan().exists() {
        return Ok(waiting(dir, controls, now));
    }
    let plan = crate::plan::load(dir.plan())?;
    let contents = crate::journal::read(dir.journal())?;
    let state = contents.state();
    let report = crate::report::build(&plan, &dir.root.display().to_string(), &contents.records, None);
    let engine = Engine::new(plan);
    let current_step = if state.verdict.is_some() { None } else { engine.current_step(&state).map(|s| s.n) };
    let (mut checkpoint, mut holding) = (None, None);
    if state.verdict.is_none() {
        // The step's own action: a status update or an alert going out
        // first leaves the checkpoint open.
        match engine.step_action_now(&state, now).unwrap_or_else(|| engine.next(&state, now)) {
            Action::AwaitCheckpoint { prompt, decide_by, auto, .. } => {
                checkpoint = Some(OpenCheckpoint {
                    n: prompt.checkpoint,
                    name: prompt.name.clone(),
                    round: prompt.round,
                    evidence: evidence_id(&prompt),
                    samples: prompt.samples,
                    questions: prompt
                        .questions
                        .iter()
                        .map(|q| QuestionView {
                            text: q.text.clone(),
                            answer: format!("{:?}", q.answer).to_lowercase(),
                            good: q.good,
                            evidence: q.evidence.clone(),
                        })
                        .collect(),
                    forced_hold: prompt.forced_hold.clone(),
                    insufficient_data: prompt.insufficient_data,
                    suggestion: prompt.suggestion.map(|d| d.label().to_string()),
                    decisions: prompt
                        .decisions
                        .iter()
                        .map(|d| Choice {
                            value: serde_json::to_value(d)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default(),
                            label: match (&prompt.forward_label, d.is_forward()) {
                                (Some(l), true) => l.clone(),
                                _ => d.label().to_string(),
                            },
                            forward: d.is_forward(),
                        })
                        .collect(),
                    decide_by,
                    automatic: auto.is_some(),
                });
            }
            Action::Monitor { purpose: WindowPurpose::Hold { checkpoint, round }, ends, .. } => {
                holding = Some(Holding { n: checkpoint, round, until: Some(ends) });
            }
            _ => {}
        }
    }
    let last = state.last_sample();
    let reported = last.and_then(|s| s.sample.weights);
    let mut decisions: Vec<DecisionEntry> = report
        .checkpoints
        .iter()
        .flat_map(|c| {
            c.decisions.iter().map(move |d| DecisionEntry {
                checkpoint: c.n,
                name: c.name.clone(),
                round: d.round,
                decision: d.decision.clone(),
                by: d.by.clone(),
                at: d.at,
                auto: d.auto,
                note: d.note.clone(),
                override_reason: d.override_reason.clone(),
            })
        })
        .collect();
    decisions.sort_by_key(|d| d.at);
    Ok(Snapshot {
        run_id: dir.run_id(),
        started: true,
        plan_id: engine.plan().meta.id.clone(),
        plan_title: engine.plan().meta.title.clone(),
        records: contents.records.len(),
        generated_at: now,
        started_at: state.started_at,
        controller,
        controls,
        can_act: controls && controller && state.verdict.is_none(),
        outcome: report.summary.outcome.clone(),
        headline: report.summary.headline.clone(),
        verdict: state.verdict.as_ref().map(crate::runner::console::verdict_line),
        current_step,
        steps: report.steps.into_iter().map(|row| StepView { current: Some(row.n) == current_step, row }).collect(),
        weights: WeightsView {
            set: state.weights,
            reported,
            reported_at: last.map(|s| s.at),
            drift: reported.is_some_and(|w| w != state.weights),
        },
        gates: report.gates,
        checkpoint,
        holding,
        decisions,
        rollback_requested: state.rollback_requested.clone(),
        rollback: report.rollback,
    })
}

/// A run directory whose plan or journal cannot be read: says why.
pub fn unreadable(dir: &RunDir, controls: bool, why: &str) -> Snapshot {
    Snapshot { headline: format!("The run cannot be read: {why}"), ..waiting(dir, controls, Utc::now()) }
}

/// Before the controller wrote the plan and the journal (a rehearsal
/// still staging blue and the proxy).
fn waiting(dir: &RunDir, controls: bool, now: DateTime<Utc>) -> Snapshot {
    Snapshot {
        run_id: dir.run_id(),
        started: false,
        plan_id: String::new(),
        plan_title: String::new(),
        records: 0,
        generated_at: now,
        started_at: None,
        controller: false,
        controls,
        can_act: false,
        outcome: "not_finished".into(),
        headline: "The run has not started yet: its controller is getting ready.".into(),
        verdict: None,
        current_step: None,
        steps: Vec::new(),
        weights: WeightsView { set: Weights::ALL_BLUE, reported: None, reported_at: None, drift: false },
        gates: Vec::new(),
        checkpoint: None,
        holding: None,
        decisions: Vec::new(),
        rollback_requested: None,
        rollback: None,
    }
}
