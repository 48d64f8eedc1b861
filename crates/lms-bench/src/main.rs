//! `lms-bench`: the client side of `scripts/bench-api` and
//! `scripts/bench-login-flood`. It seeds benchmark users through the public
//! API (so the server does all the work it would in production), drives
//! closed-loop request cycles — submit then cancel, submit then approve —
//! reporting cycles per second and latency percentiles, and floods the login
//! endpoint while timing an unrelated person's sign-ins. Plain
//! single-request loads are left to wrk.
//!
//! `dataset` builds a company of some hundred people with two years of
//! requests, for the page benchmarks (`scripts/bench-pages`).
//!
//! It knows the LMS only through its HTTP API.

mod dataset;

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Duration as Days, NaiveDate, Utc, Weekday};
use clap::{Parser, Subcommand, ValueEnum};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Benchmark client for the LMS API (used by scripts/bench-api)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create N employees (reporting to manager@demo.local) with API tokens; print them as JSON.
    Seed {
        #[arg(long)]
        base: String,
        #[arg(long, default_value_t = 64)]
        employees: usize,
        #[arg(long, default_value = "lms-demo")]
        password: String,
    },
    /// Run request cycles for a duration and print a JSON result.
    Cycles {
        #[arg(long)]
        base: String,
        /// The JSON printed by `seed`.
        #[arg(long)]
        tokens: std::path::PathBuf,
        #[arg(long, value_enum)]
        mode: Mode,
        #[arg(long, default_value_t = 16)]
        connections: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Send ATTEMPTS wrong-password logins at once (half against one account,
    /// half against unknown users, each from its own X-Forwarded-For address)
    /// while an unrelated person signs in again and again from a device that
    /// signed in before; print the flood's answers and that person's latency.
    LoginFlood {
        #[arg(long)]
        base: String,
        #[arg(long, default_value_t = 300)]
        attempts: usize,
        /// The account under attack.
        #[arg(long, default_value = "employee2@demo.local")]
        target: String,
        /// The unrelated person.
        #[arg(long, default_value = "employee6@demo.local")]
        person: String,
        #[arg(long, default_value = "lms-demo")]
        password: String,
    },
    /// Build a company of EMPLOYEES people (on a `serve --demo` database)
    /// with two years of requests, through the API; print what was made.
    Dataset {
        #[arg(long)]
        base: String,
        #[arg(long, default_value_t = 600)]
        employees: usize,
        #[arg(long, default_value = "lms-demo")]
        password: String,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Start `lms serve` and report how long until /api/health answers 200.
    Startup {
        /// The lms executable.
        #[arg(long)]
        lms: std::path::PathBuf,
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value = "127.0.0.1:18199")]
        listen: String,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Mode {
    SubmitCancel,
    SubmitApprove,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(1024).build().expect("client")
}

async fn login(c: &reqwest::Client, base: &str, email: &str, password: &str) -> Result<String> {
    let cookie_client = reqwest::Client::builder().cookie_store(true).build()?;
    let res = cookie_client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("login {email}: {}", res.status());
    }
    let res = cookie_client.post(format!("{base}/api/v1/me/tokens")).json(&json!({"name": "bench"})).send().await?;
    let v: Value = res.json().await?;
    let _ = c;
    v["token"].as_str().map(str::to_string).context("token missing")
}

async fn seed(base: &str, n: usize, password: &str) -> Result<Value> {
    let c = client();
    let hr = login(&c, base, "hr@demo.local", password).await?;
    let manager = login(&c, base, "manager@demo.local", password).await?;
    let year = Utc::now().year() + 1;
    let mut employees = Vec::new();
    for i in 0..n {
        let email = format!("bench{i}-{}@demo.local", Utc::now().timestamp_micros());
        let res = c
            .post(format!("{base}/api/v1/employees"))
            .bearer_auth(&hr)
            .json(&json!({"email": email, "name": format!("Bench {i}"), "manager_id": 2, "start_date": "2024-01-01",
                          "role": "employee", "password": password}))
            .send()
            .await?;
        let e: Value = res.json().await?;
        let id = e["id"].as_i64().context("employee id")?;
        c.post(format!("{base}/api/v1/allowances"))
            .bearer_auth(&hr)
            .json(&json!({"employee_id": id, "leave_type": "annual", "year": year, "days": 25}))
            .send()
            .await?
            .error_for_status()?;
        employees.push(login(&c, base, &email, password).await?);
    }
    Ok(json!({"manager": manager, "employees": employees, "year": year}))
}

/// Weekdays from `start` on.
fn working_days(start: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    (0..).map(move |i| start + Days::days(i)).filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
}

/// The day after the end of this employee's newest request, so that every
/// run of submit+approve finds free dates even after earlier runs.
async fn first_free_day(c: &reqwest::Client, base: &str, token: &str, not_before: NaiveDate) -> NaiveDate {
    let newest = c.get(format!("{base}/api/v1/leave-requests?limit=1")).bearer_auth(token).send().await;
    let end = match newest {
        Ok(r) => {
            r.json::<Value>().await.ok().and_then(|v| v["items"][0]["end_date"].as_str().and_then(|d| d.parse().ok()))
        }
        Err(_) => None,
    };
    end.map(|d: NaiveDate| d + Days::days(1)).unwrap_or(not_before).max(not_before)
}

async fn cycles(base: &str, tokens: &Value, mode: Mode, connections: usize, seconds: u64) -> Result<Value> {
    let employees: Vec<String> = tokens["employees"]
        .as_array()
        .context("employees")?
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    if employees.len() < connections {
        bail!("seed at least {connections} employees");
    }
    let manager = tokens["manager"].as_str().context("manager")?.to_string();
    let year = tokens["year"].as_i64().context("year")? as i32;
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let c = client();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (worker, token) in employees.into_iter().take(connections).enumerate() {
        let (c, base, manager, stop, errors) =
            (c.clone(), base.to_string(), manager.clone(), stop.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new(3).expect("histogram");
            // submit+approve consumes dates (unpaid leave, a new day per cycle,
            // after everything this employee already has); submit+cancel reuses one.
            let jan2 = |y: i32| NaiveDate::from_ymd_opt(y, 1, 2).unwrap_or_default();
            let fixed = working_days(jan2(year)).nth(worker).unwrap_or_default();
            let mut days = working_days(first_free_day(&c, &base, &token, jan2(year + 1)).await);
            while !stop.load(Ordering::Relaxed) {
                let day = if mode == Mode::SubmitApprove { days.next().unwrap_or(fixed) } else { fixed };
                let leave_type = if mode == Mode::SubmitApprove { "unpaid" } else { "annual" };
                let t0 = Instant::now();
                let res = c
                    .post(format!("{base}/api/v1/leave-requests"))
                    .bearer_auth(&token)
                    .json(&json!({"leave_type": leave_type, "start_date": day, "end_date": day}))
                    .send()
                    .await;
                let id = match res {
                    Ok(r) if r.status() == 201 => r.json::<Value>().await.ok().and_then(|v| v["id"].as_i64()),
                    _ => None,
                };
                let Some(id) = id else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let (path, who) = match mode {
                    Mode::SubmitCancel => ("cancel", &token),
                    Mode::SubmitApprove => ("approve", &manager),
                };
                let ok = c
                    .post(format!("{base}/api/v1/leave-requests/{id}/{path}"))
                    .bearer_auth(who)
                    .send()
                    .await
                    .map(|r| r.status() == 200)
                    .unwrap_or(false);
                if ok {
                    let _ = hist.record(t0.elapsed().as_micros() as u64);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            hist
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Histogram::<u64>::new(3)?;
    for t in tasks {
        all.add(t.await?)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ms = |q: f64| all.value_at_quantile(q) as f64 / 1000.0;
    Ok(json!({
        "cycles": all.len(), "errors": errors.load(Ordering::Relaxed),
        "cycles_per_sec": all.len() as f64 / elapsed,
        "p50_ms": ms(0.50), "p95_ms": ms(0.95), "p99_ms": ms(0.99),
    }))
}

async fn login_flood(base: &str, attempts: usize, target: &str, person: &str, password: &str) -> Result<Value> {
    let url = format!("{base}/api/v1/auth/login");
    let device = reqwest::Client::builder().cookie_store(true).build()?;
    let signed_in = device.post(&url).json(&json!({"email": person, "password": password})).send().await?;
    if !signed_in.status().is_success() {
        bail!("{person} cannot sign in before the flood: {}", signed_in.status());
    }
    let t0 = Instant::now();
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..attempts {
        let url = url.clone();
        let email = if i % 2 == 0 { target.to_string() } else { format!("nobody{i}@flood.example") };
        flood.spawn(async move {
            let res = reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256))
                .json(&json!({"email": email, "password": "wrong-password"}))
                .send()
                .await;
            res.map(|r| r.status().as_u16()).unwrap_or(0)
        });
    }
    let mut hist = Histogram::<u64>::new(3)?;
    let mut person_failures = 0u64;
    let mut statuses = std::collections::BTreeMap::<String, u64>::new();
    while !flood.is_empty() {
        let t = Instant::now();
        let res = device.post(&url).json(&json!({"email": person, "password": password})).send().await;
        let _ = hist.record(t.elapsed().as_micros() as u64);
        if !res.is_ok_and(|r| r.status().is_success()) {
            person_failures += 1;
        }
        while let Some(done) = flood.try_join_next() {
            *statuses.entry(done?.to_string()).or_default() += 1;
        }
    }
    let flood_seconds = t0.elapsed().as_secs_f64();
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    Ok(json!({
        "attempts": attempts, "flood_seconds": flood_seconds, "flood_statuses": statuses,
        "person_logins": hist.len(), "person_failures": person_failures,
        "person_p50_ms": ms(0.50), "person_p99_ms": ms(0.99), "person_max_ms": hist.max() as f64 / 1000.0,
    }))
}

async fn startup(lms: &std::path::Path, url: &str, listen: &str) -> Result<Value> {
    let c = client();
    let t0 = Instant::now();
    let mut child = tokio::process::Command::new(lms)
        .args(["serve", "--migrate", "--database-url", url, "--listen", listen])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let health = format!("http://{listen}/api/health");
    let ms = loop {
        if let Ok(r) = c.get(&health).send().await {
            if r.status() == 200 {
                break t0.elapsed().as_secs_f64() * 1000.0;
            }
        }
        if t0.elapsed() > Duration::from_secs(10) {
            bail!("no healthy answer within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    child.kill().await?;
    Ok(json!({"ms_to_healthy": ms}))
}

#[tokio::main]
async fn main() -> Result<()> {
    let out = match Cli::parse().cmd {
        Cmd::Seed { base, employees, password } => seed(&base, employees, &password).await?,
        Cmd::Cycles { base, tokens, mode, connections, seconds } => {
            let tokens: Value = serde_json::from_slice(&std::fs::read(&tokens)?)?;
            cycles(&base, &tokens, mode, connections, seconds).await?
        }
        Cmd::Dataset { base, employees, password, concurrency } => {
            dataset::dataset(&base, employees, &password, concurrency).await?
        }
        Cmd::Startup { lms, database_url, listen } => startup(&lms, &database_url, &listen).await?,
        Cmd::LoginFlood { base, attempts, target, person, password } => {
            login_flood(&base, attempts, &target, &person, &password).await?
        }
    };
    println!("{out}");
    Ok(())
}
