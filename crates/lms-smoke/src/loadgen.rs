//! The load generator (stub being filled in).

/// Arguments of `lms loadgen`.
#[derive(clap::Args, Debug, Clone)]
pub struct LoadgenArgs {
    /// Base URL to send requests to, e.g. http://127.0.0.1:8000/api/health
    #[arg(long)]
    pub target: String,
}

/// Runs the load generator from command-line arguments and prints a report.
pub async fn run_loadgen(args: LoadgenArgs) -> anyhow::Result<()> {
    let _ = args;
    Ok(())
}
