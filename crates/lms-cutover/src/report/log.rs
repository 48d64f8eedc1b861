//! The traffic and controller log: every weight change (set, re-asserted,
//! failed, drifted, rolled back), maintenance switch, green start, and
//! every start, stop, resume and end of the controller, with the journal's
//! time. A controller stop is not journaled (a crash cannot write one), so
//! it is shown at the last record before the `Resumed` that follows it.

use crate::engine::{Action, Event, Notice, Verdict};
use crate::journal::Record;
use crate::report::model::LogRow;

fn line(r: &Record, kind: &str, text: String, ok: bool) -> LogRow {
    LogRow { at: r.at, kind: kind.into(), text, ok }
}

fn verdict_text(v: &Verdict) -> String {
    match v {
        Verdict::GoLive => "GO-LIVE, all traffic on green".into(),
        Verdict::RolledBack { reason, .. } => format!("ROLLED BACK ({reason})"),
        Verdict::Aborted { reason } => format!("ABORTED before traffic moved ({reason})"),
    }
}

/// The log of a run's records, in order.
pub fn rows(records: &[Record]) -> Vec<LogRow> {
    let mut out = Vec::new();
    let mut resumes = 0;
    for (i, r) in records.iter().enumerate() {
        match &r.event {
            Event::RunStarted { own_version, blackout_override, .. } => {
                let over = blackout_override
                    .as_ref()
                    .map(|o| format!("; blackout overridden by {}: {}", o.by, o.reason))
                    .unwrap_or_default();
                out.push(line(
                    r,
                    "controller",
                    format!("controller started (version {own_version}): run began{over}"),
                    true,
                ));
            }
            Event::ControllerStopped { why } => {
                out.push(line(r, "controller", format!("controller stopped by {why}"), true));
            }
            Event::Resumed => {
                resumes += 1;
                let prev = i.checked_sub(1).and_then(|p| records.get(p));
                let stopped_cleanly = prev.is_some_and(|p| matches!(p.event, Event::ControllerStopped { .. }));
                if let Some(prev) = prev.filter(|_| !stopped_cleanly) {
                    out.push(line(
                        prev,
                        "controller",
                        "controller stopped (killed, crashed or stopped by a person): its last record before the resume"
                            .into(),
                        false,
                    ));
                }
                out.push(line(r, "controller", format!("controller resumed (resume #{resumes})"), true));
            }
            Event::ActionStarted { action: Action::Rollback { reason, attempt: 1, .. } } => {
                out.push(line(r, "rollback", format!("rollback started: {reason}"), true));
            }
            Event::RollbackRequested { by, reason } => {
                out.push(line(r, "rollback", format!("rollback requested by {by}: {reason}"), true));
            }
            Event::RollbackRetrying { attempt, error, next_in_ms } => out.push(line(
                r,
                "rollback",
                format!("rollback call failing after {attempt} attempt(s): {error}; retrying in {next_in_ms} ms"),
                false,
            )),
            Event::RolledBack { outcome } if outcome.ok => {
                out.push(line(r, "traffic", "all traffic back to blue (blue 100 / green 0)".into(), true));
            }
            Event::RolledBack { outcome } => {
                out.push(line(r, "traffic", format!("rollback call failed: {}", outcome.detail), false));
            }
            Event::ReopenedForRollback { by, reason, .. } => out.push(line(
                r,
                "controller",
                format!("run reopened after go-live for a rollback by {by}: {reason}"),
                true,
            )),
            Event::WeightsSet { step, weights, outcome } => {
                let text = match (step, outcome.ok) {
                    (Some(n), true) => format!("traffic set to {weights} (step {n})"),
                    (None, true) => format!("traffic re-asserted at {weights} after the resume"),
                    (Some(n), false) => format!("setting traffic to {weights} (step {n}) failed: {}", outcome.detail),
                    (None, false) => format!("re-asserting traffic at {weights} failed: {}", outcome.detail),
                };
                out.push(line(r, "traffic", text, outcome.ok));
            }
            Event::Notified { notice: Notice::WeightsDrift { expected, actual, .. }, .. } => out.push(line(
                r,
                "traffic",
                format!("weights drift: the traffic controller reports {actual}, the run set {expected}"),
                false,
            )),
            Event::CommandFinished { step, outcome } => {
                out.push(line(r, "command", format!("step {step}: {}", outcome.detail), outcome.ok))
            }
            Event::MaintenanceSet { enabled, outcome, .. } => {
                let state = if *enabled { "on" } else { "off" };
                let text = if outcome.ok {
                    format!("maintenance mode {state}")
                } else {
                    format!("switching maintenance mode {state} failed: {}", outcome.detail)
                };
                out.push(line(r, "maintenance", text, outcome.ok));
            }
            Event::GreenStopped { outcome } => {
                let text = if outcome.ok {
                    format!("green stopped (stop-green): {}", outcome.detail)
                } else {
                    format!("stopping green failed: {}", outcome.detail)
                };
                out.push(line(r, "green", text, outcome.ok));
            }
            Event::BlueScaledDown { outcome } => {
                let text = if outcome.ok {
                    format!("blue scaled down (scale-down-blue): {}", outcome.detail)
                } else {
                    format!("scaling blue down failed: {}", outcome.detail)
                };
                out.push(line(r, "blue", text, outcome.ok));
            }
            Event::GreenDeployed { outcome, .. } => {
                let text = if outcome.ok {
                    "green started and ready".to_string()
                } else {
                    format!("green failed to start: {}", outcome.detail)
                };
                out.push(line(r, "green", text, outcome.ok));
            }
            Event::RunCompleted { verdict } => {
                out.push(line(r, "controller", format!("run ended: {}", verdict_text(verdict)), true))
            }
            _ => {}
        }
    }
    out
}
