//! The synthetic load generator behind `lms loadgen`.
//!
//! Two modes: open loop at a fixed rate (`--rate`: requests leave on schedule
//! whatever the answers, so a slow target cannot slow the load down and hide
//! its queueing; latency is measured from the moment each request is sent),
//! or closed loop over a fixed number of connections. It sends a weighted
//! mix of requests and reports requests, non-2xx, transport errors and
//! p50/p95/p99. Knows nothing about what the target serves.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::error::SmokeError;

/// Arguments of `lms loadgen`.
#[derive(clap::Args, Debug, Clone)]
pub struct LoadgenArgs {
    /// Base URL of the target, e.g. http://127.0.0.1:8000 (a path here is the default request).
    #[arg(long)]
    pub target: String,

    /// Open-loop mode: requests per second to send, whatever the target's speed.
    /// Without it, each connection sends its next request when the previous answer arrives.
    #[arg(long)]
    pub rate: Option<f64>,

    /// Connections (closed loop), or most requests in flight at once (open loop).
    #[arg(long, default_value_t = 16)]
    pub connections: usize,

    /// How long to run (e.g. 30s, 2m).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    /// A request of the mix as "[METHOD ]PATH[ xWEIGHT]", e.g. "GET /api/health x3" (repeatable;
    /// default: GET of the target URL's path).
    #[arg(long = "request", value_name = "SPEC")]
    pub requests: Vec<String>,

    /// Extra header on every request, "Name: value" (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Per-request timeout; a request that takes longer counts as a transport error.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Print a live line to stderr every second.
    #[arg(long)]
    pub live: bool,

    /// Print the final report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One kind of request in the mix.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// Method.
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: String,
    /// Relative weight in the mix.
    pub weight: u32,
}

/// How load is applied.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Open loop: this many requests per second, at most `max_in_flight` at once
    /// (requests that would exceed it are counted as skipped, not sent).
    Rate {
        /// Requests per second.
        per_second: f64,
        /// Concurrency cap.
        max_in_flight: usize,
    },
    /// Closed loop over this many connections.
    Connections(usize),
}

/// A validated load specification.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Scheme and authority of the target (its path is replaced per request).
    pub base: Uri,
    /// The request mix (non-empty).
    pub mix: Vec<RequestSpec>,
    /// Headers added to every request.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Load mode.
    pub mode: Mode,
    /// Run time.
    pub duration: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Counters updated while the load runs; read them at any time.
#[derive(Debug, Default)]
pub struct LiveStats {
    /// Requests completed (answered or failed).
    pub requests: AtomicU64,
    /// Answers with a 2xx status.
    pub ok: AtomicU64,
    /// Answers with any other status.
    pub non_2xx: AtomicU64,
    /// Connect errors, resets, timeouts.
    pub transport_errors: AtomicU64,
    /// Open-loop requests not sent because the concurrency cap was reached.
    pub skipped: AtomicU64,
    /// Requests in flight.
    pub in_flight: AtomicU64,
}

/// A point-in-time copy of [`LiveStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSnapshot {
    /// Completed requests.
    pub requests: u64,
    /// 2xx answers.
    pub ok: u64,
    /// Other answers.
    pub non_2xx: u64,
    /// Transport errors.
    pub transport_errors: u64,
    /// Skipped (open loop).
    pub skipped: u64,
    /// In flight.
    pub in_flight: u64,
}

impl LiveStats {
    /// Copies the counters.
    pub fn snapshot(&self) -> LiveSnapshot {
        LiveSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            ok: self.ok.load(Ordering::Relaxed),
            non_2xx: self.non_2xx.load(Ordering::Relaxed),
            transport_errors: self.transport_errors.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct LatencyReport {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// Final report of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Wall time of the run, seconds.
    pub elapsed_secs: f64,
    /// Completed requests.
    pub requests: u64,
    /// 2xx answers.
    pub ok: u64,
    /// Other answers.
    pub non_2xx: u64,
    /// Connect errors, resets, timeouts.
    pub transport_errors: u64,
    /// Open-loop requests not sent (concurrency cap).
    pub skipped: u64,
    /// Completed requests per second.
    pub throughput_rps: f64,
    /// Latency of answered requests (any status).
    pub latency: LatencyReport,
    /// Answers by status code.
    pub statuses: BTreeMap<u16, u64>,
}

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

struct Shared {
    spec: LoadSpec,
    client: HttpClient,
    live: Arc<LiveStats>,
    hist: Mutex<Option<Histogram<u64>>>,
    statuses: Mutex<BTreeMap<u16, u64>>,
    total_weight: u32,
}

impl Shared {
    fn pick(&self) -> Option<&RequestSpec> {
        let mut r = rand::thread_rng().gen_range(0..self.total_weight.max(1));
        for spec in &self.spec.mix {
            if r < spec.weight {
                return Some(spec);
            }
            r -= spec.weight;
        }
        self.spec.mix.first()
    }

    /// Sends one request; latency counts from `sent`.
    async fn one(&self, sent: Instant) {
        self.live.in_flight.fetch_add(1, Ordering::Relaxed);
        let built =
            self.pick().ok_or_else(|| SmokeError::Request("empty request mix".into())).and_then(|s| self.build(s));
        let outcome = match built {
            Ok(req) => {
                let fut = async {
                    let resp = self.client.request(req).await.map_err(|_| ())?;
                    let status = resp.status().as_u16();
                    resp.into_body().collect().await.map_err(|_| ())?;
                    Ok::<u16, ()>(status)
                };
                tokio::time::timeout(self.spec.timeout, fut).await.unwrap_or(Err(()))
            }
            Err(_) => Err(()),
        };
        let elapsed = sent.elapsed();
        self.live.in_flight.fetch_sub(1, Ordering::Relaxed);
        match outcome {
            Ok(status) => {
                let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX).max(1);
                if let Ok(mut guard) = self.hist.lock() {
                    if let Some(h) = guard.as_mut() {
                        h.saturating_record(us);
                    }
                }
                if let Ok(mut s) = self.statuses.lock() {
                    *s.entry(status).or_default() += 1;
                }
                if (200..300).contains(&status) {
                    self.live.ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.live.non_2xx.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(()) => {
                self.live.transport_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.live.requests.fetch_add(1, Ordering::Relaxed);
    }

    fn build(&self, spec: &RequestSpec) -> Result<Request<Empty<Bytes>>, SmokeError> {
        let mut parts = self.spec.base.clone().into_parts();
        parts.path_and_query = Some(spec.path.parse().map_err(|e| SmokeError::Request(format!("{}: {e}", spec.path)))?);
        let uri = Uri::from_parts(parts).map_err(|e| SmokeError::Request(e.to_string()))?;
        let mut req = Request::builder().method(spec.method.clone()).uri(uri);
        for (k, v) in &self.spec.headers {
            req = req.header(k, v);
        }
        req.body(Empty::new()).map_err(|e| SmokeError::Request(e.to_string()))
    }
}

/// Runs the load described by `spec`, updating `live` as it goes.
pub async fn run(mut spec: LoadSpec, live: Arc<LiveStats>) -> LoadReport {
    if spec.mix.is_empty() {
        spec.mix.push(RequestSpec { method: Method::GET, path: "/".into(), weight: 1 });
    }
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(4096).build(connector);
    let total_weight = spec.mix.iter().map(|r| r.weight).sum();
    // 1 µs to 1 hour, 3 significant figures.
    let hist = Histogram::new_with_bounds(1, 3_600_000_000, 3).ok();
    let shared = Arc::new(Shared {
        spec: spec.clone(),
        client,
        live: live.clone(),
        hist: Mutex::new(hist),
        statuses: Mutex::new(BTreeMap::new()),
        total_weight,
    });
    let start = Instant::now();
    let end = start + spec.duration;
    let mut tasks = tokio::task::JoinSet::new();
    match spec.mode {
        Mode::Connections(n) => {
            for _ in 0..n.max(1) {
                let shared = shared.clone();
                tasks.spawn(async move {
                    while Instant::now() < end {
                        shared.one(Instant::now()).await;
                    }
                });
            }
        }
        Mode::Rate { per_second, max_in_flight } => {
            let limit = Arc::new(Semaphore::new(max_in_flight.max(1)));
            let per_second = per_second.max(0.001);
            let mut sent: u64 = 0;
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let whole_run = end.duration_since(start).as_secs_f64();
            loop {
                tick.tick().await;
                let now = Instant::now();
                // Every slot of the schedule is sent, also those a stalled
                // timer left behind at the end: rate × duration in all.
                let elapsed = now.duration_since(start).as_secs_f64().min(whole_run);
                let due_total = (elapsed * per_second) as u64;
                while sent < due_total {
                    sent += 1;
                    match limit.clone().try_acquire_owned() {
                        Ok(permit) => {
                            let shared = shared.clone();
                            tasks.spawn(async move {
                                shared.one(Instant::now()).await;
                                drop(permit);
                            });
                        }
                        Err(_) => {
                            shared.live.skipped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                while tasks.try_join_next().is_some() {}
                if now >= end {
                    break;
                }
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = start.elapsed().as_secs_f64();
    let snap = live.snapshot();
    let (latency, statuses) = {
        let h = shared.hist.lock().ok().and_then(|h| h.clone());
        let ms = |q: f64| {
            h.as_ref().filter(|h| !h.is_empty()).map(|h| h.value_at_quantile(q) as f64 / 1000.0).unwrap_or(0.0)
        };
        let latency = LatencyReport {
            p50_ms: ms(0.50),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
            max_ms: h.as_ref().filter(|h| !h.is_empty()).map(|h| h.max() as f64 / 1000.0).unwrap_or(0.0),
        };
        (latency, shared.statuses.lock().map(|s| s.clone()).unwrap_or_default())
    };
    LoadReport {
        elapsed_secs: elapsed,
        requests: snap.requests,
        ok: snap.ok,
        non_2xx: snap.non_2xx,
        transport_errors: snap.transport_errors,
        skipped: snap.skipped,
        throughput_rps: if elapsed > 0.0 { snap.requests as f64 / elapsed } else { 0.0 },
        latency,
        statuses,
    }
}

impl LoadgenArgs {
    /// Validates the arguments into a [`LoadSpec`].
    pub fn to_spec(&self) -> Result<LoadSpec, SmokeError> {
        let target: Uri =
            self.target.parse().map_err(|e| SmokeError::Args(format!("--target `{}`: {e}", self.target)))?;
        if target.scheme_str() != Some("http") || target.authority().is_none() {
            return Err(SmokeError::Args(format!("--target `{}` must be http://HOST:PORT[/path]", self.target)));
        }
        let default_path = target.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let mut mix = self.requests.iter().map(|r| parse_request(r)).collect::<Result<Vec<_>, _>>()?;
        if mix.is_empty() {
            mix.push(RequestSpec { method: Method::GET, path: default_path, weight: 1 });
        }
        let headers = self
            .headers
            .iter()
            .map(|h| {
                let (k, v) = h
                    .split_once(':')
                    .ok_or_else(|| SmokeError::Args(format!("--header `{h}` must be `Name: value`")))?;
                let k = HeaderName::from_bytes(k.trim().as_bytes())
                    .map_err(|_| SmokeError::Args(format!("bad header name in `{h}`")))?;
                let v = HeaderValue::from_str(v.trim())
                    .map_err(|_| SmokeError::Args(format!("bad header value in `{h}`")))?;
                Ok((k, v))
            })
            .collect::<Result<Vec<_>, SmokeError>>()?;
        if self.connections == 0 {
            return Err(SmokeError::Args("--connections must be at least 1".into()));
        }
        let mode = match self.rate {
            Some(r) if r.is_finite() && r > 0.0 => Mode::Rate { per_second: r, max_in_flight: self.connections },
            Some(r) => return Err(SmokeError::Args(format!("--rate {r} must be a positive number"))),
            None => Mode::Connections(self.connections),
        };
        let mut parts = target.into_parts();
        parts.path_and_query = Some(hyper::http::uri::PathAndQuery::from_static("/"));
        let base = Uri::from_parts(parts).map_err(|e| SmokeError::Args(e.to_string()))?;
        Ok(LoadSpec { base, mix, headers, mode, duration: self.duration, timeout: self.timeout })
    }
}

/// Parses "[METHOD ]PATH[ xWEIGHT]".
fn parse_request(s: &str) -> Result<RequestSpec, SmokeError> {
    let mut words: Vec<&str> = s.split_whitespace().collect();
    let bad = || SmokeError::Args(format!("--request `{s}` must be \"[METHOD ]PATH[ xWEIGHT]\""));
    let mut weight = 1;
    if let Some(w) = words.last().and_then(|w| w.strip_prefix('x')).and_then(|w| w.parse::<u32>().ok()) {
        weight = w;
        words.pop();
    }
    let (method, path) = match words.as_slice() {
        [path] => (Method::GET, *path),
        [m, path] => (Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| bad())?, *path),
        _ => return Err(bad()),
    };
    if !path.starts_with('/') || weight == 0 {
        return Err(bad());
    }
    Ok(RequestSpec { method, path: path.to_string(), weight })
}

/// Parses `250ms`, `2s`, `5m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("`{s}` is not a duration like 500ms, 10s, 2m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}`")),
    };
    if !secs.is_finite() || !(0.0..=86_400.0 * 7.0).contains(&secs) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "duration        {:.1} s", self.elapsed_secs)?;
        writeln!(f, "requests        {}", self.requests)?;
        writeln!(f, "throughput      {:.0} req/s", self.throughput_rps)?;
        writeln!(f, "2xx             {}", self.ok)?;
        writeln!(f, "non-2xx         {}", self.non_2xx)?;
        writeln!(f, "transport errs  {}", self.transport_errors)?;
        if self.skipped > 0 {
            writeln!(f, "skipped         {} (concurrency cap reached)", self.skipped)?;
        }
        writeln!(
            f,
            "latency ms      p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
            self.latency.p50_ms, self.latency.p95_ms, self.latency.p99_ms, self.latency.max_ms
        )?;
        let statuses: Vec<String> = self.statuses.iter().map(|(s, n)| format!("{s}:{n}")).collect();
        write!(f, "statuses        {}", statuses.join(" "))
    }
}

/// Runs `lms loadgen`: the load, an optional live line, then the report on stdout.
pub async fn run_loadgen(args: LoadgenArgs) -> anyhow::Result<()> {
    let spec = args.to_spec()?;
    let live = Arc::new(LiveStats::default());
    let printer = args.live.then(|| {
        let live = live.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut last = 0;
            loop {
                tick.tick().await;
                let s = live.snapshot();
                eprintln!(
                    "t={:>4.0}s  rps={:>7}  requests={}  non-2xx={}  errors={}  in-flight={}",
                    start.elapsed().as_secs_f64(),
                    s.requests - last,
                    s.requests,
                    s.non_2xx,
                    s.transport_errors,
                    s.in_flight
                );
                last = s.requests;
            }
        })
    });
    let report = run(spec, live).await;
    if let Some(p) = printer {
        p.abort();
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: LoadgenArgs,
    }

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
        let cli =
            Cli::try_parse_from(["loadgen", "--target", "http://127.0.0.1:8000", "--rate", "100", "--duration", "5s"]);
        assert!(cli.is_ok_and(|c| c.args.to_spec().is_ok()));
    }

    #[test]
    fn request_specs() {
        let r = parse_request("POST /api/v1/x x3").map_err(|e| e.to_string());
        assert!(matches!(r, Ok(RequestSpec { ref path, weight: 3, .. }) if path == "/api/v1/x"));
        assert!(parse_request("/health").is_ok());
        assert!(parse_request("health").is_err());
        assert!(parse_request("GET /a x0").is_err());
    }
}
