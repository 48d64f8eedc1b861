//! The webhook worker of one instance: the delivery loop of
//! `crate::outbox` over the webhook deliveries — those new audited changes
//! owe, claimed in batches, each host resolved and checked, POSTed signed
//! to the address checked (each attempt bounded by the timeout), every
//! attempt recorded.

use super::payload::{body, sign};
use super::WebhookConfig;
use crate::outbox::{Outbox, Worker};
use chrono::{DateTime, Utc};
use lms_app::webhooks::{self, Outcome, Owed, Tried};
use lms_app::AppError;
use lms_core::webhook::{check_addresses, WebhookUrl};
use lms_store::Db;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

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
pub struct WebhookWorker(Worker);

impl WebhookWorker {
    /// Starts the worker when the instance counts on the webhooks' migration.
    pub fn spawn(db: &Db, cfg: &WebhookConfig, instance: String) -> Option<WebhookWorker> {
        if !webhooks::available(db) {
            tracing::info!("this instance runs on the schema of the release before: no webhooks are delivered");
            return None;
        }
        Some(WebhookWorker(Worker::spawn(db.clone(), WebhookOutbox(cfg.clone()), instance)))
    }

    /// Stops the worker: the batch in hand is finished and recorded.
    pub async fn stop(self, within: Duration) {
        self.0.stop(within).await
    }
}

/// The webhook deliveries as the delivery loop sees them.
struct WebhookOutbox(WebhookConfig);

impl Outbox for WebhookOutbox {
    type Owed = Owed;
    type Outcome = Tried;
    const WHAT: &'static str = "webhook deliveries";
    const TOKEN_TAG: &'static str = "w";

    fn poll(&self) -> Duration {
        self.0.poll
    }

    async fn enqueue(&self, db: &Db, now: DateTime<Utc>) -> Result<u64, AppError> {
        webhooks::enqueue(db, now).await
    }

    async fn claim(&self, db: &Db, token: &str, now: DateTime<Utc>) -> Result<Vec<Owed>, AppError> {
        webhooks::claim(db, token, self.0.lease, self.0.batch as i64, now).await
    }

    fn attempt(&self, o: Owed) -> impl Future<Output = Tried> + Send + 'static {
        let timeout = self.0.timeout;
        async move {
            let started = Instant::now();
            let outcome = attempt(&o, timeout).await;
            Tried {
                delivery_id: o.delivery.id,
                attempts_before: o.delivery.attempts,
                outcome,
                duration: started.elapsed(),
            }
        }
    }

    fn failed(t: &Tried) -> bool {
        matches!(t.outcome, Outcome::Failed { .. })
    }

    async fn record(
        &self,
        db: &Db,
        token: &str,
        instance: &str,
        tried: &[Tried],
        now: DateTime<Utc>,
    ) -> Result<usize, AppError> {
        webhooks::record(db, token, instance, tried, self.0.retry, rand::random::<f64>, now).await
    }
}
