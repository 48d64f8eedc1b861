//! Builds the [`Report`] from the plan and the journal records: the state
//! replayed from them, plus the per-record facts the state folds away
//! (notices, every sample's time).

use chrono::{DateTime, Utc};

use crate::blackout;
use crate::engine::{gates, Event, Notice, RunState, Verdict};
use crate::journal::{replay, Record};
use crate::observe::MetricsSample;
use crate::plan::model::{CheckStage, Evidence, Limit, Metric, Plan, StepAction, WindowKind};
use crate::plan::validate::step_offset;
use crate::report::model::*;
use crate::runner::console::verdict_line;

fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

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

/// The report of a run.
pub fn build(plan: &Plan, run_id: &str, records: &[Record], figures: Option<serde_json::Value>) -> Report {
    let state = replay(records);
    let start = state.started_at;
    let compression = plan.meta.compression.max(1);
    let rel = |t: DateTime<Utc>| start.map(|s| secs(s, t));

    let steps = plan
        .steps
        .iter()
        .map(|s| {
            let skipped =
                !plan.maintenance.enabled && matches!(s.action, StepAction::MaintenanceOn | StepAction::MaintenanceOff);
            let p = state.steps.get(&s.n);
            let planned_offset =
                step_offset(plan, s).compressed(compression).delta().num_milliseconds() as f64 / 1000.0;
            let planned = s.duration.compressed(compression).delta().num_milliseconds() as f64 / 1000.0;
            let started = p.and_then(|p| p.started_at);
            let finished = p.and_then(|p| p.finished_at);
            let actual_offset = started.and_then(rel);
            let actual = match (started, finished) {
                (Some(a), Some(b)) => Some(secs(a, b)),
                _ => None,
            };
            let slippage = finished.and_then(rel).map(|end| end - (planned_offset + planned));
            let status = if skipped {
                "skipped"
            } else {
                match p.and_then(|p| p.ok) {
                    Some(true) => "done",
                    Some(false) => "failed",
                    None if started.is_some() => "in progress",
                    None => "not reached",
                }
            };
            StepRow {
                n: s.n,
                activity: s.activity.clone(),
                owner: s.owner.clone(),
                planned_at: s.at.format("%H:%M").to_string(),
                planned_duration: s.duration.to_string(),
                planned_offset_secs: planned_offset,
                planned_secs: planned,
                actual_offset_secs: actual_offset,
                actual_secs: actual,
                slippage_secs: slippage,
                slipped: slippage.is_some_and(|x| x > 0.0),
                status: status.into(),
                detail: p.and_then(|p| p.failure.clone()),
            }
        })
        .collect();

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

    let smoke_rows = |results: &[crate::observe::SmokeResult]| -> Vec<SmokeRow> {
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
        migrations_note:
            "Migrations were not reversed: they only expand the schema, and blue runs on the migrated database.".into(),
    });

    let mut success_criteria: Vec<CriterionRow> = plan
        .success_criteria
        .iter()
        .map(|c| {
            let (met, evidence) = evidence(plan, &state, c.evidence, None);
            CriterionRow {
                item: c.criterion.clone(),
                target: Some(c.target.clone()),
                measurement: Some(c.measurement.clone()),
                met,
                evidence,
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
    });
    let definition_of_done = plan
        .definition_of_done
        .iter()
        .map(|d| {
            let (met, evidence) = evidence(plan, &state, d.evidence, d.checklist.as_deref());
            CriterionRow { item: d.item.clone(), target: None, measurement: None, met, evidence }
        })
        .collect();

    Report {
        run_id: run_id.to_string(),
        plan_id: plan.meta.id.clone(),
        plan_title: plan.meta.title.clone(),
        compression,
        own_version: state.own_version.clone(),
        generated_at: Utc::now(),
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
        checkpoints,
        smoke: state.smoke.as_deref().map(smoke_rows).unwrap_or_default(),
        rollback,
        success_criteria,
        definition_of_done,
        notices,
        figures,
    }
}

/// Whether an evidence rule holds for the run, and what shows it.
fn evidence(plan: &Plan, state: &RunState, ev: Evidence, checklist: Option<&str>) -> (Option<bool>, String) {
    let breaches: usize =
        state.samples.iter().filter(|s| gates::evaluate(plan, &s.sample).rollback_breach().is_some()).count();
    match ev {
        Evidence::WithinWindow => match (state.started_at, state.last_event_at, state.verdict.as_ref()) {
            (Some(a), Some(b), Some(_)) => match plan.window.kind {
                WindowKind::Anytime => {
                    (Some(true), format!("no window (rehearsal plan); run took {:.1} s", secs(a, b)))
                }
                WindowKind::Weekly => match blackout::window_containing(plan, a) {
                    Some(w) if b <= w.end => (
                        Some(true),
                        format!("finished {} before the window closed at {}", b.format("%H:%M"), w.end.format("%H:%M")),
                    ),
                    Some(w) => (
                        Some(false),
                        format!("finished {} after the window closed at {}", b.format("%H:%M"), w.end.format("%H:%M")),
                    ),
                    None => (Some(false), "started outside the window (override recorded)".into()),
                },
            },
            _ => (None, "the run has not finished".into()),
        },
        Evidence::ZeroCriticalErrors => {
            let ok = breaches == 0 && state.alerts.is_empty();
            (
                Some(ok),
                format!(
                    "{} sample(s): {breaches} rollback-gate breach(es), {} alert(s)",
                    state.samples.len(),
                    state.alerts.len()
                ),
            )
        }
        Evidence::SmokePass => match &state.smoke {
            Some(r) if !r.is_empty() => {
                let passed = r.iter().filter(|t| t.passed).count();
                (Some(passed == r.len()), format!("{passed}/{} smoke tests passed (step 17)", r.len()))
            }
            _ => (Some(false).filter(|_| state.verdict.is_some()), "smoke tests not run".into()),
        },
        Evidence::BusinessSignoff => {
            let business: Vec<_> = state
                .validation
                .iter()
                .filter(|c| plan.verifications.iter().any(|v| v.stage == CheckStage::Business && v.id() == c.id))
                .collect();
            if business.is_empty() {
                (Some(false).filter(|_| state.verdict.is_some()), "business verification not recorded".into())
            } else {
                let ok = business.iter().all(|c| c.passed);
                let by: Vec<String> =
                    business.iter().map(|c| format!("{} by {}", c.id, c.by.as_deref().unwrap_or("probe"))).collect();
                (Some(ok), by.join(", "))
            }
        }
        Evidence::NoRollback => match &state.rollback {
            None => (Some(state.verdict.is_some()).filter(|_| state.verdict.is_some()), "no rollback".into()),
            Some(r) => (Some(false), format!("rolled back: {}", r.reason)),
        },
        Evidence::FullTrafficOnGreen => {
            let ok = state.weights.green_weight().get() == 100 && matches!(state.verdict, Some(Verdict::GoLive));
            (Some(ok), format!("last confirmed split {}", state.weights))
        }
        Evidence::MonitoringHealthy => {
            let last = state.last_sample().map(|s| gates::evaluate(plan, &s.sample));
            match last {
                Some(r) => {
                    let text: Vec<String> =
                        r.results.iter().map(|g| format!("{:?} {}", g.metric, g.value_text())).collect();
                    (Some(r.all_green()), format!("last sample: {}", text.join(", ")))
                }
                None => (Some(false), "no samples".into()),
            }
        }
        Evidence::Checklist => {
            let id = checklist.unwrap_or("");
            match state.checklist.get(id) {
                Some((by, ok)) => (Some(*ok), format!("checklist {id} done by {by}")),
                None => (None, format!("pending: lms cutover confirm RUN --item {id} --by NAME")),
            }
        }
        Evidence::Person => (None, "a person confirms".into()),
    }
}
