//! Active health checks: each backend's health path polled at an interval.
//!
//! A backend is marked down after `fails` consecutive failures (or at once
//! when a forwarded request cannot even connect) and up again after one good
//! check. Down backends get no traffic (see `balancer`). Knows nothing about
//! what the health path means to the backend.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::{Request, Uri};
use tokio::sync::watch;

use crate::admin::types::HealthStatus;
use crate::client::BackendClient;
use crate::config::HealthConfig;
use crate::state::{unix_ms, Shared};

/// Runs checks for every backend, each on its own ticker, until `stop`
/// flips to true.
pub async fn run(shared: Arc<Shared>, cfg: HealthConfig, client: BackendClient, stop: watch::Receiver<bool>) {
    let mut set = tokio::task::JoinSet::new();
    for idx in 0..shared.backends.len() {
        let (shared, cfg, client, mut stop) = (shared.clone(), cfg.clone(), client.clone(), stop.clone());
        set.spawn(async move {
            let mut ticker = tokio::time::interval(cfg.interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = stop.changed() => return,
                }
                check_one(&shared, &cfg, &client, idx).await;
                shared.refresh_mode();
            }
        });
    }
    while set.join_next().await.is_some() {}
}

async fn check_one(shared: &Shared, cfg: &HealthConfig, client: &BackendClient, idx: usize) {
    let Some(backend) = shared.backends.get(idx) else { return };
    let result = probe(client, &backend.url, cfg).await;
    let mut h = backend.health.lock().unwrap_or_else(|e| e.into_inner());
    h.checks += 1;
    h.last_check_unix_ms = Some(unix_ms());
    match result {
        Ok(()) => {
            if h.status != HealthStatus::Up {
                tracing::info!(backend = %backend.name, "backend is up");
            }
            h.status = HealthStatus::Up;
            h.consecutive_failures = 0;
            h.last_error = None;
            backend.up.store(true, Ordering::Relaxed);
        }
        Err(e) => {
            h.consecutive_failures = h.consecutive_failures.saturating_add(1);
            h.last_error = Some(e);
            if h.consecutive_failures >= cfg.fails && h.status != HealthStatus::Down {
                tracing::warn!(backend = %backend.name, error = ?h.last_error, "backend is down");
                h.status = HealthStatus::Down;
                backend.up.store(false, Ordering::Relaxed);
            }
        }
    }
}

async fn probe(client: &BackendClient, base: &Uri, cfg: &HealthConfig) -> Result<(), String> {
    let uri = crate::forward::join_uri(base, &cfg.path).map_err(|e| e.to_string())?;
    let host = base.authority().map(|a| a.as_str().to_string()).unwrap_or_default();
    let req = Request::get(uri)
        .header(hyper::header::HOST, host)
        .header(hyper::header::USER_AGENT, "lms-proxy-health")
        .body(crate::forward::empty_body())
        .map_err(|e| e.to_string())?;
    let fut = async {
        let resp = client.request(req).await.map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status();
        // Drain the body so the connection can be reused.
        let _ = resp.into_body().collect().await;
        if status.is_success() || status.is_redirection() {
            Ok(())
        } else {
            Err(format!("status {status}"))
        }
    };
    match tokio::time::timeout(cfg.timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {:?}", cfg.timeout)),
    }
}

/// Marks a backend down at once after a forwarded request could not connect
/// (only when active checks run, since they are what brings it back).
pub fn mark_down_passive(shared: &Shared, idx: usize, error: String) {
    if shared.config.health.is_none() {
        return;
    }
    let Some(backend) = shared.backends.get(idx) else { return };
    let mut h = backend.health.lock().unwrap_or_else(|e| e.into_inner());
    h.last_error = Some(error);
    if h.status != HealthStatus::Down {
        tracing::warn!(backend = %backend.name, error = ?h.last_error, "backend refused a connection; marked down");
        h.status = HealthStatus::Down;
        backend.up.store(false, Ordering::Relaxed);
        drop(h);
        shared.refresh_mode();
    }
}
