//! `lms cutover`: the executable runbook. Parses arguments and calls
//! `lms_cutover`; all the cutover's logic lives there.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use lms_cutover::engine::Verdict;
use lms_cutover::plan::Decision;
use lms_cutover::rehearse::{Fault, RehearseOptions};
use lms_cutover::runner::console::{verdict_line, Console};
use lms_cutover::runner::context::{RunDir, RunInfo};
use lms_cutover::runner::grants::{self, Permission};
use lms_cutover::runner::inbox::Request;
use lms_cutover::runner::needs;
use lms_cutover::runner::{blackout_gate, Override, RunOptions, Runner, OWN_VERSION};

/// Exit codes of `lms cutover run|resume|rehearse|rollback` and the others.
pub const EXIT_GO_LIVE: u8 = 0;
/// Traffic went back to blue.
pub const EXIT_ROLLED_BACK: u8 = 1;
/// The run stopped before any traffic moved.
pub const EXIT_ABORTED: u8 = 2;
/// A usage or plan error, or a request the run refused.
pub const EXIT_USAGE: u8 = 3;
/// A person stopped or held the run; it can be resumed.
pub const EXIT_HELD: u8 = 4;

/// The exit codes as `--help` shows them.
pub const EXIT_CODES_HELP: &str = "Exit codes:
  0  go-live confirmed (or the command did what it was asked)
  1  rolled back: all traffic is on blue
  2  aborted before any traffic moved to green
  3  usage or plan error, or a request the run refused (nothing was changed)
  4  held or stopped by a person; `lms cutover resume RUN` continues";

#[derive(clap::Args, Debug)]
pub struct CutoverArgs {
    #[command(subcommand)]
    pub action: Action,
}

/// Where a run lives: a run directory, or the latest under --out.
#[derive(clap::Args, Debug, Clone)]
pub struct RunRef {
    /// The run directory (default: the most recent run under --out).
    #[arg(long = "run")]
    pub run: Option<PathBuf>,
    /// Where runs are kept.
    #[arg(long, default_value = "cutover-runs")]
    pub out: PathBuf,
}

impl RunRef {
    fn dir(&self, positional: Option<PathBuf>) -> anyhow::Result<RunDir> {
        let path = match positional.or_else(|| self.run.clone()) {
            Some(p) => p,
            None => lms_cutover::control::latest_run(&self.out)?,
        };
        if !path.join("journal.jsonl").exists() {
            bail!("{} is not a run directory (no journal.jsonl)", path.display());
        }
        Ok(RunDir::new(path))
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Rehearse the whole plan on this machine with time compressed (blue, proxy, load, green, report).
    Rehearse {
        /// Plan file (default: the built-in rehearsal plan).
        #[arg(long)]
        plan: Option<PathBuf>,
        /// Runs go to DIR/<run-id>/.
        #[arg(long, default_value = "cutover-runs")]
        out: PathBuf,
        /// Database (PostgreSQL URL); default SQLite in the run directory.
        #[arg(long)]
        database_url: Option<String>,
        /// Proxy on BASE, blue BASE+1, green BASE+2, admin BASE+10, Prometheus BASE+11, engine metrics BASE+12; 0 picks free ports.
        #[arg(long, default_value_t = 18080)]
        port_base: u16,
        /// Load generator reads per second (writes come on top, see --write-ratio).
        #[arg(long, default_value_t = 200.0)]
        rate: f64,
        /// Share of all requests that write: submit, approve and cancel leave requests (0 to 0.9).
        #[arg(long, default_value_t = 0.2, value_parser = write_ratio)]
        write_ratio: f64,
        /// Turn maintenance mode on at step 4 and off at step 16, as the production plan does.
        #[arg(long)]
        maintenance: bool,
        /// Inject a fault on green (through the proxy, or by green itself behind
        /// HAProxy or nginx): error-rate=5% or latency=800ms.
        #[arg(long)]
        inject_failure: Option<String>,
        /// The engine in front of blue and green: lms-proxy (in-process), or a
        /// real haproxy or nginx with a real Prometheus for the gates.
        #[arg(long, default_value = "lms-proxy", value_parser = traffic_engine)]
        traffic: lms_cutover::rehearse::TrafficEngine,
        /// Ask /api/health through the public URL every 10 ms and report the
        /// rollback as a client sees it (always on through haproxy or nginx;
        /// with lms-proxy these requests count in the proxy's window).
        #[arg(long)]
        client_view: bool,
        /// Print only the verdict.
        #[arg(long)]
        quiet: bool,
        /// Serve the war room's live page on this address (e.g. 127.0.0.1:8090).
        #[arg(long, value_name = "ADDR")]
        dashboard: Option<SocketAddr>,
    },
    /// Issue a per-person credential for a run, in one of the plan's roles (printed once; the run keeps only its hash).
    Grant {
        #[command(flatten)]
        at: RunRef,
        /// The role, as the plan names it or an alias (e.g. release-commander).
        #[arg(long, required_unless_present = "list")]
        role: Option<String>,
        /// The person.
        #[arg(long, required_unless_present = "list")]
        name: Option<String>,
        /// List the credentials issued (names, roles, when; never the tokens).
        #[arg(long)]
        list: bool,
    },
    /// List every value a plan needs from the environment (placeholders, secrets, smoke accounts), whether each is set, and which steps use it.
    Env {
        /// The plan file.
        #[arg(value_name = "PLAN")]
        plan: PathBuf,
    },
    /// Start a cutover from a plan.
    Run {
        /// The plan file.
        #[arg(value_name = "PLAN", required_unless_present = "plan_flag")]
        plan: Option<PathBuf>,
        /// The plan file (older spelling of the PLAN argument).
        #[arg(long = "plan", value_name = "PLAN", hide = true, conflicts_with = "plan")]
        plan_flag: Option<PathBuf>,
        /// Runs go to DIR/<run-id>/.
        #[arg(long, default_value = "cutover-runs")]
        out: PathBuf,
        /// The run's id (default: run-<time>).
        #[arg(long)]
        run_id: Option<String>,
        /// Placeholder values (NAME=VALUE, repeatable), e.g. database_url=...
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// Who runs this controller; confirms manual steps and checks (recorded).
        #[arg(long)]
        by: Option<String>,
        /// Start despite a blackout or outside the window (needs --by and --reason; recorded).
        #[arg(long)]
        override_blackout: bool,
        /// Why the blackout is overridden.
        #[arg(long)]
        reason: Option<String>,
        /// Do not read checkpoint decisions from the terminal.
        #[arg(long)]
        no_prompt: bool,
        /// Serve the war room's live page on this address (loopback unless behind TLS).
        #[arg(long, value_name = "ADDR")]
        dashboard: Option<SocketAddr>,
    },
    /// Continue a run from its journal (after kill -9, a reboot, a stop).
    Resume {
        /// The run directory.
        run: PathBuf,
        /// Who runs this controller.
        #[arg(long)]
        by: Option<String>,
        /// Do not read checkpoint decisions from the terminal.
        #[arg(long)]
        no_prompt: bool,
        /// Serve the war room's live page on this address (loopback unless behind TLS).
        #[arg(long, value_name = "ADDR")]
        dashboard: Option<SocketAddr>,
    },
    /// Serve the war room's page of a run read-only from its journal (a run whose controller is gone, or to watch from elsewhere).
    Dashboard {
        /// The run directory.
        #[arg(value_name = "RUN")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        at: RunRef,
        /// Where to listen (loopback unless behind TLS).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
    },
    /// Where a run stands.
    Status {
        /// The run directory.
        #[arg(value_name = "RUN")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        at: RunRef,
    },
    /// Decide the open checkpoint from another terminal.
    Decide {
        #[command(flatten)]
        at: RunRef,
        /// Checkpoint number.
        #[arg(long)]
        checkpoint: u32,
        /// proceed, hold, rollback, go-live-confirmed, extended-monitoring.
        #[arg(long)]
        decision: String,
        #[command(flatten)]
        who: Who,
        /// A note.
        #[arg(long)]
        note: Option<String>,
        /// Reason to proceed despite alerts that force a hold.
        #[arg(long)]
        override_reason: Option<String>,
        /// The evidence you decided on, as `lms cutover status` shows it
        /// (checkpoint.round.samples); default: the evidence at this moment.
        #[arg(long)]
        evidence: Option<String>,
        /// Send it to the controller's war room at this URL (another host) instead of the local run directory.
        #[arg(long, value_name = "URL")]
        controller: Option<String>,
    },
    /// All traffic back to blue now. Works with the controller dead and
    /// from a fresh shell: everything it needs is in the run directory.
    Rollback {
        #[command(flatten)]
        at: RunRef,
        #[command(flatten)]
        who: Who,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Confirm a rollback of a run that already went live: green may
        /// have written data that blue must now read (blue must be healthy).
        #[arg(long)]
        after_go_live: bool,
        /// Send it to the controller's war room at this URL (another host) instead of the local run directory.
        #[arg(long, value_name = "URL", conflicts_with = "after_go_live")]
        controller: Option<String>,
    },
    /// Confirm a manual step or a post-cutover checklist item.
    Confirm {
        #[command(flatten)]
        at: RunRef,
        /// A step number.
        #[arg(long)]
        step: Option<u32>,
        /// A checklist item id.
        #[arg(long)]
        item: Option<String>,
        #[command(flatten)]
        who: Who,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Write the report (Markdown, JSON, HTML) of a run.
    Report {
        /// The run directory.
        #[arg(value_name = "RUN")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        at: RunRef,
    },
    /// Stop green (it is left running after a rollback until told).
    StopGreen {
        /// The run directory.
        #[arg(value_name = "RUN")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        at: RunRef,
    },
    /// Scale blue's Deployment to zero after go-live, once the plan's
    /// `[kubernetes.blue] keep_warm` has passed.
    ScaleDownBlue {
        /// The run directory.
        #[arg(value_name = "RUN")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        at: RunRef,
    },
    /// Validate a plan and print its timeline as the seed's table.
    Show {
        /// The plan (default: the built-in rehearsal plan).
        #[arg(value_name = "PLAN")]
        path: Option<PathBuf>,
        /// The plan, as an option.
        #[arg(long, conflicts_with = "path")]
        plan: Option<PathBuf>,
    },
    /// Check a plan: every error with its line and column; exits non-zero when there is one.
    Validate {
        /// The plan file.
        #[arg(value_name = "PLAN")]
        plan: PathBuf,
    },
}

/// The exit code a verdict ends the process with.
pub fn verdict_code(v: &Verdict) -> u8 {
    match v {
        Verdict::GoLive => EXIT_GO_LIVE,
        Verdict::RolledBack { .. } => EXIT_ROLLED_BACK,
        Verdict::Aborted { .. } => EXIT_ABORTED,
    }
}

fn verdict_result(v: &Verdict, dir: &std::path::Path) -> anyhow::Result<u8> {
    eprintln!("report: {}", dir.join("report.html").display());
    println!("{}", verdict_line(v));
    Ok(verdict_code(v))
}

/// The exit code of a controller that ended: its verdict's, or 4 when a
/// person stopped it and left the run as it is (the report is written either way).
fn ended(result: lms_cutover::Result<Verdict>, dir: &RunDir) -> anyhow::Result<u8> {
    match result {
        Ok(v) => {
            lms_cutover::report::write(dir)?;
            verdict_result(&v, &dir.root)
        }
        Err(e @ lms_cutover::CutoverError::Stopped { .. }) => {
            let _ = lms_cutover::report::write(dir);
            eprintln!("{e}");
            Ok(EXIT_HELD)
        }
        Err(e) => Err(e.into()),
    }
}

/// Who acts: their run credential, or a name on a run without credentials.
#[derive(clap::Args, Debug, Clone)]
pub struct Who {
    /// Who you are, on a run without per-person credentials (with them, the token says who).
    #[arg(long)]
    by: Option<String>,
    /// Your credential for this run (`lms cutover grant` issues it).
    #[arg(long, env = "LMS_CUTOVER_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl Who {
    /// Who acts, as the journal records them (see `grants::authorize`).
    fn authorize(&self, dir: &RunDir, what: Permission) -> lms_cutover::Result<String> {
        grants::authorize(dir, self.token.as_deref(), self.by.as_deref(), what)
    }
}

/// `--traffic`: lms-proxy, haproxy or nginx.
fn traffic_engine(s: &str) -> Result<lms_cutover::rehearse::TrafficEngine, String> {
    s.parse().map_err(|e: lms_cutover::CutoverError| e.to_string())
}

/// `--write-ratio`: a share of requests from 0 to 0.9.
fn write_ratio(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if (0.0..=0.9).contains(&r) => Ok(r),
        _ => Err(format!("`{s}` is not a share between 0 and 0.9 (e.g. 0.2 for 20 % writes)")),
    }
}

/// Serves the war room beside the controller when asked, and says where.
async fn war_room(dir: &RunDir, addr: Option<SocketAddr>) -> anyhow::Result<Option<lms_cutover::dashboard::Dashboard>> {
    let Some(addr) = addr else { return Ok(None) };
    let d = lms_cutover::dashboard::serve(dir.clone(), addr, lms_cutover::dashboard::Mode::Controller).await?;
    eprintln!("war room: {}", d.url());
    if !addr.ip().is_loopback() {
        eprintln!("note: the war room listens beyond this machine: serve it behind TLS (credentials travel with every request)");
    }
    Ok(Some(d))
}

fn stall_at() -> Option<String> {
    std::env::var("LMS_CUTOVER_STALL_AT").ok().filter(|s| !s.is_empty())
}

async fn wait_answer(dir: &RunDir, req: Request) -> anyhow::Result<u8> {
    match lms_cutover::control::submit(dir, &req, Duration::from_secs(30)).await? {
        Some(a) if a.accepted => {
            println!("{}", a.message);
            Ok(EXIT_GO_LIVE)
        }
        Some(a) => bail!("refused: {}", a.message),
        None => bail!("the controller did not answer within 30 s; the request was withdrawn (nothing was applied)"),
    }
}

pub async fn run(a: CutoverArgs) -> anyhow::Result<u8> {
    match a.action {
        Action::Rehearse {
            plan,
            out,
            database_url,
            port_base,
            rate,
            write_ratio,
            maintenance,
            inject_failure,
            quiet,
            traffic,
            client_view,
            dashboard,
        } => {
            let plan = match plan {
                Some(p) => Some((
                    std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?,
                    p.display().to_string(),
                )),
                None => None,
            };
            let inject = inject_failure.map(|s| s.parse::<Fault>()).transpose()?;
            let outcome = lms_cutover::rehearse::rehearse(RehearseOptions {
                plan,
                out,
                database_url,
                port_base,
                rate,
                write_ratio,
                maintenance,
                inject,
                traffic,
                client_view,
                quiet,
                stall_at: stall_at(),
                dashboard,
            })
            .await;
            let outcome = match outcome {
                Ok(o) => o,
                Err(e @ lms_cutover::CutoverError::Stopped { .. }) => {
                    eprintln!("{e}");
                    return Ok(EXIT_HELD);
                }
                Err(e) => return Err(e.into()),
            };
            let f = &outcome.figures;
            eprintln!(
                "load: {} reads, {} failed (reads and writes), {} skipped, {:.0} req/s; writes {} ok / {} paused by maintenance / {} conflicts / {} failed; wall {:.1} s{}",
                f.load.requests,
                f.load.failed_total,
                f.load.skipped,
                f.load.throughput_rps,
                f.load.writes.ok,
                f.load.writes.paused,
                f.load.writes.conflicts,
                f.load.writes.failed,
                f.wall_secs,
                match (f.rollback_trigger_to_proxy_ms, f.first_error_to_rollback_ms) {
                    (Some(p), Some(e)) => format!("; rollback trigger→proxy {p} ms, first error→rollback {e} ms"),
                    (Some(p), None) => format!("; rollback trigger→proxy {p} ms"),
                    _ => String::new(),
                } + &f
                    .rollback_trigger_to_client_blue_ms
                    .map_or(String::new(), |c| format!("; rollback trigger→client on blue {c} ms ({})", f.traffic))
            );
            for p in &f.phases {
                eprintln!(
                    "  {:<32} {:>6.1} s  {:>7} reads  {:>6} writes  {:>4} failed  {:>4} conflicts  {:>5} paused",
                    p.phase,
                    (p.to - p.from).num_milliseconds() as f64 / 1000.0,
                    p.reads,
                    p.writes,
                    p.failed,
                    p.write_conflicts,
                    p.writes_paused
                );
            }
            verdict_result(&outcome.verdict, &outcome.run_dir)
        }
        Action::Grant { at, role, name, list } => {
            let dir = at.dir(None)?;
            if list {
                let grants = grants::load(&dir)?;
                if grants.is_empty() {
                    println!("no credentials issued: decide, rollback and confirm take --by");
                }
                for g in grants {
                    println!("{:<28} {:<24} issued {}", g.name, g.role, g.issued_at.format("%Y-%m-%d %H:%M UTC"));
                }
                return Ok(EXIT_GO_LIVE);
            }
            let plan = lms_cutover::plan::load(dir.plan())?;
            let (role, name) = (role.unwrap_or_default(), name.unwrap_or_default());
            let (grant, token) = grants::issue(&dir, &plan, &role, &name)?;
            println!("{token}");
            eprintln!(
                "credential for {} as {} — shown once, not stored: hand it to them (export LMS_CUTOVER_TOKEN=…). From now on decide, rollback and confirm on this run need a credential.",
                grant.name, grant.role
            );
            Ok(EXIT_GO_LIVE)
        }
        Action::Env { plan } => {
            let parsed = lms_cutover::plan::load(&plan)?;
            let needs = needs::needs(&parsed, &|n| std::env::var(n).ok(), false);
            print!("{}", needs::render(&plan.display().to_string(), &needs));
            Ok(if needs::missing(&needs).is_empty() { EXIT_GO_LIVE } else { EXIT_USAGE })
        }
        Action::Run { plan, plan_flag, out, run_id, vars, by, override_blackout, reason, no_prompt, dashboard } => {
            let Some(plan) = plan.or(plan_flag) else { bail!("give the plan file: lms cutover run PLAN") };
            let text = std::fs::read_to_string(&plan).with_context(|| format!("reading {}", plan.display()))?;
            let parsed = lms_cutover::plan::parse(&text)?;
            let needs = needs::needs(&parsed, &|n| std::env::var(n).ok(), false);
            let missing = needs::missing(&needs);
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|n| n.name.as_str()).collect();
                return Err(lms_cutover::CutoverError::InvalidValue {
                    what: "environment",
                    message: format!(
                        "the plan needs {} value(s) that are not set: {}; nothing was started. `lms cutover env {}` lists what each is for",
                        names.len(),
                        names.join(", "),
                        plan.display()
                    ),
                }
                .into());
            }
            let ov = if override_blackout {
                match (&by, &reason) {
                    (Some(b), Some(r)) => Some(Override { by: b.clone(), reason: r.clone() }),
                    _ => bail!("--override-blackout needs --by NAME and --reason TEXT"),
                }
            } else {
                None
            };
            let blackout = blackout_gate(&parsed, chrono::Utc::now(), ov.as_ref())?;
            let id = run_id.unwrap_or_else(|| format!("run-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")));
            let dir = RunDir::new(std::path::absolute(out.join(&id))?);
            let mut base = BTreeMap::new();
            base.insert("self".into(), std::env::current_exe()?.display().to_string());
            base.insert("version".into(), OWN_VERSION.to_string());
            base.insert("run_dir".into(), dir.root.display().to_string());
            for v in vars {
                let (k, val) = v.split_once('=').with_context(|| format!("--var {v}: use NAME=VALUE"))?;
                base.insert(k.to_string(), val.to_string());
            }
            // Everything the plan reads from the environment is read now and
            // kept in the run directory; a missing value stops here, before step 1.
            let info = RunInfo::capture(&parsed, id, plan.display().to_string(), base, |n| std::env::var(n).ok())?;
            std::fs::create_dir_all(&dir.root)?;
            let opts = RunOptions {
                interactive: !no_prompt && std::io::stdin().is_terminal(),
                operator: by,
                stall_at: stall_at(),
            };
            eprintln!("run directory: {}", dir.root.display());
            // Bound first: an address in use stops here, before step 1.
            let _war_room = war_room(&dir, dashboard).await?;
            let runner = Runner::start(&text, &info, dir.clone(), blackout, Arc::new(Console::new(None)), opts)?;
            ended(runner.run().await, &dir)
        }
        Action::Resume { run, by, no_prompt, dashboard } => {
            let dir = RunDir::new(run);
            let opts = RunOptions {
                interactive: !no_prompt && std::io::stdin().is_terminal(),
                operator: by,
                stall_at: stall_at(),
            };
            let _war_room = war_room(&dir, dashboard).await?;
            let runner = Runner::resume(dir.clone(), Arc::new(Console::new(None)), opts)?;
            ended(runner.run().await, &dir)
        }
        Action::Dashboard { dir, at, listen } => {
            let dir = at.dir(dir)?;
            let d = lms_cutover::dashboard::serve(dir.clone(), listen, lms_cutover::dashboard::Mode::ReadOnly).await?;
            eprintln!("war room (read-only, from the journal of {}): {}", dir.root.display(), d.url());
            if !listen.ip().is_loopback() {
                eprintln!(
                    "note: it listens beyond this machine: serve it behind TLS (credentials travel with every request)"
                );
            }
            eprintln!("Ctrl-C stops it");
            tokio::signal::ctrl_c().await?;
            Ok(EXIT_GO_LIVE)
        }
        Action::Status { dir, at } => {
            print!("{}", lms_cutover::control::status(&at.dir(dir)?)?);
            Ok(EXIT_GO_LIVE)
        }
        Action::Decide { at, checkpoint, decision, who, note, override_reason, evidence, controller } => {
            if let Some(url) = controller {
                let d = lms_cutover::dashboard::client::Decide {
                    checkpoint,
                    decision,
                    note,
                    override_reason,
                    evidence,
                    by: who.by.clone(),
                };
                let reply = lms_cutover::dashboard::client::decide(&url, who.token.as_deref(), &d).await?;
                if !reply.accepted {
                    bail!("refused ({}): {}", reply.status, reply.message);
                }
                println!("{}", reply.message);
                return Ok(EXIT_GO_LIVE);
            }
            let decision: Decision = decision.parse()?;
            let dir = at.dir(None)?;
            let request = lms_cutover::control::DecideRequest {
                checkpoint,
                decision,
                by: who.by,
                token: who.token,
                note,
                override_reason,
                evidence,
            };
            let answer = lms_cutover::control::decide(&dir, request).await?;
            if !answer.accepted {
                bail!("refused: {}", answer.message);
            }
            println!("{}", answer.message);
            Ok(EXIT_GO_LIVE)
        }
        Action::Rollback { at, who, reason, after_go_live, controller } => {
            if let Some(url) = controller {
                let reply =
                    lms_cutover::dashboard::client::rollback(&url, who.token.as_deref(), who.by.as_deref(), &reason)
                        .await?;
                if !reply.accepted {
                    bail!("refused ({}): {}", reply.status, reply.message);
                }
                println!("{}", reply.message);
                return Ok(EXIT_ROLLED_BACK);
            }
            let dir = at.dir(None)?;
            let by = who.authorize(&dir, Permission::Rollback)?;
            let finished = lms_cutover::control::verdict(&dir)?;
            match (&finished, after_go_live) {
                (Some(Verdict::GoLive), false) => bail!(
                    "the run went live: green serves all traffic and may have written data that blue must now read. \
                     Nothing was changed. To send all traffic back to blue anyway (blue must be healthy), repeat with --after-go-live"
                ),
                (Some(v @ (Verdict::RolledBack { .. } | Verdict::Aborted { .. })), _) => {
                    println!("{}", verdict_line(v));
                    println!("nothing to do: all traffic is already on blue");
                    return Ok(verdict_code(v));
                }
                (None, true) => bail!("the run has not gone live: roll back without --after-go-live"),
                (None, false) if lms_cutover::runner::context::controller_running(&dir) => {
                    lms_cutover::control::ask_rollback(&dir, who.token.as_deref(), who.by.as_deref(), &reason).await?;
                    // The controller does it; wait until it records all traffic on blue.
                    let r = lms_cutover::control::wait_on_blue(&dir).await?;
                    let ms = r.on_blue_at.map_or(0, |t| (t - r.triggered_at).num_milliseconds());
                    println!(
                        "ROLLED BACK — all traffic on blue {ms} ms after the request; the controller verifies blue and writes the report"
                    );
                    return Ok(EXIT_ROLLED_BACK);
                }
                _ => {}
            }
            // No controller: this process becomes the controller for the
            // rollback, with what the run directory holds.
            let mut runner = Runner::resume(dir.clone(), Arc::new(Console::new(None)), RunOptions::default())?;
            if after_go_live {
                runner.reopen_for_rollback(&by, &reason).await?;
            } else {
                runner.request_rollback(&by, &reason)?;
            }
            ended(runner.run().await, &dir)
        }
        Action::Confirm { at, step, item, who, note } => {
            let dir = at.dir(None)?;
            let by = who.authorize(&dir, Permission::Confirm)?;
            // Most of the post-cutover checklist falls due after the run
            // ended: with no controller, an item is recorded directly.
            if let (None, Some(id), false) = (step, &item, lms_cutover::runner::context::controller_running(&dir)) {
                println!("{}", lms_cutover::control::confirm_item_after_run(&dir, id, &by, note)?);
                return Ok(EXIT_GO_LIVE);
            }
            lms_cutover::control::require_controller(&dir)?;
            wait_answer(&dir, Request::Confirm { step, item, by, note, token: who.token }).await
        }
        Action::Report { dir, at } => {
            let dir = at.dir(dir)?;
            let r = lms_cutover::report::write(&dir)?;
            println!("{}", r.verdict_line);
            for ext in ["md", "json", "html"] {
                println!("{}", dir.report(ext).display());
            }
            Ok(EXIT_GO_LIVE)
        }
        Action::StopGreen { dir, at } => {
            let dir = at.dir(dir)?;
            println!("green: {}", lms_cutover::control::stop_green(&dir).await?);
            Ok(EXIT_GO_LIVE)
        }
        Action::ScaleDownBlue { dir, at } => {
            let dir = at.dir(dir)?;
            println!("blue: {}", lms_cutover::control::scale_down_blue(&dir, chrono::Utc::now()).await?);
            Ok(EXIT_GO_LIVE)
        }
        Action::Validate { plan } => {
            let p = lms_cutover::plan::load(&plan)?;
            println!(
                "{}: valid — {} timeline steps, {} checkpoints, {} smoke tests",
                plan.display(),
                p.steps.len(),
                p.checkpoints.len(),
                p.smoke.len()
            );
            Ok(EXIT_GO_LIVE)
        }
        Action::Show { path, plan } => {
            let p = match path.or(plan) {
                Some(p) => lms_cutover::plan::load(&p)?,
                None => lms_cutover::plan::parse(lms_cutover::rehearse::DEFAULT_PLAN)?,
            };
            print!("{}", lms_cutover::plan::show(&p));
            Ok(EXIT_GO_LIVE)
        }
    }
}
