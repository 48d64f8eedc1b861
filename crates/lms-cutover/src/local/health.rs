//! Reads a deployment's `/api/health` into a [`HealthReport`]: healthy only
//! with a 200, `"status":"healthy"`, `"database":"connected"` and a version
//! that satisfies the plan's expectation.

use crate::observe::HealthReport;
use crate::units::{Slot, VersionSpec};

/// GETs `url` and judges the answer.
pub async fn check(
    client: &reqwest::Client,
    url: &str,
    slot: Slot,
    expect: &VersionSpec,
    own_version: &str,
) -> HealthReport {
    let resp = match client.get(url).send().await {
        Ok(r) => r,
        Err(e) => return HealthReport { slot, healthy: false, version: None, detail: format!("GET {url}: {e}") },
    };
    let status = resp.status().as_u16();
    let body: serde_json::Value = match resp.json().await {
        Ok(v) => v,
        Err(e) => {
            return HealthReport {
                slot,
                healthy: false,
                version: None,
                detail: format!("HTTP {status}, body not JSON: {e}"),
            }
        }
    };
    let version = body.get("version").and_then(|v| v.as_str()).map(str::to_string);
    let health = body.get("status").and_then(|v| v.as_str()).unwrap_or("?");
    let database = body.get("database").and_then(|v| v.as_str()).unwrap_or("?");
    let version_ok = version.as_deref().is_some_and(|v| expect.matches(v, own_version));
    let healthy = status == 200 && health == "healthy" && database == "connected" && version_ok;
    let mut detail = format!(
        "HTTP {status}, status {health}, database {database}, version {} (expected {})",
        version.as_deref().unwrap_or("?"),
        expect.resolve(own_version)
    );
    if let Some(s) = body.get("slot").and_then(|v| v.as_str()) {
        detail.push_str(&format!(", slot {s}"));
    }
    HealthReport { slot, healthy, version, detail }
}
