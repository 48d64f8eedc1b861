//! The rehearsal's stage: free or fixed ports, blue as a local process
//! (its pid kept in the run directory), the proxy in-process with blue at
//! 100% and an optional fault on green (or a real engine and Prometheus,
//! [`super::real_engines`]), and the teardown that stops them and green.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use lms_traffic::admin::types::{AbortFault, DelayFault, FaultSpec, FaultsRequest};

use crate::error::{CutoverError, Result};
use crate::local::{health, http_client, process};
use crate::rehearse::Fault;
use crate::runner::context::Resolved;
use crate::runner::{RunDir, OWN_VERSION};
use crate::units::{Slot, VersionSpec};

fn err(message: impl Into<String>) -> CutoverError {
    CutoverError::Driver { driver: "rehearsal", message: message.into() }
}

/// What the rehearsal started.
#[derive(Debug, Default)]
pub struct Stage {
    blue_pid: Option<u32>,
    proxy: Option<lms_traffic::ProxyHandle>,
    admin_url: Option<String>,
    /// A real engine and Prometheus, by name and pid.
    pub engines: super::real_engines::Started,
}

impl Stage {
    /// The proxy's change log: (time, what).
    pub async fn proxy_changes(&self) -> Vec<(DateTime<Utc>, String)> {
        let Some(url) = &self.admin_url else {
            return Vec::new();
        };
        let Ok(client) = lms_traffic::AdminClient::new(url, None) else {
            return Vec::new();
        };
        match client.state().await {
            Ok(s) => s
                .changes
                .into_iter()
                .filter_map(|c| {
                    let at = Utc.timestamp_millis_opt(i64::try_from(c.at_unix_ms).ok()?).single()?;
                    Some((at, c.what))
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Ports for proxy, blue, green, admin (the proxy's admin API or HAProxy's
/// runtime API), Prometheus and an engine's metrics exporter: fixed from
/// `base` (+0, +1, +2, +10, +11, +12), or free ones when 0.
pub fn ports(base: u16) -> Result<BTreeMap<String, u16>> {
    let names = ["public", "blue", "green", "admin", "prometheus", "engine_metrics"];
    let mut out = BTreeMap::new();
    if base == 0 {
        for n in names {
            let port = crate::local::ports::free_loopback_port().ok_or_else(|| err("no free loopback port"))?;
            out.insert(n.to_string(), port);
        }
    } else {
        for (n, off) in names.into_iter().zip([0u16, 1, 2, 10, 11, 12]) {
            out.insert(n.to_string(), base.checked_add(off).ok_or_else(|| err("port base too high"))?);
        }
    }
    Ok(out)
}

/// Starts blue and waits until it is healthy.
pub async fn start_blue(stage: &mut Stage, dir: &RunDir, r: &Resolved) -> Result<()> {
    let log = dir.root.join("logs").join("blue.log");
    let pid = process::spawn_detached(&r.blue.command, &r.blue.env, &log)?;
    stage.blue_pid = Some(pid);
    let _ = std::fs::write(dir.root.join("blue.pid"), format!("{pid}\n"));
    let client = http_client(Duration::from_secs(2));
    let deadline = tokio::time::Instant::now() + r.blue.ready_timeout.to_std();
    loop {
        let h =
            health::check(&client, &r.health_url(Slot::Blue), Slot::Blue, &VersionSpec::OwnBuild, OWN_VERSION).await;
        if h.healthy {
            return Ok(());
        }
        if !process::alive(pid) || tokio::time::Instant::now() >= deadline {
            return Err(err(format!("blue did not become healthy ({}); see {}", h.detail, log.display())));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts the proxy in-process: blue 100%, green 0%, a short statistics
/// window so the gates see changes within a second or two.
pub async fn start_proxy(
    stage: &mut Stage,
    r: &Resolved,
    ports: &BTreeMap<String, u16>,
    fault: Option<Fault>,
) -> Result<()> {
    let addr = |name: &str| -> Result<SocketAddr> {
        let port = ports.get(name).copied().ok_or_else(|| err(format!("no {name} port")))?;
        Ok(SocketAddr::from(([127, 0, 0, 1], port)))
    };
    let mut args = lms_traffic::ProxyArgs::new(
        addr("public")?,
        addr("admin")?,
        &[("blue", r.blue.url.as_str()), ("green", r.green.url.as_str())],
    );
    args.weights = Some("blue=100,green=0".into());
    args.window = Duration::from_secs(2);
    args.health_interval = Duration::from_millis(500);
    args.health_timeout = Duration::from_millis(400);
    args.workers = 2;
    let config = lms_traffic::Config::from_args(&args).map_err(|e| err(e.to_string()))?;
    let handle = lms_traffic::start(config).await.map_err(|e| err(e.to_string()))?;
    let admin = handle.admin_url();
    stage.proxy = Some(handle);
    stage.admin_url = Some(admin.clone());
    if let Some(f) = fault {
        let spec = match f {
            Fault::ErrorRate(p) => FaultSpec { abort: Some(AbortFault { percent: p, status: 500 }), delay: None },
            Fault::Latency { percent, ms } => {
                FaultSpec { abort: None, delay: Some(DelayFault { percent, delay_ms: ms }) }
            }
        };
        let client = lms_traffic::AdminClient::new(&admin, None).map_err(|e| err(e.to_string()))?;
        let mut req = BTreeMap::new();
        req.insert("green".to_string(), spec);
        client.set_faults(&FaultsRequest(req)).await.map_err(|e| err(format!("PUT /faults: {e}")))?;
    }
    Ok(())
}

/// Takes the "automated" backup a production database would already have.
pub async fn nightly_backup(plan: &crate::plan::Plan, r: &Resolved) -> Result<()> {
    use crate::drivers::DatabaseDriver;
    let db = crate::local::database::LocalDatabase {
        kind: r.database.kind,
        url: r.database.url.clone(),
        backup_dir: std::path::PathBuf::from(&r.database.backup_dir),
        min_size_ratio: plan.database.min_size_ratio,
        migrate: Vec::new(),
        migrate_status: Vec::new(),
    };
    db.backup().await.map(|_| ())
}

/// Stops green, blue, the proxy or engine, and Prometheus.
pub async fn teardown(stage: &mut Stage, dir: &RunDir) {
    if let Some(pid) = process::read_pid(&dir.root.join("green.pid")).filter(|p| process::alive(*p)) {
        process::terminate(pid, Duration::from_secs(10)).await;
        let _ = std::fs::remove_file(dir.root.join("green.pid"));
    }
    if let Some(pid) = stage.blue_pid.take() {
        process::terminate(pid, Duration::from_secs(10)).await;
        let _ = std::fs::remove_file(dir.root.join("blue.pid"));
    }
    for (_, pid) in stage.engines.drain(..).rev() {
        process::terminate(pid, Duration::from_secs(10)).await;
    }
    if let Some(p) = stage.proxy.take() {
        p.shutdown();
        let _ = tokio::time::timeout(Duration::from_secs(5), p.wait()).await;
    }
}

/// SIGINT and SIGTERM while a rehearsal stages blue, the proxy and the
/// load (before its runner handles signals itself).
pub struct StagingSignals {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
}

impl StagingSignals {
    /// Starts listening (the process no longer dies of these signals).
    pub fn listen() -> Self {
        use tokio::signal::unix::{signal, SignalKind};
        StagingSignals { int: signal(SignalKind::interrupt()).ok(), term: signal(SignalKind::terminate()).ok() }
    }

    /// `fut`, or [`CutoverError::Stopped`] when a signal comes first.
    pub async fn unless_signalled<T>(
        &mut self,
        fut: impl std::future::Future<Output = Result<T>>,
        run: &str,
    ) -> Result<T> {
        let stopped = |by: &str| CutoverError::Stopped {
            by: format!("{by} while the rehearsal was staging"),
            run: run.to_string(),
        };
        let (Some(int), Some(term)) = (self.int.as_mut(), self.term.as_mut()) else { return fut.await };
        tokio::select! {
            r = fut => r,
            _ = int.recv() => Err(stopped("SIGINT")),
            _ = term.recv() => Err(stopped("SIGTERM")),
        }
    }
}
