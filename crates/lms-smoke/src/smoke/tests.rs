//! The ten smoke tests and the state they share (the requests created along
//! the way, which are cleaned up at the end).

use super::client::{expect, Account};
use super::{Credentials, SmokeConfig, SmokeOutcome, TESTS};
use chrono::{Datelike, Duration as Days, NaiveDate, Utc, Weekday};
use rand::Rng;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Instant;

pub struct Suite<'a> {
    cfg: &'a SmokeConfig,
    accounts: Option<(Account, Account, Account)>,
    logged_in: bool,
    /// The request submitted by SMOKE-003 and approved by SMOKE-004.
    submitted: Option<i64>,
    approved: bool,
}

type Step = Result<String, String>;

impl<'a> Suite<'a> {
    pub fn new(cfg: &'a SmokeConfig) -> Self {
        Suite { cfg, accounts: None, logged_in: false, submitted: None, approved: false }
    }

    pub async fn run(mut self, ids: &[String]) -> Vec<SmokeOutcome> {
        let wanted: Vec<String> =
            if ids.is_empty() { TESTS.iter().map(|t| t.0.to_string()).collect() } else { ids.to_vec() };
        let mut out = Vec::new();
        for id in wanted {
            let case = TESTS.iter().find(|t| t.0 == id).map(|t| t.1.to_string());
            let t0 = Instant::now();
            let result = match &case {
                Some(_) => self.one(&id).await,
                None => Err(format!("unknown smoke test {id}; use SMOKE-001..SMOKE-010")),
            };
            let (passed, detail) = match result {
                Ok(d) => (true, d),
                Err(e) => (false, e),
            };
            out.push(SmokeOutcome {
                id: id.clone(),
                case: case.unwrap_or_default(),
                passed,
                detail,
                elapsed_ms: t0.elapsed().as_millis() as u64,
            });
        }
        self.cleanup().await;
        out
    }

    async fn one(&mut self, id: &str) -> Step {
        match id {
            "SMOKE-001" => self.login().await,
            "SMOKE-002" => self.balance().await,
            "SMOKE-003" => self.submit().await,
            "SMOKE-004" => self.approve().await,
            "SMOKE-005" => self.reject().await,
            "SMOKE-006" => self.history().await,
            "SMOKE-007" => self.report().await,
            "SMOKE-008" => self.dashboard().await,
            "SMOKE-009" => self.notification().await,
            "SMOKE-010" => self.health().await,
            other => Err(format!("unknown smoke test {other}")),
        }
    }

    /// The three accounts, logged in on first use.
    async fn accounts(&mut self) -> Result<&(Account, Account, Account), String> {
        if self.accounts.is_none() {
            let c = self.cfg;
            let employee = Account::new(&c.base_url, &c.employee, c.timeout, "employee")?;
            let manager = Account::new(&c.base_url, &c.manager, c.timeout, "manager")?;
            let admin = Account::new(&c.base_url, &c.admin, c.timeout, "admin")?;
            self.accounts = Some((employee, manager, admin));
        }
        if !self.logged_in {
            let (e, m, a) = self.accounts.as_ref().ok_or("no accounts")?;
            for (acc, creds) in [(e, &self.cfg.employee), (m, &self.cfg.manager), (a, &self.cfg.admin)] {
                acc.login(creds).await.map_err(|err| format!("{} account: {err}", acc.label))?;
            }
            self.logged_in = true;
        }
        self.accounts.as_ref().ok_or_else(|| "no accounts".to_string())
    }

    async fn login(&mut self) -> Step {
        let creds = self.cfg.employee.clone();
        let c = self.cfg;
        // A fresh login of its own, so the test proves authentication works now.
        let probe = Account::new(&c.base_url, &creds, c.timeout, "employee")?;
        let user = probe.login(&creds).await?;
        let me = expect(probe.get("/api/v1/me").await, StatusCode::OK, "GET /api/v1/me")?;
        if me["id"] != user["id"] {
            return Err(format!("/me answered {} after logging in as {}", me["id"], user["id"]));
        }
        if let Credentials::Password { .. } = creds {
            let _ = probe.post("/api/v1/auth/logout", None).await;
        }
        self.accounts().await?;
        Ok(format!("authenticated as {} ({})", me["email"].as_str().unwrap_or("?"), me["role"].as_str().unwrap_or("?")))
    }

    async fn balance(&mut self) -> Step {
        let (e, _, _) = self.accounts().await?;
        let b = expect(e.get("/api/v1/me/balances").await, StatusCode::OK, "GET /api/v1/me/balances")?;
        let lines = b["balances"].as_array().ok_or("balances missing from the answer")?;
        if lines.is_empty() {
            return Err("no balance lines".into());
        }
        let summary: Vec<String> =
            lines.iter().map(|l| format!("{} {}", l["leave_type"].as_str().unwrap_or("?"), l["available"])).collect();
        Ok(format!("{} balances for {}: {}", lines.len(), b["year"], summary.join(", ")))
    }

    /// Submits a one-day unpaid request on a random weekday three years ahead
    /// (unpaid leave touches no balance; the date avoids real plans).
    async fn create_request(&mut self, reason: &str) -> Result<i64, String> {
        let (e, _, _) = self.accounts().await?;
        let year = Utc::now().year() + 3;
        let mut last = String::new();
        for _ in 0..8 {
            let day = random_weekday(year);
            let body = json!({"leave_type": "unpaid", "start_date": day, "end_date": day, "reason": reason});
            match e.post("/api/v1/leave-requests", Some(body)).await? {
                (StatusCode::CREATED, r) => {
                    return r["id"].as_i64().ok_or_else(|| "created request has no id".to_string())
                }
                (StatusCode::CONFLICT, r) => last = r.to_string(),
                (s, r) => return Err(format!("submit: expected 201, got {s}: {r}")),
            }
        }
        Err(format!("submit: every date tried overlapped: {last}"))
    }

    async fn submit(&mut self) -> Step {
        let id = self.create_request("smoke test SMOKE-003").await?;
        self.submitted = Some(id);
        let (e, _, _) = self.accounts().await?;
        let r = expect(e.get(&format!("/api/v1/leave-requests/{id}")).await, StatusCode::OK, "read back")?;
        if r["status"] != "pending" {
            return Err(format!("request {id} is {} instead of pending", r["status"]));
        }
        Ok(format!("request {id} created, pending, {} day(s)", r["days"]))
    }

    async fn approve(&mut self) -> Step {
        let id = match self.submitted {
            Some(id) => id,
            None => {
                let id = self.create_request("smoke test SMOKE-004").await?;
                self.submitted = Some(id);
                id
            }
        };
        let (_, m, _) = self.accounts().await?;
        let r = expect(
            m.post(&format!("/api/v1/leave-requests/{id}/approve"), Some(json!({"comment": "smoke test"}))).await,
            StatusCode::OK,
            "approve",
        )?;
        if r["status"] != "approved" {
            return Err(format!("request {id} is {} after approval", r["status"]));
        }
        self.approved = true;
        Ok(format!("request {id} approved by {}", r["decided_by"]))
    }

    async fn reject(&mut self) -> Step {
        let id = self.create_request("smoke test SMOKE-005").await?;
        let (_, m, _) = self.accounts().await?;
        let r = expect(
            m.post(&format!("/api/v1/leave-requests/{id}/reject"), Some(json!({"comment": "smoke test"}))).await,
            StatusCode::OK,
            "reject",
        )?;
        if r["status"] != "rejected" {
            return Err(format!("request {id} is {} after rejection", r["status"]));
        }
        Ok(format!("request {id} rejected"))
    }

    async fn history(&mut self) -> Step {
        let submitted = self.submitted;
        let (e, _, _) = self.accounts().await?;
        let h = expect(e.get("/api/v1/leave-requests?limit=50").await, StatusCode::OK, "GET /api/v1/leave-requests")?;
        let items = h["items"].as_array().ok_or("items missing from the history")?;
        if let Some(id) = submitted {
            if !items.iter().any(|r| r["id"] == id) {
                return Err(format!("request {id} is missing from the history"));
            }
        }
        Ok(format!("{} request(s) in the history", items.len()))
    }

    async fn report(&mut self) -> Step {
        let (_, _, a) = self.accounts().await?;
        let json = expect(a.get("/api/v1/reports/leave-usage").await, StatusCode::OK, "leave-usage report")?;
        let rows = json["items"].as_array().map(|v| v.len()).ok_or("report has no items")?;
        let (status, csv) = a.get("/api/v1/reports/leave-usage?format=csv").await?;
        let csv = csv.as_str().unwrap_or_default().to_string();
        if status != StatusCode::OK || !csv.starts_with("employee_id,") {
            return Err(format!("CSV report: {status}, starts with {:?}", csv.chars().take(40).collect::<String>()));
        }
        Ok(format!("{rows} row(s); CSV with {} line(s)", csv.lines().count()))
    }

    async fn dashboard(&mut self) -> Step {
        let (_, _, a) = self.accounts().await?;
        let d = expect(a.get("/api/v1/admin/dashboard").await, StatusCode::OK, "GET /api/v1/admin/dashboard")?;
        if !d["headcount"].is_number() {
            return Err(format!("dashboard without headcount: {d}"));
        }
        Ok(format!("headcount {}, {} pending approval(s)", d["headcount"], d["pending_approvals"]))
    }

    async fn notification(&mut self) -> Step {
        if !self.approved {
            self.approve().await?;
        }
        let id = self.submitted.ok_or("no request to be notified about")?;
        let (e, _, _) = self.accounts().await?;
        let n = expect(e.get("/api/v1/notifications?limit=50").await, StatusCode::OK, "GET /api/v1/notifications")?;
        let note = n["items"]
            .as_array()
            .and_then(|items| {
                items.iter().find(|x| x["entity_id"] == id && x["kind"] == "leave_request.approved").cloned()
            })
            .ok_or_else(|| format!("no approval notification for request {id}"))?;
        expect(e.post(&format!("/api/v1/notifications/{}/read", note["id"]), None).await, StatusCode::OK, "mark read")?;
        Ok(format!("notification {} received: {}", note["id"], note["subject"].as_str().unwrap_or("")))
    }

    async fn health(&mut self) -> Step {
        let c = self.cfg;
        let anon = Account::new(&c.base_url, &Credentials::Token(String::new()), c.timeout, "anonymous")?;
        let h = expect(anon.get("/api/health").await, StatusCode::OK, "GET /api/health")?;
        if h["status"] != "healthy" || h["database"] != "connected" {
            return Err(format!("health says {h}"));
        }
        expect(anon.get("/api/health/ready").await, StatusCode::OK, "GET /api/health/ready")?;
        let s = expect(anon.get("/api/v1/status").await, StatusCode::OK, "GET /api/v1/status")?;
        Ok(format!(
            "healthy, version {}, slot {}, schema current {}",
            h["version"], s["slot"], s["database"]["schema_current"]
        ))
    }

    /// Cancels the request that was approved (or left pending); logs out.
    async fn cleanup(&mut self) {
        if let (Some(id), Some((e, m, a))) = (self.submitted, self.accounts.as_ref()) {
            let _ = e
                .post(&format!("/api/v1/leave-requests/{id}/cancel"), Some(json!({"comment": "smoke test cleanup"})))
                .await;
            if self.logged_in {
                for (acc, creds) in [(e, &self.cfg.employee), (m, &self.cfg.manager), (a, &self.cfg.admin)] {
                    if let Credentials::Password { .. } = creds {
                        let _ = acc.post("/api/v1/auth/logout", None).await;
                    }
                }
            }
        }
    }
}

fn random_weekday(year: i32) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(year, 1, 5).unwrap_or_default();
    let mut d = start + Days::days(rand::thread_rng().gen_range(0..350));
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Days::days(1);
    }
    d
}
