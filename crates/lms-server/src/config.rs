//! Settings of one server instance.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The deployment slot this instance serves as (`blue`, `green`, ...).
    pub slot: String,
    /// Who started this instance and as what (e.g. a cutover run's id for
    /// green); reported by `/api/v1/status` so a deployer can tell its own
    /// process from an older one answering on the same address.
    pub instance_id: Option<String>,
    /// Mark session cookies `Secure` (served over https).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` and the scheme from
    /// `X-Forwarded-Proto` (only behind a trusted proxy such as `lms proxy`).
    pub trust_forwarded: bool,
    /// How long a login session lasts.
    pub session_ttl: Duration,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// How long readiness reports false before the listener closes.
    pub drain_delay: Duration,
    /// Longest time a client may take to send a request head.
    pub header_timeout: Duration,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Failed logins per account within `login_window` before each further
    /// attempt is delayed (doubling from 1 s up to `login_max_delay`).
    pub login_max_failures_per_account: i64,
    /// The same per client address.
    pub login_max_failures_per_address: i64,
    /// How long a failed login counts.
    pub login_window: Duration,
    /// The ceiling of the progressive login delay.
    pub login_max_delay: Duration,
    /// Which of this build's migrations the instance expects: all, or (a
    /// rehearsal's stand-in for the release before) fewer.
    pub schema: lms_store::migrations::SchemaCap,
    /// A bearer secret that shows `/api/v1/status` in full to a monitoring
    /// system (build, process and migration detail) without a user account.
    pub status_token: Option<String>,
    /// A fault this instance injects on purpose (rehearsals only).
    pub fault: Option<crate::ops::fault::Fault>,
    /// How this instance sends the notifications by mail; `None`: it does not.
    pub mail: Option<crate::mail::MailConfig>,
    /// The domain in calendar events' UIDs; the request's host when unset.
    pub calendar_domain: Option<String>,
    /// How this instance delivers webhooks; `None`: it does not (`lms serve` always does).
    pub webhooks: Option<crate::webhooks::WebhookConfig>,
    /// The OpenID provider people may sign in through; `None`: passwords only.
    pub sso: Option<crate::sso::SsoConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            slot: "default".into(),
            instance_id: None,
            secure_cookies: false,
            trust_forwarded: false,
            session_ttl: Duration::from_secs(12 * 3600),
            shutdown_timeout: Duration::from_secs(30),
            drain_delay: Duration::ZERO,
            header_timeout: Duration::from_secs(10),
            body_limit: 64 * 1024,
            login_max_failures_per_account: 5,
            login_max_failures_per_address: 20,
            login_window: Duration::from_secs(15 * 60),
            login_max_delay: Duration::from_secs(5 * 60),
            schema: lms_store::migrations::SchemaCap::All,
            status_token: None,
            fault: None,
            mail: None,
            calendar_domain: None,
            webhooks: None,
            sso: None,
        }
    }
}
