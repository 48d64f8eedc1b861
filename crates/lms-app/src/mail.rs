//! Mail delivery's use cases: enqueuing the mails the notifications owe,
//! claiming due mails for an attempt, recording each attempt and what
//! follows it (sent, retried later with back-off, given up on: the rules are
//! `lms_core::mail`'s), and HR's view of the outbox and retry of a failed
//! mail (audited).
//!
//! Which mails are owed: every in-app notification created since mail
//! delivery began on the database (the first instance with SMTP on) and at
//! most [`LOOKBACK`] ago, whoever wrote it — the release before, which
//! writes in-app notifications only, included: an instance with mail on
//! enqueues their mails from them. An instance that does not count on the
//! outbox's migration ([`available`] is false) mails nothing and HR's view
//! says the schema is behind.
//!
//! This module must not know SMTP, templates or HTTP.

use crate::audit::{record as audit, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_core::mail::{AfterFailure, MailStatus, RetryPolicy};
use lms_store::mail::{self, Attempted, Settled};
use lms_store::requests::{self, LeaveRequest};
use lms_store::{Db, StoreError};
use serde::Serialize;

pub use lms_store::mail::{Attempt, Claimed, Counts, Mail, MAIL_OUTBOX};

/// A notification older than this when an instance with mail on first sees
/// it is not mailed (after mail was off for a while, old news stays unsent).
pub const LOOKBACK: chrono::Duration = chrono::Duration::hours(48);

/// Whether this instance counts on the outbox's migration.
pub fn available(db: &Db) -> bool {
    db.counts(MAIL_OUTBOX)
}

fn require_schema(db: &Db) -> Result<()> {
    crate::require_schema(db, MAIL_OUTBOX, "mail delivery needs")
}

/// Enqueues the mails owed by notifications that have none yet; how many.
pub async fn enqueue(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let began = mail::started_at(&mut tx.conn(), now).await?;
    let n = mail::enqueue_new(&mut tx.conn(), began.max(now - LOOKBACK), now).await?;
    tx.commit().await?;
    Ok(n)
}

/// A claimed mail and the request its notification is about (the whole
/// request, across the parts of a request that spans a turn of the leave
/// year), if it still exists.
#[derive(Debug, Clone)]
pub struct Owed {
    pub mail: Claimed,
    pub request: Option<LeaveRequest>,
    /// The name of the request's leave type (as HR wrote it).
    pub leave_type_name: Option<String>,
}

/// Claims up to `limit` due mails for `lease`, under the claim `token`
/// (unique per claim).
pub async fn claim(
    db: &Db,
    token: &str,
    lease: std::time::Duration,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Owed>> {
    require_schema(db)?;
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(2));
    let mut tx = db.begin().await?;
    let claimed = mail::claim(&mut tx.conn(), token, now + lease, now, limit).await?;
    tx.commit().await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = db.acquire().await?;
    let types = lms_store::leave_types::list(&mut c.conn(), true).await?;
    let mut owed = Vec::with_capacity(claimed.len());
    for m in claimed {
        let request = if m.entity_type == "leave_request" {
            match requests::get(&mut c.conn(), m.entity_id).await? {
                Some(first) => {
                    let mut parts = vec![first];
                    for id in crate::leave_year::other_parts(db, &mut c.conn(), m.entity_id).await? {
                        parts.extend(requests::get(&mut c.conn(), id).await?);
                    }
                    parts.sort_by_key(|r| (r.start_date, r.id));
                    crate::leave_year::whole(&parts)
                }
                None => None,
            }
        } else {
            None
        };
        let leave_type_name =
            request.as_ref().and_then(|r| types.iter().find(|t| t.code == r.leave_type)).map(|t| t.name.clone());
        owed.push(Owed { mail: m, request, leave_type_name });
    }
    Ok(owed)
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The SMTP server accepted the mail.
    Sent,
    /// It did not; `permanent` for a refusal that will not change (5xx).
    Failed { error: String, permanent: bool },
    /// Not attempted: the mail is not to be sent (and why).
    Skipped(String),
}

/// One attempt at a claimed mail.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub mail_id: i64,
    /// Attempts made before this one.
    pub attempts_before: i32,
    pub delivery: Delivery,
    pub recipient_email: String,
    pub subject: String,
    pub message_id: String,
}

/// Records the attempts of one claim, each with what follows it under
/// `policy` (`jitter` gives each retry its random share, in `[0, 1)`), in
/// one transaction; how many mails had meanwhile been taken over by another
/// instance (their claim ran out: the mail may go out twice).
pub async fn record(
    db: &Db,
    token: &str,
    instance: &str,
    outcomes: &[Outcome],
    policy: RetryPolicy,
    mut jitter: impl FnMut() -> f64,
    now: DateTime<Utc>,
) -> Result<usize> {
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let mut lost = 0;
    for o in outcomes {
        let (error, settled) = match &o.delivery {
            Delivery::Sent => (None, Settled::Sent),
            Delivery::Skipped(why) => (Some(why.as_str()), Settled::Skipped),
            Delivery::Failed { error, permanent } => {
                let attempts = u32::try_from(o.attempts_before).unwrap_or(0).saturating_add(1);
                let settled = match policy.after_failure(attempts, *permanent, jitter()) {
                    AfterFailure::GiveUp => Settled::Failed,
                    AfterFailure::RetryIn(d) => {
                        Settled::RetryAt(now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(1)))
                    }
                };
                (Some(error.as_str()), settled)
            }
        };
        let a = Attempted {
            id: o.mail_id,
            token,
            instance,
            error,
            settled,
            recipient_email: &o.recipient_email,
            subject: &o.subject,
            message_id: &o.message_id,
        };
        if !mail::record(&mut tx.conn(), &a, now).await? {
            lost += 1;
        }
    }
    tx.commit().await?;
    Ok(lost)
}

/// Mails owed and given up on; `None` when the instance has no outbox.
pub async fn counts(db: &Db) -> Result<Option<Counts>> {
    if !available(db) {
        return Ok(None);
    }
    let mut c = db.acquire().await?;
    Ok(Some(mail::counts(&mut c.conn()).await?))
}

/// The outbox, newest first, of one status or all (HR admins).
pub async fn list(
    db: &Db,
    caller: &Caller,
    status: Option<MailStatus>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Mail>> {
    caller.require_hr()?;
    require_schema(db)?;
    let mut c = db.acquire().await?;
    Ok(mail::list(&mut c.conn(), status.map(MailStatus::as_str), before_id, limit).await?)
}

/// One mail and its attempts, oldest first (HR admins).
pub async fn get(db: &Db, caller: &Caller, id: i64) -> Result<(Mail, Vec<Attempt>)> {
    caller.require_hr()?;
    require_schema(db)?;
    let mut c = db.acquire().await?;
    let m = mail::get(&mut c.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("mail {id}")))?;
    let attempts = mail::attempts(&mut c.conn(), id).await?;
    Ok((m, attempts))
}

/// What the audit log keeps of a mail.
#[derive(Serialize)]
struct MailState<'a> {
    status: &'a str,
    attempts: i32,
    recipient_id: i64,
    notification_id: i64,
}

impl<'a> From<&'a Mail> for MailState<'a> {
    fn from(m: &'a Mail) -> Self {
        MailState {
            status: &m.status,
            attempts: m.attempts,
            recipient_id: m.recipient_id,
            notification_id: m.notification_id,
        }
    }
}

/// Queues a failed (or skipped) mail again, due now, with a fresh count of
/// attempts (HR admins; audited as `mail.retry`). Another status is a
/// conflict: a queued mail is attempted anyway, a sent one went out.
pub async fn retry(db: &Db, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<Mail> {
    caller.require_hr()?;
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let before = mail::get(&mut tx.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("mail {id}")))?;
    if !mail::retry(&mut tx.conn(), id, now).await? {
        return Err(StoreError::conflict(
            "mail_not_failed",
            format!("mail {id} is {}; only a failed or skipped mail can be retried", before.status),
        )
        .into());
    }
    let after = mail::get(&mut tx.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("mail {id}")))?;
    let what = Audited {
        action: "mail.retry",
        entity: ("mail", id.to_string()),
        before: Some(&MailState::from(&before)),
        after: Some(&MailState::from(&after)),
    };
    audit(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(after)
}
