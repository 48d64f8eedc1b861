//! Blue and green as a client sees them through the public URL: during a
//! rehearsal `/api/health` is asked every [`EVERY`] and the slot that
//! answered is kept with the time, so the figures can say when, after a
//! rollback was triggered, a client stopped reaching green — the rollback
//! as a client observes it, whatever engine moved the traffic.
//!
//! Knows the health answer's `slot` field; nothing of the runbook.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// How often the public URL is asked which slot answers.
pub const EVERY: Duration = Duration::from_millis(10);

/// One answer: when it came and which slot gave it.
pub type Answer = (DateTime<Utc>, String);

/// The watch, running until stopped.
pub struct ClientView {
    seen: Arc<Mutex<Vec<Answer>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ClientView {
    /// Starts asking `public_url` which slot answers.
    pub fn start(public_url: &str) -> ClientView {
        let url = format!("{}/api/health", public_url.trim_end_matches('/'));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let keep = seen.clone();
        let client = crate::local::http_client(Duration::from_secs(2));
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Ok(resp) = client.get(&url).send().await else { continue };
                let Ok(body) = resp.json::<serde_json::Value>().await else { continue };
                if let Some(slot) = body.get("slot").and_then(|s| s.as_str()) {
                    if let Ok(mut v) = keep.lock() {
                        v.push((Utc::now(), slot.to_string()));
                    }
                }
            }
        });
        ClientView { seen, task }
    }

    /// Stops the watch; the answers seen, in order.
    pub fn stop(self) -> Vec<Answer> {
        self.task.abort();
        self.seen.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }
}

/// Milliseconds from `triggered_at` to the first answer from blue after the
/// last answer from green (green's answers at or after the trigger count:
/// requests it was already serving). `None` when nothing answered after
/// the trigger.
pub fn rollback_ms(answers: &[Answer], triggered_at: DateTime<Utc>) -> Option<i64> {
    let after: Vec<&Answer> = answers.iter().filter(|(at, _)| *at >= triggered_at).collect();
    let last_green = after.iter().rposition(|(_, slot)| slot == "green");
    let first_blue = match last_green {
        Some(i) => after.get(i + 1..)?.iter().find(|(_, slot)| slot == "blue")?,
        None => after.iter().find(|(_, slot)| slot == "blue")?,
    };
    Some((first_blue.0 - triggered_at).num_milliseconds())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_on_blue_after_greens_last_answer() {
        let t0 = Utc::now();
        let at = |ms: i64, slot: &str| (t0 + chrono::Duration::milliseconds(ms), slot.to_string());
        let answers = vec![
            at(-20, "green"),
            at(-10, "blue"),
            at(10, "green"),
            at(20, "blue"),
            at(30, "green"),
            at(40, "blue"),
            at(50, "blue"),
        ];
        assert_eq!(rollback_ms(&answers, t0), Some(40));
        assert_eq!(rollback_ms(&answers[..2], t0), None, "nothing answered after the trigger");
        assert_eq!(rollback_ms(&[at(5, "blue")], t0), Some(5), "already on blue");
        assert_eq!(rollback_ms(&[at(5, "green")], t0), None, "still on green");
    }
}
