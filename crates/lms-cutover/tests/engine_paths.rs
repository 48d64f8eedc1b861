//! Engine paths no other test takes (issue 7, finding 19), driven through the
//! public engine with the simulated world of `tests/common`: a failed backup,
//! a green that never becomes ready, a failed blue verification after the
//! migration, a ROLLBACK decided by a person at checkpoint 1 and at
//! checkpoint 3, and an EXTENDED MONITORING decision at the final checkpoint
//! that watches for the plan's hold extension and is asked again.

// Each test tweaks one aspect of the default world; assigning it reads best.
#![allow(clippy::field_reassign_with_default)]

mod common;

use common::*;
use lms_cutover::engine::{Action, DecisionInput, Event, Notice, RollbackReason, Verdict, WindowPurpose};
use lms_cutover::plan::{Decision, StepAction};
use lms_cutover::units::Weights;

/// The person deciding in these tests (not the helper's default), so a
/// reason that names them is known to come from the decision.
const COMMANDER: &str = "Dana Okafor";

fn aborted(verdict: Verdict) -> String {
    match verdict {
        Verdict::Aborted { reason } => reason,
        other => panic!("expected an abort, got {other:?}"),
    }
}

/// What every run stopped before traffic moved has in common: green never
/// carried a request, nothing was rolled back, all traffic stayed on blue,
/// maintenance is off again and the run ended on its abort.
fn assert_stopped_before_traffic(sim: &Sim) {
    assert!(weights_set(sim).is_empty(), "traffic moved: {:?}", weights_set(sim));
    assert!(!sim.state.green_exposed);
    assert_eq!(sim.state.weights, Weights::ALL_BLUE);
    let names = sim.names();
    assert!(!names.contains(&"rollback") && !names.contains(&"verify_blue"), "{names:?}");
    assert!(!names.contains(&"monitor") && !names.contains(&"await_checkpoint"), "{names:?}");
    assert!(!sim.state.maintenance_on, "maintenance left on");
    assert!(sim.state.rollback.is_none());
    assert!(matches!(sim.state.verdict, Some(Verdict::Aborted { .. })));
    assert_eq!(
        sim.state.abort.as_deref(),
        sim.state.verdict.as_ref().map(|v| match v {
            Verdict::Aborted { reason } => reason.as_str(),
            _ => "",
        })
    );
    assert!(matches!(sim.actions.last(), Some(Action::Complete { verdict: Verdict::Aborted { .. } })));
    // A post-cutover webhook (the go-live announcement) is never sent.
    assert!(!names.contains(&"checklist_webhook"));
}

/// A person's decision at the open checkpoint, checked by the engine and
/// journaled as the runner does; panics if the engine refuses it.
fn decide(sim: &mut Sim, input: &DecisionInput) {
    let record = sim.engine.decide(&sim.state, input, sim.now).unwrap_or_else(|e| panic!("decision refused: {e}"));
    sim.record(Event::Decided { record: Box::new(record) });
}

fn by_commander(checkpoint: u32, d: Decision, note: &str) -> DecisionInput {
    DecisionInput { by: COMMANDER.into(), note: Some(note.into()), ..decision(checkpoint, d) }
}

/// Runs the production plan up to the open checkpoint at `step`, with the
/// earlier checkpoints decided forward by the commander.
fn phase29_at_checkpoint(step: u32) -> Sim {
    let mut sim = Sim::new(phase29(), World::default());
    sim.start();
    for (cp_step, cp) in [(10, 1), (13, 2), (18, 3)] {
        let a = sim.run_until(3000, |a| matches!(a, Action::AwaitCheckpoint { .. }));
        let Action::AwaitCheckpoint { step: at, prompt, auto, .. } = a else { panic!("{a:?}") };
        assert_eq!((at, prompt.checkpoint), (cp_step, cp));
        assert!(auto.is_none(), "the production plan never decides by itself");
        if at == step {
            return sim;
        }
        decide(&mut sim, &by_commander(cp, Decision::Proceed, "gates green, team agrees"));
    }
    panic!("no checkpoint at step {step}")
}

// 1. A failed backup.

#[test]
fn failed_backup_aborts_before_maintenance_or_traffic() {
    let mut world = World::default();
    world.fail.push("backup");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let reason = aborted(sim.run_to_end());
    assert!(reason.contains("step 3 (Database backup verification) failed"), "{reason}");
    assert!(reason.contains("backup failed (simulated)"), "{reason}");
    assert_eq!(sim.state.step_failed(3), Some("backup failed (simulated)"));
    let names = sim.names();
    // The backup is the last thing the run does: it is not retried, and
    // maintenance (step 4, after the backup) is never switched on.
    assert_eq!(names.iter().filter(|n| **n == "backup").count(), 1);
    assert_eq!(names[names.len() - 2..], ["backup", "complete"], "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("maintenance")), "{names:?}");
    for never in ["migrate", "compatibility_check", "deploy_green", "health_check"] {
        assert!(!names.contains(&never), "{never} after a failed backup: {names:?}");
    }
    assert!(!sim.state.migrated && !sim.state.green_deployed);
    assert_stopped_before_traffic(&sim);
}

/// A plan that turns maintenance on before the backup: a failed backup
/// must switch it off again before the run ends.
#[test]
fn failed_backup_with_maintenance_on_switches_it_off_again() {
    let mut plan = rehearsal();
    let backup = plan.steps.iter().position(|s| matches!(s.action, StepAction::Backup));
    let on = plan.steps.iter().position(|s| matches!(s.action, StepAction::MaintenanceOn));
    let (Some(backup), Some(on)) = (backup, on) else { panic!("rehearsal has steps backup and maintenance_on") };
    let (b, m) = (plan.steps[backup].action.clone(), plan.steps[on].action.clone());
    plan.steps[backup].action = m;
    plan.steps[on].action = b;
    // `optional` stays with maintenance on (validate refuses an optional backup).
    (plan.steps[backup].optional, plan.steps[on].optional) = (plan.steps[on].optional, false);
    let mut world = World::default();
    world.fail.push("backup");
    let mut sim = Sim::new(plan, world);
    sim.start();
    let reason = aborted(sim.run_to_end());
    assert!(reason.contains("backup failed (simulated)"), "{reason}");
    let names = sim.names();
    assert_eq!(names[names.len() - 4..], ["maintenance_on", "backup", "maintenance_off", "complete"], "{names:?}");
    // The clean-up is not a timeline step: step 16 (disable maintenance) never ran.
    assert!(matches!(sim.actions[sim.actions.len() - 2], Action::MaintenanceOff { step: None }));
    assert!(!sim.state.step_done(16));
    assert_stopped_before_traffic(&sim);
}

// 2. A green that never becomes ready.

#[test]
fn green_that_fails_to_deploy_aborts_with_the_reason() {
    let mut world = World::default();
    world.fail.push("deploy_green");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let reason = aborted(sim.run_to_end());
    assert!(reason.contains("step 6 (Deploy Green environment) failed"), "{reason}");
    assert!(reason.contains("deploy_green failed (simulated)"), "{reason}");
    let names = sim.names();
    // Deployed once, never health-checked, never given traffic.
    assert_eq!(names.iter().filter(|n| **n == "deploy_green").count(), 1);
    assert!(!names.contains(&"health_check"), "{names:?}");
    assert!(!sim.state.green_deployed);
    // Maintenance was on (step 4) and is switched off by the clean-up.
    assert!(position(&names, "maintenance_on") < position(&names, "deploy_green"));
    assert_eq!(names[names.len() - 2..], ["maintenance_off", "complete"], "{names:?}");
    assert!(matches!(sim.actions[sim.actions.len() - 2], Action::MaintenanceOff { step: None }));
    assert_stopped_before_traffic(&sim);
}

#[test]
fn green_that_never_passes_its_health_check_aborts_with_the_reason() {
    let mut world = World::default();
    world.fail.push("health_check");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let reason = aborted(sim.run_to_end());
    assert!(reason.contains("step 7 (Green environment health check) failed: unhealthy"), "{reason}");
    assert_eq!(sim.state.step_failed(7), Some("unhealthy"));
    let names = sim.names();
    assert!(position(&names, "deploy_green") < position(&names, "health_check"));
    assert!(sim
        .actions
        .iter()
        .any(|a| matches!(a, Action::HealthCheck { step: Some(7), slot: lms_cutover::units::Slot::Green, .. })));
    assert_eq!(names[names.len() - 2..], ["maintenance_off", "complete"], "{names:?}");
    assert_stopped_before_traffic(&sim);
}

// 3. A failed blue verification after the migration.

#[test]
fn failed_read_only_smoke_on_blue_after_migration_aborts_without_traffic() {
    let mut world = World::default();
    world.fail.push("compatibility_check");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let reason = aborted(sim.run_to_end());
    assert!(reason.contains("step 5 (Database migrations) failed"), "{reason}");
    assert!(reason.contains("read-only smoke failed against blue after migration: SMOKE-001"), "{reason}");
    let names = sim.names();
    // The migration ran (once) and succeeded; blue was verified after it and failed.
    assert_eq!(names.iter().filter(|n| **n == "migrate").count(), 1);
    assert!(sim.state.migrated);
    assert_eq!(position(&names, "migrate") + 1, position(&names, "compatibility_check"));
    let Some(Action::CompatibilityCheck { smoke, .. }) =
        sim.actions.iter().find(|a| matches!(a, Action::CompatibilityCheck { .. }))
    else {
        panic!("no compatibility check")
    };
    let read_only: Vec<String> = sim.engine.plan().smoke.iter().filter(|s| s.read_only).map(|s| s.id.clone()).collect();
    assert!(read_only.len() < sim.engine.plan().smoke.len(), "the plan has smoke tests that write");
    assert_eq!(smoke, &read_only, "only the read-only smoke tests run against blue");
    assert!(!names.contains(&"deploy_green"), "green deployed after blue failed: {names:?}");
    assert_eq!(names[names.len() - 2..], ["maintenance_off", "complete"], "{names:?}");
    assert_stopped_before_traffic(&sim);
}

#[test]
fn unhealthy_blue_after_migration_aborts_without_traffic() {
    let mut world = World::default();
    world.fail.push("blue_health");
    let mut sim = Sim::new(rehearsal(), world);
    sim.start();
    let reason = aborted(sim.run_to_end());
    assert!(reason.contains("step 5 (Database migrations) failed: blue unhealthy after migration"), "{reason}");
    assert!(reason.contains("/api/health answered 503"), "{reason}");
    let names = sim.names();
    assert!(sim.state.migrated);
    assert!(!names.contains(&"deploy_green"), "{names:?}");
    assert_eq!(names[names.len() - 2..], ["maintenance_off", "complete"], "{names:?}");
    assert_stopped_before_traffic(&sim);
}

// 4. ROLLBACK decided by a person.

/// After a person's ROLLBACK at `checkpoint`: the very next action is the
/// rollback naming them, then blue is verified, and the run ends rolled back.
fn assert_rolled_back_by_commander(sim: &mut Sim, checkpoint: u32, note: &str) -> Vec<&'static str> {
    let decided_at = sim.now;
    let first = sim.step();
    let Action::Rollback { reason, triggered_at, attempt } = first else { panic!("expected a rollback: {first:?}") };
    assert_eq!(
        reason,
        RollbackReason::Decision { checkpoint, by: COMMANDER.into(), note: Some(note.into()) },
        "the rollback names the checkpoint and the person"
    );
    assert_eq!(triggered_at, decided_at, "time to blue counts from the decision");
    assert_eq!(attempt, 1);
    assert_eq!(sim.state.weights, Weights::ALL_BLUE, "all traffic back on blue");
    assert!(matches!(sim.step(), Action::VerifyBlue { .. }));
    let verdict = sim.run_to_end();
    let Verdict::RolledBack { reason, to_blue_ms, blue_verified } = verdict else { panic!("{verdict:?}") };
    assert!(reason.contains(&format!("checkpoint {checkpoint} decided ROLLBACK by {COMMANDER}: {note}")), "{reason}");
    assert_eq!(to_blue_ms, Some(300));
    assert!(blue_verified);
    assert_eq!(sim.state.weights, Weights::ALL_BLUE);
    assert!(!sim.state.maintenance_on);
    let names = sim.names();
    assert_eq!(names.iter().filter(|n| **n == "rollback").count(), 1, "one rollback call: {names:?}");
    // Go-live was never announced and its checklist never run.
    assert!(!names.contains(&"checklist_webhook"), "{names:?}");
    assert!(!sim.state.step_done(19));
    let cp = &sim.state.checkpoints[&checkpoint];
    assert_eq!(cp.decisions.len(), 1);
    assert_eq!(cp.decisions[0].decision, Decision::Rollback);
    assert_eq!(cp.decisions[0].by, COMMANDER);
    assert!(!cp.decisions[0].auto);
    names
}

#[test]
fn rollback_decided_at_checkpoint_1_returns_the_canary_to_blue() {
    let mut sim = phase29_at_checkpoint(10);
    assert_eq!(sim.state.weights.green_weight().get(), 10);
    assert!(sim.state.maintenance_on, "phase 29 has maintenance on during the canary");
    let note = "login errors reported on green";
    decide(&mut sim, &by_commander(1, Decision::Rollback, note));
    let names = assert_rolled_back_by_commander(&mut sim, 1, note);
    assert_eq!(weights_set(&sim), [10], "never went past the canary");
    // Blue verified, then maintenance switched off by the clean-up, then the verdict.
    let rb = position(&names, "rollback");
    assert_eq!(names[rb..], ["rollback", "verify_blue", "maintenance_off", "complete"], "{names:?}");
    assert!(matches!(sim.actions[rb + 2], Action::MaintenanceOff { step: None }));
    assert!(!sim.state.step_done(10) && !sim.state.step_done(11));
}

#[test]
fn rollback_decided_at_checkpoint_3_returns_full_traffic_to_blue() {
    let mut sim = phase29_at_checkpoint(18);
    assert_eq!(sim.state.weights.green_weight().get(), 100);
    assert!(!sim.state.maintenance_on, "step 16 switched it off before the final checkpoint");
    let note = "business validation found wrong leave balances";
    decide(&mut sim, &by_commander(3, Decision::Rollback, note));
    let names = assert_rolled_back_by_commander(&mut sim, 3, note);
    assert_eq!(weights_set(&sim), [10, 50, 100]);
    // Maintenance is already off: nothing to clean up.
    let rb = position(&names, "rollback");
    assert_eq!(names[rb..], ["rollback", "verify_blue", "complete"], "{names:?}");
    assert_eq!(sim.state.checkpoints[&1].decisions[0].decision, Decision::Proceed);
    assert_eq!(sim.state.checkpoints[&2].decisions[0].decision, Decision::Proceed);
}

// 5. EXTENDED MONITORING at the final checkpoint.

#[test]
fn extended_monitoring_watches_the_hold_extension_then_asks_again_and_goes_live() {
    let mut sim = phase29_at_checkpoint(18);
    let extended_at = sim.now;
    decide(&mut sim, &by_commander(3, Decision::ExtendedMonitoring, "watch the nightly accrual job"));
    let cp = &sim.state.checkpoints[&3];
    assert!(cp.holding);
    assert_eq!(cp.round, 2);

    // The engine watches for the plan's hold_extension (15 min, real time),
    // sampling every 10 s, without touching the weights.
    let extension = sim.engine.plan().monitoring.hold_extension.delta();
    assert_eq!(extension.num_minutes(), 15);
    let mut window = None;
    let mut samples = 0;
    let prompt = loop {
        match sim.step() {
            Action::Monitor {
                step: 18,
                purpose: WindowPurpose::Hold { checkpoint: 3, round: 2 },
                started,
                ends,
                ..
            } => {
                assert_eq!(*window.get_or_insert((started, ends)), (started, ends), "one window");
                samples += 1;
            }
            Action::Notify { step: None, notice: Notice::Status { .. } } => {}
            Action::AwaitCheckpoint { step: 18, prompt, .. } => break prompt,
            other => panic!("expected the hold window, got {other:?}"),
        }
    };
    let (started, ends) = window.unwrap_or_else(|| panic!("no hold window"));
    assert_eq!(started, extended_at, "the window opens at the decision");
    assert_eq!(ends - started, extension);
    assert_eq!(samples, 90, "15 min sampled every 10 s");
    assert!(sim.now >= ends, "asked again only after the window closed");
    assert_eq!(weights_set(&sim), [10, 50, 100], "weights unchanged while extending");
    assert_eq!(sim.state.weights.green_weight().get(), 100);
    assert!(!sim.names().contains(&"rollback"));

    // Round 2 of the final checkpoint, on the extension's evidence.
    assert_eq!(prompt.checkpoint, 3);
    assert_eq!(prompt.round, 2);
    assert!(prompt.samples >= 90, "round 2 shows the extension's samples: {}", prompt.samples);
    assert_eq!(prompt.suggestion, Some(Decision::GoLiveConfirmed));
    assert!(!sim.state.checkpoints[&3].holding);
    assert!(!sim.state.step_done(18));
    // A decision made on round 1 is stale now.
    let stale = DecisionInput { round: Some(1), ..by_commander(3, Decision::GoLiveConfirmed, "ok") };
    assert!(sim.engine.decide(&sim.state, &stale, sim.now).is_err(), "a round-1 decision is refused");

    let go = DecisionInput { round: Some(2), ..by_commander(3, Decision::GoLiveConfirmed, "accrual job ran clean") };
    decide(&mut sim, &go);
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
    let decisions: Vec<(Decision, u32)> =
        sim.state.checkpoints[&3].decisions.iter().map(|d| (d.decision, d.round)).collect();
    assert_eq!(decisions, [(Decision::ExtendedMonitoring, 1), (Decision::GoLiveConfirmed, 2)]);
    assert!(sim.state.checkpoints[&3].decisions.iter().all(|d| d.by == COMMANDER && !d.auto));
    let names = sim.names();
    assert!(!names.contains(&"rollback"), "{names:?}");
    assert!(names.contains(&"checklist_webhook"), "go-live checklist webhook: {names:?}");
    assert!(sim.state.checklist.contains_key("golive-confirmation"));
    for n in 18..=21u32 {
        assert!(sim.state.step_done(n), "step {n} not done");
    }
    assert_eq!(weights_set(&sim), [10, 50, 100]);
}
