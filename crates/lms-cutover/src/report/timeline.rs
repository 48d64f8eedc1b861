//! The timeline table (4.2): each step planned vs actual, in wall-clock
//! time. The plan's times are anchored at the opening of the window the run
//! started in (a rehearsal without a window: at the run's start), so a late
//! start shows as slippage. Slippage is actual end minus planned end:
//! positive is late. A step a rollback or an abort cut short is
//! "interrupted", never "in progress".

use chrono::{DateTime, Utc};

use crate::blackout;
use crate::engine::{RunState, Verdict};
use crate::plan::model::{Plan, StepAction, WindowKind};
use crate::plan::validate::step_offset;
use crate::report::human;
use crate::report::model::StepRow;

/// Seconds from `a` to `b`.
pub fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

/// Wall-clock time of the plan's T-0 for a run that started at `start`:
/// the opening of the weekly window containing it, else the start itself.
pub fn anchor(plan: &Plan, start: DateTime<Utc>) -> DateTime<Utc> {
    match plan.window.kind {
        WindowKind::Weekly => blackout::window_containing(plan, start).map_or(start, |w| w.start),
        WindowKind::Anytime => start,
    }
}

/// Why a started step never finished, if the run stopped it.
fn cut_short(state: &RunState, started: DateTime<Utc>) -> Option<String> {
    let day = state.started_at;
    if let Some(r) = &state.rollback {
        let at = r.triggered_at.max(started);
        return Some(format!(
            "cut short by the rollback at {} after {} ({})",
            human::hhmmss(at, day),
            human::duration(secs(started, at)),
            r.reason
        ));
    }
    match &state.verdict {
        Some(Verdict::Aborted { reason }) => Some(format!("cut short: the run was aborted ({reason})")),
        Some(_) => Some("never finished before the run ended".into()),
        None => None,
    }
}

/// One row per plan step.
pub fn rows(plan: &Plan, state: &RunState, failure_detail: impl Fn(u32) -> Option<String>) -> Vec<StepRow> {
    let compression = plan.meta.compression.max(1);
    let start = state.started_at;
    let t0 = start.map(|s| anchor(plan, s));
    let day = start;
    plan.steps
        .iter()
        .map(|s| {
            let skipped =
                !plan.maintenance.enabled && matches!(s.action, StepAction::MaintenanceOn | StepAction::MaintenanceOff);
            let p = state.steps.get(&s.n);
            let planned_offset = step_offset(plan, s).compressed(compression).delta();
            let planned = s.duration.compressed(compression).delta();
            let planned_start = t0.map(|t| t + planned_offset);
            let started = p.and_then(|p| p.started_at);
            let finished = p.and_then(|p| p.finished_at);
            let slippage = match (finished, planned_start) {
                (Some(end), Some(ps)) => Some(secs(ps + planned, end)),
                _ => None,
            };
            let (status, detail) = if skipped {
                ("skipped", Some("maintenance mode is disabled in the plan".to_string()))
            } else {
                match (p.and_then(|p| p.ok), started) {
                    (Some(true), _) => ("done", None),
                    (Some(false), _) => {
                        ("failed", p.and_then(|p| p.failure.clone()).map(|f| with_reason(f, &failure_detail(s.n))))
                    }
                    (None, Some(at)) => match cut_short(state, at) {
                        Some(why) => ("interrupted", Some(why)),
                        None => {
                            ("in progress", state.last_event_at.map(|t| format!("as of {}", human::hhmmss(t, day))))
                        }
                    },
                    (None, None) => ("not reached", None),
                }
            };
            StepRow {
                n: s.n,
                activity: s.activity.clone(),
                owner: s.owner.clone(),
                planned_at: s.at.format("%H:%M").to_string(),
                planned_duration: s.duration.to_string(),
                planned_offset_secs: planned_offset.num_milliseconds() as f64 / 1000.0,
                planned_secs: planned.num_milliseconds() as f64 / 1000.0,
                planned_start_at: planned_start,
                actual_start_at: started,
                actual_end_at: finished,
                actual_offset_secs: match (start, started) {
                    (Some(a), Some(b)) => Some(secs(a, b)),
                    _ => None,
                },
                actual_secs: match (started, finished) {
                    (Some(a), Some(b)) => Some(secs(a, b)),
                    _ => None,
                },
                slippage_secs: slippage,
                slipped: slippage.is_some_and(|x| x > 0.0),
                status: status.into(),
                detail,
            }
        })
        .collect()
}

/// The step's failure text with the reasons behind it (e.g. why each smoke
/// test failed), unless they are already in it.
fn with_reason(failure: String, reason: &Option<String>) -> String {
    match reason {
        Some(r) if !failure.contains(r.as_str()) => format!("{failure} — {r}"),
        _ => failure,
    }
}
