//! `lms loadgen` without the rest of the `lms` binary: the same
//! `LoadgenArgs` and `run_loadgen`, for benchmark scripts.
//!
//! `cargo run --release -p lms-smoke --example loadgen -- --help`

use clap::Parser;

#[derive(Parser)]
#[command(name = "loadgen", about = "Synthetic load generator (same as `lms loadgen`)")]
struct Cli {
    #[command(flatten)]
    args: lms_smoke::LoadgenArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lms_smoke::run_loadgen(Cli::parse().args).await
}
