//! The mail worker of one instance: a loop that enqueues the mails new
//! notifications owe (once per poll), claims a batch of due mails under a
//! fresh claim token, sends them concurrently over pooled SMTP connections
//! and records every attempt; idle, it waits one poll. On stop it finishes
//! the batch in hand (each attempt bounded by the SMTP timeout) and records
//! it; a claim it could not record runs out by itself.

use super::render::render;
use super::MailConfig;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use lms_app::mail::{self, Delivery, Outcome, Owed};
use lms_store::Db;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

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
pub struct MailWorker {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

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
        let (stop, stopped) = watch::channel(false);
        tracing::info!(smtp = %cfg.redacted_url(), from = %cfg.from, %instance, "mail delivery on");
        let handle = tokio::spawn(run(db.clone(), cfg.clone(), mailer, instance, stopped));
        Ok(Some(MailWorker { stop, handle }))
    }

    /// Whether `cfg` can be used (the URL, the sender), without connecting.
    pub fn check(cfg: &MailConfig) -> Result<(), String> {
        Mailer::new(cfg).map(|_| ())
    }

    /// Stops the worker: the batch in hand is finished and recorded.
    pub async fn stop(self, within: Duration) {
        let _ = self.stop.send(true);
        let abort = self.handle.abort_handle();
        if tokio::time::timeout(within, self.handle).await.is_err() {
            tracing::warn!("the mail worker did not stop in time; its claims run out by themselves");
            abort.abort();
        }
    }
}

async fn run(db: Db, cfg: MailConfig, mailer: Mailer, instance: String, mut stopped: watch::Receiver<bool>) {
    let mut claims: u64 = 0;
    let mut enqueued_at: Option<Instant> = None;
    loop {
        if *stopped.borrow() {
            break;
        }
        let now = chrono::Utc::now();
        if enqueued_at.is_none_or(|t| t.elapsed() >= cfg.poll) {
            enqueued_at = Some(Instant::now());
            match mail::enqueue(&db, now).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(mails = n, "mails enqueued"),
                Err(e) => tracing::warn!(error = %e, "enqueuing mails failed; trying again at the next poll"),
            }
        }
        claims += 1;
        let token = format!("{instance}#{claims}");
        let owed = match mail::claim(&db, &token, cfg.lease, cfg.batch as i64, now).await {
            Ok(owed) => owed,
            Err(e) => {
                tracing::warn!(error = %e, "claiming mails failed; trying again at the next poll");
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
            let mailer = mailer.clone();
            let base = cfg.public_url.clone();
            sends.spawn(async move { mailer.deliver(o, &base).await });
        }
        let mut outcomes = Vec::with_capacity(sends.len());
        while let Some(done) = sends.join_next().await {
            match done {
                Ok(o) => outcomes.push(o),
                Err(e) => {
                    tracing::error!(error = %e, "a mail attempt panicked; its claim runs out and it is tried again")
                }
            }
        }
        let sent = outcomes.iter().filter(|o| o.delivery == Delivery::Sent).count();
        let failed = outcomes.len() - sent;
        match mail::record(&db, &token, &instance, &outcomes, cfg.retry, rand::random::<f64>, chrono::Utc::now()).await
        {
            Ok(0) => {}
            Ok(lost) => tracing::warn!(
                lost,
                "claims ran out before their mails were recorded; another instance may send them again"
            ),
            Err(e) => tracing::error!(
                error = %e,
                sent,
                "recording mail attempts failed; the claims run out and those mails go out again"
            ),
        }
        if failed > 0 {
            tracing::info!(sent, failed, "mail attempts failed; they are retried with back-off");
        }
    }
}
