//! Webhooks: the deliveries the audit log owes to the endpoints HR
//! registered, POSTed by a background worker of each instance (`lms serve`
//! runs it beside the listener). The worker enqueues what is owed, claims
//! due deliveries under a lease (so blue and green never work on one at
//! once), resolves each endpoint's host and refuses non-public addresses
//! unless HR allows them (the SSRF rule of `lms_core::webhook`), connects
//! to the very address it checked (no second lookup an attacker's DNS could
//! answer differently), signs the body and records every attempt; retries
//! follow the mail's back-off (`lms_core::mail::RetryPolicy`).
//!
//! Delivery is at least once: `X-LMS-Delivery` is stable per delivery, so a
//! receiver can drop a duplicate. This module must not know SQL.

mod payload;
mod worker;

pub use payload::{body, sign};
pub use worker::{resolve, WebhookWorker};

use lms_core::mail::RetryPolicy;
use std::time::Duration;

/// A new endpoint's signing secret: `whsec_` and 32 random bytes in hex.
pub fn new_secret() -> String {
    format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()))
}

/// How this instance delivers webhooks.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub retry: RetryPolicy,
    /// How long a claim holds a delivery (longer than an attempt can take).
    pub lease: Duration,
    /// How often an idle worker looks for new changes and due deliveries.
    pub poll: Duration,
    /// Deliveries claimed at once (and attempted concurrently).
    pub batch: usize,
    /// Longest wait for an endpoint in one attempt.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    /// The mail's retries (8 attempts from one minute doubling to an hour),
    /// a two-minute lease, a one-second poll, 10 s per attempt.
    fn default() -> Self {
        WebhookConfig {
            retry: RetryPolicy::DEFAULT,
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(1),
            batch: 16,
            timeout: Duration::from_secs(10),
        }
    }
}
