//! The control API as `lms cutover decide|rollback --controller URL` calls
//! it from another host: the person's credential as a bearer token, the
//! request as JSON, the answer (or the refusal's message) back.
//!
//! Knows the API's paths and shapes; nothing about the run directory.

use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{CutoverError, Result};

/// What the controller answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The request was taken.
    pub accepted: bool,
    /// For a rollback: all traffic is on blue.
    pub on_blue: bool,
    /// What happened, or why it was refused.
    pub message: String,
}

/// A checkpoint decision for the controller behind `base`.
#[derive(Debug, Clone)]
pub struct Decide {
    /// Checkpoint number.
    pub checkpoint: u32,
    /// `proceed`, `hold`, `rollback`, …
    pub decision: String,
    /// A note.
    pub note: Option<String>,
    /// Reason to go forward despite alerts.
    pub override_reason: Option<String>,
    /// The evidence decided on.
    pub evidence: Option<String>,
    /// A name, on a run without credentials.
    pub by: Option<String>,
}

fn endpoint(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

fn not_reached(base: &str, e: impl std::fmt::Display) -> CutoverError {
    CutoverError::invalid("controller", format!("cannot reach the war room at {base}: {e}; nothing was done"))
}

async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> Result<Reply> {
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(90)).build().map_err(|e| not_reached(base, e))?;
    let mut req = client.post(endpoint(base, path)).json(&body);
    if let Some(t) = token.filter(|t| !t.trim().is_empty()) {
        req = req.bearer_auth(t.trim());
    }
    let res = req.send().await.map_err(|e| not_reached(base, e))?;
    let status = res.status().as_u16();
    let text = res.text().await.map_err(|e| not_reached(base, e))?;
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "error": text }));
    let message = v["message"].as_str().or_else(|| v["error"].as_str()).unwrap_or_default().to_string();
    Ok(Reply {
        status,
        accepted: (200..300).contains(&status) && v["accepted"] == true,
        on_blue: v["on_blue"] == true,
        message,
    })
}

/// Sends a checkpoint decision.
pub async fn decide(base: &str, token: Option<&str>, d: &Decide) -> Result<Reply> {
    let body = json!({
        "checkpoint": d.checkpoint, "decision": d.decision, "note": d.note,
        "override_reason": d.override_reason, "evidence": d.evidence, "by": d.by,
    });
    post(base, "/api/decide", token, body).await
}

/// Asks for a rollback; when the controller answered before all traffic
/// was on blue, follows the run's state until it is (or the run ends).
pub async fn rollback(base: &str, token: Option<&str>, by: Option<&str>, reason: &str) -> Result<Reply> {
    let reply = post(base, "/api/rollback", token, json!({ "reason": reason, "by": by })).await?;
    if !reply.accepted || reply.on_blue {
        return Ok(reply);
    }
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| not_reached(base, e))?;
    loop {
        let mut req = client.get(endpoint(base, "/api/state"));
        if let Some(t) = token {
            req = req.bearer_auth(t.trim());
        }
        let state: Value =
            req.send().await.map_err(|e| not_reached(base, e))?.json().await.map_err(|e| not_reached(base, e))?;
        if state["rollback"]["on_blue_at"].is_string() {
            let ms = state["rollback"]["to_blue_ms"].as_i64().unwrap_or(0);
            return Ok(Reply {
                on_blue: true,
                message: format!("ROLLED BACK — all traffic on blue {ms} ms after the trigger"),
                ..reply
            });
        }
        if state["controller"] == false || state["verdict"].is_string() {
            return Err(CutoverError::DecisionRefused(
                "the controller stopped before traffic was on blue; run `lms cutover rollback` again".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
