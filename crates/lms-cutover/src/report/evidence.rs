//! Judges the success criteria (11.1) and the definition of done (11.2)
//! from the run's state. A run that did not go live never counts as
//! "deployed", and is never asked for go-live follow-ups (announcement,
//! hypercare handoff): those are marked not applicable. A pending checklist
//! item names the command the CLI accepts to record it.

use crate::blackout;
use crate::engine::{gates, RunState, Verdict};
use crate::plan::model::{CheckStage, Evidence, Plan, WindowKind};
use crate::report::timeline::secs;

/// What the run shows about one item.
pub struct Judged {
    /// Met (`None`: pending or not measurable).
    pub met: Option<bool>,
    /// What shows it.
    pub evidence: String,
    /// Does not apply: a go-live item of a run that did not go live.
    pub not_applicable: bool,
}

fn judged(met: Option<bool>, evidence: impl Into<String>) -> Judged {
    Judged { met, evidence: evidence.into(), not_applicable: false }
}

/// Everything the judgement reads.
pub struct Facts<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// The replayed state.
    pub state: &'a RunState,
    /// The run directory, for commands.
    pub run_dir: &'a str,
    /// Why smoke tests failed (grouped), if they did.
    pub smoke_reasons: Option<String>,
}

impl Facts<'_> {
    /// "the run was rolled back" or "… aborted" when it ended without going live.
    pub fn not_live(&self) -> Option<&'static str> {
        match &self.state.verdict {
            Some(Verdict::RolledBack { .. }) => Some("the run was rolled back"),
            Some(Verdict::Aborted { .. }) => Some("the run was aborted before traffic moved"),
            _ => None,
        }
    }

    /// [`not_live`](Self::not_live) with the verdict's reason.
    fn not_live_because(&self) -> Option<String> {
        let reason = match &self.state.verdict {
            Some(Verdict::RolledBack { reason, .. } | Verdict::Aborted { reason }) => reason,
            _ => return None,
        };
        self.not_live().map(|what| format!("{what} ({reason})"))
    }

    /// Judges one evidence rule; `checklist` is the item id of a checklist rule.
    pub fn judge(&self, ev: Evidence, checklist: Option<&str>) -> Judged {
        let (plan, state) = (self.plan, self.state);
        let breaches: usize =
            state.samples.iter().filter(|s| gates::evaluate(plan, &s.sample).rollback_breach().is_some()).count();
        match ev {
            Evidence::WithinWindow => match self.not_live_because() {
                Some(why) => judged(Some(false), format!("not deployed: {why}")),
                None => self.within_window(),
            },
            Evidence::ZeroCriticalErrors => judged(
                Some(breaches == 0 && state.alerts.is_empty()),
                format!(
                    "{} sample(s): {breaches} rollback-gate breach(es), {} alert(s)",
                    state.samples.len(),
                    state.alerts.len()
                ),
            ),
            Evidence::SmokePass => match &state.smoke {
                Some(r) if !r.is_empty() => {
                    let passed = r.iter().filter(|t| t.passed).count();
                    let why = self.smoke_reasons.as_ref().map(|w| format!("; failed {w}")).unwrap_or_default();
                    judged(Some(passed == r.len()), format!("{passed}/{} smoke tests passed (step 17){why}", r.len()))
                }
                _ => judged(Some(false).filter(|_| state.verdict.is_some()), "smoke tests not run"),
            },
            Evidence::BusinessSignoff => {
                let business: Vec<_> = state
                    .validation
                    .iter()
                    .filter(|c| plan.verifications.iter().any(|v| v.stage == CheckStage::Business && v.id() == c.id))
                    .collect();
                if business.is_empty() {
                    judged(Some(false).filter(|_| state.verdict.is_some()), "business verification not recorded")
                } else {
                    let by: Vec<String> = business
                        .iter()
                        .map(|c| format!("{} by {}", c.id, c.by.as_deref().unwrap_or("probe")))
                        .collect();
                    judged(Some(business.iter().all(|c| c.passed)), by.join(", "))
                }
            }
            Evidence::NoRollback => match &state.rollback {
                None => judged(Some(true).filter(|_| state.verdict.is_some()), "no rollback"),
                Some(r) => judged(Some(false), format!("rolled back: {}", r.reason)),
            },
            Evidence::FullTrafficOnGreen => {
                let ok = state.weights.green_weight().get() == 100 && matches!(state.verdict, Some(Verdict::GoLive));
                judged(Some(ok), format!("last confirmed split {}", state.weights))
            }
            Evidence::MonitoringHealthy => match state.last_sample().map(|s| gates::evaluate(plan, &s.sample)) {
                Some(r) => {
                    let text: Vec<String> =
                        r.results.iter().map(|g| format!("{:?} {}", g.metric, g.value_text())).collect();
                    judged(Some(r.all_green()), format!("last sample: {}", text.join(", ")))
                }
                None => judged(Some(false), "no samples"),
            },
            Evidence::Checklist => self.checklist(checklist.unwrap_or("")),
            Evidence::Person => match self.not_live() {
                Some(why) => Judged { met: None, evidence: format!("not applicable: {why}"), not_applicable: true },
                None => judged(None, "a person confirms"),
            },
        }
    }

    fn within_window(&self) -> Judged {
        let state = self.state;
        match (state.started_at, state.last_event_at, state.verdict.as_ref()) {
            (Some(a), Some(b), Some(_)) => match self.plan.window.kind {
                WindowKind::Anytime => {
                    judged(Some(true), format!("no window (rehearsal plan); run took {:.1} s", secs(a, b)))
                }
                WindowKind::Weekly => match blackout::window_containing(self.plan, a) {
                    Some(w) if b <= w.end => judged(
                        Some(true),
                        format!("finished {} before the window closed at {}", b.format("%H:%M"), w.end.format("%H:%M")),
                    ),
                    Some(w) => judged(
                        Some(false),
                        format!("finished {} after the window closed at {}", b.format("%H:%M"), w.end.format("%H:%M")),
                    ),
                    None => judged(Some(false), "started outside the window (override recorded)"),
                },
            },
            _ => judged(None, "the run has not finished"),
        }
    }

    fn checklist(&self, id: &str) -> Judged {
        match self.state.checklist.get(id) {
            Some((by, true)) => judged(Some(true), format!("checklist {id} done by {by}")),
            Some((by, false)) => judged(Some(false), format!("checklist {id} failed (by {by})")),
            None => match self.not_live() {
                Some(why) => Judged { met: None, evidence: format!("not applicable: {why}"), not_applicable: true },
                None => judged(None, format!("pending: {}", confirm_command(self.run_dir, id))),
            },
        }
    }
}

/// How to record a checklist item (the CLI's `confirm`; it queues the
/// confirmation for the run's controller, so one must be running).
pub fn confirm_command(run_dir: &str, id: &str) -> String {
    format!("record it with `lms cutover confirm --run {run_dir} --item {id} --by NAME`")
}
