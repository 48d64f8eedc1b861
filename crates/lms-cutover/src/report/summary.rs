//! The top of the report, for the release commander the morning after:
//! is the new version live, where is the traffic, and what needs doing now.
//! A run that was rolled back or aborted says so first and never asks for
//! go-live follow-ups.

use chrono::{DateTime, Utc};

use crate::engine::{RunState, Verdict};
use crate::report::human;
use crate::report::model::{ChecklistRow, Summary};

/// What the summary is made from.
pub struct Inputs<'a> {
    /// The replayed state.
    pub state: &'a RunState,
    /// The run directory, for commands.
    pub run_dir: &'a str,
    /// When the run ended (its verdict record).
    pub ended_at: Option<DateTime<Utc>>,
    /// Why the smoke tests behind an abort failed (after migrating, or through the public URL).
    pub smoke_reasons: Option<String>,
    /// What the check of blue after a rollback found.
    pub blue_detail: Option<String>,
    /// The post-cutover checklist.
    pub checklist: &'a [ChecklistRow],
}

/// Builds the summary.
pub fn summary(i: &Inputs<'_>) -> Summary {
    let state = i.state;
    let day = state.started_at;
    let at = |t: Option<DateTime<Utc>>| t.map_or_else(|| "an unknown time".into(), human::date_time);
    let why = i.smoke_reasons.as_ref().map(|w| format!(" — {w}")).unwrap_or_default();
    let stop_green = match state.green_stopped_at {
        Some(t) => format!("Green was stopped at {} (`stop-green`).", human::date_time(t)),
        None => format!(
            "Green is left running after a rollback: stop it with `lms cutover stop-green {}` once it has been looked at.",
            i.run_dir
        ),
    };
    let cleanup = state.cleanup_failed.then(|| {
        "Maintenance mode could NOT be switched off after the run: switch it off by hand and check that users can write.".to_string()
    });
    let (outcome, headline, mut next) = match &state.verdict {
        Some(Verdict::GoLive) => {
            let open: Vec<&ChecklistRow> =
                i.checklist.iter().filter(|c| c.status == "pending" || c.status == "failed").collect();
            let mut next: Vec<String> = open
                .iter()
                .map(|c| {
                    let late = if c.detail.starts_with("OVERDUE") { " — OVERDUE" } else { "" };
                    format!("{} (`{}`, {}): {}, due {}{late}", c.item, c.id, c.owner, c.status, c.due_text)
                })
                .collect();
            if open.iter().any(|c| c.performer == "a person") {
                next.push(format!(
                    "Record each with `lms cutover confirm --run {} --item ID --by NAME`; the report is rebuilt each time.",
                    i.run_dir
                ));
            }
            if next.is_empty() {
                next.push("Every post-cutover item is recorded as done.".into());
            }
            ("go_live", format!("GO-LIVE declared {}: the new version is live and carries all traffic.", at(i.ended_at)), next)
        }
        Some(Verdict::RolledBack { reason, to_blue_ms, blue_verified }) => {
            let on_blue = state.rollback.as_ref().and_then(|r| r.on_blue_at);
            let took = to_blue_ms.map(|ms| format!(" ({} after the trigger)", human::duration(ms as f64 / 1000.0)));
            let mut next = Vec::new();
            if !blue_verified {
                next.push(format!(
                    "Blue was NOT verified healthy after the rollback ({}): check blue now.",
                    i.blue_detail.as_deref().unwrap_or("no check recorded")
                ));
            }
            next.push("Tell stakeholders the cutover was rolled back; do not send the go-live announcement.".into());
            next.push(stop_green);
            next.push("Migrations were not reversed: blue runs on the migrated schema.".into());
            (
                "rolled_back",
                format!(
                    "ROLLED BACK: the new version is NOT live. All traffic back on blue at {}{}. Why: {reason}. Do not announce go-live.",
                    on_blue.map_or_else(|| "an unrecorded time".into(), |t| human::hhmmss(t, day)),
                    took.unwrap_or_default()
                ),
                next,
            )
        }
        Some(Verdict::Aborted { reason }) => {
            let mut next = vec!["Traffic needs nothing: it never left blue.".to_string()];
            if state.green_deployed {
                next.push(stop_green.replace(" after a rollback", ""));
            }
            next.push("Fix the cause above and plan a new window.".into());
            (
                "aborted",
                format!(
                    "ABORTED: the new version is NOT live and no traffic reached green. Why: {reason}{why}. Do not announce go-live."
                ),
                next,
            )
        }
        None => (
            "not_finished",
            format!(
                "NOT FINISHED: the run has no verdict; its last record is from {}. Traffic: {}.",
                at(state.last_event_at),
                state.weights
            ),
            vec![format!(
                "`lms cutover status {dir}` shows where it stands; `lms cutover resume {dir}` continues it if its controller is gone.",
                dir = i.run_dir
            )],
        ),
    };
    if let Some(c) = cleanup {
        next.insert(0, c);
    }
    Summary {
        outcome: outcome.into(),
        went_live: matches!(state.verdict, Some(Verdict::GoLive)),
        headline,
        traffic_now: state.weights.to_string(),
        ended_at: i.ended_at,
        next_steps: next,
    }
}
