//! Webhooks' use cases: HR registers, lists and deletes endpoints and sets
//! whether deliveries may reach private addresses (each change audited; the
//! secret never enters the audit log); the delivery worker enqueues the
//! deliveries the audit log owes, claims due ones and records every attempt
//! with what follows it (delivered, retried later with the mail's back-off
//! — `lms_core::mail::RetryPolicy` —, given up on); HR reads an endpoint's
//! delivery log.
//!
//! Which deliveries are owed: one per active endpoint and audited change of
//! an event it subscribes to, made after the endpoint was registered and at
//! most [`LOOKBACK`] before the worker first sees it — whoever wrote it, the
//! release before included. An instance that does not count on the
//! migration ([`available`] is false) delivers nothing and its routes answer
//! that the schema is behind.
//!
//! The SSRF rule is `lms_core::webhook`'s; resolving the host is the
//! caller's (this module must not know DNS, HTTP or signing).

use crate::audit::{record as audit, Audited};
use crate::error::Result;
use crate::Caller;
use chrono::{DateTime, Utc};
use lms_core::mail::{AfterFailure, RetryPolicy};
use lms_core::webhook::{check_addresses, WebhookEvent, WebhookFormat, WebhookUrl};
use lms_store::webhooks::{self as store, Attempted, NewWebhook, Settled};
use lms_store::{Db, StoreError};
use serde::Serialize;
use std::net::IpAddr;

pub use lms_store::webhooks::{Attempt, Claimed, Delivery, Webhook, WEBHOOKS};

/// An audited change older than this when a worker first sees it is not delivered.
pub const LOOKBACK: chrono::Duration = chrono::Duration::hours(48);

/// Whether this instance counts on the webhooks' migration.
pub fn available(db: &Db) -> bool {
    db.counts(WEBHOOKS)
}

fn require_schema(db: &Db) -> Result<()> {
    crate::require_schema(db, WEBHOOKS, "webhooks need")
}

/// An endpoint to register, parsed.
#[derive(Debug, Clone)]
pub struct Registration {
    pub url: WebhookUrl,
    pub events: Vec<WebhookEvent>,
    pub format: WebhookFormat,
    pub active: bool,
    /// The signing secret (made by the caller, shown to HR once).
    pub secret: String,
    /// What the URL's host resolves to now.
    pub resolved: Vec<IpAddr>,
}

/// What the audit log keeps of an endpoint (never its secret).
#[derive(Serialize)]
struct WebhookState<'a> {
    url: &'a str,
    events: Vec<&'a str>,
    format: &'a str,
    active: bool,
}

impl<'a> From<&'a Webhook> for WebhookState<'a> {
    fn from(w: &'a Webhook) -> Self {
        WebhookState { url: &w.url, events: events_of(w), format: &w.format, active: w.active }
    }
}

/// The events an endpoint subscribes to.
pub fn events_of(w: &Webhook) -> Vec<&str> {
    w.events.split(',').filter(|e| !e.is_empty()).collect()
}

/// Registers an endpoint (HR admins; audited as `webhook.create`). A host
/// resolving to a non-public address is refused unless HR allows private
/// addresses; nothing is written then.
pub async fn register(db: &Db, caller: &Caller, r: Registration, now: DateTime<Utc>) -> Result<Webhook> {
    caller.require_hr()?;
    require_schema(db)?;
    if r.events.is_empty() {
        return Err(lms_core::DomainError::InvalidRule(
            "choose at least one event for the webhook (e.g. leave_request.approved)".into(),
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let allow = store::allow_private(&mut tx.conn()).await?;
    check_addresses(&r.url.host(), &r.resolved, allow)?;
    let new = NewWebhook {
        url: r.url.as_str(),
        events: &r.events,
        format: r.format.as_str(),
        secret: &r.secret,
        active: r.active,
    };
    let id = store::create(&mut tx.conn(), &new, Some(caller.actor.id), now).await?;
    let w = store::get(&mut tx.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))?;
    let what = Audited {
        action: "webhook.create",
        entity: ("webhook", id.to_string()),
        before: None,
        after: Some(&WebhookState::from(&w)),
    };
    audit(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(w)
}

/// The endpoints (HR admins).
pub async fn list(db: &Db, caller: &Caller) -> Result<Vec<Webhook>> {
    caller.require_hr()?;
    require_schema(db)?;
    let mut c = db.acquire().await?;
    Ok(store::list(&mut c.conn()).await?)
}

/// Deletes an endpoint (HR admins; audited as `webhook.delete`): its queued
/// deliveries fail, its log stays.
pub async fn delete(db: &Db, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<()> {
    caller.require_hr()?;
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let before = store::get(&mut tx.conn(), id).await?.ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))?;
    store::delete(&mut tx.conn(), id, now).await?;
    let what = Audited {
        action: "webhook.delete",
        entity: ("webhook", id.to_string()),
        before: Some(&WebhookState::from(&before)),
        after: None,
    };
    audit(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The webhook settings as the audit log keeps them.
#[derive(Serialize)]
struct SettingsState {
    allow_private: bool,
}

/// Whether deliveries may reach private addresses (HR admins).
pub async fn allow_private(db: &Db, caller: &Caller) -> Result<bool> {
    caller.require_hr()?;
    require_schema(db)?;
    let mut c = db.acquire().await?;
    Ok(store::allow_private(&mut c.conn()).await?)
}

/// Sets whether deliveries may reach private addresses (HR admins; audited
/// as `settings.webhooks`).
pub async fn set_allow_private(db: &Db, caller: &Caller, on: bool, now: DateTime<Utc>) -> Result<bool> {
    caller.require_hr()?;
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let before = SettingsState { allow_private: store::allow_private(&mut tx.conn()).await? };
    store::set_allow_private(&mut tx.conn(), on, Some(caller.actor.id), now).await?;
    let what = Audited {
        action: "settings.webhooks",
        entity: ("settings", "webhooks".to_string()),
        before: Some(&before),
        after: Some(&SettingsState { allow_private: on }),
    };
    audit(&mut tx.conn(), &caller.audit(), what, now).await?;
    tx.commit().await?;
    Ok(on)
}

/// A delivery and its attempts, oldest first.
#[derive(Debug, Clone)]
pub struct Logged {
    pub delivery: Delivery,
    pub attempts: Vec<Attempt>,
}

/// An endpoint's deliveries, newest first, with their attempts (HR admins).
pub async fn deliveries(
    db: &Db,
    caller: &Caller,
    webhook_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Logged>> {
    caller.require_hr()?;
    require_schema(db)?;
    let mut c = db.acquire().await?;
    store::get(&mut c.conn(), webhook_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("webhook {webhook_id}")))?;
    let ds = store::deliveries(&mut c.conn(), webhook_id, before_id, limit).await?;
    let ids: Vec<i64> = ds.iter().map(|d| d.id).collect();
    let mut attempts = store::attempts(&mut c.conn(), &ids).await?;
    Ok(ds
        .into_iter()
        .map(|d| {
            let (mine, rest): (Vec<Attempt>, Vec<Attempt>) =
                std::mem::take(&mut attempts).into_iter().partition(|a| a.delivery_id == d.id);
            attempts = rest;
            Logged { delivery: d, attempts: mine }
        })
        .collect())
}

/// A claimed delivery with what the worker needs besides: the name of the
/// person the change is about, when it is about one.
#[derive(Debug, Clone)]
pub struct Owed {
    pub delivery: Claimed,
    pub person: Option<String>,
    /// Whether deliveries may reach private addresses, as of the claim.
    pub allow_private: bool,
}

/// Enqueues the deliveries the audit log owes; how many.
pub async fn enqueue(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let n = store::enqueue_new(&mut tx.conn(), now - LOOKBACK, now).await?;
    tx.commit().await?;
    Ok(n)
}

/// Claims up to `limit` due deliveries for `lease` under the claim `token`.
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
    let claimed = store::claim(&mut tx.conn(), token, now + lease, now, limit).await?;
    tx.commit().await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = db.acquire().await?;
    let allow_private = store::allow_private(&mut c.conn()).await?;
    let mut owed = Vec::with_capacity(claimed.len());
    for d in claimed {
        let state: Option<serde_json::Value> =
            d.after_state.as_deref().or(d.before_state.as_deref()).and_then(|s| serde_json::from_str(s).ok());
        let person_id = match d.entity_type.as_str() {
            "employee" => d.entity_id.parse().ok(),
            _ => state.as_ref().and_then(|s| s.get("employee_id")).and_then(serde_json::Value::as_i64),
        };
        let person = match person_id {
            Some(id) => store::person_name(&mut c.conn(), id).await?,
            None => None,
        };
        owed.push(Owed { delivery: d, person, allow_private });
    }
    Ok(owed)
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint answered 2xx.
    Delivered { status: u16 },
    /// It answered otherwise, or not at all (`status` is `None`); `permanent`
    /// when trying again cannot help (the address is refused).
    Failed { status: Option<u16>, error: String, permanent: bool },
}

/// One attempt at a claimed delivery.
#[derive(Debug, Clone)]
pub struct Tried {
    pub delivery_id: i64,
    pub attempts_before: i32,
    pub outcome: Outcome,
    pub duration: std::time::Duration,
}

/// Records the attempts of one claim, each with what follows it under
/// `policy`, in one transaction; how many had meanwhile been taken over by
/// another instance.
pub async fn record(
    db: &Db,
    token: &str,
    instance: &str,
    tried: &[Tried],
    policy: RetryPolicy,
    mut jitter: impl FnMut() -> f64,
    now: DateTime<Utc>,
) -> Result<usize> {
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let mut lost = 0;
    for t in tried {
        let (status_code, error, settled) = match &t.outcome {
            Outcome::Delivered { status } => (Some(i32::from(*status)), None, Settled::Delivered),
            Outcome::Failed { status, error, permanent } => {
                let attempts = u32::try_from(t.attempts_before).unwrap_or(0).saturating_add(1);
                let settled = match policy.after_failure(attempts, *permanent, jitter()) {
                    AfterFailure::GiveUp => Settled::Failed,
                    AfterFailure::RetryIn(d) => {
                        Settled::RetryAt(now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(1)))
                    }
                };
                (status.map(i32::from), Some(error.as_str()), settled)
            }
        };
        let a = Attempted {
            id: t.delivery_id,
            token,
            instance,
            status_code,
            error,
            duration_ms: i64::try_from(t.duration.as_millis()).unwrap_or(i64::MAX),
            settled,
        };
        if !store::record(&mut tx.conn(), &a, now).await? {
            lost += 1;
        }
    }
    tx.commit().await?;
    Ok(lost)
}
