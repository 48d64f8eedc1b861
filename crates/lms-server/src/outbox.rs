//! The loop every delivery worker of an instance runs (mail, webhooks):
//! enqueue what is owed (at most once per poll), claim a batch of due
//! items under a fresh claim token (`<instance>#<tag><n>`, so blue and green
//! never work on one at once), attempt them concurrently, each on its own
//! task, and record the outcomes (a claim that ran out before it was
//! recorded is reported: another instance may try that item again); idle,
//! wait one poll. Told to stop, it finishes and records the batch in hand;
//! [`Worker::stop`] waits for that at most so long.
//!
//! What is owed, how one attempt is made and what is recorded is the
//! [`Outbox`]'s. This module must not know SQL, SMTP or HTTP.

use chrono::{DateTime, Utc};
use lms_app::AppError;
use lms_store::Db;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// One kind of delivery from the database.
pub(crate) trait Outbox: Send + Sync + 'static {
    /// A claimed item.
    type Owed: Send + 'static;
    /// What one attempt at an item came to.
    type Outcome: Send + 'static;
    /// What is delivered, for the logs (`mails`, `webhook deliveries`).
    const WHAT: &'static str;
    /// Between the instance and the claim's number in a claim token.
    const TOKEN_TAG: &'static str;

    /// How often an idle worker looks for work.
    fn poll(&self) -> Duration;
    /// Enqueues what is owed and not yet queued; how many.
    fn enqueue(&self, db: &Db, now: DateTime<Utc>) -> impl Future<Output = Result<u64, AppError>> + Send;
    /// Claims a batch of due items under `token`.
    fn claim(
        &self,
        db: &Db,
        token: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Self::Owed>, AppError>> + Send;
    /// One attempt at `owed` (bounded in time by the outbox).
    fn attempt(&self, owed: Self::Owed) -> impl Future<Output = Self::Outcome> + Send + 'static;
    /// Whether the attempt failed (to be retried or given up on).
    fn failed(outcome: &Self::Outcome) -> bool;
    /// Records the batch's outcomes under `token`; how many claims had run out.
    fn record(
        &self,
        db: &Db,
        token: &str,
        instance: &str,
        outcomes: &[Self::Outcome],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, AppError>> + Send;
}

/// A running delivery worker.
pub(crate) struct Worker {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
    what: &'static str,
}

impl Worker {
    /// Runs `outbox`'s loop on its own task.
    pub(crate) fn spawn<O: Outbox>(db: Db, outbox: O, instance: String) -> Worker {
        let (stop, stopped) = watch::channel(false);
        let handle = tokio::spawn(run(db, outbox, instance, stopped));
        Worker { stop, handle, what: O::WHAT }
    }

    /// Stops the worker: the batch in hand is finished and recorded, for
    /// at most `within`; then its claims run out by themselves.
    pub(crate) async fn stop(self, within: Duration) {
        let _ = self.stop.send(true);
        let abort = self.handle.abort_handle();
        if tokio::time::timeout(within, self.handle).await.is_err() {
            tracing::warn!(what = self.what, "the worker did not stop in time; its claims run out by themselves");
            abort.abort();
        }
    }
}

async fn run<O: Outbox>(db: Db, outbox: O, instance: String, mut stopped: watch::Receiver<bool>) {
    let what = O::WHAT;
    let mut claims: u64 = 0;
    let mut enqueued_at: Option<Instant> = None;
    loop {
        if *stopped.borrow() {
            break;
        }
        let now = Utc::now();
        if enqueued_at.is_none_or(|t| t.elapsed() >= outbox.poll()) {
            enqueued_at = Some(Instant::now());
            match outbox.enqueue(&db, now).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(what, n, "enqueued"),
                Err(e) => tracing::warn!(what, error = %e, "enqueuing failed; trying again at the next poll"),
            }
        }
        claims += 1;
        let token = format!("{instance}#{}{claims}", O::TOKEN_TAG);
        let owed = match outbox.claim(&db, &token, now).await {
            Ok(owed) => owed,
            Err(e) => {
                tracing::warn!(what, error = %e, "claiming failed; trying again at the next poll");
                Vec::new()
            }
        };
        if owed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(outbox.poll()) => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        let mut attempts = tokio::task::JoinSet::new();
        for o in owed {
            attempts.spawn(outbox.attempt(o));
        }
        let mut outcomes = Vec::with_capacity(attempts.len());
        while let Some(done) = attempts.join_next().await {
            match done {
                Ok(o) => outcomes.push(o),
                Err(e) => {
                    tracing::error!(what, error = %e, "an attempt panicked; its claim runs out and it is tried again")
                }
            }
        }
        let failed = outcomes.iter().filter(|o| O::failed(o)).count();
        let done = outcomes.len() - failed;
        match outbox.record(&db, &token, &instance, &outcomes, Utc::now()).await {
            Ok(0) => {}
            Ok(lost) => tracing::warn!(
                what,
                lost,
                "claims ran out before they were recorded; another instance may try them again"
            ),
            Err(e) => {
                tracing::error!(what, error = %e, done, "recording the attempts failed; the claims run out and are tried again")
            }
        }
        if failed > 0 {
            tracing::info!(what, done, failed, "attempts failed; they are retried with back-off");
        }
    }
}
