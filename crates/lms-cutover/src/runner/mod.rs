//! The runner: drives a run from its journal to its verdict.
//!
//! Protocol: `RunStarted` (and `Resumed` when resuming) first; then, again
//! and again: ask the engine for the next action with the current time,
//! journal `ActionStarted` (fsync'd), act through the drivers, journal the
//! result, apply it to the state. While it waits (monitoring windows,
//! checkpoints) it reads the inbox (decisions and rollback requests from
//! other terminals) and, when interactive, the terminal. It owns the clock
//! it gives the engine, so a window closes on a sample taken at or after
//! its end.
//!
//! The runner knows the protocol; the engine knows the rules; the drivers
//! know the world.

pub mod act;
pub mod console;
pub mod context;
pub mod grants;
pub mod inbox;
pub mod interrupt;
pub mod needs;
pub mod synthetic;
pub mod warroom;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::blackout;
use crate::drivers::Drivers;
use crate::engine::{Action, BlackoutOverride, Engine, Event, RunState, Verdict};
use crate::error::{CutoverError, Result};
use crate::journal::{Journal, Record};
use crate::plan::Plan;

pub use console::{Console, Observer};
pub use context::{RunDir, RunInfo, OWN_VERSION};

/// How the controller behaves.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Read checkpoint decisions from the terminal.
    pub interactive: bool,
    /// Who confirms manual steps and checks run by this controller (`--by`);
    /// without it they wait for `lms cutover confirm`.
    pub operator: Option<String>,
    /// Crash-test hook: stop (without acting) after journaling the start of
    /// this action, e.g. `backup`, and wait to be killed. Read from
    /// `LMS_CUTOVER_STALL_AT` by the CLI.
    pub stall_at: Option<String>,
}

/// How long a finished run waits for its last war-room events to be
/// delivered (every attempt of one event takes at most 7.5 s).
const FEED_FLUSH: std::time::Duration = std::time::Duration::from_secs(10);

/// A blackout override as given on the command line.
#[derive(Debug, Clone)]
pub struct Override {
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// A controller bound to one run.
pub struct Runner {
    pub(crate) engine: Engine,
    pub(crate) drivers: Drivers,
    pub(crate) journal: Journal,
    pub(crate) state: RunState,
    pub(crate) dir: RunDir,
    pub(crate) resolved: context::Resolved,
    pub(crate) observer: Arc<dyn Observer>,
    pub(crate) opts: RunOptions,
    pub(crate) stdin: Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
    /// When this controller started: decisions queued before are stale.
    pub(crate) started: DateTime<Utc>,
    /// SIGINT / SIGTERM received and not yet handled.
    pub(crate) interrupts: interrupt::Interrupts,
    /// War-room events on their way to the webhook, when the plan has one.
    pub(crate) feed: Option<warroom::Feed>,
    /// The plan's synthetic traffic, once traffic started moving.
    pub(crate) synthetic: Option<synthetic::SyntheticLoad>,
    _lock: std::fs::File,
}

/// Checks the blackout calendar for a run starting `now`: `Ok(None)` when
/// clear, `Ok(Some(override))` when blocked but overridden (to record),
/// an error naming every rule otherwise.
pub fn blackout_gate(plan: &Plan, now: DateTime<Utc>, ov: Option<&Override>) -> Result<Option<BlackoutOverride>> {
    match blackout::check(plan, now) {
        Ok(()) => Ok(ov.map(|o| BlackoutOverride { by: o.by.clone(), reason: o.reason.clone(), rules: Vec::new() })),
        Err(blocked) => {
            let rules: Vec<String> = blocked.rules.iter().map(|r| r.to_string()).collect();
            match ov {
                Some(o) if !o.by.trim().is_empty() && !o.reason.trim().is_empty() => {
                    Ok(Some(BlackoutOverride { by: o.by.clone(), reason: o.reason.clone(), rules }))
                }
                _ => Err(CutoverError::DecisionRefused(format!(
                    "the cutover may not start now: {blocked}; use --override-blackout --by NAME --reason TEXT to override (recorded)"
                ))),
            }
        }
    }
}

impl Runner {
    /// Creates the run: writes the plan copy and `run.json`, creates the
    /// journal and records `RunStarted`.
    pub fn start(
        plan_text: &str,
        info: &RunInfo,
        dir: RunDir,
        blackout_override: Option<BlackoutOverride>,
        observer: Arc<dyn Observer>,
        opts: RunOptions,
    ) -> Result<Self> {
        let plan = crate::plan::parse(plan_text)?;
        context::ensure_dir(&dir.root)?;
        if dir.journal().exists() {
            return Err(CutoverError::DecisionRefused(format!(
                "{} already holds a run; use `lms cutover resume`",
                dir.root.display()
            )));
        }
        let lock = context::try_lock(&dir)?
            .ok_or_else(|| CutoverError::DecisionRefused("another controller holds this run".into()))?;
        std::fs::write(dir.plan(), plan_text).map_err(|source| CutoverError::JournalIo { path: dir.plan(), source })?;
        info.save(&dir)?;
        let journal = Journal::create(dir.journal())?;
        let mut runner = Self::assemble(plan, info, dir, journal, RunState::default(), observer, opts, lock)?;
        runner.record(Event::RunStarted {
            plan_id: runner.engine.plan().meta.id.clone(),
            own_version: OWN_VERSION.to_string(),
            blackout_override,
        })?;
        Ok(runner)
    }

    /// Continues a run from its journal (after a crash or a stop) and
    /// records `Resumed`. A finished run is returned as is.
    pub fn resume(dir: RunDir, observer: Arc<dyn Observer>, opts: RunOptions) -> Result<Self> {
        let lock = context::try_lock(&dir)?.ok_or_else(|| {
            CutoverError::DecisionRefused("a controller is still running this run (its lock is held)".into())
        })?;
        let info = RunInfo::load(&dir)?;
        let plan = crate::plan::load(dir.plan())?;
        let (journal, contents) = Journal::open(dir.journal())?;
        let state = contents.state();
        let mut runner = Self::assemble(plan, &info, dir, journal, state, observer, opts, lock)?;
        if runner.state.verdict.is_none() {
            runner.record(Event::Resumed)?;
        }
        Ok(runner)
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        plan: Plan,
        info: &RunInfo,
        dir: RunDir,
        journal: Journal,
        state: RunState,
        observer: Arc<dyn Observer>,
        opts: RunOptions,
        lock: std::fs::File,
    ) -> Result<Self> {
        let resolved = context::Resolved::new(&plan, info)?;
        let drivers = context::local_drivers(&plan, &resolved, &dir, info.demo_accounts)?;
        context::ensure_dir(&dir.inbox())?;
        let stdin = opts.interactive.then(spawn_stdin);
        let feed = (resolved.webhook.is_some() && tokio::runtime::Handle::try_current().is_ok())
            .then(|| warroom::Feed::start(drivers.notify.clone(), plan.meta.id.clone(), dir.run_id()));
        Ok(Runner {
            feed,
            synthetic: None,
            engine: Engine::new(plan),
            drivers,
            journal,
            state,
            dir,
            resolved,
            observer,
            opts,
            stdin,
            started: Utc::now(),
            interrupts: interrupt::Interrupts::listen(),
            _lock: lock,
        })
    }

    /// The state so far.
    pub fn state(&self) -> &RunState {
        &self.state
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The run directory.
    pub fn dir(&self) -> &RunDir {
        &self.dir
    }

    /// Reopens a run that went live so that its rollback flow sends all
    /// traffic back to blue, verifies blue and records a rolled-back
    /// verdict. Refused unless the run went live and blue answers healthy
    /// with the version the plan expects: green may have written data that
    /// blue must now read, so the caller asks for an explicit confirmation.
    pub async fn reopen_for_rollback(&mut self, by: &str, reason: &str) -> Result<()> {
        let previous = match &self.state.verdict {
            Some(v @ Verdict::GoLive) => v.clone(),
            Some(v) => {
                return Err(CutoverError::DecisionRefused(format!(
                    "the run ended {}: there is nothing to roll back",
                    console::verdict_line(v)
                )))
            }
            None => {
                return Err(CutoverError::DecisionRefused(
                    "the run has not gone live; roll back without --after-go-live".into(),
                ))
            }
        };
        if by.trim().is_empty() || reason.trim().is_empty() {
            return Err(CutoverError::DecisionRefused("say who (--by) and why (--reason)".into()));
        }
        let expect = self.engine.plan().versions.blue.clone();
        let own = self.state.own_version.clone();
        let blue = self.health(crate::units::Slot::Blue, &expect, &own).await;
        if !blue.healthy {
            return Err(CutoverError::DecisionRefused(format!(
                "blue is not healthy ({}); start blue before sending traffic back to it",
                blue.detail
            )));
        }
        self.record(Event::ReopenedForRollback { by: by.trim().into(), reason: reason.trim().into(), previous })?;
        Ok(())
    }

    /// Records a person's rollback request (the controller acts on it
    /// before anything else); refused when the run is over or already
    /// rolling back.
    pub fn request_rollback(&mut self, by: &str, reason: &str) -> Result<()> {
        if let Some(v) = &self.state.verdict {
            return Err(CutoverError::DecisionRefused(format!("the run is over: {}", console::verdict_line(v))));
        }
        if by.trim().is_empty() || reason.trim().is_empty() {
            return Err(CutoverError::DecisionRefused("say who (--by) and why (--reason)".into()));
        }
        if self.state.rollback.is_none() {
            self.record(Event::RollbackRequested { by: by.trim().into(), reason: reason.trim().into() })?;
        }
        Ok(())
    }

    /// Journals an event and applies it.
    pub(crate) fn record(&mut self, event: Event) -> Result<Record> {
        let rec = self.journal.append(Utc::now(), event)?;
        self.state.apply(rec.at, &rec.event);
        self.observer.record(&rec, &self.state, &self.engine);
        if let Some(feed) = &mut self.feed {
            feed.observe(&rec, &self.state);
        }
        Ok(rec)
    }

    /// Starts the plan's synthetic traffic at the first traffic change or
    /// wait on the gates (also after a resume), and says so to the war room.
    async fn start_synthetic(&mut self, action: &Action) -> Result<()> {
        let Some(spec) = self.engine.plan().monitoring.synthetic.clone() else { return Ok(()) };
        let moving =
            matches!(action, Action::SetWeights { .. } | Action::Monitor { .. } | Action::AwaitCheckpoint { .. });
        if self.synthetic.is_some() || !moving {
            return Ok(());
        }
        let url = self.resolved.traffic.public_url.clone();
        self.synthetic = Some(synthetic::SyntheticLoad::start(&url, &spec)?);
        let notice = crate::engine::Notice::Announce {
            message: format!(
                "synthetic traffic on: {} request(s)/s of GET {} through {url}, so the gates have data",
                spec.rate,
                spec.paths.join(", ")
            ),
        };
        let ok = self.notify(notice.clone()).await;
        self.record(Event::Notified { step: None, notice, ok })?;
        Ok(())
    }

    /// Journals the war-room deliveries that finished (a failed one is in
    /// the report) and says so on the console when one was given up.
    pub(crate) fn record_deliveries(&mut self) -> Result<()> {
        let finished = self.feed.as_ref().map(|f| f.take_finished()).unwrap_or_default();
        for d in finished {
            if let Some(line) = warroom::given_up(&d) {
                self.observer.note(&line);
            }
            self.record(Event::Notified { step: None, notice: d.notice, ok: d.ok })?;
        }
        Ok(())
    }

    /// Runs until the verdict.
    pub async fn run(mut self) -> Result<Verdict> {
        loop {
            self.poll_inbox(Utc::now()).await?;
            let action = self.engine.next(&self.state, Utc::now());
            if let Action::Complete { verdict } = &action {
                if self.state.verdict.is_none() {
                    self.record(Event::ActionStarted { action: action.clone() })?;
                    self.record(Event::RunCompleted { verdict: verdict.clone() })?;
                }
                // The verdict reaches the war room (or is recorded as not
                // delivered) before the controller exits.
                if let Some(feed) = &self.feed {
                    feed.flush(FEED_FLUSH).await;
                }
                self.record_deliveries()?;
                self.observer.finished(verdict, &self.state, &self.engine);
                return Ok(verdict.clone());
            }
            self.record(Event::ActionStarted { action: action.clone() })?;
            self.start_synthetic(&action).await?;
            if self.opts.stall_at.as_deref() == Some(action.name()) {
                self.observer.note(&format!("stalled at {} (LMS_CUTOVER_STALL_AT)", action.name()));
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                }
            }
            if let Some(event) = self.act(action).await? {
                self.record(event)?;
            }
        }
    }
}

fn spawn_stdin() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
            if tx.send(line.trim().to_string()).is_err() {
                break;
            }
            line.clear();
        }
    });
    rx
}
