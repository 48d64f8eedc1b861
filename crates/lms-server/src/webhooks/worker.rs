//! The webhook worker of one instance: a loop that enqueues the deliveries
//! new audited changes owe (once per poll), claims a batch of due ones under
//! a fresh claim token, attempts them concurrently and records every
//! attempt; idle, it waits one poll. On stop it finishes the batch in hand
//! (each attempt bounded by the timeout) and records it.

use super::payload::{body, sign};
use super::WebhookConfig;
use lms_app::webhooks::{self, Outcome, Owed, Tried};
use lms_core::webhook::{check_addresses, WebhookUrl};
use lms_store::Db;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The addresses `url`'s host stands for: the address itself, or what DNS answers now.
pub async fn resolve(url: &WebhookUrl) -> Result<Vec<IpAddr>, String> {
    let host = url.host();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let found = tokio::time::timeout(Duration::from_secs(5), tokio::net::lookup_host((host.as_str(), url.port())))
        .await
        .map_err(|_| format!("resolving {host} took longer than 5 s"))?
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    let mut ips: Vec<IpAddr> = found.map(|a| a.ip()).collect();
    ips.dedup();
    Ok(ips)
}

/// One attempt at one delivery.
async fn attempt(o: &Owed, timeout: Duration) -> Outcome {
    let d = &o.delivery;
    let failed = |status: Option<u16>, error: String, permanent: bool| Outcome::Failed { status, error, permanent };
    let url = match WebhookUrl::parse(&d.url) {
        Ok(u) => u,
        Err(e) => return failed(None, e.to_string(), true),
    };
    let ips = match resolve(&url).await {
        Ok(ips) => ips,
        Err(e) => return failed(None, e, false),
    };
    if let Err(e) = check_addresses(&url.host(), &ips, o.allow_private) {
        return failed(None, e.to_string(), true);
    }
    let mut client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("LMS-Webhooks/", env!("CARGO_PKG_VERSION")));
    if url.host().parse::<IpAddr>().is_err() {
        // Connect to the address checked, not to a second lookup's answer.
        client = client.resolve(&url.host(), SocketAddr::new(ips[0], url.port()));
    }
    let client = match client.build() {
        Ok(c) => c,
        Err(e) => return failed(None, format!("the HTTP client cannot be built: {e}"), false),
    };
    let body = body(o);
    let now = chrono::Utc::now().timestamp();
    let sent = client
        .post(url.as_str())
        .header("Content-Type", "application/json")
        .header("X-LMS-Event", &d.event)
        .header("X-LMS-Delivery", d.id.to_string())
        .header("X-LMS-Timestamp", now.to_string())
        .header("X-LMS-Signature", sign(&d.secret, now, &body))
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Outcome::Delivered { status: r.status().as_u16() },
        Ok(r) => failed(Some(r.status().as_u16()), format!("the endpoint answered {}", r.status()), false),
        Err(e) if e.is_timeout() => failed(None, format!("no answer within {} s", timeout.as_secs_f64()), false),
        Err(e) => {
            let mut error = format!("{e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                error.push_str(&format!(": {s}"));
                source = s.source();
            }
            if let Some(cut) = error.char_indices().nth(500).map(|(i, _)| i) {
                error.truncate(cut);
            }
            failed(None, error, false)
        }
    }
}

/// The running worker of this instance.
pub struct WebhookWorker {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl WebhookWorker {
    /// Starts the worker when the instance counts on the webhooks' migration.
    pub fn spawn(db: &Db, cfg: &WebhookConfig, instance: String) -> Option<WebhookWorker> {
        if !webhooks::available(db) {
            tracing::info!("this instance runs on the schema of the release before: no webhooks are delivered");
            return None;
        }
        let (stop, stopped) = watch::channel(false);
        let handle = tokio::spawn(run(db.clone(), cfg.clone(), instance, stopped));
        Some(WebhookWorker { stop, handle })
    }

    /// Stops the worker: the batch in hand is finished and recorded.
    pub async fn stop(self, within: Duration) {
        let _ = self.stop.send(true);
        let abort = self.handle.abort_handle();
        if tokio::time::timeout(within, self.handle).await.is_err() {
            tracing::warn!("the webhook worker did not stop in time; its claims run out by themselves");
            abort.abort();
        }
    }
}

async fn run(db: Db, cfg: WebhookConfig, instance: String, mut stopped: watch::Receiver<bool>) {
    let mut claims: u64 = 0;
    let mut enqueued_at: Option<Instant> = None;
    loop {
        if *stopped.borrow() {
            break;
        }
        let now = chrono::Utc::now();
        if enqueued_at.is_none_or(|t| t.elapsed() >= cfg.poll) {
            enqueued_at = Some(Instant::now());
            if let Err(e) = webhooks::enqueue(&db, now).await {
                tracing::warn!(error = %e, "enqueuing webhook deliveries failed; trying again at the next poll");
            }
        }
        claims += 1;
        let token = format!("{instance}#w{claims}");
        let owed = match webhooks::claim(&db, &token, cfg.lease, cfg.batch as i64, now).await {
            Ok(owed) => owed,
            Err(e) => {
                tracing::warn!(error = %e, "claiming webhook deliveries failed; trying again at the next poll");
                Vec::new()
            }
        };
        if owed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(cfg.poll) => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        let mut sends = tokio::task::JoinSet::new();
        for o in owed {
            let timeout = cfg.timeout;
            sends.spawn(async move {
                let started = Instant::now();
                let outcome = attempt(&o, timeout).await;
                Tried {
                    delivery_id: o.delivery.id,
                    attempts_before: o.delivery.attempts,
                    outcome,
                    duration: started.elapsed(),
                }
            });
        }
        let mut tried = Vec::with_capacity(sends.len());
        while let Some(done) = sends.join_next().await {
            match done {
                Ok(t) => tried.push(t),
                Err(e) => tracing::error!(error = %e, "a webhook attempt panicked; its claim runs out"),
            }
        }
        let failed = tried.iter().filter(|t| matches!(t.outcome, Outcome::Failed { .. })).count();
        match webhooks::record(&db, &token, &instance, &tried, cfg.retry, rand::random::<f64>, chrono::Utc::now()).await
        {
            Ok(0) => {}
            Ok(lost) => tracing::warn!(lost, "claims ran out before their webhook attempts were recorded"),
            Err(e) => tracing::error!(error = %e, "recording webhook attempts failed; the claims run out"),
        }
        if failed > 0 {
            tracing::info!(failed, "webhook deliveries failed; they are retried with back-off");
        }
    }
}
