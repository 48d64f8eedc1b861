//! `lms-bench dataset`: a company to measure the pages against — N people
//! in six departments under about 30 managers (the demo's two among them),
//! allowances for this year and last, and some six requests a person a year
//! (most approved, some rejected, cancelled or still pending), all made
//! through the public API as people would make them. Deterministic: the
//! same N gives the same company.

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Duration as Days, NaiveDate, Utc, Weekday};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Semaphore;

const DEPARTMENTS: [&str; 6] = ["Engineering", "Operations", "Sales", "Finance", "Support", "People"];
const REQUESTS_PER_YEAR: u32 = 6;

/// A small deterministic generator (no dependency, same company every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u32) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(below.max(1))) as u32
    }
}

struct Api {
    c: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> Result<Value> {
        let mut req = self.c.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path}: {status} {v}");
        }
        Ok(v)
    }

    async fn token(&self, email: &str, password: &str) -> Result<String> {
        super::login(&self.c, &self.base, email, password).await
    }
}

/// The Monday of ISO week `week` of `year`.
fn monday(year: i32, week: u32) -> NaiveDate {
    NaiveDate::from_isoywd_opt(year, week.clamp(1, 52), Weekday::Mon).unwrap_or_default()
}

pub async fn dataset(base: &str, employees: usize, password: &str, concurrency: usize) -> Result<Value> {
    let api = Arc::new(Api { c: super::client(), base: base.to_string() });
    let hr = api.token("hr@demo.local", password).await?;
    let year = Utc::now().year();
    let started = std::time::Instant::now();

    // Managers: the demo's two, then new ones up to one per 20 people.
    let mut managers: Vec<(i64, String)> = vec![
        (2, api.token("manager@demo.local", password).await?),
        (6, api.token("manager2@demo.local", password).await?),
    ];
    let wanted_managers = (employees / 20).max(2);
    let mut made = 0usize;
    let create = |i: usize, role: &'static str, manager: Option<i64>| {
        let api = api.clone();
        let hr = hr.clone();
        let password = password.to_string();
        async move {
            let email = format!("{role}{i}@bench.local");
            let body = json!({"email": email, "name": format!("{} {i}", if role == "manager" { "Manager" } else { "Person" }),
                "department": DEPARTMENTS[i % DEPARTMENTS.len()], "manager_id": manager, "start_date": format!("{}-01-01", year - 3),
                "role": role, "password": password});
            let e = api.call(reqwest::Method::POST, "/api/v1/employees", &hr, Some(body)).await?;
            let id = e["id"].as_i64().context("employee id")?;
            for y in [year - 1, year] {
                let body = json!({"employee_id": id, "leave_type": "annual", "year": y, "days": 25});
                api.call(reqwest::Method::POST, "/api/v1/allowances", &hr, Some(body)).await?;
            }
            let token = api.token(&email, &password).await?;
            Ok::<(i64, String), anyhow::Error>((id, token))
        }
    };
    while managers.len() < wanted_managers {
        managers.push(create(made, "manager", None).await?);
        made += 1;
    }
    // People, in parallel.
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::new();
    for i in 0..employees.saturating_sub(managers.len() + 9) {
        let manager = managers[i % managers.len()].0;
        let permit = gate.clone().acquire_owned().await?;
        let job = create(i, "employee", Some(manager));
        tasks.push(tokio::spawn(async move {
            let r = job.await;
            drop(permit);
            r.map(|(id, token)| (id, token, manager))
        }));
    }
    let mut people = Vec::new();
    for t in tasks {
        people.push(t.await??);
    }
    let people_s = started.elapsed().as_secs_f64();

    // Requests: ~6 a person a year, in distinct weeks; decided by the manager.
    let today = Utc::now().date_naive();
    let mut tasks = Vec::new();
    let mut counts = [0u64; 4];
    for (n, (_, token, manager)) in people.iter().enumerate() {
        let manager_token = managers.iter().find(|m| m.0 == *manager).map(|m| m.1.clone()).unwrap_or_default();
        let mut rng = Lcg(n as u64 + 1);
        for y in [year - 1, year] {
            for k in 0..REQUESTS_PER_YEAR {
                // Weeks 2..=52: never across a new year.
                let week = 2 + k * 9 + rng.next(6);
                let start = monday(y, week) + Days::days(i64::from(rng.next(3)));
                let end = start + Days::days(i64::from(rng.next(3)));
                let roll = rng.next(100);
                // 0 approve, 1 reject, 2 cancel, 3 leave pending
                let outcome = if start > today {
                    if roll < 55 {
                        0
                    } else {
                        3
                    }
                } else if roll < 80 {
                    0
                } else if roll < 90 {
                    1
                } else if roll < 95 {
                    2
                } else {
                    3
                };
                counts[outcome] += 1;
                let (api, token, manager_token) = (api.clone(), token.clone(), manager_token.clone());
                let permit = gate.clone().acquire_owned().await?;
                tasks.push(tokio::spawn(async move {
                    let body = json!({"leave_type": "annual", "start_date": start, "end_date": end, "reason": "bench"});
                    let r = api.call(reqwest::Method::POST, "/api/v1/leave-requests", &token, Some(body)).await?;
                    let id = r["id"].as_i64().context("request id")?;
                    let path = match outcome {
                        0 => Some((format!("/api/v1/leave-requests/{id}/approve"), manager_token)),
                        1 => Some((format!("/api/v1/leave-requests/{id}/reject"), manager_token)),
                        2 => Some((format!("/api/v1/leave-requests/{id}/cancel"), token)),
                        _ => None,
                    };
                    if let Some((path, who)) = path {
                        api.call(reqwest::Method::POST, &path, &who, None).await?;
                    }
                    drop(permit);
                    Ok::<(), anyhow::Error>(())
                }));
            }
        }
    }
    for t in tasks {
        t.await??;
    }
    Ok(json!({
        "people": people.len() + managers.len() + 9,
        "managers": managers.len(),
        "requests": {"approved": counts[0], "rejected": counts[1], "cancelled": counts[2], "pending": counts[3]},
        "seconds_people": people_s,
        "seconds_total": started.elapsed().as_secs_f64(),
    }))
}
