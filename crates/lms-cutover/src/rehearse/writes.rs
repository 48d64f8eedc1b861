//! The write side of the rehearsal load: the changes users make while the
//! cutover runs, across both versions and across maintenance mode.
//!
//! Each cycle is one employee's leave request on a day of its own: submitted,
//! then either cancelled by the employee or approved by their manager and
//! then cancelled (an approved future request may be cancelled). Cycles
//! start at a steady rate so that write calls reach the share of all
//! requests asked for. Every call is counted by what became of it: done,
//! paused by maintenance mode (a 503 the LMS marks with `lms-maintenance`,
//! the refusal users are told to expect), in conflict (409) or failed.
//! Knows nothing about the cutover: it is a client of the public URL.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

/// Average write calls per cycle: submit + cancel, or submit + approve + cancel.
const CALLS_PER_CYCLE: f64 = 2.5;
/// Cycles running at once, at most; beyond it a tick is skipped and counted.
const MAX_IN_FLIGHT: u64 = 64;
/// Days a cycle can take before one is reused (200 weeks of working days).
const SLOTS: u64 = 1000;

/// Live counters of the write side.
#[derive(Debug, Default)]
pub struct WriteCounters {
    ok: AtomicU64,
    paused: AtomicU64,
    conflicts: AtomicU64,
    failed: AtomicU64,
    skipped: AtomicU64,
    in_flight: AtomicU64,
    first_failure: Mutex<Option<DateTime<Utc>>>,
}

/// What the write side saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriteFigures {
    /// Write calls answered 2xx.
    pub ok: u64,
    /// Refused by maintenance mode (expected while it is on; not a failure).
    pub paused: u64,
    /// Answered 409 (two changes to the same thing).
    pub conflicts: u64,
    /// Answered otherwise, or not at all.
    pub failed: u64,
    /// Cycles not started: too many still in flight.
    pub skipped: u64,
}

impl WriteFigures {
    /// Write calls made.
    pub fn calls(&self) -> u64 {
        self.ok + self.paused + self.conflicts + self.failed
    }
}

impl WriteCounters {
    /// A snapshot of the counters.
    pub fn figures(&self) -> WriteFigures {
        WriteFigures {
            ok: self.ok.load(Ordering::Relaxed),
            paused: self.paused.load(Ordering::Relaxed),
            conflicts: self.conflicts.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
        }
    }

    /// When the first failed write was seen.
    pub fn first_failure(&self) -> Option<DateTime<Utc>> {
        self.first_failure.lock().ok().and_then(|g| *g)
    }
}

/// What became of one call.
enum Answer {
    Ok(Option<serde_json::Value>),
    Paused,
    Conflict,
    Failed,
}

/// Who writes: an employee's and their manager's session cookies.
pub struct Writers {
    /// HTTP client shared by every call.
    pub client: reqwest::Client,
    /// Public base URL.
    pub base: String,
    /// The employee's session.
    pub employee: String,
    /// The employee's manager's session.
    pub manager: String,
}

/// Write calls per second that make `ratio` of all requests writes when
/// reads go at `reads_per_s`.
pub fn calls_per_second(reads_per_s: f64, ratio: f64) -> f64 {
    if ratio <= 0.0 || ratio >= 1.0 {
        return 0.0;
    }
    reads_per_s * ratio / (1.0 - ratio)
}

/// Runs cycles at `calls_per_s` write calls per second until aborted.
pub async fn run(w: Arc<Writers>, calls_per_s: f64, counters: Arc<WriteCounters>) {
    if calls_per_s <= 0.0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs_f64(CALLS_PER_CYCLE / calls_per_s));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let far = Utc::now().date_naive() + TimeDelta::days(400);
    let monday = far + TimeDelta::days(i64::from((7 - far.weekday().num_days_from_monday()) % 7));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        if counters.in_flight.load(Ordering::Relaxed) >= MAX_IN_FLIGHT {
            counters.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        n += 1;
        let day = slot_day(monday, n % SLOTS);
        counters.in_flight.fetch_add(1, Ordering::Relaxed);
        let (w, c) = (w.clone(), counters.clone());
        tokio::spawn(async move {
            cycle(&w, &c, day, n % 2 == 1).await;
            c.in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

fn slot_day(monday: NaiveDate, slot: u64) -> NaiveDate {
    let week = i64::try_from(slot / 5).unwrap_or(0);
    let day = i64::try_from(slot % 5).unwrap_or(0);
    monday + TimeDelta::days(week * 7 + day)
}

async fn cycle(w: &Writers, c: &WriteCounters, day: NaiveDate, approve: bool) {
    let date = day.format("%Y-%m-%d").to_string();
    let body = serde_json::json!({
        "leave_type": "unpaid", "start_date": date, "end_date": date, "reason": "rehearsal load"
    });
    let submitted = call(w, c, &w.employee, "/api/v1/leave-requests".into(), Some(body)).await;
    let Some(id) = submitted.and_then(|v| v.get("id").and_then(|i| i.as_i64())) else {
        return;
    };
    if approve {
        let path = format!("/api/v1/leave-requests/{id}/approve");
        let _ = call(w, c, &w.manager, path, Some(serde_json::json!({ "comment": "rehearsal" }))).await;
    }
    let _ = call(w, c, &w.employee, format!("/api/v1/leave-requests/{id}/cancel"), None).await;
}

async fn call(
    w: &Writers,
    c: &WriteCounters,
    cookie: &str,
    path: String,
    body: Option<serde_json::Value>,
) -> Option<serde_json::Value> {
    let mut req = w.client.post(format!("{}{path}", w.base)).header(reqwest::header::COOKIE, cookie);
    if let Some(b) = &body {
        req = req.json(b);
    }
    let answer = match req.send().await {
        Ok(r) if r.status().is_success() => Answer::Ok(r.json().await.ok()),
        Ok(r) if r.status().as_u16() == 503 && r.headers().contains_key("lms-maintenance") => Answer::Paused,
        Ok(r) if r.status().as_u16() == 409 => Answer::Conflict,
        _ => Answer::Failed,
    };
    match answer {
        Answer::Ok(v) => {
            c.ok.fetch_add(1, Ordering::Relaxed);
            return v;
        }
        Answer::Paused => c.paused.fetch_add(1, Ordering::Relaxed),
        Answer::Conflict => c.conflicts.fetch_add(1, Ordering::Relaxed),
        Answer::Failed => {
            if let Ok(mut g) = c.first_failure.lock() {
                g.get_or_insert_with(Utc::now);
            }
            c.failed.fetch_add(1, Ordering::Relaxed)
        }
    };
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_share_matches_the_ratio() {
        let w = calls_per_second(80.0, 0.2);
        assert!((w / (w + 80.0) - 0.2).abs() < 1e-9);
        assert_eq!(calls_per_second(80.0, 0.0), 0.0);
    }

    #[test]
    fn slots_are_working_days() {
        let monday = NaiveDate::from_ymd_opt(2027, 1, 4).expect("date");
        for s in 0..SLOTS {
            assert!(slot_day(monday, s).weekday().num_days_from_monday() < 5);
        }
    }
}
