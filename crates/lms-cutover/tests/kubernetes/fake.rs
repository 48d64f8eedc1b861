//! A fake Kubernetes API server for the drivers' tests: no cluster can run
//! here, so this speaks what the drivers rely on, with the real URLs,
//! status codes and `Status` bodies:
//!
//! - GET and PATCH of one named object in namespace `production`, under
//!   `/api/v1/…` (Services) and `/apis/<group>/<version>/…` (Deployments,
//!   HTTPRoutes, VirtualServices), with a bearer token (401 without it);
//! - `application/merge-patch+json` (RFC 7386; a `metadata.resourceVersion`
//!   in it that is not the object's is 409 Conflict) and
//!   `application/json-patch+json` (RFC 6902; a failed `test` is 422
//!   "testing value … failed"); any other patch type is 415;
//! - every write is checked against the object's schema — the k8s-openapi
//!   types for Deployments and Services, the CRDs' fields for HTTPRoutes
//!   and VirtualServices (Istio's webhook refuses route weights that do not
//!   sum to 100) — and refused with 422 if it does not hold; then the
//!   resourceVersion moves on, and `metadata.generation` when the spec
//!   changed;
//! - another writer injected on demand (the object changes just before a
//!   patch lands, so the patch meets a new resourceVersion);
//! - the Deployment controller: each read of a Deployment moves its
//!   `status` one step through the rollout of its latest generation, or
//!   never makes the new pods available;
//! - RBAC: verbs denied per resource answer 403 with the API server's
//!   wording.
//!
//! Every request is logged (method, resource, content type) so a test can
//! say how many reads and writes an operation took.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use serde_json::{json, Value};

mod cluster;
mod patch;
mod tls;

use cluster::{control_deployment, settled, valid};
use patch::{json_patch, merge};

pub const NAMESPACE: &str = "production";
pub const TOKEN: &str = "fake-service-account-token";

/// How the fake Deployment controller rolls a Deployment out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollout {
    /// One more pod updated and available at every read.
    Progresses,
    /// New pods are created but never become available (a crash loop).
    NeverAvailable,
}

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub plural: String,
    pub name: String,
    pub content_type: Option<String>,
}

#[derive(Default)]
struct Store {
    objects: HashMap<(String, String), Value>,
    version: u64,
    denied: HashSet<(String, String)>,
    other_writers: HashMap<String, u32>,
    rollout: HashMap<String, Rollout>,
    /// The pod template each Deployment's last rollout was of.
    rolled: HashMap<String, String>,
    seen: Vec<Seen>,
}

/// The fake, running on a free port until dropped with the test's runtime.
#[derive(Clone)]
pub struct FakeApi {
    pub url: String,
    store: Arc<Mutex<Store>>,
}

fn status(code: StatusCode, reason: &str, message: String) -> Response {
    let body = Status {
        code: Some(i32::from(code.as_u16())),
        message: Some(message),
        reason: Some(reason.into()),
        status: Some("Failure".into()),
        ..Default::default()
    };
    let mut json = serde_json::to_value(&body).expect("status");
    json["kind"] = json!("Status");
    json["apiVersion"] = json!("v1");
    (code, [("content-type", "application/json")], json.to_string()).into_response()
}

impl FakeApi {
    /// Starts the fake holding `objects` (each with `kind` and
    /// `metadata.name`), over plain HTTP.
    pub async fn start(objects: Vec<Value>) -> FakeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        Self::serve(listener, url, objects)
    }

    /// Starts the fake over HTTPS with a certificate for `localhost` that
    /// a CA made here issued; returns the fake and that CA (PEM).
    pub async fn start_tls(objects: Vec<Value>) -> (FakeApi, String) {
        let (ca_pem, config) = tls::server_config();
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("https://localhost:{}", tcp.local_addr().expect("addr").port());
        let listener = tls::TlsListener { tcp, acceptor: tokio_rustls::TlsAcceptor::from(config) };
        (Self::serve(listener, url, objects), ca_pem)
    }

    fn serve<L: axum::serve::Listener>(listener: L, url: String, objects: Vec<Value>) -> FakeApi
    where
        L::Addr: std::fmt::Debug,
    {
        let store = Arc::new(Mutex::new(Store::default()));
        let fake = FakeApi { url, store: store.clone() };
        for o in objects {
            fake.put(o);
        }
        let app = axum::Router::new().fallback(handle).with_state(store);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().expect("fake store")
    }

    /// Stores `o` as it is (a new resourceVersion; generation 1).
    pub fn put(&self, mut o: Value) {
        let plural = plural_of(o["kind"].as_str().expect("kind")).to_string();
        let name = o["metadata"]["name"].as_str().expect("name").to_string();
        let mut s = self.lock();
        s.version += 1;
        o["metadata"]["namespace"] = json!(NAMESPACE);
        o["metadata"]["resourceVersion"] = json!(s.version.to_string());
        if o["metadata"]["generation"].is_null() {
            o["metadata"]["generation"] = json!(1);
        }
        if plural == "deployments" {
            settled(&mut o);
            s.rolled.insert(name.clone(), o["spec"]["template"].to_string());
        }
        s.objects.insert((plural, name), o);
    }

    /// The object as stored.
    pub fn object(&self, plural: &str, name: &str) -> Value {
        self.lock().objects.get(&(plural.to_string(), name.to_string())).cloned().expect("object")
    }

    /// Changes the stored object as another client would (new resourceVersion).
    pub fn edit(&self, plural: &str, name: &str, f: impl FnOnce(&mut Value)) {
        let mut s = self.lock();
        s.version += 1;
        let v = s.version.to_string();
        let o = s.objects.get_mut(&(plural.to_string(), name.to_string())).expect("object");
        f(o);
        o["metadata"]["resourceVersion"] = json!(v);
    }

    /// Refuses `verb` on `plural` with 403.
    pub fn deny(&self, verb: &str, plural: &str) {
        self.lock().denied.insert((verb.into(), plural.into()));
    }

    /// The next `n` patches of `name` each find that another client wrote
    /// it just before.
    pub fn other_writer(&self, name: &str, n: u32) {
        self.lock().other_writers.insert(name.into(), n);
    }

    /// How the Deployment `name` rolls out.
    pub fn rollout(&self, name: &str, r: Rollout) {
        self.lock().rollout.insert(name.into(), r);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// Forgets the requests so far.
    pub fn clear_seen(&self) {
        self.lock().seen.clear();
    }
}

pub fn plural_of(kind: &str) -> &'static str {
    match kind {
        "Deployment" => "deployments",
        "Service" => "services",
        "HTTPRoute" => "httproutes",
        "VirtualService" => "virtualservices",
        other => panic!("the fake does not serve {other}"),
    }
}

fn group_of(plural: &str) -> &'static str {
    match plural {
        "deployments" => "apps",
        "services" => "",
        "httproutes" => "gateway.networking.k8s.io",
        "virtualservices" => "networking.istio.io",
        _ => "?",
    }
}

/// `(plural, name)` from `/api/v1/namespaces/NS/PLURAL/NAME` or
/// `/apis/GROUP/VERSION/namespaces/NS/PLURAL/NAME`, if the namespace and
/// the group are right.
fn parse_path(path: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", group, _version, rest @ ..] => (*group, rest),
        _ => return None,
    };
    match rest {
        ["namespaces", ns, plural, name] if *ns == NAMESPACE && group_of(plural) == group => {
            Some((plural.to_string(), name.to_string()))
        }
        _ => None,
    }
}

async fn handle(
    State(store): State<Arc<Mutex<Store>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = store.lock().expect("fake store");
    let Some((plural, name)) = parse_path(uri.path()) else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("the server could not find the requested resource ({})", uri.path()),
        );
    };
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
    s.seen.push(Seen {
        method: method.to_string(),
        plural: plural.clone(),
        name: name.clone(),
        content_type: content_type.clone(),
    });
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {TOKEN}")) {
        return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized".into());
    }
    let verb = match method {
        Method::GET => "get",
        Method::PATCH => "patch",
        _ => return status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", format!("{method} is not supported")),
    };
    let group = group_of(&plural);
    let qualified = if group.is_empty() { plural.clone() } else { format!("{plural}.{group}") };
    if s.denied.contains(&(verb.to_string(), plural.clone())) {
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "{qualified} \"{name}\" is forbidden: User \"system:serviceaccount:{NAMESPACE}:lms-cutover\" cannot {verb} resource \"{plural}\" in API group \"{group}\" in the namespace \"{NAMESPACE}\""
            ),
        );
    }
    let key = (plural.clone(), name.clone());
    if !s.objects.contains_key(&key) {
        return status(StatusCode::NOT_FOUND, "NotFound", format!("{qualified} \"{name}\" not found"));
    }
    if verb == "get" {
        if plural == "deployments" {
            let mode = s.rollout.get(&name).copied().unwrap_or(Rollout::Progresses);
            let mut rolled = s.rolled.get(&name).cloned().unwrap_or_default();
            if let Some(d) = s.objects.get_mut(&key) {
                control_deployment(d, &mut rolled, mode);
            }
            s.rolled.insert(name.clone(), rolled);
        }
        let o = s.objects.get(&key).cloned().unwrap_or_default();
        return (StatusCode::OK, [("content-type", "application/json")], o.to_string()).into_response();
    }
    // Another writer gets in first.
    if let Some(n) = s.other_writers.get_mut(&name) {
        if *n > 0 {
            *n -= 1;
            s.version += 1;
            let v = s.version.to_string();
            if let Some(o) = s.objects.get_mut(&key) {
                o["metadata"]["resourceVersion"] = json!(v);
                o["metadata"]["annotations"]["other-writer"] = json!(v);
            }
        }
    }
    let Ok(patch) = serde_json::from_slice::<Value>(&body) else {
        return status(StatusCode::BAD_REQUEST, "BadRequest", "the patch is not JSON".into());
    };
    let current = s.objects.get(&key).cloned().unwrap_or_default();
    let mut next = current.clone();
    match content_type.as_deref() {
        Some("application/merge-patch+json") => {
            if let Some(v) = patch["metadata"]["resourceVersion"].as_str() {
                if Some(v) != current["metadata"]["resourceVersion"].as_str() {
                    return status(
                        StatusCode::CONFLICT,
                        "Conflict",
                        format!("Operation cannot be fulfilled on {qualified} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"),
                    );
                }
            }
            merge(&mut next, &patch);
        }
        Some("application/json-patch+json") => {
            if let Err((code, message)) = json_patch(&mut next, &patch) {
                return status(code, if code == StatusCode::BAD_REQUEST { "BadRequest" } else { "Invalid" }, message);
            }
        }
        other => {
            return status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got {other:?})"),
            )
        }
    }
    if let Err(m) = valid(&plural, &next) {
        return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", format!("{qualified} \"{name}\" is invalid: {m}"));
    }
    if next != current {
        s.version += 1;
        next["metadata"]["resourceVersion"] = json!(s.version.to_string());
        if next["spec"] != current["spec"] {
            let g = current["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
            next["metadata"]["generation"] = json!(g);
        }
        s.objects.insert(key, next.clone());
    }
    (StatusCode::OK, [("content-type", "application/json")], next.to_string()).into_response()
}
