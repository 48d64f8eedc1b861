//! Working with a run from outside its controller: find the latest run,
//! describe where it stands (`status`), hand a request to its inbox and
//! wait for the answer — a checkpoint decision ([`decide`]) or a rollback
//! ([`ask_rollback`]), the same for the CLI and the war-room page —, stop
//! green explicitly after a rollback, scale blue down after go-live and its
//! keep-warm time.
//!
//! Reads the journal; never writes it (the controller is its single writer).

mod scale_down;

pub use scale_down::scale_down_blue;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;

use crate::engine::{Action, Engine};
use crate::engine::{DecisionInput, Verdict};
use crate::error::{CutoverError, Result};
use crate::plan::Decision;
use crate::runner::console::{live_line, verdict_line};
use crate::runner::context::{controller_running, RunDir, RunInfo};
use crate::runner::grants::{self, Permission};
use crate::runner::inbox::{self, Answer, Request};

/// How long a person's request waits for the controller's answer.
pub const ANSWER_WAIT: Duration = Duration::from_secs(30);

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
        let now = Utc::now();
        let action = engine.step_action_now(&state, now).unwrap_or_else(|| engine.next(&state, now));
        if let Action::AwaitCheckpoint { prompt, .. } = action {
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

/// A person's checkpoint decision, as the CLI and the war-room page take it.
#[derive(Debug, Clone)]
pub struct DecideRequest {
    /// Checkpoint number.
    pub checkpoint: u32,
    /// The decision.
    pub decision: Decision,
    /// Who, on a run without credentials.
    pub by: Option<String>,
    /// Their run credential, on a run with credentials.
    pub token: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// Reason to go forward despite alerts or missing data.
    pub override_reason: Option<String>,
    /// The evidence decided on (`checkpoint.round.samples`); default: the
    /// evidence at this moment.
    pub evidence: Option<String>,
}

/// Refused at once when no controller runs the run: a request would only
/// wait in the inbox and be applied later against newer evidence.
pub fn require_controller(dir: &RunDir) -> Result<()> {
    if controller_running(dir) {
        return Ok(());
    }
    Err(CutoverError::DecisionRefused(format!(
        "no controller is running {}: nothing was queued. Start one with `lms cutover resume {}` (it shows the open checkpoint) and decide there or again from here",
        dir.root.display(),
        dir.root.display()
    )))
}

/// Hands a checkpoint decision to the run's controller and waits for its
/// answer: checks who decides (the run's grants), that a controller runs,
/// that the checkpoint is open and which evidence the decision was made on.
/// The controller checks it all again before journaling it. An answer that
/// is not `accepted` is the controller's refusal.
pub async fn decide(dir: &RunDir, req: DecideRequest) -> Result<Answer> {
    let by = grants::authorize(dir, req.token.as_deref(), req.by.as_deref(), Permission::Decide)?;
    require_controller(dir)?;
    let n = req.checkpoint;
    let (round, samples) = open_evidence(dir, n)?;
    let (round, samples_seen) = match req.evidence.as_deref().map(crate::engine::checkpoint::parse_evidence_id) {
        Some(Ok((c, r, s))) if c == n => (r, s),
        Some(Ok((c, _, _))) => {
            return Err(CutoverError::invalid(
                "evidence",
                format!("evidence {c}.… is checkpoint {c}'s, not checkpoint {n}'s"),
            ))
        }
        Some(Err(e)) => return Err(e),
        None => (round, samples),
    };
    let input = DecisionInput {
        checkpoint: n,
        decision: req.decision,
        by,
        note: req.note.filter(|t| !t.trim().is_empty()),
        override_reason: req.override_reason.filter(|t| !t.trim().is_empty()),
        round: Some(round),
        made_at: Some(Utc::now()),
        samples_seen: Some(samples_seen),
    };
    answered(submit(dir, &Request::Decide { input, token: req.token }, ANSWER_WAIT).await?)
}

/// What asking for a rollback found.
#[derive(Debug, Clone, PartialEq)]
pub enum RollbackAsked {
    /// The controller took the request; it sends all traffic to blue first.
    Requested(String),
    /// The run ended without green live: all traffic is on blue already.
    AlreadyOver(Verdict),
}

/// Asks the run's controller to send all traffic back to blue. Refused for
/// someone who may not, a run that went live (a rollback after go-live
/// needs `lms cutover rollback --after-go-live` on the run's machine), and
/// when no controller runs (`lms cutover rollback` on the run's machine
/// becomes the controller for it).
pub async fn ask_rollback(dir: &RunDir, token: Option<&str>, by: Option<&str>, reason: &str) -> Result<RollbackAsked> {
    let by = grants::authorize(dir, token, by, Permission::Rollback)?;
    if reason.trim().is_empty() {
        return Err(CutoverError::invalid("rollback", "say why (a reason)"));
    }
    match verdict(dir)? {
        Some(Verdict::GoLive) => {
            return Err(CutoverError::DecisionRefused(
                "the run went live: green serves all traffic and may have written data that blue must now read. Nothing was changed. \
                 To roll back anyway, run `lms cutover rollback --after-go-live` on the run's machine"
                    .into(),
            ))
        }
        Some(v) => return Ok(RollbackAsked::AlreadyOver(v)),
        None => {}
    }
    if !controller_running(dir) {
        return Err(CutoverError::DecisionRefused(format!(
            "no controller is running {}: nothing was queued. `lms cutover rollback --run {}` on the run's machine becomes the controller for the rollback",
            dir.root.display(),
            dir.root.display()
        )));
    }
    let request = Request::Rollback { by, reason: reason.trim().to_string(), token: token.map(str::to_string) };
    let answer = answered(submit(dir, &request, ANSWER_WAIT).await?)?;
    if answer.accepted {
        Ok(RollbackAsked::Requested(answer.message))
    } else {
        Err(CutoverError::DecisionRefused(answer.message))
    }
}

fn answered(answer: Option<Answer>) -> Result<Answer> {
    answer.ok_or_else(|| {
        CutoverError::DecisionRefused(format!(
            "the controller did not answer within {} s; the request was withdrawn (nothing was applied)",
            ANSWER_WAIT.as_secs()
        ))
    })
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
    // The step's own action: a status update going out first leaves the
    // checkpoint open.
    let now = Utc::now();
    let action = engine.step_action_now(&state, now).unwrap_or_else(|| engine.next(&state, now));
    match action {
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
