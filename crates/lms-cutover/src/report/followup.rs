//! What surrounds the night: the preparation timeline before it (4.1) and
//! the post-cutover checklist after it (9.1 within an hour of go-live, 9.2
//! the next business day), with due times in wall-clock where they can be
//! computed, each item's status and who confirmed it. A run that did not go
//! live has no post-cutover work: its unrecorded items are not applicable.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};

use crate::blackout;
use crate::engine::Event;
use crate::journal::Record;
use crate::plan::model::{Due, Performer, Plan};
use crate::report::evidence::confirm_command;
use crate::report::human;
use crate::report::model::{ChecklistRow, PrepRow};

/// A recorded confirmation: who, ok, note, when.
struct Done {
    by: String,
    ok: bool,
    detail: String,
    at: DateTime<Utc>,
}

/// The first business day after `day` (weekends and the plan's holidays skipped).
fn next_business_day(plan: &Plan, day: NaiveDate) -> Option<NaiveDate> {
    let mut d = day;
    for _ in 0..31 {
        d = d.checked_add_days(Days::new(1))?;
        if blackout::is_business_day(&plan.blackout, d) {
            return Some(d);
        }
    }
    None
}

/// What the checklist is measured against.
pub struct Context<'a> {
    /// The run directory, for commands.
    pub run_dir: &'a str,
    /// When the run went live (its go-live verdict), if it did.
    pub live_at: Option<DateTime<Utc>>,
    /// Why the run did not go live, if it ended without.
    pub not_live: Option<&'static str>,
    /// The report's time, to tell overdue items.
    pub now: DateTime<Utc>,
}

/// One row per post-cutover item.
pub fn checklist(plan: &Plan, records: &[Record], cx: &Context<'_>) -> Vec<ChecklistRow> {
    let mut done: BTreeMap<&str, Done> = BTreeMap::new();
    for r in records {
        if let Event::ChecklistDone { id, by, outcome } = &r.event {
            done.insert(id, Done { by: by.clone(), ok: outcome.ok, detail: outcome.detail.clone(), at: r.at });
        }
    }
    plan.post_cutover
        .iter()
        .map(|c| {
            let (due, due_at, due_day, mut due_text) = match c.due {
                Due::Immediate => {
                    let at = cx.live_at.map(|t| t + TimeDelta::hours(1));
                    ("immediate", at, None, "within 1 h of go-live".to_string())
                }
                Due::NextBusinessDay => {
                    let day = cx.live_at.and_then(|t| next_business_day(plan, t.date_naive()));
                    ("next_business_day", None, day, "next business day".to_string())
                }
            };
            if let Some(at) = due_at {
                due_text = format!("{due_text}: by {}", human::date_time(at));
            }
            if let Some(day) = due_day.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc()) {
                due_text = format!("{due_text}: {}", human::date(day));
            }
            let overdue = match (due_at, due_day) {
                (Some(at), _) => cx.now > at,
                (None, Some(day)) => cx.now.date_naive() > day,
                _ => false,
            };
            let performer = match c.by {
                Performer::Manual => "a person",
                Performer::Webhook { .. } => "webhook",
            };
            let (status, detail) = match (done.get(c.id.as_str()), &cx.not_live) {
                (Some(d), _) => (if d.ok { "done" } else { "failed" }, d.detail.clone()),
                (None, Some(why)) => ("not applicable", format!("no go-live: {why}")),
                (None, None) if cx.live_at.is_none() => ("pending", "due once the run goes live".into()),
                (None, None) => {
                    let how = match c.by {
                        Performer::Manual => confirm_command(cx.run_dir, &c.id),
                        Performer::Webhook { .. } => "the controller calls the webhook after go-live".into(),
                    };
                    ("pending", if overdue { format!("OVERDUE; {how}") } else { how })
                }
            };
            let d = done.get(c.id.as_str());
            ChecklistRow {
                id: c.id.clone(),
                item: c.item.clone(),
                owner: c.owner.clone(),
                due: due.into(),
                due_at,
                due_text,
                performer: performer.into(),
                status: status.into(),
                by: d.map(|d| d.by.clone()),
                at: d.map(|d| d.at),
                detail,
            }
        })
        .collect()
}

/// The preparation timeline, dated back from `t0` (the window the run
/// started in, or the plan's date) when known.
pub fn prep(plan: &Plan, t0: Option<DateTime<Utc>>) -> Vec<PrepRow> {
    let t0 = t0.or_else(|| plan.window.date.map(|d| d.and_time(plan.window.start).and_utc()));
    plan.prep
        .iter()
        .map(|p| PrepRow {
            phase: p.phase.clone(),
            activity: p.activity.clone(),
            owner: p.owner.clone(),
            before: if p.before.is_zero() { "T-0".into() } else { format!("T-{}", p.before) },
            at: t0.map(|t| t - p.before.delta()),
            duration: if p.duration.is_zero() { "—".into() } else { p.duration.to_string() },
        })
        .collect()
}
