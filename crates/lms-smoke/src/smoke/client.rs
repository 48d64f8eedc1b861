//! A small JSON client for one smoke account: logs in (session cookie) or
//! uses a bearer token, and turns every answer into status + JSON.

use super::Credentials;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

pub struct Account {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    pub label: &'static str,
}

pub type Answer = Result<(StatusCode, Value), String>;

impl Account {
    pub fn new(base: &str, creds: &Credentials, timeout: Duration, label: &'static str) -> Result<Account, String> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(timeout)
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        let token = match creds {
            Credentials::Token(t) => Some(t.clone()),
            Credentials::Password { .. } => None,
        };
        Ok(Account { http, base: base.trim_end_matches('/').to_string(), token, label })
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = res.status();
        let text = res.text().await.map_err(|e| format!("{method} {path}: reading body: {e}"))?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Option<Value>) -> Answer {
        self.call(Method::POST, path, body).await
    }

    /// Logs in with a password (no-op for token accounts); returns the user.
    pub async fn login(&self, creds: &Credentials) -> Result<Value, String> {
        match creds {
            Credentials::Token(_) => expect(self.get("/api/v1/me").await, StatusCode::OK, "GET /api/v1/me"),
            Credentials::Password { email, password } => {
                let body = serde_json::json!({"email": email, "password": password});
                let user = expect(self.post("/api/v1/auth/login", Some(body)).await, StatusCode::OK, "login")?;
                Ok(user["user"].clone())
            }
        }
    }
}

/// The JSON of an answer with the expected status, or a message saying what came instead.
pub fn expect(answer: Answer, want: StatusCode, what: &str) -> Result<Value, String> {
    let (status, body) = answer?;
    if status == want {
        Ok(body)
    } else {
        let msg = body["error"]["message"].as_str().map(str::to_string).unwrap_or_else(|| body.to_string());
        Err(format!("{what}: expected {want}, got {status}: {msg}"))
    }
}
