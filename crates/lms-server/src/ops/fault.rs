//! Fault injection for cutover rehearsals: an instance started with
//! `--inject-fault` answers a share of its requests with 500, or delays
//! them, as a broken release would — so that a rehearsal through a real
//! traffic engine (HAProxy, nginx) sees the failure where production would:
//! in the answers the engine counts and in this instance's own metrics.
//!
//! Health, readiness and `/metrics` are never touched (the deploy and the
//! gates must still see the instance). Knows nothing of cutovers beyond
//! that; the fault is fixed at start and shown in `/api/v1/status`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// What an instance does wrong on purpose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// This share of requests (0 to 100 %) answered 500.
    ErrorRate(f64),
    /// Every request delayed this long.
    Latency(Duration),
}

impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?}: write error-rate=5% or latency=800ms");
        let (kind, value) = s.split_once('=').ok_or_else(bad)?;
        match kind.trim() {
            "error-rate" => {
                let p: f64 = value.trim().trim_end_matches('%').parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(format!("{s:?}: the error rate must be between 0% and 100%"));
                }
                Ok(Fault::ErrorRate(p))
            }
            "latency" => {
                let ms: u64 = value.trim().trim_end_matches("ms").parse().map_err(|_| bad())?;
                Ok(Fault::Latency(Duration::from_millis(ms)))
            }
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::ErrorRate(p) => write!(f, "error-rate={p}%"),
            Fault::Latency(d) => write!(f, "latency={}ms", d.as_millis()),
        }
    }
}

/// Paths a fault never touches.
fn exempt(path: &str) -> bool {
    path == "/metrics" || path.starts_with("/api/health")
}

/// Middleware: applies the instance's fault, if it has one.
pub async fn inject(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match state.config().fault {
        Some(fault) if !exempt(req.uri().path()) => match fault {
            Fault::ErrorRate(p) if rand::random::<f64>() * 100.0 < p => (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(serde_json::json!({
                    "error": "injected_fault",
                    "message": format!("this instance was started with --inject-fault {fault} (a rehearsal)"),
                })),
            )
                .into_response(),
            Fault::Latency(d) => {
                tokio::time::sleep(d).await;
                next.run(req).await
            }
            Fault::ErrorRate(_) => next.run(req).await,
        },
        _ => next.run(req).await,
    }
}
