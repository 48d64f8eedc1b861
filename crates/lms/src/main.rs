//! `lms`: the Leave Management System and its cutover toolkit in one binary.
//!
//! This crate only wires the other crates to command-line subcommands; it
//! holds no business logic.

mod cmd;

use clap::{Parser, Subcommand};

/// LMS v3: leave management (request, approve, balances, reports) and the
/// tools that take it to production without downtime.
#[derive(Parser)]
#[command(name = "lms", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Log lines as `text` or `json` (one object per line), on standard error.
    #[arg(long, global = true, env = "LMS_LOG_FORMAT", value_enum, default_value_t = cmd::LogFormat::Text)]
    log_format: cmd::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the LMS server (embedded SQLite at ./lms-data/lms.db unless --database-url says otherwise).
    Serve(cmd::serve::ServeArgs),
    /// Show or apply database migrations.
    Migrate(cmd::migrate::MigrateArgs),
    /// Manage user accounts (e.g. bootstrap the first HR admin).
    User(cmd::user::UserArgs),
    /// Switch maintenance mode on or off for every instance sharing the database.
    Maintenance(cmd::maintenance::MaintenanceArgs),
    /// Run the traffic controller: a weighted blue/green reverse proxy with an admin API.
    Proxy(Box<lms_traffic::ProxyArgs>),
    /// Generate HTTP load and report latency percentiles and errors.
    Loadgen(lms_smoke::LoadgenArgs),
    /// Run, rehearse, resume, decide and report a blue/green cutover from a plan.
    #[command(after_help = cmd::cutover::EXIT_CODES_HELP)]
    Cutover(cmd::cutover::CutoverArgs),
    /// Run the cutover plan's smoke tests SMOKE-001..010 against a deployment.
    Smoke(lms_smoke::SmokeArgs),
}

/// Keeps resident memory near the working set. Each argon2id hash uses
/// 19 MiB; glibc would otherwise raise its mmap threshold after the first one
/// and keep every later hash's memory in per-thread arenas for good.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; called once, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() -> std::process::ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `lms cutover` documents exit code 3 for usage errors (2 means
        // "aborted before any traffic moved").
        Err(e) if e.use_stderr() && std::env::args().nth(1).as_deref() == Some("cutover") => {
            let _ = e.print();
            return std::process::ExitCode::from(cmd::cutover::EXIT_USAGE);
        }
        Err(e) => e.exit(),
    };
    cmd::init_tracing(cli.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let ok = |r: anyhow::Result<()>| r.map(|()| std::process::ExitCode::SUCCESS);
    let result = rt.block_on(async {
        match cli.command {
            Command::Serve(a) => ok(cmd::serve::run(a).await),
            Command::Migrate(a) => ok(cmd::migrate::run(a).await),
            Command::User(a) => ok(cmd::user::run(a).await),
            Command::Maintenance(a) => ok(cmd::maintenance::run(a).await),
            Command::Proxy(a) => ok(lms_traffic::run_proxy(*a).await),
            Command::Loadgen(a) => ok(lms_smoke::run_loadgen(a).await),
            // Errors of `lms cutover` (a bad plan, a refused request) exit 3.
            Command::Cutover(a) => Ok(match cmd::cutover::run(a).await {
                Ok(code) => std::process::ExitCode::from(code),
                Err(e) => {
                    eprintln!("error: {e:#}");
                    std::process::ExitCode::from(cmd::cutover::EXIT_USAGE)
                }
            }),
            Command::Smoke(a) => ok(lms_smoke::run_smoke(a).await),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
