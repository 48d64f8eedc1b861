//! lms-traffic: the traffic controller behind `lms proxy`.
//!
//! A weighted blue/green reverse proxy for any HTTP service, with live
//! per-backend statistics (the raw material of the cutover gates), active
//! health checks, fault injection and an admin API. It must not know
//! anything about leave, the LMS domain or its database.

/// Arguments of `lms proxy`.
#[derive(clap::Args, Debug, Clone)]
pub struct ProxyArgs {
    /// Address to accept client traffic on.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub listen: String,
}

/// Runs the proxy until SIGTERM/SIGINT and the drain complete.
pub async fn run_proxy(args: ProxyArgs) -> anyhow::Result<()> {
    let _ = args;
    Ok(())
}
