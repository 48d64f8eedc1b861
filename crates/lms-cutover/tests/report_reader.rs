//! The report as its reader sees it: the release commander the morning
//! after. Each test builds a journal (with the simulated world of
//! `common`, or by hand), builds the report through the public surface and
//! reads its Markdown, HTML and JSON forms.

// Each test tweaks one aspect of the default world; assigning it reads best.
#![allow(clippy::field_reassign_with_default)]

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use lms_cutover::engine::{Action, Event, Notice, Verdict};
use lms_cutover::journal::Record;
use lms_cutover::observe::{BackupReport, Outcome, ResourceUsage};
use lms_cutover::plan::{Decision, Plan};
use lms_cutover::report::{self, html, markdown};
use serde_json::Value;

/// The run directory the report is told about.
const RUN_DIR: &str = "/srv/cutover-runs/20260110-220000";

/// A built report in its three forms.
struct Read {
    json: Value,
    md: String,
    html: String,
}

fn records(events: &[(DateTime<Utc>, Event)]) -> Vec<Record> {
    events
        .iter()
        .enumerate()
        .map(|(i, (at, event))| Record { seq: i as u64 + 1, at: *at, event: event.clone() })
        .collect()
}

fn read(plan: &Plan, events: &[(DateTime<Utc>, Event)]) -> Read {
    let r = report::build(plan, RUN_DIR, &records(events), None);
    let json = serde_json::to_value(&r).unwrap_or(Value::Null);
    Read { json, md: markdown::render(&r), html: html::render(&r) }
}

/// The rehearsal plan, run to go-live.
fn go_live() -> (Plan, Vec<(DateTime<Utc>, Event)>) {
    let mut sim = Sim::new(rehearsal(), World::default());
    sim.start();
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
    (rehearsal(), sim.events)
}

/// The rehearsal plan, rolled back by an error-rate breach half-way through
/// the canary window (step 9).
fn rolled_back() -> (Plan, Vec<(DateTime<Utc>, Event)>) {
    let mut world = World::default();
    world.metrics = Box::new(|step, i| {
        let res = Some(ResourceUsage { cpu: pct(20.0), memory: pct(30.0) });
        if step == 9 && i >= 1 {
            (green(200, 4, 0, 120), res)
        } else {
            (green(200, 0, 0, 120), res)
        }
    });
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    assert!(matches!(sim.run_to_end(), Verdict::RolledBack { .. }));
    (rehearsal(), sim.events)
}

/// The production plan, decided by people, to go-live.
fn phase29_go_live() -> (Plan, Vec<(DateTime<Utc>, Event)>) {
    let mut world = World::default();
    world.decisions.extend([
        decision(1, Decision::Proceed),
        decision(2, Decision::Proceed),
        decision(3, Decision::GoLiveConfirmed),
    ]);
    let mut sim = Sim::new(phase29(), world);
    sim.start();
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
    (phase29(), sim.events)
}

fn row<'a>(rows: &'a Value, key: &str, value: &str) -> &'a Value {
    rows.as_array()
        .and_then(|rows| rows.iter().find(|r| r[key] == value))
        .unwrap_or_else(|| panic!("no row with {key} = {value} in {rows}"))
}

fn step(report: &Value, n: u64) -> &Value {
    report["steps"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["n"] == n))
        .unwrap_or_else(|| panic!("no step {n}"))
}

fn md_row<'a>(md: &'a str, starts: &str) -> &'a str {
    md.lines().find(|l| l.starts_with(starts)).unwrap_or_else(|| panic!("no line starting {starts:?} in\n{md}"))
}

// Finding 1: a rolled-back or aborted run says so and asks for no go-live items.

#[test]
fn a_rolled_back_run_says_it_did_not_go_live_and_asks_for_no_go_live_items() {
    let (plan, events) = rolled_back();
    let r = read(&plan, &events);
    let deployed = row(&r.json["success_criteria"], "item", "Deployment completed");
    assert_eq!(deployed["met"], false, "{deployed}");
    assert!(deployed["evidence"].as_str().unwrap_or("").contains("rolled back"), "{deployed}");
    let line = md_row(&r.md, "| Deployment completed");
    assert!(!line.contains('✅'), "{line}");
    let announce = row(&r.json["definition_of_done"], "item", "Go-live announcement sent");
    assert_eq!(announce["not_applicable"], true, "{announce}");
    assert!(!r.md.contains("lms cutover confirm"), "no go-live item is asked for:\n{}", r.md);
    assert!(!r.html.contains("lms cutover confirm"));
    assert_eq!(r.json["summary"]["outcome"], "rolled_back");
    assert_eq!(r.json["summary"]["went_live"], false);
    for text in [&r.md, &r.html] {
        assert!(text.contains("NOT live"), "the headline says the new version is not live");
        assert!(text.contains("Do not announce go-live"));
    }
}

#[test]
fn an_aborted_run_says_it_did_not_go_live() {
    let mut world = World::default();
    world.fail.push("compatibility_check");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    assert!(matches!(sim.run_to_end(), Verdict::Aborted { .. }));
    let r = read(&rehearsal(), &sim.events);
    assert_eq!(r.json["summary"]["outcome"], "aborted");
    assert!(r.md.contains("NOT live") && r.md.contains("no traffic reached green"), "{}", r.md);
    assert!(!r.md.contains("lms cutover confirm"));
    let deployed = row(&r.json["success_criteria"], "item", "Deployment completed");
    assert_eq!(deployed["met"], false, "{deployed}");
}

// Finding 2: a step cut short by the rollback is shown as interrupted.

#[test]
fn a_step_cut_short_by_the_rollback_is_interrupted_not_in_progress() {
    let (plan, events) = rolled_back();
    let r = read(&plan, &events);
    let canary = step(&r.json, 9);
    assert_eq!(canary["status"], "interrupted", "{canary}");
    assert!(canary["detail"].as_str().unwrap_or("").contains("cut short by the rollback"), "{canary}");
    assert!(!r.md.contains("in progress") && !r.html.contains("in progress"));
    // Steps never started stay "not reached".
    assert_eq!(step(&r.json, 14)["status"], "not reached");
}

// Finding 3: slippage is actual minus planned; late is positive.

/// Step 1 of phase29 (announce, planned 22:00 for 15 min) from `start` to `end`.
fn step_one(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<(DateTime<Utc>, Event)> {
    let notice = Notice::Announce { message: "War room open".into() };
    vec![
        (start, Event::RunStarted { plan_id: "p".into(), own_version: "3.0.0".into(), blackout_override: None }),
        (start, Event::ActionStarted { action: Action::Notify { step: Some(1), notice: notice.clone() } }),
        (end, Event::Notified { step: Some(1), notice, ok: true }),
    ]
}

#[test]
fn a_step_that_overruns_shows_positive_slippage() {
    let r = read(&phase29(), &step_one(t0(), t0() + TimeDelta::minutes(20)));
    let s = step(&r.json, 1);
    assert_eq!(s["slippage_secs"], 300.0, "{s}");
    assert_eq!(s["slipped"], true);
    assert!(md_row(&r.md, "| 1 |").contains("5 min late"), "{}", md_row(&r.md, "| 1 |"));
}

#[test]
fn a_late_start_counts_against_the_plan_and_early_is_negative() {
    // The window opens 22:00; the run starts 22:10 and step 1 takes its 15 min: 10 min late.
    let start = t0() + TimeDelta::minutes(10);
    let r = read(&phase29(), &step_one(start, start + TimeDelta::minutes(15)));
    assert_eq!(step(&r.json, 1)["slippage_secs"], 600.0);
    // On time to the minute, finished 4 min early.
    let r = read(&phase29(), &step_one(t0(), t0() + TimeDelta::minutes(11)));
    let s = step(&r.json, 1);
    assert_eq!(s["slippage_secs"], -240.0, "{s}");
    assert_eq!(s["slipped"], false);
    assert!(md_row(&r.md, "| 1 |").contains("4 min early"));
}

// Finding 4: wall-clock times and human durations.

#[test]
fn times_are_wall_clock_and_durations_human() {
    let r = read(&phase29(), &step_one(t0(), t0() + TimeDelta::seconds(250)));
    let line = md_row(&r.md, "| 1 |");
    assert!(line.contains("22:00") && line.contains("4 min 10 s"), "{line}");
    assert!(r.md.contains("Sat 10 Jan 2026 22:00"), "the run's start as a date and time");
    let s = step(&r.json, 1);
    assert_eq!(s["actual_start_at"], "2026-01-10T22:00:00Z", "{s}");
    assert_eq!(s["planned_start_at"], "2026-01-10T22:00:00Z", "{s}");
    assert!(r.html.contains("4 min 10 s") && r.html.contains("Sat 10 Jan 2026 22:00"));
    // Step 2 is planned at 22:15: offset and clock time both shown.
    assert!(md_row(&r.md, "| 2 |").contains("22:15 (T+15 min)"), "{}", md_row(&r.md, "| 2 |"));
}

// Finding 5: gate values and thresholds carry units.

#[test]
fn gate_values_and_limits_carry_units() {
    let (plan, events) = go_live();
    let r = read(&plan, &events);
    let p95 = md_row(&r.md, "| p95 latency");
    assert!(p95.contains("< 500 ms") && p95.contains("| 120 ms |"), "{p95}");
    let errors = md_row(&r.md, "| error rate");
    assert!(errors.contains("< 1 %") && errors.contains("| 0 % |"), "{errors}");
    let cpu = md_row(&r.md, "| CPU");
    assert!(cpu.contains("| 20 % |"), "{cpu}");
    assert!(r.html.contains("<td>120 ms") && r.html.contains("&lt; 500 ms"));
}

// Finding 6: the smoke failure reason is in Markdown and HTML.

#[test]
fn the_smoke_failure_reason_is_shown_not_only_in_json() {
    let mut world = World::default();
    world.fail.push("compatibility_check");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    sim.run_to_end();
    let reason = "no smoke accounts: set LMS_SMOKE_{EMPLOYEE,MANAGER,ADMIN}_{EMAIL,PASSWORD}";
    let events: Vec<_> = sim
        .events
        .into_iter()
        .map(|(at, e)| match e {
            Event::CompatibilityFinished { step, health, mut smoke } => {
                for s in smoke.iter_mut().filter(|s| !s.passed) {
                    s.detail = reason.into();
                }
                (at, Event::CompatibilityFinished { step, health, smoke })
            }
            other => (at, other),
        })
        .collect();
    let r = read(&rehearsal(), &events);
    assert!(r.md.contains(reason), "{}", r.md);
    assert!(r.html.contains(reason));
    // Where the reader looks first: the failed step and the headline.
    let step = md_row(&r.md, "| 5 |");
    assert!(step.contains("no smoke accounts"), "{step}");
    assert!(
        r.json["summary"]["headline"].as_str().unwrap_or("").contains("no smoke accounts"),
        "{}",
        r.json["summary"]
    );
}

// Finding 7: "Blue verified ❌" has its reason.

#[test]
fn a_failed_blue_verification_shows_its_reason() {
    let (plan, events) = rolled_back();
    let why = "blue /api/health answered 503";
    let events: Vec<_> = events
        .into_iter()
        .map(|(at, e)| match e {
            Event::BlueVerified { .. } => (at, Event::BlueVerified { outcome: Outcome::failed(why) }),
            other => (at, other),
        })
        .collect();
    let r = read(&plan, &events);
    assert_eq!(r.json["rollback"]["blue_verified_detail"], why);
    let line = md_row(&r.md, "- Blue verified");
    assert!(line.contains('❌') && line.contains(why), "{line}");
    assert!(r.html.contains(why));
}

// Finding 8: the confirm hint is the command the CLI accepts.

#[test]
fn the_checklist_hint_is_the_command_the_cli_accepts() {
    let (plan, events) = go_live();
    let r = read(&plan, &events);
    let item = row(&r.json["definition_of_done"], "item", "Hypercare team briefed");
    let hint = item["evidence"].as_str().unwrap_or("");
    assert!(
        hint.contains(&format!("lms cutover confirm --run {RUN_DIR} --item hypercare-handoff --by NAME")),
        "{hint}"
    );
    assert!(!r.md.contains("confirm RUN --item"));
}

// Finding 9: post-cutover checklist, prep timeline, roster, contacts, log.

#[test]
fn the_post_cutover_checklist_has_due_times_status_and_who_confirmed() {
    let (plan, mut events) = phase29_go_live();
    let live_at = events.last().map(|e| e.0).unwrap_or_default();
    let done_at = live_at + TimeDelta::minutes(20);
    events.push((
        done_at,
        Event::ChecklistDone { id: "status-page".into(), by: "Pat (Comms)".into(), outcome: Outcome::ok("updated") },
    ));
    let r = read(&plan, &events);
    let rows = &r.json["post_cutover"];
    assert_eq!(rows.as_array().map(Vec::len), Some(10), "{rows}");
    let page = row(rows, "id", "status-page");
    assert_eq!(page["status"], "done", "{page}");
    assert_eq!(page["by"], "Pat (Comms)");
    let webhook = row(rows, "id", "golive-confirmation");
    assert_eq!(webhook["status"], "done");
    assert_eq!(webhook["by"], "webhook");
    let due = (live_at + TimeDelta::hours(1)).format("%H:%M").to_string();
    let hypercare = row(rows, "id", "hypercare-handoff");
    assert_eq!(hypercare["status"], "pending");
    assert!(hypercare["due_text"].as_str().unwrap_or("").contains(&due), "{hypercare} due {due}");
    // Go-live falls on Sunday 11 Jan; the next business day is Monday 12 Jan.
    let pir = row(rows, "id", "pir");
    assert!(pir["due_text"].as_str().unwrap_or("").contains("Mon 12 Jan 2026"), "{pir}");
    for text in [&r.md, &r.html] {
        assert!(text.contains("Post-cutover checklist"));
        assert!(text.contains("Update status page") && text.contains("Pat (Comms)"));
        assert!(text.contains("Mon 12 Jan 2026"));
    }
}

#[test]
fn a_rolled_back_run_marks_the_post_cutover_checklist_not_applicable() {
    let (plan, events) = rolled_back();
    let r = read(&plan, &events);
    let rows = r.json["post_cutover"].as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|c| c["status"] == "not applicable"), "{rows:?}");
}

#[test]
fn the_prep_timeline_roster_and_contacts_are_in_the_report() {
    let (plan, events) = phase29_go_live();
    let r = read(&plan, &events);
    for text in [&r.md, &r.html] {
        // 4.1: T-7d from the window that opened Sat 10 Jan 22:00.
        assert!(text.contains("Final code freeze") && text.contains("Sat 3 Jan 2026"), "prep timeline");
        // 10.1, 10.2 and Appendix A.
        assert!(text.contains("#lms-golive-war-room") && text.contains("#lms-incidents"));
        assert!(text.contains("Overall coordination, Go/No-Go decisions"));
        assert!(text.contains("DBA On-Call"));
        assert!(text.contains("Rollback requires Release Commander approval"));
    }
    assert_eq!(r.json["roles"].as_array().map(Vec::len), Some(8));
    assert_eq!(r.json["contacts"].as_array().map(Vec::len), Some(5));
    assert_eq!(r.json["prep"].as_array().map(Vec::len), Some(6));
}

#[test]
fn every_weight_change_and_controller_start_stop_resume_is_logged() {
    let mut world = World::default();
    world.metrics = Box::new(|step, i| {
        let res = Some(ResourceUsage { cpu: pct(20.0), memory: pct(30.0) });
        if step == 12 && i >= 1 {
            (green(200, 4, 0, 120), res)
        } else {
            (green(200, 0, 0, 120), res)
        }
    });
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    // Killed in the canary window, resumed five minutes later.
    sim.run_until(500, |a| matches!(a, Action::Monitor { step: 9, .. }));
    sim.now += TimeDelta::minutes(5);
    sim.record(Event::Resumed);
    sim.run_to_end();
    let r = read(&rehearsal(), &sim.events);
    let log = r.json["log"].as_array().cloned().unwrap_or_default();
    let texts: Vec<&str> = log.iter().filter_map(|l| l["text"].as_str()).collect();
    let has = |needle: &str| texts.iter().any(|t| t.contains(needle));
    assert!(has("controller started"), "{texts:#?}");
    assert!(has("blue 90 / green 10") && has("blue 50 / green 50"), "{texts:#?}");
    assert!(has("controller stopped") && has("controller resumed"), "{texts:#?}");
    assert!(has("re-asserted"), "{texts:#?}");
    assert!(has("all traffic back to blue"), "{texts:#?}");
    assert!(has("run ended"), "{texts:#?}");
    assert!(log.iter().all(|l| l["at"].is_string()));
    for text in [&r.md, &r.html] {
        assert!(text.contains("Traffic and controller log"));
        assert!(text.contains("controller resumed"));
    }
    // Every line in the Markdown log has a wall-clock time.
    let resumed = r.md.lines().find(|l| l.contains("controller resumed")).unwrap_or("");
    assert!(resumed.contains("22:"), "{resumed}");
}

// And: the backup's SHA-256 in HTML as in Markdown.

#[test]
fn the_backup_checksum_is_in_html_too() {
    let (plan, events) = go_live();
    let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let events: Vec<_> = events
        .into_iter()
        .map(|(at, e)| match e {
            Event::BackupFinished { step, outcome, report: Some(b) } => {
                let report = Some(BackupReport { sha256: Some(sha.into()), ..b });
                (at, Event::BackupFinished { step, outcome, report })
            }
            other => (at, other),
        })
        .collect();
    let r = read(&plan, &events);
    assert!(r.md.contains(sha));
    assert!(r.html.contains(sha), "HTML shows the backup's SHA-256");
}

/// When the gates read a metrics system, the report shows the last
/// sample's queries with what each gave.
#[test]
fn the_report_shows_where_the_gates_read() {
    let (plan, mut events) = go_live();
    let last = events.iter().rposition(|(_, e)| matches!(e, Event::Sampled { .. })).expect("a sample");
    if let Event::Sampled { sample, .. } = &mut events[last].1 {
        sample.queries = vec![
            lms_cutover::observe::QueryRecord {
                figure: "errors".into(),
                slot: lms_cutover::units::Slot::Green,
                query: r#"sum(increase(lms_http_requests_total{slot="green",status=~"5.."}[300s]))"#.into(),
                value: Some(3.0),
            },
            lms_cutover::observe::QueryRecord {
                figure: "p95".into(),
                slot: lms_cutover::units::Slot::Green,
                query: "histogram_quantile(0.95, x)".into(),
                value: None,
            },
        ];
    }
    let r = read(&plan, &events);
    assert_eq!(r.json["gate_queries"].as_array().map(Vec::len), Some(2), "{}", r.json["gate_queries"]);
    assert_eq!(r.json["gate_queries"][0]["slot"], "green");
    assert!(
        r.md.contains(r#"`sum(increase(lms_http_requests_total{slot="green",status=~"5.."}[300s]))` | 3 |"#),
        "{}",
        r.md
    );
    assert!(r.md.contains("| p95 | green | `histogram_quantile(0.95, x)` | no sample |"), "{}", r.md);
    assert!(r.html.contains("<code>histogram_quantile(0.95, x)</code>"));
    let (plan, events) = go_live();
    assert!(
        read(&plan, &events).json["gate_queries"].as_array().is_some_and(Vec::is_empty),
        "none with the proxy's own statistics"
    );
}
