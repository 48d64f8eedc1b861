//! The mail worker of one instance: the delivery loop of `crate::outbox`
//! over the mail outbox — the mails new notifications owe, claimed in
//! batches, sent concurrently over pooled SMTP connections (each attempt
//! bounded by the SMTP timeout), every attempt recorded.

use super::render::render;
use super::MailConfig;
use crate::outbox::{Outbox, Worker};
use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use lms_app::mail::{self, Delivery, Outcome, Owed};
use lms_app::AppError;
use lms_store::Db;
use std::future::Future;
use std::time::Duration;

/// The SMTP side: a pooled transport and the sender.
#[derive(Clone)]
struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of every `Message-ID`: the sender's domain.
    domain: String,
}

impl Mailer {
    fn new(cfg: &MailConfig) -> Result<Mailer, String> {
        let url = url::Url::parse(&cfg.smtp_url).map_err(|e| format!("--smtp-url: {e}"))?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(format!(
                "--smtp-url: use smtp://host:port (add ?tls=required for STARTTLS) or smtps://host:port, not {}://",
                url.scheme()
            ));
        }
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(&cfg.smtp_url).map_err(|e| format!("--smtp-url: {e}"))?;
        if let Some(password) = &cfg.password {
            if url.username().is_empty() {
                return Err("--smtp-password-file needs a user name in --smtp-url (smtp://user@host:587)".into());
            }
            builder = builder.credentials(Credentials::new(url.username().to_string(), password.clone()));
        }
        let transport = builder
            .timeout(Some(cfg.timeout))
            .pool_config(PoolConfig::new().max_size(cfg.batch.clamp(1, 64) as u32))
            .build();
        let from: Mailbox =
            cfg.from.parse().map_err(|e| format!("--mail-from `{}` is not a mail address: {e}", cfg.from))?;
        let domain = from.email.domain().to_string();
        Ok(Mailer { transport, from, domain })
    }

    /// One attempt at one mail.
    async fn deliver(&self, owed: Owed, base_url: &str) -> Outcome {
        let m = &owed.mail;
        let rendered = render(&owed, base_url);
        let message_id = format!("<lms-mail-{}@{}>", m.id, self.domain);
        let outcome = |delivery| Outcome {
            mail_id: m.id,
            attempts_before: m.attempts,
            delivery,
            recipient_email: m.email.clone(),
            subject: rendered.subject.clone(),
            message_id: message_id.clone(),
        };
        if !m.active {
            return outcome(Delivery::Skipped("the recipient is deactivated".into()));
        }
        let to = match m.email.parse() {
            Ok(address) => Mailbox::new(Some(m.name.clone()), address),
            Err(e) => {
                return outcome(Delivery::Failed {
                    error: format!("the recipient's address {} cannot be used: {e}", m.email),
                    permanent: true,
                })
            }
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject.clone())
            .message_id(Some(message_id.clone()))
            .header(ContentLanguage(rendered.lang.tag()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(rendered.text.clone()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(rendered.html.clone())),
            );
        let message = match message {
            Ok(message) => message,
            Err(e) => {
                return outcome(Delivery::Failed { error: format!("the mail cannot be built: {e}"), permanent: true })
            }
        };
        match self.transport.send(message).await {
            Ok(_) => outcome(Delivery::Sent),
            Err(e) => {
                let mut error = e.to_string();
                if let Some(cut) = error.char_indices().nth(500).map(|(i, _)| i) {
                    error.truncate(cut);
                }
                outcome(Delivery::Failed { error, permanent: e.is_permanent() })
            }
        }
    }
}

/// `Content-Language`: the language the mail is written in.
#[derive(Clone)]
struct ContentLanguage(&'static str);

impl lettre::message::header::Header for ContentLanguage {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Content-Language")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        crate::web::i18n::Lang::parse(s)
            .map(|l| ContentLanguage(l.tag()))
            .ok_or_else(|| format!("{s}: not a language LMS speaks").into())
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.to_string())
    }
}

/// The running worker of this instance.
pub struct MailWorker(Worker);

impl MailWorker {
    /// Starts the worker, when the instance has mail configured and counts
    /// on the outbox's migration. Before it returns, the notifications
    /// there are now are enqueued (and the start of mail delivery is marked
    /// on a database that had none), so every notification written through
    /// this instance once it serves is mailed. An unusable configuration is
    /// refused (`lms serve` checks it before listening: [`MailWorker::check`]).
    pub async fn spawn(db: &Db, cfg: &MailConfig, instance: String) -> Result<Option<MailWorker>, String> {
        let mailer = Mailer::new(cfg)?;
        if !mail::available(db) {
            tracing::warn!(
                "mail is configured but this instance runs on the schema of the release before: no mail is sent"
            );
            return Ok(None);
        }
        if let Err(e) = mail::enqueue(db, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "enqueuing mails failed; the worker tries again");
        }
        tracing::info!(smtp = %cfg.redacted_url(), from = %cfg.from, %instance, "mail delivery on");
        let outbox = MailOutbox { cfg: cfg.clone(), mailer };
        Ok(Some(MailWorker(Worker::spawn(db.clone(), outbox, instance))))
    }

    /// Whether `cfg` can be used (the URL, the sender), without connecting.
    pub fn check(cfg: &MailConfig) -> Result<(), String> {
        Mailer::new(cfg).map(|_| ())
    }

    /// Stops the worker: the batch in hand is finished and recorded.
    pub async fn stop(self, within: Duration) {
        self.0.stop(within).await
    }
}

/// The mail outbox as the delivery loop sees it.
struct MailOutbox {
    cfg: MailConfig,
    mailer: Mailer,
}

impl Outbox for MailOutbox {
    type Owed = Owed;
    type Outcome = Outcome;
    const WHAT: &'static str = "mails";
    const TOKEN_TAG: &'static str = "";

    fn poll(&self) -> Duration {
        self.cfg.poll
    }

    async fn enqueue(&self, db: &Db, now: DateTime<Utc>) -> Result<u64, AppError> {
        mail::enqueue(db, now).await
    }

    async fn claim(&self, db: &Db, token: &str, now: DateTime<Utc>) -> Result<Vec<Owed>, AppError> {
        mail::claim(db, token, self.cfg.lease, self.cfg.batch as i64, now).await
    }

    fn attempt(&self, owed: Owed) -> impl Future<Output = Outcome> + Send + 'static {
        let (mailer, base) = (self.mailer.clone(), self.cfg.public_url.clone());
        async move { mailer.deliver(owed, &base).await }
    }

    fn failed(outcome: &Outcome) -> bool {
        outcome.delivery != Delivery::Sent
    }

    async fn record(
        &self,
        db: &Db,
        token: &str,
        instance: &str,
        outcomes: &[Outcome],
        now: DateTime<Utc>,
    ) -> Result<usize, AppError> {
        mail::record(db, token, instance, outcomes, self.cfg.retry, rand::random::<f64>, now).await
    }
}
