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
mod server;
mod state;
mod stats;
mod sticky;
mod tls;
mod window;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
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

/// Binds both listeners and starts serving. Returns once ready to accept.
pub async fn start(config: Config) -> Result<ProxyHandle> {
    let tls = match &config.tls {
        Some(t) => Some(tls::TlsAcceptor::new(&t.cert, &t.key)?),
        None => None,
    };
    let listener = bind(config.listen).await?;
    let admin_listener = bind(config.admin_listen).await?;
    let local_addr = listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;

    let shared = state::Shared::new(config.clone());
    let backend_client = client::build(config.connect_timeout, config.idle_timeout);
    let forwarder = Arc::new(forward::Forwarder::new(shared.clone(), backend_client.clone(), tls.is_some()));
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (stop, stop_rx) = watch::channel(false);

    let health_task = config.health.clone().map(|h| {
        let health_client = client::build(config.connect_timeout, config.idle_timeout);
        tokio::spawn(health::run(shared.clone(), h, health_client, stop_rx.clone()))
    });
    let admin_task = tokio::spawn(admin::serve(admin_listener, shared.clone(), stop_rx));
    let server_task = server::run(listener, config.clone(), forwarder, tls.clone(), shutdown_rx);
    let task = tokio::spawn(async move {
        server_task.await;
        // The admin API and health checks outlive the drain so it can be watched.
        let _ = stop.send(true);
        if let Some(h) = health_task {
            let _ = h.await;
        }
        let _ = admin_task.await;
    });
    tracing::info!(%local_addr, %admin_addr, backends = config.backends.len(), "traffic controller listening");
    Ok(ProxyHandle { local_addr, admin_addr, shutdown, tls, task })
}

/// Runs `lms proxy` until SIGTERM/SIGINT and the drain complete.
pub async fn run_proxy(args: ProxyArgs) -> anyhow::Result<()> {
    let config = Config::from_args(&args)?;
    let handle = start(config).await?;
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = signal(SignalKind::hangup())?;
        let term = drain::terminate_signal();
        tokio::pin!(term);
        loop {
            tokio::select! {
                r = &mut term => { r?; break; }
                _ = hup.recv() => {
                    if let Err(e) = handle.reload_tls() {
                        tracing::warn!(error = %e, "SIGHUP: certificate not reloaded");
                    }
                }
            }
        }
    }
    #[cfg(not(unix))]
    drain::terminate_signal().await?;
    handle.shutdown();
    handle.wait().await?;
    Ok(())
}
