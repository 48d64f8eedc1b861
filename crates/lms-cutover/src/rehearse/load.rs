//! The LMS load mix for rehearsals, built on `lms_smoke::loadgen`'s public
//! API: one employee logs in once, then the load generator sends balances,
//! history and health reads at a steady rate with that session; beside it a
//! writer submits a one-day leave request and cancels it, again and again,
//! as another employee. Counters are live for the progress line and the
//! figures; the first failed answer's time is kept (injected-failure runs).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lms_smoke::loadgen::{self, LiveStats, LoadSpec, Mode, RequestSpec};
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::error::{CutoverError, Result};

fn err(message: impl Into<String>) -> CutoverError {
    CutoverError::Driver { driver: "load", message: message.into() }
}

/// The running load.
pub struct Load {
    /// Read side of the load generator.
    pub live: Arc<LiveStats>,
    writes_ok: Arc<AtomicU64>,
    writes_failed: Arc<AtomicU64>,
    first_failure: Arc<Mutex<Option<DateTime<Utc>>>>,
    started: std::time::Instant,
    rate: f64,
    tasks: Vec<JoinHandle<()>>,
}

/// What the load saw.
#[derive(Debug, Clone, Serialize)]
pub struct LoadFigures {
    /// Target rate of reads.
    pub rate_per_s: f64,
    /// Reads completed.
    pub requests: u64,
    /// Reads answered 2xx.
    pub ok: u64,
    /// Reads answered otherwise or not at all.
    pub failed: u64,
    /// Reads and writes that failed: the figure whose goal is zero.
    pub failed_total: u64,
    /// Of those, non-2xx answers.
    pub non_2xx: u64,
    /// Of those, transport errors.
    pub transport_errors: u64,
    /// Not sent: the concurrency cap was reached.
    pub skipped: u64,
    /// Submit+cancel pairs completed.
    pub writes_ok: u64,
    /// Submit or cancel calls that failed.
    pub writes_failed: u64,
    /// Seconds the load ran.
    pub elapsed_secs: f64,
    /// Completed reads per second.
    pub throughput_rps: f64,
    /// When the first failure was seen.
    pub first_failure_at: Option<DateTime<Utc>>,
}

async fn login(client: &reqwest::Client, base: &str, email: &str) -> Result<String> {
    let resp = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": "lms-demo" }))
        .send()
        .await
        .map_err(|e| err(format!("login as {email}: {e}")))?;
    if !resp.status().is_success() {
        return Err(err(format!("login as {email}: HTTP {}", resp.status().as_u16())));
    }
    let cookie = resp
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    if cookie.is_empty() {
        return Err(err(format!("login as {email}: no session cookie")));
    }
    Ok(cookie)
}

impl Load {
    /// Logs in through `base` (the public URL) and starts the mix at `rate` reads/s.
    pub async fn start(base: &str, rate: f64) -> Result<Load> {
        let client =
            reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| err(e.to_string()))?;
        let cookie = login(&client, base, "employee2@demo.local").await?;
        let writer_cookie = login(&client, base, "employee3@demo.local").await?;
        let mix = [("/api/v1/me/balances", 4), ("/api/v1/leave-requests", 3), ("/api/health", 1)]
            .into_iter()
            .map(|(p, w)| RequestSpec { method: reqwest::Method::GET, path: p.into(), weight: w })
            .collect();
        let spec = LoadSpec {
            base: base.parse().map_err(|e| err(format!("{base}: {e}")))?,
            mix,
            headers: vec![(
                "cookie".parse().map_err(|_| err("header name"))?,
                cookie.parse().map_err(|_| err("the session cookie is not a valid header value"))?,
            )],
            mode: Mode::Rate { per_second: rate, max_in_flight: 512 },
            duration: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
        };
        let live = Arc::new(LiveStats::default());
        let first_failure = Arc::new(Mutex::new(None));
        let writes_ok = Arc::new(AtomicU64::new(0));
        let writes_failed = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        let l = live.clone();
        tasks.push(tokio::spawn(async move {
            loadgen::run(spec, l).await;
        }));
        // Watches for the first failure (non-2xx or no answer).
        let (l, ff) = (live.clone(), first_failure.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let s = l.snapshot();
                if s.non_2xx + s.transport_errors > 0 {
                    if let Ok(mut g) = ff.lock() {
                        g.get_or_insert_with(Utc::now);
                    }
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
        let (base, ok, failed, ff) =
            (base.to_string(), writes_ok.clone(), writes_failed.clone(), first_failure.clone());
        tasks.push(tokio::spawn(async move {
            use chrono::Datelike;
            let far = Utc::now().date_naive() + chrono::TimeDelta::days(400);
            let monday = far + chrono::TimeDelta::days(i64::from((7 - far.weekday().num_days_from_monday()) % 7));
            let mut week = 0i64;
            loop {
                week += 1;
                let date = (monday + chrono::TimeDelta::days((week % 200) * 7)).format("%Y-%m-%d").to_string();
                let good = submit_cancel(&client, &base, &writer_cookie, &date).await;
                if good {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut g) = ff.lock() {
                        g.get_or_insert_with(Utc::now);
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }));
        Ok(Load { live, writes_ok, writes_failed, first_failure, started: std::time::Instant::now(), rate, tasks })
    }

    /// A short live line.
    pub fn line(&self) -> String {
        let s = self.live.snapshot();
        format!(
            "load {} req ({} failed), writes {} ok / {} failed",
            s.requests,
            s.non_2xx + s.transport_errors,
            self.writes_ok.load(Ordering::Relaxed),
            self.writes_failed.load(Ordering::Relaxed)
        )
    }

    /// Stops the load and returns what it saw.
    pub fn stop(&self) -> LoadFigures {
        for t in &self.tasks {
            t.abort();
        }
        let s = self.live.snapshot();
        let elapsed = self.started.elapsed().as_secs_f64();
        LoadFigures {
            rate_per_s: self.rate,
            requests: s.requests,
            ok: s.ok,
            failed: s.non_2xx + s.transport_errors,
            failed_total: s.non_2xx + s.transport_errors + self.writes_failed.load(Ordering::Relaxed),
            non_2xx: s.non_2xx,
            transport_errors: s.transport_errors,
            skipped: s.skipped,
            writes_ok: self.writes_ok.load(Ordering::Relaxed),
            writes_failed: self.writes_failed.load(Ordering::Relaxed),
            elapsed_secs: elapsed,
            throughput_rps: if elapsed > 0.0 { s.requests as f64 / elapsed } else { 0.0 },
            first_failure_at: self.first_failure.lock().ok().and_then(|g| *g),
        }
    }
}

async fn submit_cancel(client: &reqwest::Client, base: &str, cookie: &str, date: &str) -> bool {
    let body =
        serde_json::json!({ "leave_type": "unpaid", "start_date": date, "end_date": date, "reason": "rehearsal load" });
    let Ok(resp) = client
        .post(format!("{base}/api/v1/leave-requests"))
        .header(reqwest::header::COOKIE, cookie)
        .json(&body)
        .send()
        .await
    else {
        return false;
    };
    if !resp.status().is_success() {
        return false;
    }
    let Some(id) = resp.json::<serde_json::Value>().await.ok().and_then(|v| v.get("id").and_then(|i| i.as_i64()))
    else {
        return false;
    };
    client
        .post(format!("{base}/api/v1/leave-requests/{id}/cancel"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}
