//! `lms cutover rehearse`: the whole plan on this machine, end to end, with
//! time compressed. Starts blue (`lms serve --slot blue --demo`) on a
//! database (SQLite in the run directory unless a URL is given), the proxy
//! in front (in-process, 100% blue, optionally with a fault injected on
//! green; or, with `--traffic haproxy|nginx`, that real engine with a real
//! Prometheus for the gates and the fault injected by green itself), the
//! LMS load mix at a steady rate for the whole run, and — through a real
//! engine, or when asked — a client asking which slot answers every 10 ms
//! ([`client_view`]); then runs
//! the plan through the same [`Runner`] as a real cutover and writes the
//! report with the rehearsal's figures. Everything it started is stopped at
//! the end (green included: a rehearsal leaves nothing running).
//!
//! Knows how to stage a cutover on one machine; the runbook's rules stay in
//! the engine.

pub mod client_view;
pub mod engine;
pub mod env;
pub mod load;
pub mod phases;
pub mod real_engines;
pub mod writes;

pub use engine::TrafficEngine;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::engine::Verdict;
use crate::error::{CutoverError, Result};
use crate::runner::console::{Console, Extra, Observer};
use crate::runner::{blackout_gate, context, RunDir, RunInfo, RunOptions, Runner, OWN_VERSION};

/// The built-in rehearsal plan.
pub const DEFAULT_PLAN: &str = include_str!("../../../../examples/cutover/rehearsal.toml");

/// A fault injected on green through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Fault {
    /// This share of green's requests answered 500 by the proxy.
    ErrorRate(f64),
    /// This share of green's requests delayed by `ms`.
    Latency {
        /// Share, percent.
        percent: f64,
        /// Added delay.
        ms: u64,
    },
}

/// The form `lms serve --inject-fault` takes.
impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::ErrorRate(p) => write!(f, "error-rate={p}%"),
            Fault::Latency { ms, .. } => write!(f, "latency={ms}ms"),
        }
    }
}

impl std::str::FromStr for Fault {
    type Err = CutoverError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || CutoverError::invalid("fault", format!("{s:?}: use error-rate=5% or latency=800ms"));
        let (k, v) = s.split_once('=').ok_or_else(bad)?;
        match k.trim() {
            "error-rate" => {
                let p: f64 = v.trim().trim_end_matches('%').parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad());
                }
                Ok(Fault::ErrorRate(p))
            }
            "latency" => {
                let ms: u64 = v.trim().trim_end_matches("ms").parse().map_err(|_| bad())?;
                Ok(Fault::Latency { percent: 100.0, ms })
            }
            _ => Err(bad()),
        }
    }
}

/// What to rehearse.
#[derive(Debug, Clone)]
pub struct RehearseOptions {
    /// Plan text and where it came from; `None` = the built-in plan.
    pub plan: Option<(String, String)>,
    /// Runs go to `<out>/<run-id>/`.
    pub out: PathBuf,
    /// A database URL (PostgreSQL); default SQLite in the run directory.
    pub database_url: Option<String>,
    /// Ports: proxy at base, blue base+1, green base+2, admin base+10; 0 = free ports.
    pub port_base: u16,
    /// Load generator reads per second.
    pub rate: f64,
    /// Share of all requests that write (submit, approve, cancel).
    pub write_ratio: f64,
    /// Turn maintenance mode on at step 4 and off at step 16, as the
    /// production plan does (the built-in plan leaves it off).
    pub maintenance: bool,
    /// Fault injected on green.
    pub inject: Option<Fault>,
    /// The engine in front of blue and green.
    pub traffic: TrafficEngine,
    /// Watch which slot answers through the public URL (always through a
    /// real engine; with the built-in proxy its window then counts these
    /// 100 requests/s too).
    pub client_view: bool,
    /// Print nothing while running.
    pub quiet: bool,
    /// Crash-test hook passed to the runner.
    pub stall_at: Option<String>,
    /// Serve the war room's page on this address while the rehearsal runs.
    pub dashboard: Option<std::net::SocketAddr>,
}

/// Rehearsal figures, written to `rehearsal.json` and into the report.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// The fault injected, if any.
    pub injected: Option<Fault>,
    /// The engine that moved the traffic.
    pub traffic: TrafficEngine,
    /// Wall time of the whole rehearsal (start of blue to report), seconds.
    pub wall_secs: f64,
    /// Seconds the plan itself ran (journal start to verdict).
    pub run_secs: f64,
    /// Load generator totals.
    pub load: load::LoadFigures,
    /// The load per phase of the cutover (before the canary, each split,
    /// after a rollback).
    pub phases: Vec<phases::PhaseFigures>,
    /// Trigger to `RolledBack` journaled, ms (controller's view).
    pub rollback_trigger_to_blue_ms: Option<i64>,
    /// Trigger to the proxy's rollback change record, ms (the proxy's view).
    pub rollback_trigger_to_proxy_ms: Option<i64>,
    /// First failure seen by the load generator to rollback complete, ms.
    pub first_error_to_rollback_ms: Option<i64>,
    /// Trigger to the first answer from blue after green's last, through
    /// the public URL (the rollback as a client observes it), ms; to within
    /// `client_view_every_ms` and green's share of the answers.
    pub rollback_trigger_to_client_blue_ms: Option<i64>,
    /// How often the client asked which slot answers, ms.
    pub client_view_every_ms: u64,
    /// Answers to that client, per slot.
    pub client_view_answers: BTreeMap<String, u64>,
    /// Ports used.
    pub ports: BTreeMap<String, u16>,
}

/// How a rehearsal ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The verdict.
    pub verdict: Verdict,
    /// The run directory.
    pub run_dir: PathBuf,
    /// The figures.
    pub figures: Figures,
}

fn new_run_id() -> String {
    format!("rehearsal-{}-{:04x}", Utc::now().format("%Y%m%dT%H%M%SZ"), rand::random::<u16>())
}

/// Runs a rehearsal.
pub async fn rehearse(opts: RehearseOptions) -> Result<Outcome> {
    let t0 = std::time::Instant::now();
    let (mut plan_text, source) =
        opts.plan.clone().unwrap_or_else(|| (DEFAULT_PLAN.to_string(), "built-in rehearsal plan".to_string()));
    if opts.database_url.as_deref().is_some_and(|u| u.starts_with("postgres")) {
        plan_text = plan_text.replacen("kind = \"sqlite\"", "kind = \"postgres\"", 1);
    }
    if opts.maintenance {
        plan_text = plan_text.replacen("[maintenance]\nenabled = false", "[maintenance]\nenabled = true", 1);
    }
    let fault_by_green =
        (opts.traffic != TrafficEngine::LmsProxy).then(|| opts.inject.map(|f| f.to_string())).flatten();
    plan_text = engine::point_plan(&plan_text, opts.traffic, fault_by_green.as_deref())?;
    let plan = crate::plan::parse(&plan_text)?;
    if opts.maintenance && !plan.maintenance.enabled {
        return Err(CutoverError::invalid(
            "maintenance",
            "the plan has no `[maintenance]` section with `enabled = false` to turn on; set `enabled = true` in it",
        ));
    }
    let run_id = new_run_id();
    let dir = RunDir::new(opts.out.join(&run_id));
    context::ensure_dir(&dir.root)?;
    let root = std::fs::canonicalize(&dir.root)
        .map_err(|source| CutoverError::JournalIo { path: dir.root.clone(), source })?;
    let dir = RunDir::new(root);
    let _dashboard = match opts.dashboard {
        Some(addr) => {
            let d = crate::dashboard::serve(dir.clone(), addr, crate::dashboard::Mode::Controller).await?;
            eprintln!("war room: {}", d.url());
            Some(d)
        }
        None => None,
    };

    let ports = env::ports(opts.port_base)?;
    let exe = std::env::current_exe().map_err(|e| CutoverError::invalid("executable", e.to_string()))?;
    let mut vars = BTreeMap::new();
    vars.insert("self".to_string(), exe.display().to_string());
    vars.insert("version".to_string(), OWN_VERSION.to_string());
    vars.insert("run_dir".to_string(), dir.root.display().to_string());
    for (k, v) in &ports {
        vars.insert(format!("{k}_port"), v.to_string());
    }
    if let Some(url) = &opts.database_url {
        vars.insert("database_url".to_string(), url.clone());
    }
    let info = RunInfo {
        demo_accounts: true,
        rehearsal: true,
        ..RunInfo::capture(&plan, run_id.clone(), source, vars, |n| std::env::var(n).ok())?
    };
    let resolved = context::Resolved::new(&plan, &info)?;

    let mut stage = env::Stage::default();
    // Until the runner takes over signals, SIGINT or SIGTERM stops the
    // staging, and what was started is stopped below.
    let mut signals = env::StagingSignals::listen();
    let result = async {
        let staging = async {
            env::start_blue(&mut stage, &dir, &resolved).await?;
            // The production runbook expects an automated backup younger than
            // four hours before the cutover (pre-check T-1h#4); stage one.
            env::nightly_backup(&plan, &resolved).await?;
            match opts.traffic {
                TrafficEngine::LmsProxy => env::start_proxy(&mut stage, &resolved, &ports, opts.inject).await?,
                engine => real_engines::start(engine, &dir, &ports, &mut stage.engines).await?,
            }
            load::Load::start(&resolved.traffic.public_url, opts.rate, opts.write_ratio).await
        };
        let load = Arc::new(signals.unless_signalled(staging, &dir.root.display().to_string()).await?);
        // Its /api/health requests are left out by the Prometheus queries,
        // but the built-in proxy's window counts them: there it is asked for.
        let client_view = (opts.client_view || opts.traffic != TrafficEngine::LmsProxy)
            .then(|| client_view::ClientView::start(&resolved.traffic.public_url));
        let l2 = load.clone();
        let extra: Extra = Arc::new(move || l2.line());
        let observer: Arc<dyn Observer> =
            if opts.quiet { Arc::new(Console::quiet()) } else { Arc::new(Console::new(Some(extra))) };
        let blackout = blackout_gate(&plan, Utc::now(), None)?;
        let runner = Runner::start(
            &plan_text,
            &info,
            dir.clone(),
            blackout,
            observer,
            RunOptions { interactive: false, operator: None, stall_at: opts.stall_at.clone() },
        )?;
        let verdict = runner.run().await;
        let answers = client_view.map(client_view::ClientView::stop).unwrap_or_default();
        let verdict = verdict?;
        let samples = load.samples();
        let load = load.stop();
        Ok::<_, CutoverError>((verdict, (load, samples), answers))
    }
    .await;
    let proxy_changes = stage.proxy_changes().await;
    let (verdict, (load, samples), answers) = match result {
        Ok(v) => v,
        Err(e) => {
            env::teardown(&mut stage, &dir).await;
            return Err(e);
        }
    };
    let contents = crate::journal::read(dir.journal())?;
    let state = contents.state();
    let phases = phases::per_phase(&samples, &phases::changes(&contents.records));
    let run_secs = match (state.started_at, state.last_event_at) {
        (Some(a), Some(b)) => (b - a).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    let rb = state.rollback.as_ref();
    let proxy_ms = rb.and_then(|r| {
        proxy_changes
            .iter()
            .rev()
            .find(|(_, what)| what.starts_with("rollback"))
            .map(|(at, _)| (*at - r.triggered_at).num_milliseconds())
    });
    let done_at: Option<DateTime<Utc>> = rb.and_then(|r| r.on_blue_at);
    let mut client_view_answers = BTreeMap::new();
    for (_, slot) in &answers {
        *client_view_answers.entry(slot.clone()).or_insert(0) += 1;
    }
    let figures = Figures {
        injected: opts.inject,
        traffic: opts.traffic,
        rollback_trigger_to_client_blue_ms: rb.and_then(|r| client_view::rollback_ms(&answers, r.triggered_at)),
        client_view_every_ms: u64::try_from(client_view::EVERY.as_millis()).unwrap_or(u64::MAX),
        client_view_answers,
        wall_secs: 0.0,
        run_secs,
        rollback_trigger_to_blue_ms: rb.and_then(|r| r.on_blue_at.map(|t| (t - r.triggered_at).num_milliseconds())),
        rollback_trigger_to_proxy_ms: proxy_ms,
        first_error_to_rollback_ms: match (load.first_failure_at, done_at) {
            (Some(a), Some(b)) => Some((b - a).num_milliseconds()),
            _ => None,
        },
        load,
        phases,
        ports: ports.clone(),
    };
    env::teardown(&mut stage, &dir).await;
    let figures = Figures { wall_secs: t0.elapsed().as_secs_f64(), ..figures };
    let text = serde_json::to_string_pretty(&figures).map_err(|e| CutoverError::invalid("figures", e.to_string()))?;
    std::fs::write(dir.figures(), text).map_err(|source| CutoverError::JournalIo { path: dir.figures(), source })?;
    crate::report::write(&dir)?;
    Ok(Outcome { verdict, run_dir: dir.root.clone(), figures })
}
