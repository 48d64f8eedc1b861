//! Journal: durable append, torn-tail handling, corruption, and replay into
//! the state `resume` continues from.

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::*;
use lms_cutover::engine::{Action, Event, Verdict, WeightsReason, WindowPurpose};
use lms_cutover::journal::{self, Journal};
use lms_cutover::plan::Decision;
use lms_cutover::CutoverError;

/// A fresh directory per test (removed when dropped).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("lms-cutover-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        TempDir(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn started() -> Event {
    Event::RunStarted { plan_id: "P".into(), own_version: "3.0.0".into(), blackout_override: None }
}

#[test]
fn records_round_trip_in_order() {
    let dir = TempDir::new("roundtrip");
    let path = dir.file("run.journal");
    let mut j = Journal::create(&path).unwrap_or_else(|e| panic!("{e}"));
    j.append(t0(), started()).unwrap_or_else(|e| panic!("{e}"));
    j.append(t0(), Event::Resumed).unwrap_or_else(|e| panic!("{e}"));
    let c = journal::read(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.records.len(), 2);
    assert_eq!(c.records[1].seq, 2);
    assert_eq!(c.records[0].event, started());
    assert!(!c.torn_tail);
    // Each record is one JSON line.
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(text.lines().count(), 2);
    assert!(text.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
}

#[test]
fn a_run_is_never_overwritten() {
    let dir = TempDir::new("exists");
    let path = dir.file("run.journal");
    Journal::create(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(Journal::create(&path), Err(CutoverError::JournalIo { .. })));
}

#[test]
fn a_torn_last_line_is_ignored_and_cut_off_on_reopen() {
    let dir = TempDir::new("torn");
    let path = dir.file("run.journal");
    let mut j = Journal::create(&path).unwrap_or_else(|e| panic!("{e}"));
    j.append(t0(), started()).unwrap_or_else(|e| panic!("{e}"));
    drop(j);
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap_or_else(|e| panic!("{e}"));
    f.write_all(br#"{"seq":2,"at":"2026-01-10T22:00:01Z","event":{"type":"res"#).unwrap_or_else(|e| panic!("{e}"));
    drop(f);
    let c = journal::read(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.torn_tail);
    assert_eq!(c.records.len(), 1);
    let (mut j, c) = Journal::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.records.len(), 1);
    let r = j.append(t0(), Event::Resumed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.seq, 2);
    let c = journal::read(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(!c.torn_tail);
    assert_eq!(c.records.len(), 2);
}

#[test]
fn corruption_in_the_middle_is_reported_with_its_line() {
    let dir = TempDir::new("corrupt");
    let path = dir.file("run.journal");
    let mut j = Journal::create(&path).unwrap_or_else(|e| panic!("{e}"));
    j.append(t0(), started()).unwrap_or_else(|e| panic!("{e}"));
    drop(j);
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap_or_else(|e| panic!("{e}"));
    f.write_all(b"not json\n{}\n").unwrap_or_else(|e| panic!("{e}"));
    drop(f);
    match journal::read(&path) {
        Err(CutoverError::JournalCorrupt { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_gap_in_the_sequence_is_corruption() {
    let dir = TempDir::new("gap");
    let path = dir.file("run.journal");
    let line =
        |seq: u64| format!("{{\"seq\":{seq},\"at\":\"2026-01-10T22:00:00Z\",\"event\":{{\"type\":\"resumed\"}}}}\n");
    std::fs::write(&path, line(1) + &line(3)).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(journal::read(&path), Err(CutoverError::JournalCorrupt { line: 2, .. })));
}

/// Runs a journaled simulation until `stop`, "kills" it, and returns the
/// journal path for a resume.
fn crash_at(dir: &TempDir, plan: lms_cutover::plan::Plan, world: World, stop: impl FnMut(&Action) -> bool) -> PathBuf {
    let path = dir.file("run.journal");
    let mut sim = Sim::new(plan, world);
    sim.journal = Some(Journal::create(&path).unwrap_or_else(|e| panic!("{e}")));
    sim.start();
    sim.run_until(2000, stop);
    path
}

/// Reopens the journal, replays it and continues with a fresh simulation.
fn resume(path: &PathBuf, plan: lms_cutover::plan::Plan, world: World, later: chrono::TimeDelta) -> Sim {
    let (j, contents) = Journal::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Sim::new(plan, world);
    sim.state = contents.state();
    sim.now = contents.records.last().map_or(t0(), |r| r.at) + later;
    sim.journal = Some(j);
    sim.record(Event::Resumed);
    sim
}

#[test]
fn resume_mid_monitoring_reasserts_weights_and_restarts_the_window() {
    let dir = TempDir::new("resume-monitor");
    // Crash during the 50% monitoring window, after a couple of samples.
    let mut samples_in_12 = 0;
    let path = crash_at(&dir, rehearsal(), World::default(), |a| {
        if matches!(a, Action::Monitor { step: 12, .. }) {
            samples_in_12 += 1;
        }
        samples_in_12 == 2
    });
    let mut sim = resume(&path, rehearsal(), World::default(), chrono::TimeDelta::seconds(30));
    assert!(sim.state.step_done(3) && sim.state.step_done(5), "backup and migration done");
    match sim.step() {
        Action::SetWeights { step: None, weights, reason: WeightsReason::Reassert } => {
            assert_eq!(weights.green_weight().get(), 50)
        }
        other => panic!("expected re-assert, got {other:?}"),
    }
    // Green was running before the crash: it is checked again before going on.
    assert!(matches!(sim.step(), Action::HealthCheck { step: None, .. }));
    match sim.step() {
        Action::Monitor { step: 12, purpose: WindowPurpose::Step, started, .. } => {
            assert_eq!(started, sim.state.window.as_ref().map(|w| w.started).unwrap_or_default());
            assert!(started > t0() + chrono::TimeDelta::seconds(30), "window restarted after the resume");
        }
        other => panic!("expected the window to restart, got {other:?}"),
    }
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
    let names = sim.names();
    assert!(!names.contains(&"backup") && !names.contains(&"migrate"), "{names:?}");
    assert_eq!(
        sim.actions.iter().filter(|a| matches!(a, Action::SetWeights { reason: WeightsReason::Step, .. })).count(),
        1,
        "only the 100% step is left"
    );
    // The whole journal replays to the same state the simulation holds.
    let replayed = journal::read(&path).unwrap_or_else(|e| panic!("{e}")).state();
    assert_eq!(replayed, sim.state);
}

#[test]
fn resume_at_a_pending_checkpoint_asks_again() {
    let dir = TempDir::new("resume-checkpoint");
    let path = crash_at(&dir, phase29(), World::default(), |a| matches!(a, Action::AwaitCheckpoint { .. }));
    let mut world = World::default();
    world.decisions.extend([
        decision(1, Decision::Proceed),
        decision(2, Decision::Proceed),
        decision(3, Decision::GoLiveConfirmed),
    ]);
    let mut sim = resume(&path, phase29(), world, chrono::TimeDelta::minutes(2));
    assert!(matches!(sim.step(), Action::SetWeights { reason: WeightsReason::Reassert, .. }));
    assert!(matches!(sim.step(), Action::HealthCheck { step: None, .. }));
    let next = sim.run_until(100, |a| matches!(a, Action::AwaitCheckpoint { .. }));
    let Action::AwaitCheckpoint { prompt, .. } = next else { panic!("{next:?}") };
    assert_eq!(prompt.checkpoint, 1);
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
}

#[test]
fn an_action_interrupted_before_its_result_is_taken_again() {
    let dir = TempDir::new("resume-backup");
    let path = dir.file("run.journal");
    {
        let mut sim = Sim::new(rehearsal(), World::default());
        sim.journal = Some(Journal::create(&path).unwrap_or_else(|e| panic!("{e}")));
        sim.start();
        sim.run_until(100, |a| matches!(a, Action::RunChecks { .. }));
        // The backup is journaled as started; the controller dies before its result.
        let a = sim.engine.next(&sim.state, sim.now);
        assert!(matches!(a, Action::Backup { .. }));
        sim.record(Event::ActionStarted { action: a });
    }
    let mut sim = resume(&path, rehearsal(), World::default(), chrono::TimeDelta::seconds(5));
    assert!(matches!(sim.state.interrupted, Some(Action::Backup { .. })));
    assert!(matches!(sim.step(), Action::Backup { .. }), "an unfinished backup is not complete");
    assert_eq!(sim.run_to_end(), Verdict::GoLive);
}

#[test]
fn resume_after_a_rollback_started_finishes_the_rollback() {
    let dir = TempDir::new("resume-rollback");
    let path = crash_at(&dir, phase29(), World::default(), |a| matches!(a, Action::AwaitCheckpoint { .. }));
    {
        let (mut j, c) = Journal::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let at = c.records.last().map_or(t0(), |r| r.at);
        j.append(at, Event::RollbackRequested { by: "Release Commander".into(), reason: "bridge call".into() })
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut sim = resume(&path, phase29(), World::default(), chrono::TimeDelta::seconds(1));
    // No re-assert of green weights when a rollback is pending.
    assert!(matches!(sim.step(), Action::Rollback { .. }));
    assert!(matches!(sim.run_to_end(), Verdict::RolledBack { .. }));
}
