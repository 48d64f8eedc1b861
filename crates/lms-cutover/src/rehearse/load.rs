//! The LMS load mix for rehearsals, built on `lms_smoke::loadgen`'s public
//! API: one employee logs in once, then the load generator sends balances,
//! history and health reads at a steady rate with that session; beside it
//! [`super::writes`] submits, approves and cancels leave requests as another
//! employee and their manager, so that a chosen share of all requests
//! writes. Counters are live for the progress line and the figures; the
//! first failed answer's time is kept (injected-failure runs).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lms_smoke::loadgen::{self, LiveStats, LoadSpec, Mode, RequestSpec};
use serde::Serialize;
use tokio::task::JoinHandle;

use super::phases::{LoadSample, SAMPLE_EVERY};
use super::writes::{self, WriteCounters, WriteFigures, Writers};
use crate::error::{CutoverError, Result};

fn err(message: impl Into<String>) -> CutoverError {
    CutoverError::Driver { driver: "load", message: message.into() }
}

/// The running load.
pub struct Load {
    /// Read side of the load generator.
    pub live: Arc<LiveStats>,
    writes: Arc<WriteCounters>,
    write_ratio: f64,
    samples: Arc<Mutex<Vec<LoadSample>>>,
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
    /// Reads and writes that failed: the figure whose goal is zero (writes
    /// paused by maintenance mode and conflicts are counted apart).
    pub failed_total: u64,
    /// Of those, non-2xx answers.
    pub non_2xx: u64,
    /// Of those, transport errors.
    pub transport_errors: u64,
    /// Not sent: the concurrency cap was reached.
    pub skipped: u64,
    /// Share of all requests meant to write.
    pub write_ratio: f64,
    /// What became of the write calls (submit, approve, cancel).
    pub writes: WriteFigures,
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
    /// Logs in through `base` (the public URL) and starts the mix at `rate`
    /// reads/s, with writes making `write_ratio` of all requests.
    pub async fn start(base: &str, rate: f64, write_ratio: f64) -> Result<Load> {
        let client =
            reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| err(e.to_string()))?;
        let cookie = login(&client, base, "employee2@demo.local").await?;
        let writers = Arc::new(Writers {
            employee: login(&client, base, "employee3@demo.local").await?,
            manager: login(&client, base, "manager@demo.local").await?,
            client: client.clone(),
            base: base.to_string(),
        });
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
        let write_counters = Arc::new(WriteCounters::default());
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
        let w = write_counters.clone();
        let calls_per_s = writes::calls_per_second(rate, write_ratio);
        tasks.push(tokio::spawn(async move { writes::run(writers, calls_per_s, w).await }));
        // The counters every SAMPLE_EVERY, for the figures per phase.
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (l, w, out) = (live.clone(), write_counters.clone(), samples.clone());
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tick.tick().await;
                let s = l.snapshot();
                let sample = LoadSample {
                    at: Utc::now(),
                    reads: s.requests,
                    reads_failed: s.non_2xx + s.transport_errors,
                    writes: w.figures(),
                };
                if let Ok(mut v) = out.lock() {
                    v.push(sample);
                }
            }
        }));
        Ok(Load {
            live,
            writes: write_counters,
            samples,
            write_ratio,
            first_failure,
            started: std::time::Instant::now(),
            rate,
            tasks,
        })
    }

    /// A short live line.
    pub fn line(&self) -> String {
        let s = self.live.snapshot();
        let w = self.writes.figures();
        format!(
            "load {} req ({} failed), writes {} ok / {} paused / {} failed",
            s.requests,
            s.non_2xx + s.transport_errors,
            w.ok,
            w.paused,
            w.failed
        )
    }

    /// The counters as sampled so far, plus one taken now.
    pub fn samples(&self) -> Vec<LoadSample> {
        let mut v = self.samples.lock().map(|v| v.clone()).unwrap_or_default();
        let s = self.live.snapshot();
        v.push(LoadSample {
            at: Utc::now(),
            reads: s.requests,
            reads_failed: s.non_2xx + s.transport_errors,
            writes: self.writes.figures(),
        });
        v
    }

    /// Stops the load and returns what it saw.
    pub fn stop(&self) -> LoadFigures {
        for t in &self.tasks {
            t.abort();
        }
        let s = self.live.snapshot();
        let elapsed = self.started.elapsed().as_secs_f64();
        let w = self.writes.figures();
        let first = [self.first_failure.lock().ok().and_then(|g| *g), self.writes.first_failure()];
        LoadFigures {
            rate_per_s: self.rate,
            requests: s.requests,
            ok: s.ok,
            failed: s.non_2xx + s.transport_errors,
            failed_total: s.non_2xx + s.transport_errors + w.failed,
            non_2xx: s.non_2xx,
            transport_errors: s.transport_errors,
            skipped: s.skipped,
            write_ratio: self.write_ratio,
            writes: w,
            elapsed_secs: elapsed,
            throughput_rps: if elapsed > 0.0 { s.requests as f64 / elapsed } else { 0.0 },
            first_failure_at: first.into_iter().flatten().min(),
        }
    }
}
