//! Working with a run from outside its controller: find the latest run,
//! describe where it stands (`status`), hand a request to its inbox and
//! wait for the answer, stop green explicitly after a rollback, scale blue
//! down after go-live and its keep-warm time.
//!
//! Reads the journal; never writes it (the controller is its single writer).

mod scale_down;

pub use scale_down::scale_down_blue;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;

use crate::engine::{Action, Engine};
use crate::error::{CutoverError, Result};
use crate::runner::console::{live_line, verdict_line};
use crate::runner::context::{controller_running, RunDir, RunInfo};
use crate::runner::inbox::{self, Answer, Request};

/// The most recently modified run directory under `out`.
pub fn latest_run(out: &Path) -> Result<PathBuf> {
    std::fs::read_dir(out)
        .map_err(|source| CutoverError::JournalIo { path: out.to_path_buf(), source })?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("journal.jsonl").exists())
        .filter_map(|e| Some((e.path().join("journal.jsonl").metadata().ok()?.modified().ok()?, e.path())))
        .max_by_key(|(t, _)| *t)
        .map(|(_, p)| p)
        .ok_or_else(|| CutoverError::invalid("run", format!("no run under {}", out.display())))
}

/// A human description of where a run stands.
pub fn status(dir: &RunDir) -> Result<String> {
    let plan = crate::plan::load(dir.plan())?;
    let contents = crate::journal::read(dir.journal())?;
    let state = contents.state();
    let engine = Engine::new(plan);
    let mut o = format!(
        "run {} — plan {} — {} record(s){}\ncontroller: {}\n",
        dir.run_id(),
        engine.plan().meta.id,
        contents.records.len(),
        if contents.torn_tail { " (torn last line ignored)" } else { "" },
        if controller_running(dir) { "running" } else { "not running" }
    );
    if let Some(v) = &state.verdict {
        o.push_str(&format!("verdict: {}\n", verdict_line(v)));
    } else {
        match engine.current_step(&state) {
            Some(s) => {
                o.push_str(&format!("step {}/{}: {} ({})\n", s.n, engine.plan().steps.len(), s.activity, s.owner))
            }
            None => o.push_str("timeline complete\n"),
        }
        if let Some(a) = &state.in_flight {
            o.push_str(&format!("in flight: {}\n", a.name()));
        }
        if let Action::AwaitCheckpoint { prompt, .. } = engine.next(&state, Utc::now()) {
            o.push_str(&format!(
                "open: {} (round {}) — evidence {} (decide with --evidence {})\n",
                prompt.name,
                prompt.round,
                crate::engine::checkpoint::evidence_id(&prompt),
                crate::engine::checkpoint::evidence_id(&prompt)
            ));
            for q in &prompt.questions {
                o.push_str(&format!("  {:<32} {:?}  [{}]\n", q.text, q.answer, q.evidence));
            }
            if let Some(s) = prompt.suggestion {
                o.push_str(&format!("  suggestion: {}\n", s.label()));
            }
        }
    }
    o.push_str(&format!("live: {}\n", live_line(&state, &engine)));
    if let Some(r) = &state.rollback {
        o.push_str(&format!(
            "rollback: {} — on blue {}\n",
            r.reason,
            r.on_blue_at.map_or("not yet".into(), |t| format!("after {} ms", (t - r.triggered_at).num_milliseconds()))
        ));
    }
    if state.resumes > 0 {
        o.push_str(&format!("resumed {} time(s)\n", state.resumes));
    }
    Ok(o)
}

/// Hands a request to the run's controller and waits for its answer.
/// `None` when no controller answered within `timeout`: the request is
/// withdrawn, so a later controller never applies it against newer evidence.
pub async fn submit(dir: &RunDir, request: &Request, timeout: Duration) -> Result<Option<Answer>> {
    let answer = inbox::submit(&dir.inbox(), request)?;
    match inbox::wait_answer(&answer, timeout).await {
        Some(a) => Ok(Some(a)),
        None => {
            let _ = std::fs::remove_file(answer.with_extension("req"));
            // The controller may have taken it at the last moment.
            Ok(inbox::wait_answer(&answer, Duration::from_millis(200)).await)
        }
    }
}

/// The run's verdict, if it has one.
pub fn verdict(dir: &RunDir) -> Result<Option<crate::engine::Verdict>> {
    Ok(crate::journal::read(dir.journal())?.state().verdict)
}

/// The round at which checkpoint `n` is open now and the samples of its
/// evidence so far; an error saying where the run stands when it is not open.
pub fn open_evidence(dir: &RunDir, n: u32) -> Result<(u32, usize)> {
    let plan = crate::plan::load(dir.plan())?;
    let state = crate::journal::read(dir.journal())?.state();
    let engine = Engine::new(plan);
    match engine.next(&state, Utc::now()) {
        Action::AwaitCheckpoint { prompt, .. } if prompt.checkpoint == n => Ok((prompt.round, prompt.samples)),
        Action::Monitor { purpose: crate::engine::WindowPurpose::Hold { checkpoint, round }, .. }
            if checkpoint == n =>
        {
            Err(CutoverError::DecisionRefused(format!(
                "checkpoint {n} is holding; it asks again (round {round}) when the hold's monitoring ends"
            )))
        }
        other => Err(CutoverError::DecisionRefused(format!(
            "checkpoint {n} is not open: the run is at {}",
            engine
                .current_step(&state)
                .map_or_else(|| other.name().to_string(), |s| format!("step {} ({})", s.n, s.activity))
        ))),
    }
}

/// Waits until the run's journal shows all traffic on blue after a
/// rollback, or the run ends; fails when its controller goes away first.
pub async fn wait_on_blue(dir: &RunDir) -> Result<crate::engine::state::RollbackProgress> {
    loop {
        let state = crate::journal::read(dir.journal())?.state();
        if let Some(r) = state.rollback.as_ref().filter(|r| r.on_blue_at.is_some()) {
            return Ok(r.clone());
        }
        if state.verdict.is_some() || !controller_running(dir) {
            return Err(CutoverError::DecisionRefused(
                "the controller stopped before traffic was on blue; run `lms cutover rollback` again".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Stops green after a run that did not go live (or a rehearsal), records
/// it in the journal and rebuilds the report. Refused while a controller
/// runs the run, and while green carries traffic.
pub async fn stop_green(dir: &RunDir) -> Result<String> {
    let Some(_lock) = crate::runner::context::try_lock(dir)? else {
        return Err(CutoverError::invalid("stop-green", "a controller runs this run: stop green after it has ended"));
    };
    let (mut journal, contents) = crate::journal::Journal::open(dir.journal())?;
    let state = contents.state();
    let serving = match &state.verdict {
        Some(crate::engine::Verdict::GoLive) => true,
        Some(_) => false,
        None => state.weights.green_weight().get() > 0,
    };
    if serving {
        return Err(CutoverError::invalid(
            "stop-green",
            "green carries traffic (the run went live, or traffic is split): roll back first",
        ));
    }
    let info = RunInfo::load(dir)?;
    let plan = crate::plan::load(dir.plan())?;
    let resolved = crate::runner::context::Resolved::new(&plan, &info)?;
    let drivers = crate::runner::context::local_drivers(&plan, &resolved, dir, info.demo_accounts)?;
    let outcome = match drivers.deploy.stop(crate::units::Slot::Green).await {
        Ok(s) => crate::observe::Outcome::ok(s.detail),
        Err(e) => crate::observe::Outcome::failed(e.to_string()),
    };
    journal.append(Utc::now(), crate::engine::Event::GreenStopped { outcome: outcome.clone() })?;
    drop(journal);
    if contents.records.iter().any(|r| matches!(r.event, crate::engine::Event::RunCompleted { .. })) {
        crate::report::write(dir)?;
    }
    if outcome.ok {
        Ok(outcome.detail)
    } else {
        Err(CutoverError::invalid("stop-green", outcome.detail))
    }
}

/// Records a post-cutover checklist item (9.1, 9.2) as done on a run that
/// has ended, when no controller runs it: most of the checklist falls due
/// after the war room closed. Refused for an unknown item, a run that did
/// not go live, or a run that is still going (its controller takes it).
/// The report is rebuilt. Returns what was recorded.
pub fn confirm_item_after_run(dir: &RunDir, item: &str, by: &str, note: Option<String>) -> Result<String> {
    let Some(_lock) = crate::runner::context::try_lock(dir)? else {
        return Err(CutoverError::invalid("confirm", "a controller runs this run: it takes the confirmation"));
    };
    let plan = crate::plan::load(dir.plan())?;
    if !plan.post_cutover.iter().any(|c| c.id == item) {
        let ids: Vec<&str> = plan.post_cutover.iter().map(|c| c.id.as_str()).collect();
        let message = format!("no checklist item {item:?}; the plan has: {}", ids.join(", "));
        return Err(CutoverError::invalid("confirm", message));
    }
    let (mut journal, contents) = crate::journal::Journal::open(dir.journal())?;
    match contents.state().verdict {
        Some(crate::engine::Verdict::GoLive) => {}
        Some(other) => {
            return Err(CutoverError::invalid(
                "confirm",
                format!(
                    "the run did not go live ({}): its post-cutover checklist does not apply",
                    verdict_line(&other)
                ),
            ))
        }
        None => {
            return Err(CutoverError::invalid(
                "confirm",
                "the run has not ended and no controller runs it: `lms cutover resume RUN` first",
            ))
        }
    }
    journal.append(
        Utc::now(),
        crate::engine::Event::ChecklistDone {
            id: item.to_string(),
            by: by.to_string(),
            outcome: crate::observe::Outcome::ok(note.unwrap_or_default()),
        },
    )?;
    drop(journal);
    crate::report::write(dir)?;
    Ok(format!("{item} done by {by}; report rebuilt"))
}
