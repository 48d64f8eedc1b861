//! What the operator sees while a run goes: one line per step and result,
//! a progress bar per monitoring window (indicatif) with the live split and
//! gate values, checkpoint prompts with their measured answers, and the
//! verdict. The [`Observer`] trait lets other front ends (tests, a web
//! page) watch the same events.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::{Action, Engine, Event, GateStatus, RunState, Verdict};
use crate::journal::Record;

/// Watches a run.
pub trait Observer: Send + Sync {
    /// An event was journaled.
    fn record(&self, rec: &Record, state: &RunState, engine: &Engine);
    /// Something worth telling the operator.
    fn note(&self, text: &str);
    /// The run ended.
    fn finished(&self, verdict: &Verdict, state: &RunState, engine: &Engine);
}

/// Extra text for the live line (a rehearsal's load counters).
pub type Extra = Arc<dyn Fn() -> String + Send + Sync>;

#[derive(Default)]
struct Inner {
    bar: Option<ProgressBar>,
    last_step: Option<u32>,
    prompts: HashSet<(u32, u32)>,
}

/// The terminal.
pub struct Console {
    inner: Mutex<Inner>,
    extra: Option<Extra>,
    quiet: bool,
}

impl Console {
    /// A console observer; `extra` adds text to the live line.
    pub fn new(extra: Option<Extra>) -> Self {
        Console { inner: Mutex::new(Inner::default()), extra, quiet: false }
    }

    /// An observer that prints nothing.
    pub fn quiet() -> Self {
        Console { inner: Mutex::new(Inner::default()), extra: None, quiet: true }
    }

    fn line(&self, inner: &Inner, text: &str) {
        if self.quiet {
            return;
        }
        match &inner.bar {
            Some(b) if !b.is_hidden() => b.println(text),
            _ => eprintln!("{text}"),
        }
    }

    fn finish_bar(inner: &mut Inner) {
        if let Some(b) = inner.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// One line of live values from the last sample.
pub fn live_line(state: &RunState, engine: &Engine) -> String {
    let mut parts = vec![format!("split {}", state.weights)];
    if let Some(s) = state.last_sample() {
        let report = crate::engine::gates::evaluate(engine.plan(), &s.sample);
        for g in &report.results {
            let mark = match g.status {
                GateStatus::Pass { .. } => "ok",
                GateStatus::Breach { .. } => "BREACH",
                GateStatus::InsufficientData { .. } => "no data",
            };
            parts.push(format!("{:?} {} ({mark})", g.metric, g.value_text()));
        }
        parts.push(format!("green req {}", s.sample.green.requests));
    }
    parts.join(" | ")
}

impl Observer for Console {
    fn record(&self, rec: &Record, state: &RunState, engine: &Engine) {
        if self.quiet {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let t = rec.at.format("%H:%M:%S");
        if let Event::ActionStarted { action } = &rec.event {
            if let Some(n) = action.step() {
                if inner.last_step != Some(n) {
                    Self::finish_bar(&mut inner);
                    inner.last_step = Some(n);
                    if let Some(s) = engine.plan().steps.iter().find(|s| s.n == n) {
                        let total = engine.plan().steps.len();
                        self.line(
                            &inner,
                            &format!(
                                "[{t}] step {n}/{total} (planned {}) {} — {}",
                                s.at.format("%H:%M"),
                                s.activity,
                                s.owner
                            ),
                        );
                    }
                }
            }
            match action {
                Action::Monitor { started, ends, .. } => {
                    let len = (*ends - *started).num_milliseconds().max(1) as u64;
                    if inner.bar.is_none() {
                        let bar = ProgressBar::new(len);
                        if let Ok(style) = ProgressStyle::with_template("  {bar:30} {percent:>3}% {msg}") {
                            bar.set_style(style);
                        }
                        inner.bar = Some(bar);
                    }
                    if let Some(b) = &inner.bar {
                        b.set_position(((rec.at - *started).num_milliseconds().max(0) as u64).min(len));
                    }
                }
                Action::AwaitCheckpoint { prompt, auto: None, decide_by, .. }
                    if prompt.samples > 0 && inner.prompts.insert((prompt.checkpoint, prompt.round)) =>
                {
                    let mut text = format!("  {} (round {}) — waiting for a decision:", prompt.name, prompt.round);
                    for q in &prompt.questions {
                        text.push_str(&format!("\n    {:<32} {:?}  [{}]", q.text, q.answer, q.evidence));
                    }
                    if !prompt.forced_hold.is_empty() {
                        text.push_str(&format!("\n    forced HOLD: {}", prompt.forced_hold.join("; ")));
                    }
                    if let Some(s) = prompt.suggestion {
                        text.push_str(&format!("\n    suggestion: {}", s.label()));
                    }
                    text.push_str("\n    type proceed|hold|rollback [note], or run `lms cutover decide` elsewhere");
                    if let Some(by) = decide_by {
                        let default = match engine.plan().monitoring.on_decision_timeout {
                            crate::plan::TimeoutAction::Rollback => "roll back",
                            crate::plan::TimeoutAction::Hold => "hold",
                        };
                        text.push_str(&format!(
                            "\n    decide by {} UTC, or the plan's default is taken: {default}",
                            by.format("%H:%M:%S")
                        ));
                    }
                    self.line(&inner, &text);
                }
                Action::Rollback { reason, .. } => {
                    Self::finish_bar(&mut inner);
                    self.line(&inner, &format!("[{t}] ROLLBACK: {reason}"));
                }
                _ => {}
            }
            return;
        }
        let text = match &rec.event {
            Event::Sampled { .. } => {
                let mut msg = live_line(state, engine);
                if let Some(x) = &self.extra {
                    msg.push_str(" | ");
                    msg.push_str(&x());
                }
                if let Some(b) = inner.bar.as_ref().filter(|b| !b.is_hidden()) {
                    if let Some(w) = &state.window {
                        b.set_position((rec.at - w.started).num_milliseconds().max(0) as u64);
                    }
                    b.set_message(msg);
                    return;
                }
                Some(format!("  [{t}] {msg}"))
            }
            Event::WeightsSet { weights, outcome, .. } => Some(format!("  weights {weights}: {}", outcome.detail)),
            Event::BackupFinished { outcome, .. } => Some(format!("  backup: {}", outcome.detail)),
            Event::MigrationFinished { outcome, .. } => Some(format!("  migration: {}", outcome.detail)),
            Event::CompatibilityFinished { health, smoke, .. } => Some(format!(
                "  compatibility: blue {} ; read-only smoke {}/{} passed",
                health.detail,
                smoke.iter().filter(|s| s.passed).count(),
                smoke.len()
            )),
            Event::GreenDeployed { outcome, .. } => Some(format!("  green: {}", outcome.detail)),
            Event::HealthChecked { report, .. } => Some(format!("  health {}: {}", report.slot, report.detail)),
            Event::ChecksFinished { results, .. } => {
                Some(tally("checks", results.iter().map(|r| (r.passed, r.id.as_str(), r.detail.as_str()))))
            }
            Event::SmokeFinished { results, .. } => {
                Some(tally("smoke", results.iter().map(|r| (r.passed, r.id.as_str(), r.detail.as_str()))))
            }
            Event::Decided { record } => Some(format!(
                "  {}: {} by {}{}",
                record.snapshot.name,
                record.decision.label(),
                record.by,
                record.note.as_ref().map(|n| format!(" — {n}")).unwrap_or_default()
            )),
            Event::RollbackRequested { by, reason } => Some(format!("  rollback requested by {by}: {reason}")),
            Event::RolledBack { outcome } => {
                let ms =
                    state.rollback.as_ref().and_then(|r| r.on_blue_at.map(|t| (t - r.triggered_at).num_milliseconds()));
                Some(format!(
                    "  rolled back ({}): {}",
                    ms.map_or("?".into(), |m| format!("{m} ms from trigger")),
                    outcome.detail
                ))
            }
            Event::BlueVerified { outcome } => Some(format!("  blue verified: {}", outcome.detail)),
            Event::Resumed => Some(format!("[{t}] resumed from the journal")),
            Event::CommandFinished { outcome, .. } => Some(format!("  command: {}", outcome.detail)),
            Event::MaintenanceSet { enabled, outcome, .. } => {
                Some(format!("  maintenance {}: {}", if *enabled { "on" } else { "off" }, outcome.detail))
            }
            _ => None,
        };
        if let Some(text) = text {
            self.line(&inner, &text);
        }
    }

    fn note(&self, text: &str) {
        if let Ok(inner) = self.inner.lock() {
            self.line(&inner, &format!("  note: {text}"));
        }
    }

    fn finished(&self, verdict: &Verdict, _state: &RunState, _engine: &Engine) {
        if let Ok(mut inner) = self.inner.lock() {
            Self::finish_bar(&mut inner);
            self.line(&inner, &format!("verdict: {}", verdict_line(verdict)));
        }
    }
}

/// One line for a verdict.
pub fn verdict_line(v: &Verdict) -> String {
    match v {
        Verdict::GoLive => "GO-LIVE: all traffic on green".into(),
        Verdict::RolledBack { reason, to_blue_ms, blue_verified } => format!(
            "ROLLED BACK to blue in {} ({}; blue {}); migrations were not reversed",
            to_blue_ms.map_or("?".into(), |m| format!("{m} ms")),
            reason,
            if *blue_verified { "verified healthy" } else { "NOT verified" }
        ),
        Verdict::Aborted { reason } => format!("ABORTED before traffic moved: {reason}"),
    }
}

/// "label: passed/total passed; FAILED id (detail)…" for a set of results.
fn tally<'a>(label: &str, results: impl Iterator<Item = (bool, &'a str, &'a str)>) -> String {
    let (mut passed, mut total, mut failed) = (0, 0, String::new());
    for (ok, id, detail) in results {
        total += 1;
        if ok {
            passed += 1;
        } else {
            failed.push_str(&format!("; FAILED {id} ({detail})"));
        }
    }
    format!("  {label}: {passed}/{total} passed{failed}")
}
