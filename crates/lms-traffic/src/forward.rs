//! Forwards one client request to the chosen backend and streams the answer
//! back, counting everything in that backend's statistics.
//!
//! Order of work: request id, stickiness, pick, faults, rewrite headers,
//! send with the first-byte timeout, stream the body through the idle
//! timeout and the observer. Failures become the proxy's own 502/503/504.
//! Knows nothing about listeners, TLS or the admin API.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST, SET_COOKIE};
use hyper::{Request, Response, StatusCode, Uri, Version};

use crate::balancer::{self, Pick};
use crate::body::{ClientBody, Ending, Finish, IdleTimeoutBody, ObservedBody, ProxyBody};
use crate::conn::ActivityGuard;
use crate::faults;
use crate::headers::{self, X_REQUEST_ID};
use crate::pool::{Lease, Pool, SendError};
use crate::state::Shared;
use crate::stats::{FailureKind, Outcome};
use crate::sticky::Sticky;

/// Everything a connection needs to forward requests.
#[derive(Clone)]
pub struct Forwarder {
    shared: Arc<Shared>,
    pool: Arc<Pool>,
    sticky: Option<Arc<Sticky>>,
    proto: &'static str,
}

/// An empty body.
pub fn empty_body() -> ProxyBody {
    Empty::<Bytes>::new().map_err(|never| match never {}).boxed_unsync()
}

fn text_body(text: String) -> ProxyBody {
    Full::new(Bytes::from(text)).map_err(|never| match never {}).boxed_unsync()
}

/// The origin-form target sent to a backend: its path prefix, then the
/// request's path and query.
fn origin_uri(base: &Uri, path_and_query: &str) -> Result<Uri, hyper::http::Error> {
    let prefix = base.path().trim_end_matches('/');
    if prefix.is_empty() {
        Ok(Uri::try_from(path_and_query)?)
    } else {
        Ok(Uri::try_from(format!("{prefix}{path_and_query}"))?)
    }
}

/// Joins a backend base URL (with optional path prefix) and a request's
/// path and query.
pub fn join_uri(base: &Uri, path_and_query: &str) -> Result<Uri, hyper::http::Error> {
    let prefix = base.path().trim_end_matches('/');
    let mut parts = base.clone().into_parts();
    parts.path_and_query = Some(format!("{prefix}{path_and_query}").parse()?);
    Ok(Uri::from_parts(parts)?)
}

/// Counts a request whose client went away while the proxy was waiting
/// (for a fault delay or the backend's response head): the future is
/// dropped there, and without this the request would stay `in_flight`
/// forever and never be counted. It is the client's doing, so it counts as
/// a client fault, never as the backend's failure.
struct Abandoned<'a> {
    stats: &'a crate::stats::BackendStats,
    outcome: Outcome,
    start: Instant,
    armed: bool,
}

impl<'a> Abandoned<'a> {
    fn watch(stats: &'a crate::stats::BackendStats, outcome: Outcome, start: Instant) -> Self {
        Self { stats, outcome: Outcome { client_fault: true, ..outcome }, start, armed: true }
    }

    /// The wait is over and the request goes on to be counted as usual.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.stats.finish(&self.outcome, self.start);
        }
    }
}

struct Done {
    shared: Arc<Shared>,
    idx: usize,
    start: Instant,
    outcome: Outcome,
    lease: Option<Lease>,
    _activity: ActivityGuard,
}

impl Finish for Done {
    fn finish(self, ending: Ending) {
        let Some(b) = self.shared.backends.get(self.idx) else { return };
        let mut outcome = self.outcome;
        match ending {
            Ending::IdleTimeout => outcome.failure = Some(FailureKind::Timeout),
            Ending::Error => outcome.failure = Some(FailureKind::Reset),
            Ending::Complete => {
                if let Some(lease) = self.lease {
                    lease.release();
                }
            }
            Ending::Dropped => {}
        }
        b.stats.finish(&outcome, self.start);
    }
}

impl Forwarder {
    /// A forwarder over shared state; `tls` says what X-Forwarded-Proto is.
    pub fn new(shared: Arc<Shared>, tls: bool) -> Self {
        let sticky = shared.config.sticky.as_ref().map(|s| Arc::new(Sticky::new(&s.cookie, &s.secret)));
        let authorities = shared
            .backends
            .iter()
            .map(|b| b.url.authority().map(|a| a.as_str().to_string()).unwrap_or_default())
            .collect();
        let cfg = &shared.config;
        let pool =
            Pool::new(authorities, cfg.connect_timeout, cfg.idle_timeout.min(std::time::Duration::from_secs(90)));
        Self { shared, pool, sticky, proto: if tls { "https" } else { "http" } }
    }

    /// Handles one request end to end. Never fails: problems become responses.
    pub async fn handle(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        activity: ActivityGuard,
    ) -> Response<ProxyBody> {
        let start = Instant::now();
        let request_id = headers::request_id(req.headers());
        let shared = &self.shared;
        let sticky_idx = self.sticky.as_ref().and_then(|s| s.backend_from(req.headers(), |n| shared.index_of(n)));

        let idx = match balancer::pick(shared, sticky_idx) {
            Pick::Backend { idx, .. } => idx,
            Pick::AllDown => {
                return self.local_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "503 Service Unavailable: every backend is down (failed health checks); nothing can serve this request.\n",
                    &request_id,
                    None,
                );
            }
        };
        let Some(backend) = shared.backends.get(idx) else {
            return self.local_response(StatusCode::INTERNAL_SERVER_ERROR, "no such backend\n", &request_id, None);
        };
        let stats = &backend.stats;
        stats.begin();
        let mut outcome = Outcome::default();

        // Fault injection, counted exactly like the real thing.
        let decision = shared.faults.load().get(idx).map(faults::decide).unwrap_or_default();
        if let Some(delay) = decision.delay {
            outcome.fault_delayed = true;
            let abandoned = Abandoned::watch(stats, outcome, start);
            tokio::time::sleep(delay).await;
            abandoned.disarm();
        }
        if let Some(status) = decision.abort {
            outcome.fault_aborted = true;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return self.fail(
                idx,
                start,
                outcome,
                (status, FailureKind::Injected),
                "fault injected by the traffic controller",
                &request_id,
            );
        }

        // Rewrite the request for the backend.
        let (mut parts, body) = req.into_parts();
        let pq = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        if !pq.starts_with('/') {
            stats.finish(&Outcome { status: Some(400), ..outcome }, start);
            return self.local_response(
                StatusCode::BAD_REQUEST,
                "400 Bad Request: unsupported request target\n",
                &request_id,
                None,
            );
        }
        let uri = match origin_uri(&backend.url, pq) {
            Ok(u) => u,
            Err(_) => {
                stats.finish(&Outcome { status: Some(400), ..outcome }, start);
                return self.local_response(
                    StatusCode::BAD_REQUEST,
                    "400 Bad Request: bad request target\n",
                    &request_id,
                    None,
                );
            }
        };
        let host = parts
            .headers
            .get(HOST)
            .cloned()
            .or_else(|| parts.uri.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()))
            .or_else(|| backend.url.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()));
        headers::strip_hop_by_hop(&mut parts.headers);
        headers::add_forwarded(&mut parts.headers, peer.ip(), self.proto, host.as_ref());
        if let Some(h) = host {
            parts.headers.insert(HOST, h);
        }
        parts.headers.insert(X_REQUEST_ID.clone(), request_id.clone());
        parts.uri = uri;
        parts.version = Version::HTTP_11;
        let client_faulted = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let client_waiting = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let body = if body.is_end_stream() {
            empty_body()
        } else {
            ClientBody::new(
                IdleTimeoutBody::new(body, shared.config.idle_timeout),
                client_faulted.clone(),
                client_waiting.clone(),
            )
            .boxed_unsync()
        };
        let upstream = Request::from_parts(parts, body);

        let abandoned = Abandoned::watch(stats, outcome, start);
        let sent = tokio::time::timeout(shared.config.first_byte_timeout, self.pool.send(idx, upstream)).await;
        abandoned.disarm();
        let (resp, lease) = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(SendError::Connect(e))) => {
                let msg = format!("backend `{}` could not be reached", backend.name);
                tracing::warn!(backend = %backend.name, error = %e, request_id = ?request_id, "connect failed");
                crate::health::mark_down_passive(shared, idx, format!("connect failed: {e}"));
                return self.fail(
                    idx,
                    start,
                    outcome,
                    (StatusCode::BAD_GATEWAY, FailureKind::Connect),
                    &msg,
                    &request_id,
                );
            }
            Ok(Err(SendError::Backend(_))) if client_faulted.load(std::sync::atomic::Ordering::SeqCst) => {
                // The client's request body broke off or was malformed: its
                // fault, answered 400 and counted apart, not the backend's.
                tracing::info!(backend = %backend.name, request_id = ?request_id, "client sent a broken request body");
                if let Some(b) = self.shared.backends.get(idx) {
                    b.stats.finish(&Outcome { status: Some(400), client_fault: true, ..outcome }, start);
                }
                return self.local_response(
                    StatusCode::BAD_REQUEST,
                    "400 Bad Request: the request body was incomplete or malformed\n",
                    &request_id,
                    Some(idx),
                );
            }
            Ok(Err(SendError::Backend(e))) => {
                let msg = format!("backend `{}` closed the connection without a response", backend.name);
                tracing::warn!(backend = %backend.name, error = %e, request_id = ?request_id, "backend failed");
                return self.fail(
                    idx,
                    start,
                    outcome,
                    (StatusCode::BAD_GATEWAY, FailureKind::Reset),
                    &msg,
                    &request_id,
                );
            }
            Err(_) if client_waiting.load(std::sync::atomic::Ordering::SeqCst) => {
                // The backend is still waiting for the rest of a request body
                // the client has not sent: the client's doing, not a slow backend.
                tracing::info!(backend = %backend.name, request_id = ?request_id, "request body still arriving at the first-byte timeout");
                stats.finish(&Outcome { status: Some(408), client_fault: true, ..outcome }, start);
                return self.local_response(
                    StatusCode::REQUEST_TIMEOUT,
                    "408 Request Timeout: the backend was still waiting for the request body when the first-byte timeout ran out\n",
                    &request_id,
                    Some(idx),
                );
            }
            Err(_) => {
                let msg = format!(
                    "backend `{}` sent no response within {:?}",
                    backend.name, shared.config.first_byte_timeout
                );
                tracing::warn!(backend = %backend.name, request_id = ?request_id, "first-byte timeout");
                return self.fail(
                    idx,
                    start,
                    outcome,
                    (StatusCode::GATEWAY_TIMEOUT, FailureKind::Timeout),
                    &msg,
                    &request_id,
                );
            }
        };

        outcome.status = Some(resp.status().as_u16());
        outcome.maintenance = resp.headers().contains_key(crate::stats::MAINTENANCE_HEADER);
        let (mut parts, body) = resp.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers);
        self.decorate(&mut parts.headers, Some(idx), &request_id);
        if let Some(s) = &self.sticky {
            if sticky_idx != Some(idx) {
                if let Ok(v) = HeaderValue::from_str(&s.set_cookie(&backend.name, self.proto == "https")) {
                    parts.headers.append(SET_COOKIE, v);
                }
            }
        }
        // A response without a body frees its connection at once.
        let lease = if body.is_end_stream() {
            lease.release();
            None
        } else {
            Some(lease)
        };
        let done = Done { shared: shared.clone(), idx, start, outcome, lease, _activity: activity };
        let body = ObservedBody::new(IdleTimeoutBody::new(body, shared.config.idle_timeout), done).boxed_unsync();
        Response::from_parts(parts, body)
    }

    /// A failure answered by the proxy itself, counted against backend `idx`.
    fn fail(
        &self,
        idx: usize,
        start: Instant,
        outcome: Outcome,
        (status, kind): (StatusCode, FailureKind),
        msg: &str,
        request_id: &HeaderValue,
    ) -> Response<ProxyBody> {
        if let Some(b) = self.shared.backends.get(idx) {
            let counts_as_failure = kind != FailureKind::Injected
                || status == StatusCode::BAD_GATEWAY
                || status == StatusCode::GATEWAY_TIMEOUT;
            let outcome =
                Outcome { status: Some(status.as_u16()), failure: counts_as_failure.then_some(kind), ..outcome };
            b.stats.finish(&outcome, start);
        }
        let reason = status.canonical_reason().unwrap_or("");
        self.local_response(status, &format!("{} {reason}: {msg}\n", status.as_u16()), request_id, Some(idx))
    }

    fn local_response(
        &self,
        status: StatusCode,
        text: &str,
        request_id: &HeaderValue,
        idx: Option<usize>,
    ) -> Response<ProxyBody> {
        let mut resp = Response::new(text_body(text.to_string()));
        *resp.status_mut() = status;
        resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        self.decorate(resp.headers_mut(), idx, request_id);
        resp
    }

    fn decorate(&self, headers: &mut hyper::HeaderMap, idx: Option<usize>, request_id: &HeaderValue) {
        if !headers.contains_key(&X_REQUEST_ID) {
            headers.insert(X_REQUEST_ID.clone(), request_id.clone());
        }
        if let (Some(name), Some(b)) =
            (&self.shared.config.backend_header, idx.and_then(|i| self.shared.backends.get(i)))
        {
            if let Ok(v) = HeaderValue::from_str(&b.name) {
                headers.insert(name.clone(), v);
            }
        }
    }
}
