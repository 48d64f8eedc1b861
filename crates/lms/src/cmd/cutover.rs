//! `lms cutover`: the executable runbook. Parses arguments and calls
//! `lms_cutover`; all the cutover's logic lives there.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use lms_cutover::engine::{DecisionInput, Verdict};
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
        /// Proxy on BASE, blue BASE+1, green BASE+2, admin BASE+10; 0 picks free ports.
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
        /// Inject a fault on green through the proxy: error-rate=5% or latency=800ms.
        #[arg(long)]
        inject_failure: Option<String>,
        /// Print only the verdict.
        #[arg(long)]
        quiet: bool,
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

/// Refuses at once when no controller runs the run (a request would only
/// wait in the inbox and be applied later against newer evidence).
fn require_controller(dir: &RunDir) -> anyhow::Result<()> {
    if lms_cutover::runner::context::controller_running(dir) {
        return Ok(());
    }
    bail!(
        "no controller is running {}: nothing was queued. Start one with `lms cutover resume {}` (it shows the open checkpoint) and decide there or again from here",
        dir.root.display(),
        dir.root.display()
    )
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

/// `--write-ratio`: a share of requests from 0 to 0.9.
fn write_ratio(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if (0.0..=0.9).contains(&r) => Ok(r),
        _ => Err(format!("`{s}` is not a share between 0 and 0.9 (e.g. 0.2 for 20 % writes)")),
    }
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
                quiet,
                stall_at: stall_at(),
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
                }
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
        Action::Run { plan, plan_flag, out, run_id, vars, by, override_blackout, reason, no_prompt } => {
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
            let runner = Runner::start(&text, &info, dir.clone(), blackout, Arc::new(Console::new(None)), opts)?;
            ended(runner.run().await, &dir)
        }
        Action::Resume { run, by, no_prompt } => {
            let dir = RunDir::new(run);
            let opts = RunOptions {
                interactive: !no_prompt && std::io::stdin().is_terminal(),
                operator: by,
                stall_at: stall_at(),
            };
            let runner = Runner::resume(dir.clone(), Arc::new(Console::new(None)), opts)?;
            ended(runner.run().await, &dir)
        }
        Action::Status { dir, at } => {
            print!("{}", lms_cutover::control::status(&at.dir(dir)?)?);
            Ok(EXIT_GO_LIVE)
        }
        Action::Decide { at, checkpoint, decision, who, note, override_reason, evidence } => {
            let decision: Decision = decision.parse()?;
            let dir = at.dir(None)?;
            let by = who.authorize(&dir, Permission::Decide)?;
            require_controller(&dir)?;
            let (round, samples) = lms_cutover::control::open_evidence(&dir, checkpoint)?;
            let (round, samples_seen) =
                match evidence.as_deref().map(lms_cutover::engine::checkpoint::parse_evidence_id) {
                    Some(Ok((c, r, s))) if c == checkpoint => (r, s),
                    Some(Ok((c, _, _))) => bail!("--evidence {c}.… is checkpoint {c}'s, not checkpoint {checkpoint}'s"),
                    Some(Err(e)) => return Err(e.into()),
                    None => (round, samples),
                };
            eprintln!("deciding on evidence {checkpoint}.{round}.{samples_seen}");
            wait_answer(
                &dir,
                Request::Decide {
                    input: DecisionInput {
                        checkpoint,
                        decision,
                        by,
                        note,
                        override_reason,
                        round: Some(round),
                        made_at: Some(chrono::Utc::now()),
                        samples_seen: Some(samples_seen),
                    },
                    token: who.token,
                },
            )
            .await
        }
        Action::Rollback { at, who, reason, after_go_live } => {
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
                    wait_answer(&dir, Request::Rollback { by, reason, token: who.token }).await?;
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
            require_controller(&dir)?;
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
