//! Checkpoints (runbook 8): questions with measured answers, the suggested
//! and automatic decisions, and the rules a person's decision must obey.
//!
//! Pure: built from the plan's checkpoint, the run state and the gates. A
//! checkpoint can decide by itself only when the plan allows it, every gate
//! had data and passed for the whole round, no alert forces a HOLD and every
//! measured answer is good; when alerts force a HOLD it holds by itself (a
//! few rounds at most). An "investigate" breach forces HOLD unless a
//! person overrides it with a reason.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::gates::{evaluate, GateReport};
use crate::engine::state::RunState;
use crate::error::{CutoverError, Result};
use crate::observe::MetricsSample;
use crate::plan::model::{
    CheckStage, Checkpoint, Consequence, Decision, GateAction, Measure, Metric, Plan, TimeoutAction,
};

/// A literal answer to a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Yes.
    Yes,
    /// No.
    No,
    /// Not measurable: a person answers, or there is no data.
    Unknown,
}

/// A question with its measured answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnsweredQuestion {
    /// As the plan words it.
    pub text: String,
    /// Where the answer came from.
    pub measure: Measure,
    /// The answer.
    pub answer: Answer,
    /// Whether the answer is the good one (`None` when unknown).
    pub good: Option<bool>,
    /// The numbers behind it.
    pub evidence: String,
    /// The runbook's action column.
    pub action: String,
    /// What a bad answer leads to.
    pub if_bad: Consequence,
}

/// What a checkpoint shows while it waits for a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointPrompt {
    /// Checkpoint number.
    pub checkpoint: u32,
    /// Its title.
    pub name: String,
    /// 1, then +1 after each HOLD.
    pub round: u32,
    /// Questions with measured answers.
    pub questions: Vec<AnsweredQuestion>,
    /// Gates on the latest sample of the round.
    pub gates: Option<GateReport>,
    /// The latest sample of the round.
    pub latest_sample: Option<MetricsSample>,
    /// Samples taken in the round.
    pub samples: usize,
    /// Why the checkpoint is forced to HOLD (investigate breaches).
    pub forced_hold: Vec<String>,
    /// No traffic on green / no readings: cannot auto-proceed.
    pub insufficient_data: bool,
    /// What the answers point to.
    pub suggestion: Option<Decision>,
    /// Allowed decisions.
    pub decisions: Vec<Decision>,
    /// Label of the forward decision ("PROCEED TO 50%").
    pub forward_label: Option<String>,
}

/// A decision as recorded: who, when, note, and the snapshot it was taken on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// Checkpoint number.
    pub checkpoint: u32,
    /// Its timeline step.
    pub step: u32,
    /// Round decided.
    pub round: u32,
    /// The decision.
    pub decision: Decision,
    /// Who decided (`auto` for the engine).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Their note.
    pub note: Option<String>,
    /// Reason for overriding a forced HOLD.
    pub override_reason: Option<String>,
    /// Taken by the engine.
    pub auto: bool,
    /// Questions, answers and metrics at the time.
    pub snapshot: CheckpointPrompt,
}

/// A decision as a person gives it (terminal or `lms cutover decide`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionInput {
    /// Checkpoint number.
    pub checkpoint: u32,
    /// The decision.
    pub decision: Decision,
    /// Who.
    pub by: String,
    /// Note.
    pub note: Option<String>,
    /// Reason for overriding a forced HOLD.
    pub override_reason: Option<String>,
    /// The round of the checkpoint the person looked at; a decision for
    /// an earlier round (the checkpoint held meanwhile) is refused.
    #[serde(default)]
    pub round: Option<u32>,
    /// When the person decided; a decision queued before the controller
    /// that reads it started is stale and refused.
    #[serde(default)]
    pub made_at: Option<DateTime<Utc>>,
    /// How many samples of the round the person saw (the evidence id
    /// `lms cutover status` shows); a forward decision is refused when an
    /// alert, a forced hold or missing data appeared after them.
    #[serde(default)]
    pub samples_seen: Option<usize>,
}

/// The evidence of the open round as one id: `checkpoint.round.samples`.
pub fn evidence_id(prompt: &CheckpointPrompt) -> String {
    format!("{}.{}.{}", prompt.checkpoint, prompt.round, prompt.samples)
}

/// Parses an evidence id into (checkpoint, round, samples).
pub fn parse_evidence_id(id: &str) -> Result<(u32, u32, usize)> {
    let bad = || {
        CutoverError::DecisionRefused(format!(
            "{id:?} is not an evidence id (checkpoint.round.samples, e.g. 1.2.37, as `lms cutover status` shows)"
        ))
    };
    let mut parts = id.trim().split('.');
    let (Some(c), Some(r), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    Ok((c.parse().map_err(|_| bad())?, r.parse().map_err(|_| bad())?, s.parse().map_err(|_| bad())?))
}

/// The no-go signs in `now` that the person who saw only the round's first
/// `seen` samples did not see: new forced-hold reasons, or data that ran out.
pub fn unseen_warnings(plan: &Plan, state: &RunState, cp: &Checkpoint, seen: usize) -> Vec<String> {
    let now = prompt(plan, state, cp);
    if now.samples <= seen {
        return Vec::new();
    }
    let from = round_start(state, cp.n);
    let mut then_state = state.clone();
    let mut kept = 0usize;
    then_state.samples.retain(|s| {
        if from.is_some_and(|f| s.at >= f) {
            kept += 1;
            kept <= seen
        } else {
            true
        }
    });
    let then = prompt(plan, &then_state, cp);
    // Same kind of warning: the same first two words ("P95Latency 612ms",
    // "verification VER-3", "weights drift").
    let key = |l: &str| l.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let kind = |l: &str| l.split_whitespace().next().unwrap_or("").to_string();
    let mut out: Vec<String> = now
        .forced_hold
        .iter()
        .filter(|l| {
            !then.forced_hold.iter().any(|t| kind(t) == kind(l) && (kind(l) != "verification" || key(t) == key(l)))
        })
        .cloned()
        .collect();
    if now.insufficient_data && !then.insufficient_data {
        out.push("the latest sample has too little data".into());
    }
    out
}

/// When the current round's evidence starts: the last decision at this
/// checkpoint, else the traffic stage's start.
fn round_start(state: &RunState, cp: u32) -> Option<DateTime<Utc>> {
    state.checkpoints.get(&cp).and_then(|c| c.decisions.last().map(|d| d.at)).or(state.stage_started_at)
}

/// Builds the prompt for `cp` from the state.
pub fn prompt(plan: &Plan, state: &RunState, cp: &Checkpoint) -> CheckpointPrompt {
    let from = round_start(state, cp.n);
    let samples: Vec<&MetricsSample> =
        state.samples.iter().filter(|s| from.is_some_and(|f| s.at >= f)).map(|s| &s.sample).collect();
    let reports: Vec<GateReport> = samples.iter().map(|s| evaluate(plan, s)).collect();
    let latest = reports.last().cloned();
    let mut forced_hold = Vec::new();
    for r in &reports {
        for b in r.investigate_breaches() {
            let line = format!("{:?} {} (limit {}): investigate", b.metric, b.value_text(), b.limit);
            if !forced_hold.iter().any(|l: &String| l.starts_with(&format!("{:?} ", b.metric))) {
                forced_hold.push(line);
            }
        }
    }
    if let Some((expected, actual)) = state.drift() {
        forced_hold.push(format!(
            "weights drift: the traffic controller reports {actual}, the run set {expected} (restarted or changed by hand)"
        ));
    }
    // A failed post-deployment verification is a no-go input at a final
    // checkpoint: it forces EXTENDED MONITORING unless a person overrides.
    if cp.is_final() {
        for c in state.validation.iter().filter(|c| !c.passed) {
            forced_hold.push(format!("verification {} failed: {}", c.id, c.detail));
        }
    }
    let insufficient_data = latest.as_ref().is_none_or(GateReport::insufficient);
    let round = state.checkpoints.get(&cp.n).map_or(1, |c| c.round.max(1));

    // A gate-measured "no" leads where the breached gate says: an
    // investigate gate holds, whatever the question's own column says.
    let gate_answer = |metrics: &[Metric]| -> (Answer, String, Option<GateAction>) {
        let relevant: Vec<Metric> = plan.thresholds.iter().map(|t| t.metric).filter(|m| metrics.contains(m)).collect();
        if relevant.is_empty() {
            return (Answer::Unknown, "no threshold for this in the plan".into(), None);
        }
        for r in &reports {
            if let Some(b) = r.only(&relevant).results.into_iter().find(|g| g.breached()) {
                return (
                    Answer::No,
                    format!("{:?} {} reached the limit {}", b.metric, b.value_text(), b.limit),
                    Some(b.action),
                );
            }
        }
        match &latest {
            None => (Answer::Unknown, "insufficient data: no sample yet".into(), None),
            Some(l) => {
                let sub = l.only(&relevant);
                let text: Vec<String> =
                    sub.results.iter().map(|g| format!("{:?} {} (< {})", g.metric, g.value_text(), g.limit)).collect();
                if sub.insufficient() {
                    (Answer::Unknown, format!("insufficient data: {}", text.join(", ")), None)
                } else {
                    (Answer::Yes, text.join(", "), None)
                }
            }
        }
    };

    let questions = cp
        .questions
        .iter()
        .map(|q| {
            let plain = |(a, e): (Answer, String)| (a, e, None);
            let (answer, evidence, gate) = match q.measure {
                Measure::ErrorRate => gate_answer(&[Metric::ErrorRate, Metric::FailedRequests]),
                Measure::ResponseTime => gate_answer(&[Metric::P95Latency]),
                Measure::Performance => gate_answer(&[Metric::P95Latency, Metric::Cpu, Metric::Memory]),
                Measure::Monitoring => gate_answer(&[
                    Metric::ErrorRate,
                    Metric::FailedRequests,
                    Metric::P95Latency,
                    Metric::Cpu,
                    Metric::Memory,
                ]),
                Measure::CriticalAlerts => plain(if forced_hold.is_empty() {
                    (Answer::No, "no alerts this round".into())
                } else {
                    (Answer::Yes, forced_hold.join("; "))
                }),
                Measure::SmokeTests => plain(match &state.smoke {
                    None => (Answer::Unknown, "smoke tests not run".into()),
                    Some(r) => {
                        let failed: Vec<&str> = r.iter().filter(|t| !t.passed).map(|t| t.id.as_str()).collect();
                        if failed.is_empty() && !r.is_empty() {
                            (Answer::Yes, format!("{}/{} passed", r.len(), r.len()))
                        } else {
                            (
                                Answer::No,
                                format!("{}/{} passed; failed: {}", r.len() - failed.len(), r.len(), failed.join(", ")),
                            )
                        }
                    }
                }),
                Measure::BusinessValidation => plain({
                    let business: Vec<_> = state
                        .validation
                        .iter()
                        .filter(|c| {
                            plan.verifications.iter().any(|v| v.stage == CheckStage::Business && v.id() == c.id)
                        })
                        .collect();
                    if business.is_empty() {
                        (Answer::Unknown, "business verification not recorded".into())
                    } else {
                        let failed: Vec<&str> = business.iter().filter(|c| !c.passed).map(|c| c.id.as_str()).collect();
                        if failed.is_empty() {
                            (Answer::Yes, format!("{} business checks passed", business.len()))
                        } else {
                            (Answer::No, format!("failed: {}", failed.join(", ")))
                        }
                    }
                }),
                Measure::Person => (Answer::Unknown, "a person answers".into(), None),
            };
            let good = match answer {
                Answer::Yes => Some(q.good_answer),
                Answer::No => Some(!q.good_answer),
                Answer::Unknown => None,
            };
            AnsweredQuestion {
                text: q.text.clone(),
                measure: q.measure,
                answer,
                good,
                evidence,
                action: q.action.clone(),
                if_bad: match gate {
                    Some(GateAction::Investigate) => Consequence::Investigate,
                    _ => q.if_bad,
                },
            }
        })
        .collect::<Vec<_>>();

    let forward = forward_of(cp);
    let hold = hold_of(cp);
    let suggestion = if questions.iter().any(|q| q.good == Some(false) && q.if_bad == Consequence::Rollback) {
        Some(Decision::Rollback)
    } else if !forced_hold.is_empty() || questions.iter().any(|q| q.good == Some(false)) {
        Some(hold)
    } else if questions.iter().any(|q| q.good.is_none() && q.measure != Measure::Person) {
        None
    } else {
        Some(forward)
    };

    CheckpointPrompt {
        checkpoint: cp.n,
        name: cp.name.clone(),
        round,
        questions,
        gates: latest,
        latest_sample: samples.last().map(|s| (*s).clone()),
        samples: samples.len(),
        forced_hold,
        insufficient_data,
        suggestion,
        decisions: cp.decisions.clone(),
        forward_label: cp.forward_label.clone(),
    }
}

/// The forward decision of a checkpoint (PROCEED or GO-LIVE CONFIRMED).
pub fn forward_of(cp: &Checkpoint) -> Decision {
    if cp.is_final() {
        Decision::GoLiveConfirmed
    } else {
        Decision::Proceed
    }
}

/// The hold decision of a checkpoint (HOLD or EXTENDED MONITORING).
pub fn hold_of(cp: &Checkpoint) -> Decision {
    if cp.is_final() {
        Decision::ExtendedMonitoring
    } else {
        Decision::Hold
    }
}

/// Automatic HOLDs at one checkpoint before a person must decide.
pub const MAX_AUTO_HOLDS: u32 = 3;

/// The decision the engine takes by itself, if the plan allows it and
/// everything is green; `None` means a person must decide.
pub fn auto_decision(
    plan: &Plan,
    cp: &Checkpoint,
    step: u32,
    prompt: &CheckpointPrompt,
    now: DateTime<Utc>,
) -> Option<DecisionRecord> {
    let allowed = cp.auto.unwrap_or(plan.meta.auto_decisions);
    let gates_green = prompt.gates.as_ref().is_some_and(GateReport::all_green);
    let answers_good =
        prompt.questions.iter().all(|q| q.good == Some(true) || (q.measure == Measure::Person && q.good.is_none()));
    if !allowed || prompt.insufficient_data {
        return None;
    }
    // Alerts force a HOLD: an unattended run (a rehearsal) holds by itself
    // and asks again after the extension, a few rounds at most; it never
    // proceeds past an alert.
    let (decision, note) = if !prompt.forced_hold.is_empty() {
        if prompt.round > MAX_AUTO_HOLDS {
            return None;
        }
        (hold_of(cp), format!("alerts force a hold: {}", prompt.forced_hold.join("; ")))
    } else if gates_green && answers_good {
        (forward_of(cp), "plan allows automatic decisions and every gate is green".to_string())
    } else {
        return None;
    };
    Some(DecisionRecord {
        checkpoint: cp.n,
        step,
        round: prompt.round,
        decision,
        by: "auto".into(),
        at: now,
        note: Some(note),
        override_reason: None,
        auto: true,
        snapshot: prompt.clone(),
    })
}

/// The decision taken when nobody decided within the plan's
/// `decision_timeout`: its declared default (rollback, or hold), recorded
/// as taken by the deadline.
pub fn on_timeout(
    plan: &Plan,
    cp: &Checkpoint,
    step: u32,
    prompt: &CheckpointPrompt,
    now: DateTime<Utc>,
) -> DecisionRecord {
    let m = &plan.monitoring;
    let decision = match m.on_decision_timeout {
        TimeoutAction::Rollback => Decision::Rollback,
        TimeoutAction::Hold => hold_of(cp),
    };
    let waited = m.decision_timeout.map_or_else(|| "-".to_string(), |t| t.to_string());
    DecisionRecord {
        checkpoint: cp.n,
        step,
        round: prompt.round,
        decision,
        by: "deadline".into(),
        at: now,
        note: Some(format!(
            "nobody decided within {waited} (the plan's decision_timeout): its default, {}",
            decision.label()
        )),
        override_reason: None,
        auto: true,
        snapshot: prompt.clone(),
    }
}

/// Checks a person's decision against the checkpoint and its prompt, and
/// returns the record to journal.
pub fn accept(
    cp: &Checkpoint,
    step: u32,
    prompt: &CheckpointPrompt,
    input: &DecisionInput,
    now: DateTime<Utc>,
) -> Result<DecisionRecord> {
    if input.checkpoint != cp.n {
        return Err(CutoverError::DecisionRefused(format!(
            "checkpoint {} is not the open checkpoint ({})",
            input.checkpoint, cp.n
        )));
    }
    if let Some(r) = input.round.filter(|r| *r != prompt.round) {
        return Err(CutoverError::DecisionRefused(format!(
            "that decision was made on round {r} of checkpoint {}; it is at round {} now, on newer evidence: look again (lms cutover status) and decide anew",
            cp.n, prompt.round
        )));
    }
    if input.by.trim().is_empty() {
        return Err(CutoverError::DecisionRefused("say who decides (--by \"name\")".into()));
    }
    if !cp.decisions.contains(&input.decision) {
        let allowed: Vec<&str> = cp.decisions.iter().map(|d| d.label()).collect();
        return Err(CutoverError::DecisionRefused(format!(
            "{} is not allowed at checkpoint {}; allowed: {}",
            input.decision.label(),
            cp.n,
            allowed.join(", ")
        )));
    }
    let override_reason = input.override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if input.decision.is_forward() && prompt.insufficient_data && override_reason.is_none() {
        let counts = prompt.latest_sample.as_ref().map_or_else(
            || "no sample yet".to_string(),
            |s| {
                format!(
                    "green: {} request(s), {} error(s), {} failed",
                    s.green.requests, s.green.errors, s.green.failed
                )
            },
        );
        return Err(CutoverError::DecisionRefused(format!(
            "checkpoint {} has insufficient data ({counts}); the gates cannot vouch for green: give an override reason to {}",
            cp.n,
            input.decision.label()
        )));
    }
    if input.decision.is_forward() && !prompt.forced_hold.is_empty() && override_reason.is_none() {
        return Err(CutoverError::DecisionRefused(format!(
            "checkpoint {} is forced to {} by alerts ({}); give an override reason to {}",
            cp.n,
            hold_of(cp).label(),
            prompt.forced_hold.join("; "),
            input.decision.label()
        )));
    }
    Ok(DecisionRecord {
        checkpoint: cp.n,
        step,
        round: prompt.round,
        decision: input.decision,
        by: input.by.trim().to_string(),
        at: now,
        note: input.note.clone(),
        override_reason: override_reason.map(str::to_string),
        auto: false,
        snapshot: prompt.clone(),
    })
}
