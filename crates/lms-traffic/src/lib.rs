//! lms-traffic: the traffic controller behind `lms proxy`.
//!
//! A weighted blue/green reverse proxy for any HTTP service, with live
//! per-backend statistics (the raw material of the cutover gates), active
//! health checks, session stickiness, fault injection and an admin API
//! (see [`admin::types`] and [`AdminClient`]).
//!
//! It must not know anything about leave, the LMS domain or its database:
//! backends are just names and URLs.
//!
//! Embedding: [`start`] a [`Config`] and keep the [`ProxyHandle`]; the CLI
//! entry point is [`run_proxy`], which drains on SIGTERM/SIGINT and reloads
//! the TLS certificate on SIGHUP.
//!
//! Operating it (the admin API speaks JSON; errors are
//! `{"error":{"code":"...","message":"..."}}`):
//!
//! ```text
//! lms proxy --listen 0.0.0.0:8000 --admin-listen 127.0.0.1:8001 \
//!     --backend blue=http://10.0.0.1:8080 --backend green=http://10.0.0.2:8080 \
//!     --weights blue=100,green=0 --health-path /api/health --admin-token-file /etc/lms/proxy-admin-tokens
//! curl -H 'Authorization: Bearer s3cret' 127.0.0.1:8001/state
//! curl -H 'Authorization: Bearer s3cret' -X PUT 127.0.0.1:8001/weights -d '{"blue":90,"green":10}'
//! curl -H 'Authorization: Bearer s3cret' -X POST 127.0.0.1:8001/rollback -d '{"backend":"blue"}'
//! curl -H 'Authorization: Bearer s3cret' -X PUT 127.0.0.1:8001/faults \
//!     -d '{"green":{"abort":{"percent":5,"status":503},"delay":{"percent":10,"delay_ms":200}}}'
//! curl -H 'Authorization: Bearer s3cret' 127.0.0.1:8001/metrics
//! ```
//!
//! Statistics count a request when it ends (answered, failed, or abandoned
//! by the client); `in_flight` shows the open ones. "Failed" means the proxy
//! answered 502/504 itself (connect error, reset, timeout), a response body
//! broke or went idle mid-way, or fault injection aborted with 502/504.

pub mod admin;
mod balancer;
mod body;
mod client;
pub mod config;
mod conn;
mod drain;
pub mod error;
mod faults;
mod forward;
mod headers;
mod health;
mod histogram;
mod pool;
mod server;
mod state;
mod stats;
mod sticky;
mod tls;
mod window;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use admin::client::AdminClient;
pub use config::{Config, ProxyArgs};
pub use error::{Result, TrafficError};

/// A running proxy.
#[derive(Debug)]
pub struct ProxyHandle {
    local_addr: SocketAddr,
    admin_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tls: Option<tls::TlsAcceptor>,
    task: JoinHandle<()>,
}

impl ProxyHandle {
    /// Address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Address of the admin API.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// Base URL of the admin API.
    pub fn admin_url(&self) -> String {
        format!("http://{}", self.admin_addr)
    }

    /// Starts the drain: stop accepting, finish in-flight requests, close.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Re-reads the TLS certificate and key (what SIGHUP does).
    pub fn reload_tls(&self) -> Result<()> {
        match &self.tls {
            Some(t) => t.reload(),
            None => Err(TrafficError::Tls("TLS is not enabled".into())),
        }
    }

    /// Waits until the proxy has drained and stopped.
    pub async fn wait(self) -> Result<()> {
        self.task.await.map_err(|e| TrafficError::Io(std::io::Error::other(e.to_string())))
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|source| TrafficError::Bind { addr, source })
}

/// One client socket per worker, all on the same address (SO_REUSEPORT), so
/// the kernel spreads connections over the workers.
fn bind_workers(addr: SocketAddr, n: usize) -> Result<(SocketAddr, Vec<TcpSocket>)> {
    let err = |source| TrafficError::Bind { addr, source };
    let mut sockets = Vec::with_capacity(n);
    let mut actual = addr;
    for _ in 0..n.max(1) {
        let s = if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }.map_err(err)?;
        s.set_reuseaddr(true).map_err(err)?;
        #[cfg(unix)]
        s.set_reuseport(true).map_err(err)?;
        s.bind(actual).map_err(err)?;
        actual = s.local_addr().map_err(err)?;
        sockets.push(s);
        #[cfg(not(unix))]
        break;
    }
    Ok((actual, sockets))
}

/// Binds both listeners and starts serving. Returns once ready to accept.
///
/// Client traffic is served by `config.workers` threads, each running its
/// own single-threaded event loop with its own backend connection pool: a
/// request and the backend connection serving it stay on one thread, with no
/// cross-thread wake-ups. Health checks and the admin API run on the
/// caller's runtime.
pub async fn start(config: Config) -> Result<ProxyHandle> {
    let tls = match &config.tls {
        Some(t) => Some(tls::TlsAcceptor::new(&t.cert, &t.key)?),
        None => None,
    };
    let (local_addr, sockets) = bind_workers(config.listen, config.workers)?;
    let admin_listener = bind(config.admin_listen).await?;
    let admin_addr = admin_listener.local_addr()?;

    let shared = state::Shared::new(config.clone());
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (stop, stop_rx) = watch::channel(false);

    let mut worker_cfg = config.clone();
    worker_cfg.max_connections = config.max_connections.div_ceil(sockets.len().max(1)).max(1);
    let mut workers = Vec::with_capacity(sockets.len());
    for (i, socket) in sockets.into_iter().enumerate() {
        let listener = socket.listen(4096)?;
        let listener = listener.into_std()?;
        let (cfg, shared, tls, shutdown_rx) = (worker_cfg.clone(), shared.clone(), tls.clone(), shutdown_rx.clone());
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new().name(format!("lms-proxy-{i}")).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "cannot start a proxy worker");
                    return;
                }
            };
            rt.block_on(async move {
                let listener = match TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot register the listener");
                        return;
                    }
                };
                let forwarder = Arc::new(forward::Forwarder::new(shared, tls.is_some()));
                server::run(listener, cfg, forwarder, tls, shutdown_rx).await;
            });
            let _ = done_tx.send(());
        })?;
        workers.push(done_rx);
    }

    let health_task = config.health.clone().map(|h| {
        let health_client = client::build(config.connect_timeout, config.idle_timeout);
        tokio::spawn(health::run(shared.clone(), h, health_client, stop_rx.clone()))
    });
    let admin_task = tokio::spawn(admin::serve(admin_listener, shared.clone(), stop_rx));
    let task = tokio::spawn(async move {
        for w in workers {
            let _ = w.await;
        }
        // The admin API and health checks outlive the drain so it can be watched.
        let _ = stop.send(true);
        if let Some(h) = health_task {
            let _ = h.await;
        }
        let _ = admin_task.await;
    });
    tracing::info!(%local_addr, %admin_addr, backends = config.backends.len(), workers = config.workers, "traffic controller listening");
    Ok(ProxyHandle { local_addr, admin_addr, shutdown, tls, task })
}

/// Runs `lms proxy` until SIGTERM/SIGINT and the drain complete.
pub async fn run_proxy(args: ProxyArgs) -> anyhow::Result<()> {
    let config = Config::from_args(&args)?;
    // Signal handlers first: a SIGTERM sent as soon as the proxy announces
    // itself must drain it, not kill it.
    let term = drain::terminate_signal()?;
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let handle = start(config).await?;
    #[cfg(unix)]
    {
        tokio::pin!(term);
        loop {
            tokio::select! {
                () = &mut term => break,
                _ = hup.recv() => {
                    if let Err(e) = handle.reload_tls() {
                        tracing::warn!(error = %e, "SIGHUP: certificate not reloaded");
                    }
                }
            }
        }
    }
    #[cfg(not(unix))]
    term.await;
    handle.shutdown();
    handle.wait().await?;
    Ok(())
}
