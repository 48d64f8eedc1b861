//! The war room's routes: the page and its assets, the snapshot as JSON
//! and as server-sent events, signing the page in and out, and the control
//! API (`POST /api/decide`, `POST /api/rollback`) that hands a person's
//! request to the controller through the run's inbox, exactly as the CLI
//! does (`control::decide`, `control::ask_rollback`).
//!
//! Every answer carries a strict Content-Security-Policy (`default-src
//! 'self'`: no inline script or style, nothing from elsewhere). A refusal
//! is JSON `{"error": …}` saying what to do: 401 without a credential, 403
//! for a role that may not, 409 when the run cannot take it (read-only
//! dashboard, no controller, checkpoint not open), 400 for a malformed
//! request. No request panics.
//!
//! Knows HTTP; the rules are the controller's and `runner::grants`'s.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;

use crate::control::{self, DecideRequest, RollbackAsked};
use crate::dashboard::access::{self, Seen};
use crate::dashboard::watch::Published;
use crate::error::CutoverError;
use crate::plan::Decision;
use crate::runner::context::RunDir;
use crate::runner::grants::{self, Permission, RELEASE_COMMANDER};

const INDEX: &str = include_str!("assets/index.html");
const CSS: &str = include_str!("assets/warroom.css");
const JS: &str = include_str!("assets/warroom.js");

/// How long `POST /api/rollback` waits for all traffic to be on blue
/// before it answers 202 (the rollback goes on; the page shows it).
const ON_BLUE_WAIT: Duration = Duration::from_secs(60);

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    /// The run.
    pub dir: RunDir,
    /// Hands requests to the controller (false: read-only).
    pub controls: bool,
    /// The latest snapshot.
    pub snapshots: watch::Receiver<Published>,
}

/// The routes.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/assets/warroom.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/assets/warroom.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }))
        .route("/api/me", get(me))
        .route("/api/state", get(state))
        .route("/api/events", get(events))
        .route("/api/session", post(sign_in).delete(sign_out))
        .route("/api/decide", post(decide))
        .route("/api/rollback", post(rollback))
        .fallback(|| async { refused(StatusCode::NOT_FOUND, "no such page: the war room is at /").into_response() })
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(middleware::from_fn(headers))
        .with_state(app)
}

/// Security headers on every answer.
async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    res
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")], body).into_response()
}

async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX)
}

/// A refusal: `{"error": message}` with its status.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

fn refused(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal { status, message: message.into() }
}

/// The refusal for an error of a use case.
impl From<CutoverError> for Refusal {
    fn from(e: CutoverError) -> Self {
        match e {
            CutoverError::DecisionRefused(m) => refused(StatusCode::CONFLICT, m),
            e @ CutoverError::InvalidValue { .. } => refused(StatusCode::BAD_REQUEST, e.to_string()),
            e => refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
}

type Answer = Result<Response, Refusal>;

/// Who is looking, or the 401 that says how to sign in.
fn watcher(app: &App, headers: &HeaderMap) -> Result<Seen, Refusal> {
    let seen = access::identify(&app.dir, headers)?;
    match seen {
        Seen::NoCredential => Err(refused(
            StatusCode::UNAUTHORIZED,
            "this run has per-person credentials: sign in with yours (`lms cutover grant` issues one), \
             or send it as `Authorization: Bearer <token>`",
        )),
        Seen::NotIssued => Err(refused(
            StatusCode::UNAUTHORIZED,
            "that credential is not one issued for this run: ask the release commander for yours (`lms cutover grant`)",
        )),
        seen => Ok(seen),
    }
}

/// A person asking to act: a credential whose role may `what` (else 401
/// or 403), a JSON body from this site, a dashboard that hands requests
/// to a controller (else 409).
fn actor(app: &App, headers: &HeaderMap, what: Permission) -> Result<Seen, Refusal> {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as JSON (Content-Type: application/json)",
        ));
    }
    // What the browser says of the page that sent it (the LMS's own
    // cross-site guard reads the same header): only this origin acts.
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).unwrap_or("none");
    if !matches!(site, "same-origin" | "none") {
        return Err(refused(StatusCode::FORBIDDEN, "a request from another site is refused: nothing was done"));
    }
    let seen = watcher(app, headers)?;
    if let Seen::Person(g, token) = &seen {
        if grants::authorize(&app.dir, Some(token), None, what).is_err() {
            let act = if what == Permission::Decide { "checkpoint decisions need" } else { "a manual rollback needs" };
            return Err(refused(
                StatusCode::FORBIDDEN,
                format!(
                    "{} is {}: {act} the {RELEASE_COMMANDER}'s credential. You may watch; nothing was done",
                    g.name, g.role
                ),
            ));
        }
    }
    if !app.controls {
        return Err(refused(
            StatusCode::CONFLICT,
            format!(
                "this dashboard is read-only (served from the journal by `lms cutover dashboard`): nothing was done. \
                 Decide and roll back on the controller's dashboard (`lms cutover resume {} --dashboard ADDR`) \
                 or with `lms cutover decide` / `lms cutover rollback`",
                app.dir.root.display()
            ),
        ));
    }
    Ok(seen)
}

/// Parses a JSON body, or the 400 that says what is wrong with it.
fn body<T: for<'de> Deserialize<'de>>(bytes: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(bytes).map_err(|e| refused(StatusCode::BAD_REQUEST, format!("the request body: {e}")))
}

/// The name of someone deciding on a run without credentials.
fn name_of(seen: &Seen, by: Option<String>) -> Result<Option<String>, Refusal> {
    match seen {
        Seen::Open => match by.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()) {
            Some(b) => Ok(Some(b)),
            None => Err(refused(
                StatusCode::BAD_REQUEST,
                "say who you are: this run has no credentials, so give your name (`by`)",
            )),
        },
        _ => Ok(None),
    }
}

async fn me(State(app): State<App>, headers: HeaderMap) -> Answer {
    let seen = access::identify(&app.dir, &headers)?;
    let may = |what| match &seen {
        Seen::Open => true,
        Seen::Person(_, t) => grants::authorize(&app.dir, Some(t), None, what).is_ok(),
        _ => false,
    };
    let (name, role) = match &seen {
        Seen::Person(g, _) => (Some(g.name.clone()), Some(g.role.clone())),
        _ => (None, None),
    };
    Ok(Json(json!({
        "credentials": !matches!(seen, Seen::Open),
        "signed_in": matches!(seen, Seen::Person(..)),
        "name": name,
        "role": role,
        "may_watch": seen.may_watch(),
        "may_decide": may(Permission::Decide),
        "may_roll_back": may(Permission::Rollback),
        "needs_name": matches!(seen, Seen::Open),
        "controls": app.controls,
        "needed_role": RELEASE_COMMANDER,
    }))
    .into_response())
}

async fn state(State(app): State<App>, headers: HeaderMap) -> Answer {
    watcher(&app, &headers)?;
    let json = app.snapshots.borrow().json.clone();
    Ok(([(CONTENT_TYPE, "application/json")], json.to_string()).into_response())
}

async fn events(State(app): State<App>, headers: HeaderMap) -> Answer {
    watcher(&app, &headers)?;
    let rx = app.snapshots.clone();
    let stream = futures::stream::unfold((rx, true), move |(mut rx, first)| {
        let (dir, headers) = (app.dir.clone(), headers.clone());
        async move {
            if !first && rx.changed().await.is_err() {
                return None;
            }
            // Checked again at every event: a credential removed from the
            // run (or credentials issued to a run that had none) ends the
            // stream; the page's reconnection then asks to sign in.
            if !access::identify(&dir, &headers).is_ok_and(|seen| seen.may_watch()) {
                return None;
            }
            let json = rx.borrow_and_update().json.clone();
            let event = Event::default().event("state").data(json.as_ref());
            Some((Ok::<_, Infallible>(event), (rx, false)))
        }
    });
    let sse = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive"));
    // A TLS proxy in front (nginx) passes each event on at once.
    Ok(([("x-accel-buffering", "no")], sse).into_response())
}

#[derive(Deserialize)]
struct SignIn {
    token: String,
}

async fn sign_in(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let json =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the credential as JSON: {\"token\": \"…\"}"));
    }
    let s: SignIn = body(&bytes)?;
    if grants::load(&app.dir)?.is_empty() {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "this run has no per-person credentials: anyone who reaches this address watches, and deciding takes your name",
        ));
    }
    let token = s.token.trim();
    let not_issued = || {
        refused(
            StatusCode::UNAUTHORIZED,
            "that credential is not one issued for this run: ask the release commander for yours (`lms cutover grant`)",
        )
    };
    let Some(g) = grants::holder(&app.dir, token)? else { return Err(not_issued()) };
    let cookie = HeaderValue::from_str(&access::sign_in_cookie(&app.dir, token)).map_err(|_| not_issued())?;
    let mut res = Json(json!({ "name": g.name, "role": g.role })).into_response();
    res.headers_mut().insert(SET_COOKIE, cookie);
    Ok(res)
}

async fn sign_out(State(app): State<App>) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(cookie) = HeaderValue::from_str(&access::sign_out_cookie(&app.dir)) {
        res.headers_mut().insert(SET_COOKIE, cookie);
    }
    res
}

#[derive(Deserialize)]
struct DecideBody {
    checkpoint: u32,
    decision: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    evidence: Option<String>,
    #[serde(default)]
    override_reason: Option<String>,
    #[serde(default)]
    by: Option<String>,
}

async fn decide(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let seen = actor(&app, &headers, Permission::Decide)?;
    let b: DecideBody = body(&bytes)?;
    let decision: Decision =
        b.decision.parse().map_err(|e: CutoverError| refused(StatusCode::BAD_REQUEST, e.to_string()))?;
    let request = DecideRequest {
        checkpoint: b.checkpoint,
        decision,
        by: name_of(&seen, b.by)?,
        token: seen.token().map(str::to_string),
        note: b.note,
        override_reason: b.override_reason,
        evidence: b.evidence.filter(|e| !e.trim().is_empty()),
    };
    let a = control::decide(&app.dir, request).await?;
    if !a.accepted {
        return Err(refused(StatusCode::CONFLICT, a.message));
    }
    Ok(Json(json!({ "accepted": true, "message": a.message })).into_response())
}

#[derive(Deserialize)]
struct RollbackBody {
    reason: String,
    #[serde(default)]
    by: Option<String>,
}

async fn rollback(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let seen = actor(&app, &headers, Permission::Rollback)?;
    let b: RollbackBody = body(&bytes)?;
    let by = name_of(&seen, b.by)?;
    let message = match control::ask_rollback(&app.dir, seen.token(), by.as_deref(), &b.reason).await? {
        RollbackAsked::Requested(message) => message,
        RollbackAsked::AlreadyOver(v) => {
            return Ok(Json(json!({
                "accepted": true,
                "on_blue": true,
                "message": format!(
                    "{}; nothing to do: all traffic is already on blue",
                    crate::runner::console::verdict_line(&v)
                ),
            }))
            .into_response())
        }
    };
    // The controller acts on it first; answer once all traffic is on blue.
    match tokio::time::timeout(ON_BLUE_WAIT, control::wait_on_blue(&app.dir)).await {
        Ok(on_blue) => {
            let r = on_blue?;
            let ms = r.on_blue_at.map(|t| (t - r.triggered_at).num_milliseconds());
            Ok(Json(json!({
                "accepted": true,
                "on_blue": true,
                "to_blue_ms": ms,
                "message": format!(
                    "ROLLED BACK — all traffic on blue {} ms after the request; the controller verifies blue and writes the report",
                    ms.unwrap_or(0)
                ),
            }))
            .into_response())
        }
        Err(_) => Ok((
            StatusCode::ACCEPTED,
            Json(json!({
                "accepted": true,
                "on_blue": false,
                "message": format!("{message}; traffic is not all on blue yet: the page shows the rollback's progress"),
            })),
        )
            .into_response()),
    }
}
