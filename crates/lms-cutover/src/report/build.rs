//! Builds the [`Report`] from the plan and the journal records: the state
//! replayed from them, plus the per-record facts the state folds away
//! (notices, every sample's time, confirmations, why blue failed its check).
//! The tables with rules of their own live beside it: [`timeline`](super::timeline),
//! [`evidence`](super::evidence), [`followup`](super::followup),
//! [`log`](super::log), [`summary`](super::summary).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::engine::{Event, Notice, Verdict};
use crate::journal::{replay, Record};
use crate::observe::{MetricsSample, SmokeResult};
use crate::plan::model::{Limit, Metric, Plan};
use crate::report::evidence::Facts;
use crate::report::model::*;
use crate::report::timeline::{anchor, secs};
use crate::report::{followup, log, summary, timeline};
use crate::runner::console::verdict_line;

fn metric_value(m: Metric, s: &MetricsSample, min_requests: u64) -> Option<f64> {
    let enough = s.green.requests >= min_requests.max(1);
    match m {
        Metric::ErrorRate => s.green.error_rate().filter(|_| enough).map(|p| p.value()),
        Metric::FailedRequests => s.green.failed_rate().filter(|_| enough).map(|p| p.value()),
        Metric::P95Latency => s.green.p95_ms.filter(|_| enough).map(|v| v as f64),
        Metric::Cpu => s.green_resources.map(|r| r.cpu.value()),
        Metric::Memory => s.green_resources.map(|r| r.memory.value()),
    }
}

fn metric_label(m: Metric) -> &'static str {
    match m {
        Metric::ErrorRate => "error rate",
        Metric::FailedRequests => "failed requests",
        Metric::P95Latency => "p95 latency",
        Metric::Cpu => "CPU",
        Metric::Memory => "memory",
    }
}

/// Failed smoke tests grouped by reason: `SMOKE-001, SMOKE-002: no smoke accounts: …`.
pub fn smoke_reasons(results: &[SmokeResult]) -> Option<String> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in results.iter().filter(|r| !r.passed) {
        match groups.iter_mut().find(|g| g.0 == r.detail) {
            Some(g) => g.1.push(&r.id),
            None => groups.push((&r.detail, vec![&r.id])),
        }
    }
    let text: Vec<String> = groups.iter().map(|(d, ids)| format!("{}: {d}", ids.join(", "))).collect();
    (!text.is_empty()).then(|| text.join("; "))
}

/// The report of the run in `run_dir` (the directory as commands should
/// name it; its last component is the run id).
pub fn build(plan: &Plan, run_dir: &str, records: &[Record], figures: Option<serde_json::Value>) -> Report {
    let state = replay(records);
    let start = state.started_at;
    let compression = plan.meta.compression.max(1);
    let rel = |t: DateTime<Utc>| start.map(|s| secs(s, t));
    let run_id = std::path::Path::new(run_dir)
        .file_name()
        .map_or_else(|| run_dir.to_string(), |n| n.to_string_lossy().into_owned());

    // Per-step smoke failure reasons, and the last word on blue after a rollback.
    let mut step_reasons: BTreeMap<u32, String> = BTreeMap::new();
    let mut blue_detail = None;
    let mut live_at = None;
    let mut ended_at = None;
    for r in records {
        match &r.event {
            Event::CompatibilityFinished { step, smoke: results, .. } | Event::SmokeFinished { step, results } => {
                if let Some(why) = smoke_reasons(results) {
                    step_reasons.insert(*step, why);
                }
            }
            Event::BlueVerified { outcome } => blue_detail = Some(outcome.detail.clone()),
            Event::RunCompleted { verdict } => {
                ended_at = Some(r.at);
                live_at = matches!(verdict, Verdict::GoLive).then_some(r.at);
            }
            Event::ReopenedForRollback { .. } => ended_at = None,
            _ => {}
        }
    }
    let live_at = live_at.filter(|_| matches!(state.verdict, Some(Verdict::GoLive)));
    let steps = timeline::rows(plan, &state, |n| step_reasons.get(&n).cloned());

    let check_rows = |checks: &[crate::plan::model::Check], results: &[crate::observe::CheckResult]| -> Vec<CheckRow> {
        checks
            .iter()
            .map(|c| {
                let r = results.iter().find(|r| r.id == c.id());
                CheckRow {
                    id: c.id(),
                    check: c.check.clone(),
                    owner: c.owner.clone(),
                    expected: c.expected.clone(),
                    passed: r.map(|r| r.passed),
                    detail: r.map_or_else(|| "not run".into(), |r| r.detail.clone()),
                    by: r.and_then(|r| r.by.clone()),
                }
            })
            .collect()
    };

    let gates_series = plan
        .thresholds
        .iter()
        .map(|t| {
            let (limit_value, unit) = match t.below {
                Limit::Percent(p) => (p.value(), "%"),
                Limit::Duration(d) => (d.delta().num_milliseconds() as f64, "ms"),
            };
            let points: Vec<(f64, Option<f64>)> = state
                .samples
                .iter()
                .map(|e| {
                    (rel(e.at).unwrap_or(0.0), metric_value(t.metric, &e.sample, plan.monitoring.min_green_requests))
                })
                .collect();
            let values: Vec<f64> = points.iter().filter_map(|p| p.1).collect();
            GateSeries {
                metric: format!("{:?}", t.metric),
                label: metric_label(t.metric).into(),
                limit: t.below.to_string(),
                limit_value,
                unit: unit.into(),
                action: format!("{:?}", t.action).to_lowercase(),
                samples: points.len(),
                no_data: points.iter().filter(|p| p.1.is_none()).count(),
                breaches: values.iter().filter(|v| **v >= limit_value).count(),
                min: values.iter().copied().reduce(f64::min),
                max: values.iter().copied().reduce(f64::max),
                last: values.last().copied(),
                points,
            }
        })
        .collect();

    let checkpoints = plan
        .checkpoints
        .iter()
        .map(|c| CheckpointRow {
            n: c.n,
            name: c.name.clone(),
            decisions: state
                .checkpoints
                .get(&c.n)
                .map(|p| {
                    p.decisions
                        .iter()
                        .map(|d| DecisionRow {
                            round: d.round,
                            decision: d.decision.label().into(),
                            by: d.by.clone(),
                            at: d.at,
                            auto: d.auto,
                            note: d.note.clone(),
                            override_reason: d.override_reason.clone(),
                            questions: d
                                .snapshot
                                .questions
                                .iter()
                                .map(|q| (q.text.clone(), format!("{:?}", q.answer), q.evidence.clone()))
                                .collect(),
                            samples: d.snapshot.samples,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();

    let smoke_rows = |results: &[SmokeResult]| -> Vec<SmokeRow> {
        results
            .iter()
            .map(|r| {
                let t = plan.smoke.iter().find(|s| s.id == r.id);
                SmokeRow {
                    id: r.id.clone(),
                    case: t.map_or_else(String::new, |t| t.case.clone()),
                    expected: t.map_or_else(String::new, |t| t.expected.clone()),
                    passed: r.passed,
                    detail: r.detail.clone(),
                    elapsed_ms: r.elapsed_ms,
                }
            })
            .collect()
    };

    let mut backup = None;
    let mut migration = None;
    let mut compatibility = Vec::new();
    let mut notices = Vec::new();
    for r in records {
        match &r.event {
            Event::BackupFinished { report: Some(b), .. } => backup = Some(b.clone()),
            Event::MigrationFinished { report: Some(m), .. } => migration = Some(m.clone()),
            Event::CompatibilityFinished { smoke, .. } => compatibility = smoke_rows(smoke),
            Event::Notified { notice, ok, .. } => {
                let (kind, text) = match notice {
                    Notice::Announce { message } => ("announce", message.clone()),
                    Notice::Status { summary } => ("status", summary.clone()),
                    Notice::Alert { metric, value, limit, .. } => {
                        ("alert", format!("{metric:?} {value} (limit {limit})"))
                    }
                    Notice::WeightsDrift { expected, actual, .. } => {
                        ("alert", format!("weights drift: controller reports {actual}, run set {expected}"))
                    }
                    Notice::RollbackFailing { error, attempts, by_hand } => {
                        ("alert", format!("rollback failing after {attempts} attempt(s): {error}; by hand: {by_hand}"))
                    }
                    Notice::WarRoom { event, text, .. } => ("war room", format!("{event}: {text}")),
                };
                notices.push(NoticeRow { at: r.at, kind: kind.into(), text, ok: *ok });
            }
            _ => {}
        }
    }

    let rollback = state.rollback.as_ref().map(|r| RollbackRow {
        reason: r.reason.to_string(),
        triggered_at: r.triggered_at,
        on_blue_at: r.on_blue_at,
        to_blue_ms: r.on_blue_at.map(|t| (t - r.triggered_at).num_milliseconds()),
        attempts: r.attempts,
        blue_verified: r.blue_verified,
        blue_verified_detail: r.blue_verified.and(blue_detail.clone()),
        migrations_note:
            "Migrations were not reversed: they only expand the schema, and blue runs on the migrated database.".into(),
    });

    // Smoke failures that failed their step (the compatibility check) explain an abort.
    let abort_reasons = step_reasons.iter().find(|(n, _)| state.step_failed(**n).is_some()).map(|(_, why)| why.clone());
    let facts = Facts { plan, state: &state, run_dir, smoke_reasons: state.smoke.as_deref().and_then(smoke_reasons) };
    let mut success_criteria: Vec<CriterionRow> = plan
        .success_criteria
        .iter()
        .map(|c| {
            let j = facts.judge(c.evidence, None);
            CriterionRow {
                item: c.criterion.clone(),
                target: Some(c.target.clone()),
                measurement: Some(c.measurement.clone()),
                met: j.met,
                evidence: j.evidence,
                not_applicable: j.not_applicable,
            }
        })
        .collect();
    // Always judged, whatever the plan lists: a failed verification is never hidden.
    let failed: Vec<String> =
        state.validation.iter().filter(|c| !c.passed).map(|c| format!("{} ({})", c.id, c.detail)).collect();
    success_criteria.push(CriterionRow {
        item: "Post-deployment verifications pass".into(),
        target: Some("All".into()),
        measurement: Some("Step 15 (7.2, 7.3)".into()),
        met: if state.validation.is_empty() { None } else { Some(failed.is_empty()) },
        evidence: if state.validation.is_empty() {
            "not run".into()
        } else if failed.is_empty() {
            format!("{} of {} passed", state.validation.len(), state.validation.len())
        } else {
            format!("failed: {}", failed.join("; "))
        },
        not_applicable: false,
    });
    let definition_of_done = plan
        .definition_of_done
        .iter()
        .map(|d| {
            let j = facts.judge(d.evidence, d.checklist.as_deref());
            CriterionRow {
                item: d.item.clone(),
                target: None,
                measurement: None,
                met: j.met,
                evidence: j.evidence,
                not_applicable: j.not_applicable,
            }
        })
        .collect();

    let now = Utc::now();
    let post_cutover =
        followup::checklist(plan, records, &followup::Context { run_dir, live_at, not_live: facts.not_live(), now });
    let summary = summary::summary(&summary::Inputs {
        state: &state,
        run_dir,
        ended_at,
        smoke_reasons: abort_reasons,
        blue_detail: blue_detail.clone(),
        checklist: &post_cutover,
    });

    Report {
        run_id,
        run_dir: run_dir.to_string(),
        summary,
        plan_id: plan.meta.id.clone(),
        plan_title: plan.meta.title.clone(),
        compression,
        own_version: state.own_version.clone(),
        generated_at: now,
        started_at: start,
        last_event_at: state.last_event_at,
        wall_secs: match (start, state.last_event_at) {
            (Some(a), Some(b)) => Some(secs(a, b)),
            _ => None,
        },
        verdict_line: state.verdict.as_ref().map_or_else(|| "in progress".into(), verdict_line),
        verdict: state.verdict.clone(),
        blackout_override: state.blackout_override.clone(),
        resumes: state.resumes,
        steps,
        prechecks: check_rows(&plan.prechecks, &state.prechecks),
        verifications: check_rows(&plan.verifications, &state.validation),
        backup,
        migration,
        compatibility,
        gates: gates_series,
        gate_queries: state
            .samples
            .last()
            .map(|e| {
                e.sample
                    .queries
                    .iter()
                    .map(|q| super::model::QueryRow {
                        at: e.sample.at,
                        figure: q.figure.clone(),
                        slot: q.slot.to_string(),
                        query: q.query.clone(),
                        value: q.value,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        checkpoints,
        smoke: state.smoke.as_deref().map(smoke_rows).unwrap_or_default(),
        rollback,
        success_criteria,
        definition_of_done,
        notices,
        figures,
        post_cutover,
        prep: followup::prep(plan, start.map(|s| anchor(plan, s))),
        war_room: plan.war_room.clone(),
        roles: plan.roles.clone(),
        contacts: plan.contacts.clone(),
        log: log::rows(records),
    }
}
