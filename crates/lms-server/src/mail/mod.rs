//! Mail: the notification outbox delivered by SMTP. A background worker of
//! each instance with `--smtp-url` enqueues the mails the notifications owe,
//! claims due ones under a lease (so blue and green never work on one mail
//! at once), renders each in its recipient's language (text and HTML from
//! the message catalogue) and sends it with lettre, then records the
//! attempt; the retry rules are `lms_core::mail`'s, the bookkeeping
//! `lms_app::mail`'s.
//!
//! Delivery is at least once: between the SMTP server's acceptance and the
//! outbox's record of it, a crash (or a claim running out) can send a mail
//! twice; its `Message-ID` is stable per outbox row, so a duplicate is
//! recognisable. This module must not know SQL.

mod render;
mod worker;

pub use render::{render, Rendered};
pub use worker::MailWorker;

use lms_core::mail::RetryPolicy;
use std::time::Duration;

/// How this instance sends mail (`lms serve --smtp-url …`).
#[derive(Clone)]
pub struct MailConfig {
    /// `smtp://[user[:password]@]host[:port]` (plain, or STARTTLS with
    /// `?tls=required`), or `smtps://…` (TLS from the start).
    pub smtp_url: String,
    /// The password, when kept out of the URL (`--smtp-password-file`).
    pub password: Option<String>,
    /// The sender, e.g. `LMS <lms@example.com>`.
    pub from: String,
    /// Where people reach LMS: the links in a mail lead there.
    pub public_url: String,
    pub retry: RetryPolicy,
    /// How long a claim holds a mail (longer than an SMTP attempt can take).
    pub lease: Duration,
    /// How often an idle worker looks for new notifications and due mails.
    pub poll: Duration,
    /// Mails claimed at once (and sent concurrently).
    pub batch: usize,
    /// Longest wait for the SMTP server in one attempt.
    pub timeout: Duration,
}

impl MailConfig {
    /// A configuration with the defaults: 8 attempts from one minute
    /// doubling to an hour, a two-minute lease, a one-second poll.
    pub fn new(smtp_url: impl Into<String>, from: impl Into<String>, public_url: impl Into<String>) -> Self {
        MailConfig {
            smtp_url: smtp_url.into(),
            password: None,
            from: from.into(),
            public_url: public_url.into().trim_end_matches('/').to_string(),
            retry: RetryPolicy::DEFAULT,
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(1),
            batch: 32,
            timeout: Duration::from_secs(30),
        }
    }

    /// The SMTP URL without its password, for logs.
    pub fn redacted_url(&self) -> String {
        match url::Url::parse(&self.smtp_url) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                u.to_string()
            }
            Err(_) => "(unparsable)".into(),
        }
    }
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &self.redacted_url())
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .field("retry", &self.retry)
            .field("lease", &self.lease)
            .field("poll", &self.poll)
            .field("batch", &self.batch)
            .finish()
    }
}
