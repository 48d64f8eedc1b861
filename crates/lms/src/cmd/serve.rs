//! `lms serve`: open (and with --migrate or --demo, migrate) the database,
//! optionally seed the demo organisation, and serve until SIGTERM.

use super::DbArgs;
use anyhow::{bail, Context};
use chrono::Utc;
use lms_server::{AppState, ServerConfig};
use lms_store::migrations::SchemaCap;
use lms_store::{demo, migrations};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "LMS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Deployment slot this instance serves as (e.g. blue, green); shown in status, metrics and logs.
    #[arg(long, env = "LMS_SLOT", default_value = "default")]
    pub slot: String,
    /// An id for this process, reported by /api/v1/status (a deployer such
    /// as `lms cutover` sets it to tell its own process from an older one).
    #[arg(long, env = "LMS_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// Apply pending migrations before serving.
    #[arg(long)]
    pub migrate: bool,
    /// Which of this build's migrations to apply and expect: `all`, or
    /// `previous` (all but the newest) / a version, to stand in for the
    /// release before this one in a cutover rehearsal.
    #[arg(long, env = "LMS_SCHEMA", default_value = "all", value_parser = parse_schema)]
    pub schema: SchemaCap,
    /// Seed an empty database with a demo organisation (implies --migrate) and print its logins.
    #[arg(long)]
    pub demo: bool,
    /// Password of every demo account.
    #[arg(long, env = "LMS_DEMO_PASSWORD", default_value = "lms-demo")]
    pub demo_password: String,
    /// Mark session cookies Secure (when clients reach LMS over https).
    #[arg(long, env = "LMS_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Trust X-Forwarded-For / X-Forwarded-Proto (only behind your own proxy).
    #[arg(long, env = "LMS_TRUST_FORWARDED")]
    pub trust_forwarded: bool,
    /// Largest database connection pool.
    #[arg(long, env = "LMS_DB_POOL", default_value_t = 10)]
    pub db_pool: u32,
    /// Seconds in-flight requests get to finish after SIGTERM.
    #[arg(long, default_value_t = 30)]
    pub shutdown_timeout: u64,
    /// Seconds readiness reports false before the listener closes on SIGTERM.
    #[arg(long, default_value_t = 0)]
    pub drain_delay: u64,
    /// A file holding a secret (16 bytes or more) that shows /api/v1/status in
    /// full (build, process, migrations) to `Authorization: Bearer <secret>`;
    /// anonymous callers see only what a load balancer needs.
    #[arg(long, env = "LMS_STATUS_TOKEN_FILE")]
    pub status_token_file: Option<std::path::PathBuf>,
    /// Rehearsals only: answer a share of requests 500 (`error-rate=5%`) or
    /// delay them (`latency=800ms`), as a broken release would; health and
    /// /metrics are spared.
    #[arg(long, hide = true, value_name = "FAULT")]
    pub inject_fault: Option<lms_server::ops::fault::Fault>,
    /// How often the entitlement job writes the ledger lines the policies
    /// make due (accrual, carry-over, expiry, pro-rata), in minutes; 0 turns
    /// it off on this instance. It also runs at start, catching up after
    /// downtime; several instances may run it (each line is written once).
    #[arg(long, env = "LMS_ENTITLEMENT_JOB_MINUTES", default_value_t = 60)]
    pub entitlement_job_minutes: u64,
    /// The domain that names this LMS in calendar events' UIDs
    /// (`leave-request-17@<domain>`), e.g. `lms.example.com`; set it so
    /// UIDs stay the same whichever host name a feed is fetched by (the
    /// request's Host otherwise).
    #[arg(long, env = "LMS_CALENDAR_DOMAIN")]
    pub calendar_domain: Option<String>,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub sso: SsoArgs,
}

/// Single sign-on through an OpenID provider (docs/INTEGRATIONS.md,
/// "Single sign-on").
#[derive(clap::Args, Debug)]
pub struct SsoArgs {
    /// The OpenID provider's issuer URL (its discovery document is at
    /// <issuer>/.well-known/openid-configuration). Without it people sign
    /// in with passwords only.
    #[arg(long, env = "LMS_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// LMS's client id at the provider.
    #[arg(long, env = "LMS_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// A file holding the client secret (its first line); without it LMS is
    /// a public client (PKCE only).
    #[arg(long, env = "LMS_OIDC_CLIENT_SECRET_FILE")]
    pub oidc_client_secret_file: Option<std::path::PathBuf>,
    /// The provider's name on the sign-in button ("Sign in with …").
    #[arg(long, env = "LMS_OIDC_NAME", default_value = "single sign-on")]
    pub oidc_name: String,
}

impl SsoArgs {
    /// The configuration, or `None` without --oidc-issuer.
    fn config(&self, public_url: String) -> anyhow::Result<Option<lms_server::sso::SsoConfig>> {
        let Some(issuer) = self.oidc_issuer.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let Some(client_id) = self.oidc_client_id.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
            bail!("--oidc-issuer needs --oidc-client-id (LMS's client id at the provider)");
        };
        let mut cfg = lms_server::sso::SsoConfig::new(issuer, client_id, public_url);
        if let Some(path) = &self.oidc_client_secret_file {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let secret = text.lines().next().unwrap_or("").trim().to_string();
            if secret.is_empty() {
                bail!("{}: the client secret is empty", path.display());
            }
            cfg.client_secret = Some(secret);
        }
        let name = self.oidc_name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            bail!("--oidc-name must be 1 to 60 characters");
        }
        cfg.display_name = name.to_string();
        lms_server::sso::OidcProvider::new(cfg.clone()).map_err(|e| anyhow::anyhow!("single sign-on: {e}"))?;
        Ok(Some(cfg))
    }
}

/// Mail: the notifications sent by SMTP (docs/INTEGRATIONS.md, "Email").
#[derive(clap::Args, Debug)]
pub struct MailArgs {
    /// The SMTP server the notifications are mailed through:
    /// smtp://[user[:password]@]host[:port] (add ?tls=required for STARTTLS)
    /// or smtps://… (TLS). Without it this instance sends no mail.
    #[arg(long, env = "LMS_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// A file holding the SMTP password (its first line), for a user named in --smtp-url.
    #[arg(long, env = "LMS_SMTP_PASSWORD_FILE")]
    pub smtp_password_file: Option<std::path::PathBuf>,
    /// The sender of every mail.
    #[arg(long, env = "LMS_MAIL_FROM", default_value = "LMS <lms@localhost>")]
    pub mail_from: String,
    /// Where people reach LMS (the links in mails lead there, and single
    /// sign-on's redirect URIs are under it), e.g. https://leave.example.com;
    /// by default http://<--listen>.
    #[arg(long, env = "LMS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Attempts at one mail before it is given up on (HR sees it and may retry it).
    #[arg(long, env = "LMS_MAIL_MAX_ATTEMPTS", default_value_t = 8)]
    pub mail_max_attempts: u32,
    /// Seconds before the first retry; each further one waits twice as long
    /// (with ±20 % jitter), at most --mail-retry-max-seconds.
    #[arg(long, env = "LMS_MAIL_RETRY_SECONDS", default_value_t = 60.0)]
    pub mail_retry_seconds: f64,
    #[arg(long, env = "LMS_MAIL_RETRY_MAX_SECONDS", default_value_t = 3600.0)]
    pub mail_retry_max_seconds: f64,
    /// Mails claimed and sent at once by this instance.
    #[arg(long, env = "LMS_MAIL_BATCH", default_value_t = 32)]
    pub mail_batch: usize,
}

impl MailArgs {
    /// Where people reach LMS: --public-url, checked, or http://<listen>.
    fn public_url(&self, listen: std::net::SocketAddr) -> anyhow::Result<String> {
        Ok(match &self.public_url {
            Some(u) => {
                let parsed = url::Url::parse(u).with_context(|| format!("--public-url `{u}`"))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    bail!("--public-url `{u}`: use http:// or https://");
                }
                u.clone()
            }
            None => format!("http://{listen}"),
        })
    }

    /// The mail configuration, or `None` without --smtp-url.
    fn config(&self, listen: std::net::SocketAddr) -> anyhow::Result<Option<lms_server::mail::MailConfig>> {
        let Some(url) = self.smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else { return Ok(None) };
        let public_url = self.public_url(listen)?;
        let mut cfg = lms_server::mail::MailConfig::new(url, self.mail_from.clone(), public_url);
        if let Some(path) = &self.smtp_password_file {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            cfg.password = Some(text.lines().next().unwrap_or("").to_string());
        }
        let seconds = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 86_400.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(anyhow::anyhow!("--{name} must be more than 0 and at most 86400 seconds, not {v}"))
            }
        };
        cfg.retry = lms_core::mail::RetryPolicy::new(
            seconds("mail-retry-seconds", self.mail_retry_seconds)?,
            seconds("mail-retry-max-seconds", self.mail_retry_max_seconds)?,
            self.mail_max_attempts,
        )
        .map_err(|e| anyhow::anyhow!("mail retries: {e}"))?;
        if !(1..=256).contains(&self.mail_batch) {
            bail!("--mail-batch must be 1 to 256, not {}", self.mail_batch);
        }
        cfg.batch = self.mail_batch;
        lms_server::mail::MailWorker::check(&cfg).map_err(|e| anyhow::anyhow!(e))?;
        Ok(Some(cfg))
    }
}

pub async fn run(a: ServeArgs) -> anyhow::Result<()> {
    let db = a.db.connect_capped(a.db_pool, a.schema).await?;
    let status = migrations::status_capped(&db, a.schema).await?;
    if !status.is_current() {
        if a.migrate || a.demo {
            migrations::up_to(&db, a.schema).await.context("applying migrations")?;
        } else {
            let pending: Vec<String> = status.pending().iter().map(|(v, d)| format!("{v} {d}")).collect();
            bail!(
                "the database schema is behind this build ({} pending migration(s): {}).\n\
                 Fix: run `lms migrate up --database-url …` (or start with --migrate).",
                pending.len(),
                pending.join(", ")
            );
        }
    }
    if a.demo {
        // One hash per account: the same password, a different salt each.
        let mut hashes = Vec::with_capacity(demo::ACCOUNTS);
        for _ in 0..demo::ACCOUNTS {
            hashes.push(
                lms_server::auth::password::hash(a.demo_password.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!(e.message))?,
            );
        }
        match demo::seed(&db, |n| hashes[n % hashes.len()].clone(), Utc::now()).await? {
            Some(logins) => {
                println!("Demo organisation created. Every account's password: {}", a.demo_password);
                for l in logins {
                    let reports_to = l.manager.map(|m| format!(" (reports to {m})")).unwrap_or_default();
                    println!("  {:<24} {}{}", l.email, l.role, reports_to);
                }
            }
            None => println!("The database already has people; demo data not added."),
        }
    }
    let status_token = match &a.status_token_file {
        Some(path) => Some(read_status_token(path)?),
        None => None,
    };
    let listener =
        tokio::net::TcpListener::bind(&a.listen).await.with_context(|| format!("cannot listen on {}", a.listen))?;
    let addr = listener.local_addr()?;
    let mail = a.mail.config(addr)?;
    let sso = a.sso.config(a.mail.public_url(addr)?)?;
    let config = ServerConfig {
        slot: a.slot.clone(),
        instance_id: a.instance_id.clone().filter(|i| !i.trim().is_empty()),
        secure_cookies: a.secure_cookies,
        trust_forwarded: a.trust_forwarded,
        shutdown_timeout: Duration::from_secs(a.shutdown_timeout),
        drain_delay: Duration::from_secs(a.drain_delay),
        schema: a.schema,
        status_token,
        fault: a.inject_fault,
        mail: mail.clone(),
        calendar_domain: a.calendar_domain.clone().filter(|d| !d.trim().is_empty()),
        webhooks: Some(lms_server::webhooks::WebhookConfig::default()),
        sso: sso.clone(),
        ..ServerConfig::default()
    };
    if let Some(fault) = a.inject_fault {
        tracing::warn!(%fault, "fault injection on: this instance misbehaves on purpose (rehearsals only)");
        println!("FAULT INJECTION ON ({fault}): this instance misbehaves on purpose; rehearsals only");
    }
    // Said before the "listening" line: whoever starts the server may stop
    // reading its output once it has seen that line.
    match &mail {
        Some(m) => println!("Mail on: via {} from {}, links to {}", m.redacted_url(), m.from, m.public_url),
        None => println!("Mail off (no --smtp-url)"),
    }
    match &sso {
        Some(s) if db.counts(lms_store::sso::SINGLE_SIGN_ON) => println!(
            "Single sign-on on: {} as client {}; register the redirect URI {} and the post-logout URI {}",
            s.issuer,
            s.client_id,
            s.redirect_url(),
            s.post_logout_url()
        ),
        Some(_) => println!("Single sign-on off: the database schema is the release before's"),
        None => println!("Single sign-on off (no --oidc-issuer)"),
    }
    let shutdown = lms_server::shutdown_signal().context("cannot install the signal handlers")?;
    tracing::info!(%addr, slot = %a.slot, version = lms_core::VERSION, backend = db.backend().as_str(), "LMS listening");
    println!("LMS {} ({}) listening on http://{addr}  [slot {}]", lms_core::VERSION, db.backend().as_str(), a.slot);
    let job = tokio::spawn(lms_app::entitlements::schedule(
        db.clone(),
        Duration::from_secs(a.entitlement_job_minutes.saturating_mul(60)),
    ));
    lms_server::run(listener, AppState::new(db.clone(), config), shutdown).await?;
    job.abort();
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The status token in `path`: its only line, at least 16 bytes.
fn read_status_token(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let token = text.trim();
    if token.len() < 16 || token.contains(char::is_whitespace) {
        bail!("{}: the status token must be one line of at least 16 bytes without spaces", path.display());
    }
    Ok(token.to_string())
}

fn parse_schema(s: &str) -> Result<SchemaCap, String> {
    s.parse()
}
