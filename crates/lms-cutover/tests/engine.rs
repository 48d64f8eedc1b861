//! State-machine tests: every decision path of the runbook, driven through
//! the public engine with a simulated world.

// Each test tweaks one aspect of the default world; assigning it reads best.
#![allow(clippy::field_reassign_with_default)]

mod common;

use common::*;
use lms_cutover::engine::{
    Action, Answer, CheckSet, DecisionInput, Notice, RollbackReason, Verdict, WeightsReason, WindowPurpose,
};
use lms_cutover::observe::ResourceUsage;
use lms_cutover::plan::{Decision, Metric};
use lms_cutover::CutoverError;

#[test]
fn rehearsal_runs_the_whole_timeline_with_automatic_checkpoints() {
    let mut sim = Sim::new(rehearsal(), World::default());
    sim.start();
    let verdict = sim.run_to_end();
    assert_eq!(verdict, Verdict::GoLive);
    let names = sim.names();
    let order = [
        "notify",
        "run_checks",
        "backup",
        "maintenance_on",
        "migrate",
        "compatibility_check",
        "deploy_green",
        "health_check",
        "set_weights",
        "monitor",
        "await_checkpoint",
    ];
    let mut last = 0;
    for name in order {
        let at = position(&names[last..], name) + last;
        last = at;
    }
    // Traffic only moves after the compatibility check, in the plan's steps.
    assert!(position(&names, "compatibility_check") < position(&names, "set_weights"));
    assert_eq!(weights_set(&sim), [10, 50, 100]);
    assert!(position(&names, "maintenance_off") < position(&names, "run_smoke"));
    // Three automatic decisions, each with the metric snapshot it was taken on.
    let decided: Vec<_> = sim.state.checkpoints.values().flat_map(|c| c.decisions.iter()).collect();
    assert_eq!(decided.len(), 3);
    assert!(decided.iter().all(|d| d.auto && d.by == "auto"));
    assert_eq!(decided[2].decision, Decision::GoLiveConfirmed);
    assert!(decided[0].snapshot.latest_sample.is_some());
    assert!(decided[0]
        .snapshot
        .questions
        .iter()
        .any(|q| q.text == "Error rate acceptable?" && q.answer == Answer::Yes));
    // Backup and migration happen exactly once.
    assert_eq!(names.iter().filter(|n| **n == "backup").count(), 1);
    assert_eq!(names.iter().filter(|n| **n == "migrate").count(), 1);
    // Every timeline step finished, in order.
    for n in 1..=21u32 {
        assert!(sim.state.step_done(n), "step {n} not done");
    }
}

#[test]
fn monitoring_windows_are_compressed_and_sampled_on_schedule() {
    let mut sim = Sim::new(rehearsal(), World::default());
    sim.start();
    sim.run_to_end();
    let windows: Vec<_> = sim
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Monitor { step: 9, started, ends, sample_at, .. } => Some((*started, *ends, *sample_at)),
            _ => None,
        })
        .collect();
    let (started, ends, _) = windows[0];
    assert_eq!((ends - started).num_seconds(), 3, "15 min / 300");
    // One sample per second, the last at the window's close.
    assert_eq!(windows.len(), 3);
    assert!(windows.iter().all(|w| w.0 == started && w.1 == ends));
    assert_eq!(windows[2].2, ends);
}

#[test]
fn manual_checkpoints_proceed_when_people_decide() {
    let mut world = World::default();
    world.decisions.extend([
        decision(1, Decision::Proceed),
        decision(2, Decision::Proceed),
        decision(3, Decision::GoLiveConfirmed),
    ]);
    let mut sim = Sim::new(phase29(), world);
    sim.start();
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
    let d = &sim.state.checkpoints[&1].decisions[0];
    assert_eq!(d.by, "Release Commander");
    assert!(!d.auto);
    assert_eq!(d.note.as_deref(), Some("PROCEED at checkpoint 1"));
    assert_eq!(d.snapshot.forward_label.as_deref(), Some("PROCEED TO 50%"));
    // Webhook checklist item performed after go-live; manual ones left to people.
    assert!(sim.state.checklist.contains_key("golive-confirmation"));
    assert!(!sim.state.checklist.contains_key("status-page"));
    // Status updates every 15 minutes (10.3).
    let status: Vec<_> = sim
        .events
        .iter()
        .filter(|(_, e)| matches!(e, lms_cutover::engine::Event::Notified { notice: Notice::Status { .. }, .. }))
        .map(|(at, _)| *at)
        .collect();
    assert!(status.len() >= 2, "{status:?}");
    assert!(status.windows(2).all(|w| (w[1] - w[0]).num_minutes() >= 15));
}

#[test]
fn manual_checkpoint_waits_without_a_decision_and_keeps_sampling() {
    let mut sim = Sim::new(phase29(), World::default());
    sim.start();
    sim.run_until(2000, |a| matches!(a, Action::AwaitCheckpoint { .. }));
    for _ in 0..5 {
        match sim.step() {
            Action::AwaitCheckpoint { auto, prompt, .. } => {
                assert!(auto.is_none(), "production plan never decides by itself");
                assert_eq!(prompt.checkpoint, 1);
                assert_eq!(prompt.suggestion, Some(Decision::Proceed));
            }
            other => panic!("expected to keep waiting, got {other:?}"),
        }
    }
    assert_eq!(sim.state.weights.green_weight().get(), 10);
}

/// While a status update goes out first, the checkpoint stays open to a
/// person: what its step asks for is still the decision (the war room
/// shows it, and a decision is taken), whatever comes next.
#[test]
fn a_checkpoint_stays_open_while_a_status_update_goes_out_first() {
    let mut sim = Sim::new(phase29(), World::default());
    sim.start();
    sim.run_until(2000, |a| matches!(a, Action::AwaitCheckpoint { .. }));
    sim.state.last_status_at = Some(sim.now - chrono::Duration::days(1));
    assert!(
        matches!(sim.engine.next(&sim.state, sim.now), Action::Notify { notice: Notice::Status { .. }, .. }),
        "the status update is due first"
    );
    match sim.engine.step_action_now(&sim.state, sim.now) {
        Some(Action::AwaitCheckpoint { prompt, auto: None, .. }) => assert_eq!(prompt.checkpoint, 1),
        other => panic!("checkpoint 1 should still be open, got {other:?}"),
    }
    assert!(sim.engine.decide(&sim.state, &decision(1, Decision::Hold), sim.now).is_ok());
    sim.state.rollback_requested = Some(("Release Commander".into(), "errors".into()));
    assert!(sim.engine.step_action_now(&sim.state, sim.now).is_none(), "a rollback comes before any step");
}

#[test]
fn hold_keeps_weights_extends_monitoring_then_proceeds() {
    let mut world = World::default();
    world.decisions.extend([
        decision(1, Decision::Hold),
        decision(1, Decision::Proceed),
        decision(2, Decision::Proceed),
        decision(3, Decision::GoLiveConfirmed),
    ]);
    let mut sim = Sim::new(phase29(), world);
    sim.start();
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
    let hold_at = sim
        .actions
        .iter()
        .position(|a| matches!(a, Action::Monitor { purpose: WindowPurpose::Hold { checkpoint: 1, round: 2 }, .. }))
        .unwrap_or_else(|| panic!("no hold window"));
    let proceed_to_50 = sim
        .actions
        .iter()
        .position(|a| matches!(a, Action::SetWeights { weights, .. } if weights.green_weight().get() == 50))
        .unwrap_or_else(|| panic!("never reached 50%"));
    assert!(hold_at < proceed_to_50);
    // Between the HOLD and the PROCEED no weights changed.
    assert!(!sim.actions[hold_at..proceed_to_50 - 1].iter().any(|a| matches!(a, Action::SetWeights { .. })));
    // The hold window lasts the plan's hold_extension (15 min), then round 2 is asked.
    if let Action::Monitor { started, ends, .. } = &sim.actions[hold_at] {
        assert_eq!((*ends - *started).num_minutes(), 15);
    }
    let rounds: Vec<u32> = sim.state.checkpoints[&1].decisions.iter().map(|d| d.round).collect();
    assert_eq!(rounds, [1, 2]);
}

#[test]
fn hold_then_rollback_returns_all_traffic_to_blue() {
    let mut world = World::default();
    world.decisions.extend([decision(2, Decision::Hold), decision(2, Decision::Rollback)]);
    world.decisions.push_front(decision(1, Decision::Proceed));
    let mut sim = Sim::new(phase29(), world);
    sim.start();
    let verdict = sim.run_to_end();
    match verdict {
        Verdict::RolledBack { reason, to_blue_ms, blue_verified } => {
            assert!(reason.contains("checkpoint 2 decided ROLLBACK by Release Commander"), "{reason}");
            assert_eq!(to_blue_ms, Some(300));
            assert!(blue_verified);
        }
        other => panic!("{other:?}"),
    }
    let names = sim.names();
    let rb = position(&names, "rollback");
    assert_eq!(names[rb + 1], "verify_blue");
    // Maintenance was on (step 4) and is switched off after the rollback.
    assert_eq!(names[rb + 2], "maintenance_off");
    assert!(!sim.state.maintenance_on);
    assert_eq!(weights_set(&sim), [10, 50], "never reached 100%");
}

fn breach_during_canary(metric: Metric) -> Sim {
    let mut world = World::default();
    world.metrics = Box::new(move |step, i| {
        let healthy = (green(200, 0, 0, 120), Some(ResourceUsage { cpu: pct(20.0), memory: pct(30.0) }));
        if step != 9 || i < 2 {
            return healthy;
        }
        match metric {
            Metric::ErrorRate => (green(200, 4, 0, 120), healthy.1),
            Metric::FailedRequests => (green(200, 0, 2, 120), healthy.1),
            _ => healthy,
        }
    });
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    sim
}

#[test]
fn error_rate_breach_rolls_back_at_once() {
    let mut sim = breach_during_canary(Metric::ErrorRate);
    let verdict = sim.run_to_end();
    let Verdict::RolledBack { reason, to_blue_ms, .. } = verdict else { panic!("{verdict:?}") };
    assert!(reason.contains("ErrorRate") && reason.contains("2%"), "{reason}");
    assert_eq!(to_blue_ms, Some(300));
    // The very next action after the breaching sample is the rollback.
    let names = sim.names();
    let rb = position(&names, "rollback");
    assert_eq!(names[rb - 1], "monitor");
    assert!(matches!(
        &sim.actions[rb],
        Action::Rollback { reason: RollbackReason::Gate { metric: Metric::ErrorRate, .. }, attempt: 1, .. }
    ));
    assert!(!names.contains(&"await_checkpoint"));
}

#[test]
fn failed_requests_breach_rolls_back_at_once() {
    let mut sim = breach_during_canary(Metric::FailedRequests);
    let verdict = sim.run_to_end();
    let Verdict::RolledBack { reason, .. } = verdict else { panic!("{verdict:?}") };
    assert!(reason.contains("FailedRequests") && reason.contains("1%"), "{reason}");
}

#[test]
fn rollback_call_is_retried_until_traffic_is_on_blue() {
    let mut sim = breach_during_canary(Metric::ErrorRate);
    sim.world.fail.push("rollback");
    sim.run_until(2000, |a| matches!(a, Action::Rollback { .. }));
    sim.step();
    sim.world.fail.clear();
    match sim.step() {
        Action::Rollback { attempt, .. } => assert_eq!(attempt, 3),
        other => panic!("{other:?}"),
    }
    assert!(matches!(sim.step(), Action::VerifyBlue { .. }));
}

#[test]
fn no_traffic_on_green_is_insufficient_data_not_a_pass() {
    let mut world = World::default();
    world.metrics = Box::new(|_, _| (green(0, 0, 0, 0), None));
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let a = sim.run_until(500, |a| matches!(a, Action::AwaitCheckpoint { .. }));
    let Action::AwaitCheckpoint { prompt, auto, .. } = a else { panic!("{a:?}") };
    assert!(auto.is_none(), "must not auto-proceed without data");
    assert!(prompt.insufficient_data);
    assert_eq!(prompt.suggestion, None);
    let q = &prompt.questions[0];
    assert_eq!(q.answer, Answer::Unknown);
    assert!(q.evidence.contains("insufficient data"), "{}", q.evidence);
    // It keeps waiting (and sampling) rather than proceeding.
    for _ in 0..2 {
        assert!(matches!(sim.step(), Action::AwaitCheckpoint { auto: None, .. }));
    }
    // The gates show the raw counts behind "no data".
    assert!(q.evidence.contains("0 request(s) on green with 0 error(s) and 0 failed"), "{}", q.evidence);
    // A person may proceed on no data only with a reason, like a forced hold.
    let refused = sim.engine.decide(&sim.state, &decision(1, Decision::Proceed), sim.now);
    let why = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(why.contains("insufficient data") && why.contains("override reason"), "{why}");
    let with_reason = DecisionInput {
        override_reason: Some("off-peak: synthetic checks looked at by hand".into()),
        ..decision(1, Decision::Proceed)
    };
    let record = sim.engine.decide(&sim.state, &with_reason, sim.now).unwrap_or_else(|e| panic!("{e}"));
    assert!(record.snapshot.insufficient_data);
    assert!(record.override_reason.is_some());
    // Holding or rolling back needs no reason.
    assert!(sim.engine.decide(&sim.state, &decision(1, Decision::Hold), sim.now).is_ok());
}

/// A decision is bound to the evidence the person saw: proceeding on the
/// first samples of a round is refused when an alert appeared after them;
/// holding on the same evidence is accepted.
#[test]
fn a_forward_decision_on_evidence_that_has_since_turned_is_refused() {
    let mut world = World::default();
    world.metrics = Box::new(|_, _| (green(500, 0, 0, 100), None));
    let mut sim = Sim::new(phase29(), world);
    sim.start();
    let seen = loop {
        match sim.step() {
            Action::AwaitCheckpoint { prompt, .. } if prompt.samples > 0 => break prompt.samples,
            Action::Complete { .. } => panic!("the run ended"),
            _ => {}
        }
    };
    // p95 climbs past the gate after the person looked.
    sim.world.metrics = Box::new(|_, _| (green(500, 0, 0, 900), None));
    for _ in 0..3 {
        sim.step();
    }
    let on_old = DecisionInput { samples_seen: Some(seen), ..decision(1, Decision::Proceed) };
    let why = sim.engine.decide(&sim.state, &on_old, sim.now).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(why.contains("evidence changed") && why.contains("P95Latency"), "{why}");
    let hold = DecisionInput { samples_seen: Some(seen), ..decision(1, Decision::Hold) };
    assert!(sim.engine.decide(&sim.state, &hold, sim.now).is_ok(), "holding on old evidence is always allowed");
}

/// Nobody decides: the plan's `decision_timeout` (30 min, 6 s compressed)
/// runs out and its declared default is taken, recorded as the deadline's.
#[test]
fn a_checkpoint_nobody_decides_takes_the_plans_default_at_its_deadline() {
    for (default, expected) in [("rollback", Decision::Rollback), ("hold", Decision::Hold)] {
        let mut world = World::default();
        world.metrics = Box::new(|_, _| (green(0, 0, 0, 0), None));
        let text = REHEARSAL.replacen(
            "on_decision_timeout = \"rollback\"",
            &format!("on_decision_timeout = \"{default}\""),
            1,
        );
        let mut sim = Sim::new(lms_cutover::plan::parse(&text).expect("plan"), world);
        sim.start();
        let a = sim.run_until(500, |a| matches!(a, Action::AwaitCheckpoint { .. }));
        let Action::AwaitCheckpoint { decide_by: Some(deadline), .. } = a else { panic!("a deadline: {a:?}") };
        let record = loop {
            match sim.step() {
                Action::AwaitCheckpoint { auto: None, sample_at, .. } => {
                    assert!(sample_at <= deadline, "it wakes up at the deadline at the latest");
                }
                Action::AwaitCheckpoint { auto: Some(record), .. } => break record,
                other => panic!("{other:?}"),
            }
        };
        assert!(sim.now >= deadline, "not before the deadline");
        assert_eq!(record.decision, expected);
        assert_eq!(record.by, "deadline");
        assert!(record.note.as_deref().unwrap_or("").contains("decision_timeout"), "{:?}", record.note);
        if expected == Decision::Rollback {
            assert!(matches!(sim.step(), Action::Rollback { .. }));
        }
    }
}

#[test]
fn a_failed_verification_blocks_go_live_unless_a_named_person_overrides() {
    let mut world = World::default();
    world.failing_check = Some("manual#3".into());
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let a = sim.run_until(1000, |a| matches!(a, Action::AwaitCheckpoint { step: 18, .. }));
    let Action::AwaitCheckpoint { prompt, auto, .. } = a else { panic!("{a:?}") };
    assert!(prompt.forced_hold.iter().any(|l| l.contains("verification manual#3 failed")), "{:?}", prompt.forced_hold);
    assert!(auto.is_none_or(|d| d.decision == Decision::ExtendedMonitoring), "no unattended go-live");
    let refused = sim.engine.decide(&sim.state, &decision(3, Decision::GoLiveConfirmed), sim.now);
    assert!(refused.is_err(), "go-live without a reason");
    let with_reason = DecisionInput {
        override_reason: Some("version check fails on a cached page; verified by hand".into()),
        ..decision(3, Decision::GoLiveConfirmed)
    };
    let record = sim.engine.decide(&sim.state, &with_reason, sim.now).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(record.by, "Release Commander");
}

#[test]
fn investigate_breach_alerts_once_and_forces_hold_unless_overridden() {
    let mut world = World::default();
    world.metrics = Box::new(|step, _| {
        let p95 = if step == 9 { 700 } else { 120 };
        (green(200, 0, 0, p95), Some(ResourceUsage { cpu: pct(20.0), memory: pct(30.0) }))
    });
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let a = sim.run_until(500, |a| matches!(a, Action::AwaitCheckpoint { .. }));
    let alerts: Vec<_> = sim
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Notify { notice: Notice::Alert { metric: Metric::P95Latency, .. }, .. }))
        .collect();
    assert_eq!(alerts.len(), 1, "one alert per metric and stage");
    let Action::AwaitCheckpoint { prompt, auto, .. } = a else { panic!("{a:?}") };
    let auto = auto.unwrap_or_else(|| panic!("an unattended plan holds by itself"));
    assert_eq!(auto.decision, Decision::Hold, "a forced HOLD is never auto-proceeded");
    assert_eq!(prompt.suggestion, Some(Decision::Hold));
    assert!(prompt.forced_hold[0].contains("P95Latency"), "{:?}", prompt.forced_hold);
    assert!(prompt.questions.iter().any(|q| q.text == "Any critical alerts?" && q.answer == Answer::Yes));
    // No rollback for an investigate gate.
    assert!(!sim.names().contains(&"rollback"));

    let refused = sim.engine.decide(&sim.state, &decision(1, Decision::Proceed), sim.now);
    assert!(matches!(refused, Err(CutoverError::DecisionRefused(m)) if m.contains("forced to HOLD")));
    let mut with_reason = decision(1, Decision::Proceed);
    with_reason.override_reason = Some("p95 spike was a cold cache, now 120ms".into());
    let record = sim.engine.decide(&sim.state, &with_reason, sim.now).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(record.override_reason.as_deref(), Some("p95 spike was a cold cache, now 120ms"));
    // HOLD is always allowed.
    assert!(sim.engine.decide(&sim.state, &decision(1, Decision::Hold), sim.now).is_ok());
}

#[test]
fn decisions_are_refused_when_they_do_not_fit() {
    let mut sim = Sim::new(phase29(), World::default());
    sim.start();
    let early = sim.engine.decide(&sim.state, &decision(1, Decision::Proceed), sim.now);
    assert!(matches!(early, Err(CutoverError::DecisionRefused(m)) if m.contains("no checkpoint is open")));
    sim.run_until(2000, |a| matches!(a, Action::AwaitCheckpoint { .. }));
    let wrong_kind = sim.engine.decide(&sim.state, &decision(1, Decision::GoLiveConfirmed), sim.now);
    assert!(matches!(wrong_kind, Err(CutoverError::DecisionRefused(m)) if m.contains("not allowed")));
    let wrong_cp = sim.engine.decide(&sim.state, &decision(2, Decision::Proceed), sim.now);
    assert!(wrong_cp.is_err());
    let anonymous = DecisionInput { by: "  ".into(), ..decision(1, Decision::Proceed) };
    assert!(sim.engine.decide(&sim.state, &anonymous, sim.now).is_err());
}

#[test]
fn failed_required_precheck_aborts_before_anything_changes() {
    let mut world = World::default();
    world.failing_check = Some("T-1h#2".into());
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let verdict = sim.run_to_end();
    let Verdict::Aborted { reason } = verdict else { panic!("{verdict:?}") };
    assert!(reason.contains("T-1h#2"), "{reason}");
    let names = sim.names();
    assert!(!names.contains(&"backup") && !names.contains(&"set_weights"));
}

#[test]
fn failed_migration_aborts_and_switches_maintenance_off() {
    let mut world = World::default();
    world.fail.push("migrate");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let verdict = sim.run_to_end();
    assert!(
        matches!(verdict, Verdict::Aborted { ref reason } if reason.contains("Database migrations")),
        "{verdict:?}"
    );
    let names = sim.names();
    assert_eq!(names[names.len() - 2], "maintenance_off");
    assert!(matches!(sim.actions[sim.actions.len() - 2], Action::MaintenanceOff { step: None }));
    assert!(!names.contains(&"deploy_green"));
}

#[test]
fn failed_compatibility_check_stops_before_traffic_moves() {
    let mut world = World::default();
    world.fail.push("compatibility_check");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let verdict = sim.run_to_end();
    assert!(
        matches!(verdict, Verdict::Aborted { ref reason } if reason.contains("read-only smoke failed against blue")),
        "{verdict:?}"
    );
    assert!(weights_set(&sim).is_empty());
    assert!(!sim.names().contains(&"rollback"));
}

#[test]
fn failed_green_health_check_aborts() {
    let mut world = World::default();
    world.fail.push("health_check");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    assert!(matches!(sim.run_to_end(), Verdict::Aborted { .. }));
    assert!(weights_set(&sim).is_empty());
}

#[test]
fn failed_traffic_step_after_exposure_rolls_back() {
    let mut sim = Sim::new(rehearsal(), World::default());
    sim.start();
    // Reach the 50% step, then make the proxy refuse it.
    sim.run_until(500, |a| matches!(a, Action::AwaitCheckpoint { step: 10, .. }));
    sim.world.fail.push("set_weights");
    let verdict = sim.run_to_end();
    assert!(matches!(verdict, Verdict::RolledBack { ref reason, .. } if reason.contains("step 11")), "{verdict:?}");
}

#[test]
fn manual_rollback_request_is_honoured_at_once() {
    let mut sim = Sim::new(rehearsal(), World::default());
    sim.start();
    sim.run_until(500, |a| matches!(a, Action::SetWeights { weights, .. } if weights.green_weight().get() == 50));
    sim.record(lms_cutover::engine::Event::RollbackRequested {
        by: "Release Commander".into(),
        reason: "users report slow approvals".into(),
    });
    match sim.step() {
        Action::Rollback { reason: RollbackReason::Manual { by, .. }, .. } => assert_eq!(by, "Release Commander"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(sim.run_to_end(), Verdict::RolledBack { .. }));
}

#[test]
fn stop_request_before_traffic_moves_aborts_instead_of_rolling_back() {
    let mut sim = Sim::new(rehearsal(), World::default());
    sim.start();
    sim.run_until(500, |a| matches!(a, Action::Backup { .. }));
    sim.record(lms_cutover::engine::Event::RollbackRequested { by: "DBA".into(), reason: "backup too small".into() });
    let verdict = sim.run_to_end();
    assert!(matches!(verdict, Verdict::Aborted { ref reason } if reason.contains("stopped by DBA")), "{verdict:?}");
}

#[test]
fn failing_smoke_blocks_automatic_go_live() {
    let mut world = World::default();
    world.failing_smoke = vec!["SMOKE-003".into()];
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let a = sim.run_until(1000, |a| matches!(a, Action::AwaitCheckpoint { step: 18, .. }));
    let Action::AwaitCheckpoint { prompt, auto, .. } = a else { panic!("{a:?}") };
    assert!(auto.is_none());
    assert_eq!(prompt.suggestion, Some(Decision::ExtendedMonitoring));
    let q = &prompt.questions[0];
    assert_eq!(q.answer, Answer::No);
    assert!(q.evidence.contains("SMOKE-003"));
}

#[test]
fn disabled_maintenance_skips_steps_4_and_16() {
    let mut plan = rehearsal();
    plan.maintenance.enabled = false;
    let mut sim = Sim::new(plan, World::default());
    sim.start();
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
    assert!(!sim.names().iter().any(|n| n.starts_with("maintenance")));
}

/// The seed's step 4 is "Enable maintenance mode (optional)": when it
/// fails, the failure is recorded and the run goes on to go-live; a step
/// that is not optional stops the run.
#[test]
fn an_optional_step_that_fails_is_recorded_and_the_run_goes_on() {
    let mut world = World::default();
    world.fail.push("maintenance_on");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
    let step4 = &sim.state.steps[&4];
    assert_eq!(step4.ok, Some(false), "the failure stays recorded");
    assert!(sim.names().contains(&"migrate"), "the run went on to the migration");

    let text = REHEARSAL.replacen(
        "do = { kind = \"maintenance_on\" }\noptional = true",
        "do = { kind = \"maintenance_on\" }",
        1,
    );
    assert_ne!(text, REHEARSAL, "step 4 of the rehearsal plan changed; update this test");
    let mut plan = lms_cutover::plan::parse(&text).expect("plan");
    plan.maintenance.enabled = true;
    let mut world = World::default();
    world.fail.push("maintenance_on");
    let mut sim = Sim::new(plan, world);
    sim.start();
    assert!(matches!(sim.run_to_end(), Verdict::Aborted { .. }), "a required step stops the run");
}

#[test]
fn pre_and_post_checks_use_their_sets() {
    let mut sim = Sim::new(rehearsal(), World::default());
    sim.start();
    sim.run_to_end();
    let sets: Vec<(CheckSet, usize)> = sim
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::RunChecks { set, checks, .. } => Some((*set, checks.len())),
            _ => None,
        })
        .collect();
    assert_eq!(sets, [(CheckSet::PreCutover, 17), (CheckSet::PostDeployment, 12)]);
    assert!(!sim.actions.iter().any(|a| matches!(a, Action::SetWeights { reason: WeightsReason::Reassert, .. })));
}

#[test]
fn weights_drift_read_back_at_a_sample_alerts_and_holds() {
    let mut world = World::default();
    // The traffic controller restarted with all traffic on blue.
    world.reported_weights = Some(lms_cutover::units::Weights::ALL_BLUE);
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let a = sim.run_until(500, |a| matches!(a, Action::AwaitCheckpoint { .. }));
    let drift_alerts = sim
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Notify { notice: lms_cutover::engine::Notice::WeightsDrift { .. }, .. }))
        .count();
    assert_eq!(drift_alerts, 1, "one alert per traffic stage");
    let Action::AwaitCheckpoint { prompt, auto, .. } = a else { panic!("{a:?}") };
    assert!(prompt.forced_hold.iter().any(|l| l.contains("weights drift")), "{:?}", prompt.forced_hold);
    assert!(auto.is_none_or(|d| d.decision == Decision::Hold), "never proceeds on drifted weights");
    assert!(sim.engine.decide(&sim.state, &decision(1, Decision::Proceed), sim.now).is_err());
}
