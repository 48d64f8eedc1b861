//! Per-request context: the request id (kept from `X-Request-Id` or made
//! here) and the client address, for logs and the audit log; one log line per
//! request (debug level, warn for 5xx) with the request id and the slot.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use std::convert::Infallible;
use std::net::SocketAddr;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub request_id: String,
    pub client_addr: String,
    /// Whether the client reached us over https (directly or via a trusted proxy).
    pub https: bool,
}

impl RequestContext {
    /// The use cases' view of who asks: the actor, and what the audit log keeps.
    pub fn caller(&self, actor: lms_core::Actor) -> lms_app::Caller {
        lms_app::Caller { actor, request_id: self.request_id.clone(), client_addr: self.client_addr.clone() }
    }
}

fn new_request_id() -> String {
    let mut b = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Middleware: fills in the `RequestContext` and echoes the request id.
pub async fn request_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    let request_id = headers
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(new_request_id);
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default();
    let trust = state.config().trust_forwarded;
    let forwarded_for = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next_back())
        .map(|v| v.trim().to_string())
        .filter(|v| trust && !v.is_empty());
    let https = state.config().secure_cookies
        || (trust && headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https"));
    let ctx = RequestContext { request_id: request_id.clone(), client_addr: forwarded_for.unwrap_or(peer), https };
    let (method, mut path) = (req.method().clone(), req.uri().path().to_string());
    if path.starts_with("/calendar/feeds/") {
        // A feed's address is its credential: never in the log.
        path = "/calendar/feeds/(secret)".into();
    }
    req.extensions_mut().insert(ctx);
    let started = std::time::Instant::now();
    let mut res = next.run(req).await;
    let (status, ms) = (res.status().as_u16(), started.elapsed().as_secs_f64() * 1000.0);
    let slot = &state.config().slot;
    if status >= 500 {
        tracing::warn!(%method, %path, status, ms, request_id = %request_id, %slot, "request failed");
    } else {
        tracing::debug!(%method, %path, status, ms, request_id = %request_id, %slot, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    res
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts.extensions.get::<RequestContext>().cloned().unwrap_or_default())
    }
}
