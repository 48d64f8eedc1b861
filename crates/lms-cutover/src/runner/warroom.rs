//! The war room's feed: the events a war room follows, taken from journal
//! records as the runner writes them, and delivered to the webhook in the
//! background so that a slow or dead webhook never delays the run (least
//! of all a rollback).
//!
//! Events: a checkpoint waiting for a person (with its questions, measured
//! answers and deadline), each decision (who, what, note, override reason),
//! rollback started (why) and completed (how long to all-on-blue), blue
//! verified, the verdict, a blackout override. Each delivery is tried up to
//! [`ATTEMPTS`] times with doubling back-off (once, while the webhook is
//! known to be down), in order; the outcome comes back to the
//! runner, which journals it (`Notified`, with `ok`), so the report lists
//! failed deliveries. Knows nothing about how the webhook is reached: it
//! calls [`NotifyDriver::publish`].

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::drivers::{Message, NotifyDriver};
use crate::engine::{Action, Event, Notice, RunState};
use crate::journal::Record;
use crate::runner::console::verdict_line;

/// Attempts per event before it counts as not delivered.
pub const ATTEMPTS: u32 = 5;
/// Wait after the first failed attempt; doubles each time (0.5, 1, 2, 4 s).
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// One event's delivery, for the journal.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The notice sent.
    pub notice: Notice,
    /// Delivered.
    pub ok: bool,
}

/// Maps records to events and delivers them.
pub struct Feed {
    tx: tokio::sync::mpsc::UnboundedSender<Message>,
    done: Arc<Mutex<Vec<Delivery>>>,
    pending: Arc<AtomicUsize>,
    prompts: HashSet<(u32, u32)>,
    plan_id: String,
    run: String,
}

impl Feed {
    /// Starts the delivery task on the current runtime.
    pub fn start(notify: Arc<dyn NotifyDriver>, plan_id: String, run: String) -> Feed {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Message>();
        let done = Arc::new(Mutex::new(Vec::new()));
        let pending = Arc::new(AtomicUsize::new(0));
        let (d, p) = (done.clone(), pending.clone());
        tokio::spawn(async move {
            // After an event was given up, the next ones are tried once
            // each until one gets through: a dead webhook must not hold
            // the queue (and the end of the run) for 7.5 s per event.
            let mut webhook_down = false;
            while let Some(message) = rx.recv().await {
                let mut delay = FIRST_RETRY;
                let mut ok = false;
                let attempts = if webhook_down { 1 } else { ATTEMPTS };
                for attempt in 1..=attempts {
                    if notify.publish(&message).await.is_ok() {
                        ok = true;
                        break;
                    }
                    if attempt < attempts {
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                    }
                }
                webhook_down = !ok;
                if let Ok(mut v) = d.lock() {
                    v.push(Delivery { notice: message.notice, ok });
                }
                p.fetch_sub(1, Ordering::SeqCst);
            }
        });
        Feed { tx, done, pending, prompts: HashSet::new(), plan_id, run }
    }

    /// Looks at a record just journaled; queues the war-room event it is, if any.
    pub fn observe(&mut self, rec: &Record, state: &RunState) {
        let Some((event, text, data)) = self.event_of(rec, state) else { return };
        let message = Message {
            at: rec.at,
            plan_id: self.plan_id.clone(),
            run: self.run.clone(),
            notice: Notice::WarRoom { event: event.to_string(), text: text.clone(), data },
            text,
        };
        self.pending.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(message).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Deliveries finished since the last call.
    pub fn take_finished(&self) -> Vec<Delivery> {
        self.done.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }

    /// Waits up to `limit` for every queued event to be delivered or given up.
    pub async fn flush(&self, limit: Duration) {
        let until = tokio::time::Instant::now() + limit;
        while self.pending.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn event_of(&mut self, rec: &Record, state: &RunState) -> Option<(&'static str, String, serde_json::Value)> {
        match &rec.event {
            Event::RunStarted { blackout_override: Some(o), .. } => Some((
                "blackout_override",
                format!("{} started the cutover despite the blackout calendar: {}", o.by, o.reason),
                json!({ "by": o.by, "reason": o.reason, "rules": o.rules }),
            )),
            Event::ActionStarted { action: Action::AwaitCheckpoint { prompt, auto: None, decide_by, .. } }
                if prompt.samples > 0 && self.prompts.insert((prompt.checkpoint, prompt.round)) =>
            {
                let questions: Vec<serde_json::Value> = prompt
                    .questions
                    .iter()
                    .map(|q| json!({ "question": q.text, "answer": q.answer, "evidence": q.evidence }))
                    .collect();
                let mut text = format!("{} (round {}) is waiting for a decision", prompt.name, prompt.round);
                if !prompt.forced_hold.is_empty() {
                    text.push_str(&format!("; forced HOLD: {}", prompt.forced_hold.join("; ")));
                }
                if let Some(by) = decide_by {
                    text.push_str(&format!("; decide by {} UTC", by.format("%H:%M:%S")));
                }
                Some((
                    "checkpoint_waiting",
                    text,
                    json!({
                        "checkpoint": prompt.checkpoint, "name": prompt.name, "round": prompt.round,
                        "questions": questions, "forced_hold": prompt.forced_hold,
                        "suggestion": prompt.suggestion, "decide_by": decide_by,
                        "insufficient_data": prompt.insufficient_data,
                    }),
                ))
            }
            Event::Decided { record } => {
                let mut text = format!(
                    "{}: {} by {}",
                    record.snapshot.name,
                    record.decision.label(),
                    if record.auto { format!("{} (automatic)", record.by) } else { record.by.clone() }
                );
                if let Some(n) = &record.note {
                    text.push_str(&format!(" — {n}"));
                }
                if let Some(r) = &record.override_reason {
                    text.push_str(&format!(" — override: {r}"));
                }
                Some((
                    "decision",
                    text,
                    json!({
                        "checkpoint": record.checkpoint, "round": record.round, "decision": record.decision,
                        "by": record.by, "auto": record.auto, "note": record.note,
                        "override_reason": record.override_reason,
                    }),
                ))
            }
            Event::ActionStarted { action: Action::Rollback { reason, triggered_at, attempt: 1 } } => Some((
                "rollback_started",
                format!("ROLLBACK started: {reason}"),
                json!({ "reason": reason.to_string(), "triggered_at": triggered_at }),
            )),
            Event::RolledBack { outcome } if outcome.ok => {
                let rb = state.rollback.as_ref();
                let ms = rb.and_then(|r| r.on_blue_at.map(|t| (t - r.triggered_at).num_milliseconds()));
                Some((
                    "rollback_completed",
                    format!(
                        "ROLLBACK completed: all traffic on blue{}",
                        ms.map_or(String::new(), |m| format!(" {m} ms after the trigger"))
                    ),
                    json!({ "to_blue_ms": ms, "detail": outcome.detail,
                            "reason": rb.map(|r| r.reason.to_string()) }),
                ))
            }
            Event::BlueVerified { outcome } => Some((
                "blue_verified",
                format!("blue {}: {}", if outcome.ok { "verified healthy" } else { "NOT verified" }, outcome.detail),
                json!({ "ok": outcome.ok, "detail": outcome.detail }),
            )),
            Event::RunCompleted { verdict } => {
                Some(("verdict", verdict_line(verdict), serde_json::to_value(verdict).unwrap_or_default()))
            }
            _ => None,
        }
    }
}

/// When a delivery was given up, for the console.
pub fn given_up(d: &Delivery) -> Option<String> {
    match (&d.notice, d.ok) {
        (Notice::WarRoom { event, .. }, false) => {
            Some(format!("war-room event {event} not delivered to the webhook (see the report's notices)"))
        }
        _ => None,
    }
}
