//! `lms proxy` without the rest of the `lms` binary: the same `ProxyArgs`
//! and `run_proxy`, for benchmarks that should not build the whole server.
//!
//! `cargo run --release -p lms-traffic --example proxy -- --help`

use clap::Parser;

#[derive(Parser)]
#[command(name = "proxy", about = "Weighted blue/green reverse proxy (same as `lms proxy`)")]
struct Cli {
    #[command(flatten)]
    args: lms_traffic::ProxyArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lms_traffic::run_proxy(Cli::parse().args).await
}
