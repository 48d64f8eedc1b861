//! Working with a run from outside its controller: find the latest run,
//! describe where it stands (`status`), hand a request to its inbox and
//! wait for the answer, stop green explicitly after a rollback.
//!
//! Reads the journal; never writes it (the controller is its single writer).

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
            o.push_str(&format!("open: {} (round {})\n", prompt.name, prompt.round));
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
/// `None` when no controller answered within `timeout`: the request stays
/// in the inbox and is applied when the run resumes.
pub async fn submit(dir: &RunDir, request: &Request, timeout: Duration) -> Result<Option<Answer>> {
    let answer = inbox::submit(&dir.inbox(), request)?;
    Ok(inbox::wait_answer(&answer, timeout).await)
}

/// Stops green (explicit command after a rollback or a rehearsal).
pub async fn stop_green(dir: &RunDir) -> Result<String> {
    let info = RunInfo::load(dir)?;
    let plan = crate::plan::load(dir.plan())?;
    let resolved = crate::runner::context::Resolved::new(&plan, &info.vars)?;
    let drivers = crate::runner::context::local_drivers(&plan, &resolved, dir, info.demo_accounts)?;
    let s = drivers.deploy.stop(crate::units::Slot::Green).await?;
    Ok(s.detail)
}
