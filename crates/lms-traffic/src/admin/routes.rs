//! Admin routes: `GET /state`, `PUT /weights`, `POST /rollback`,
//! `PUT /faults`, `GET /metrics`.
//!
//! Every input is validated completely before anything changes; bad input
//! gets a 4xx with a message saying what to fix, and changes nothing. Every
//! change is logged with who made it and when. Routes change routing only
//! through `Shared`; they know nothing about connections or sockets.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::auth;
use super::types::{
    BackendState, ChangeResponse, ErrorBody, ErrorResponse, FaultSpec, FaultsRequest, RollbackRequest, RoutingState,
    StateResponse, Weights,
};
use crate::faults;
use crate::state::Shared;

const MAX_BODY: usize = 64 * 1024;

type Resp = Response<Full<Bytes>>;

/// Answers one admin request.
pub async fn handle(shared: &Arc<Shared>, req: Request<Incoming>) -> Resp {
    let open = shared.config.admin_tokens.is_empty();
    let authority = req.uri().authority().map(|a| a.as_str().to_string());
    if let Some((status, code, message)) = super::guard::refuse(req.method(), req.headers(), authority.as_deref(), open)
    {
        return error(status, code, message);
    }
    let Some(who) = auth::authenticate(&shared.config.admin_tokens, req.headers()) else {
        let mut r = error(StatusCode::UNAUTHORIZED, "unauthorized", "send Authorization: Bearer <admin token>");
        r.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    };
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    match (method, path.as_str()) {
        (Method::GET, "/state") => json(StatusCode::OK, &state(shared)),
        (Method::GET, "/metrics") => {
            let mut r = Response::new(Full::new(Bytes::from(super::metrics::render(shared))));
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
            r
        }
        (Method::PUT, "/weights") => match read_json::<Weights>(req).await {
            Ok(w) => set_weights(shared, &who, w).await,
            Err(r) => r,
        },
        (Method::POST, "/rollback") => match read_json::<RollbackRequest>(req).await {
            Ok(r) => rollback(shared, &who, r).await,
            Err(r) => r,
        },
        (Method::PUT, "/faults") => match read_json::<FaultsRequest>(req).await {
            Ok(f) => set_faults(shared, &who, f).await,
            Err(r) => r,
        },
        (_, "/state" | "/metrics" | "/weights" | "/rollback" | "/faults") => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "see the admin API: GET /state, GET /metrics, PUT /weights, POST /rollback, PUT /faults",
        ),
        _ => error(StatusCode::NOT_FOUND, "not_found", "no such admin route"),
    }
}

/// The full state view.
pub fn state(shared: &Shared) -> StateResponse {
    let weights = shared.weights.load();
    let faults = shared.faults.load();
    let backends = shared
        .backends
        .iter()
        .enumerate()
        .map(|(i, b)| BackendState {
            name: b.name.clone(),
            url: b.url.to_string(),
            weight: weights.get(i).copied().unwrap_or(0),
            health: b.health.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            faults: faults.get(i).cloned().unwrap_or_default(),
            stats: b.stats.snapshot(),
        })
        .collect();
    StateResponse {
        backends,
        weights: weights_view(shared, &weights),
        routing: RoutingState {
            mode: shared.mode(),
            failovers: shared.failovers.load(std::sync::atomic::Ordering::Relaxed),
            all_down_responses: shared.all_down.load(std::sync::atomic::Ordering::Relaxed),
            mode_changes: shared.mode_changes.load(std::sync::atomic::Ordering::Relaxed),
        },
        window_secs: shared.config.window.as_secs(),
        sticky: shared.config.sticky.is_some(),
        uptime_secs: shared.started.elapsed().as_secs(),
        changes: shared.changes(),
    }
}

fn weights_view(shared: &Shared, weights: &[u32]) -> Weights {
    Weights(shared.backends.iter().zip(weights).map(|(b, w)| (b.name.clone(), *w)).collect())
}

fn faults_view(shared: &Shared) -> BTreeMap<String, FaultSpec> {
    let faults = shared.faults.load();
    shared
        .backends
        .iter()
        .zip(faults.iter())
        .filter(|(_, f)| !f.is_empty())
        .map(|(b, f)| (b.name.clone(), f.clone()))
        .collect()
}

fn describe_weights(shared: &Shared, weights: &[u32]) -> String {
    shared.backends.iter().zip(weights).map(|(b, w)| format!("{}={w}", b.name)).collect::<Vec<_>>().join(",")
}

async fn set_weights(shared: &Shared, who: &str, req: Weights) -> Resp {
    let mut new = vec![0u32; shared.backends.len()];
    for (name, w) in &req.0 {
        let Some(i) = shared.index_of(name) else {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_backend",
                &format!("no backend called `{name}`; known: {}", known(shared)),
            );
        };
        if *w > 100 {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_weights",
                &format!("weight of `{name}` must be from 0 to 100"),
            );
        }
        new[i] = *w;
    }
    if let Err(e) = crate::config::check_sum(&new) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_weights", &e.to_string());
    }
    let _guard = shared.write_lock.lock().await;
    shared.weights.store(Arc::new(new.clone()));
    shared.refresh_mode();
    let change = shared.record_change(who, format!("weights {}", describe_weights(shared, &new)));
    changed(shared, &new, change)
}

async fn rollback(shared: &Shared, who: &str, req: RollbackRequest) -> Resp {
    let Some(idx) = shared.index_of(&req.backend) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_backend",
            &format!("no backend called `{}`; known: {}", req.backend, known(shared)),
        );
    };
    let mut new = vec![0u32; shared.backends.len()];
    new[idx] = 100;
    let _guard = shared.write_lock.lock().await;
    shared.weights.store(Arc::new(new.clone()));
    shared.refresh_mode();
    let change =
        shared.record_change(who, format!("rollback to {} (weights {})", req.backend, describe_weights(shared, &new)));
    changed(shared, &new, change)
}

async fn set_faults(shared: &Shared, who: &str, req: FaultsRequest) -> Resp {
    let mut updates = Vec::new();
    for (name, spec) in &req.0 {
        let Some(i) = shared.index_of(name) else {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_backend",
                &format!("no backend called `{name}`; known: {}", known(shared)),
            );
        };
        if let Err(msg) = faults::validate(name, spec) {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_faults", &msg);
        }
        updates.push((i, spec.clone()));
    }
    let _guard = shared.write_lock.lock().await;
    let mut new = shared.faults.load().as_ref().clone();
    for (i, spec) in updates {
        if let Some(slot) = new.get_mut(i) {
            *slot = spec;
        }
    }
    shared.faults.store(Arc::new(new));
    let what = format!("faults {}", serde_json::to_string(&req).unwrap_or_default());
    let change = shared.record_change(who, what);
    let weights = shared.weights.load();
    changed(shared, &weights, change)
}

fn changed(shared: &Shared, weights: &[u32], change: super::types::ChangeRecord) -> Resp {
    json(
        StatusCode::OK,
        &ChangeResponse { weights: weights_view(shared, weights), faults: faults_view(shared), change },
    )
}

fn known(shared: &Shared) -> String {
    shared.backends.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", ")
}

async fn read_json<T: DeserializeOwned>(req: Request<Incoming>) -> Result<T, Resp> {
    let bytes = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                &format!("the body must be at most {MAX_BODY} bytes"),
            ))
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        error(StatusCode::BAD_REQUEST, "invalid_json", &format!("the body is not what this route expects: {e}"))
    })
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Resp {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut r = Response::new(Full::new(Bytes::from(bytes)));
            *r.status_mut() = status;
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Err(_) => {
            let mut r = Response::new(Full::new(Bytes::from_static(
                b"{\"error\":{\"code\":\"internal\",\"message\":\"serialization failed\"}}",
            )));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Resp {
    json(status, &ErrorResponse { error: ErrorBody { code: code.to_string(), message: message.to_string() } })
}
