//! Webhooks, against a real HTTP receiver started by each test (an axum
//! server on 127.0.0.1, a private address: the tests that deliver turn on
//! HR's `allow_private` setting first). The server instances here run the
//! webhook worker of `lms serve` (started by `lms_server::run` when the
//! configuration has webhooks). Every wait has a deadline.

use crate::support::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hmac::{Hmac, Mac};
use lms_server::webhooks::WebhookConfig;
use lms_server::ServerConfig;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

crate::both_backends!(
    a_signed_event_reaches_the_endpoint_and_the_log,
    the_slack_format_posts_a_sentence,
    a_delivery_answered_500_is_retried_until_delivered,
    private_addresses_are_refused_by_default_and_nothing_is_written,
    employees_are_refused_every_webhook_route,
    two_instances_deliver_each_event_once_and_the_release_before_has_none,
    a_private_address_is_refused_at_delivery_once_the_setting_is_off,
);

/// What the receiver got: the headers we check and the body.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Vec<u8>,
}

#[derive(Clone)]
struct Receiver {
    /// Statuses to answer, in order; 200 once they run out.
    script: Arc<Mutex<VecDeque<u16>>>,
    got: mpsc::UnboundedSender<Received>,
}

/// A receiver on 127.0.0.1 answering the `script`ed statuses, then 200; its URL and what it receives.
async fn receiver(script: &[u16]) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let state = Receiver { script: Arc::new(Mutex::new(script.iter().copied().collect())), got: tx };
    async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: axum::body::Bytes) -> AxumStatus {
        let _ = r.got.send(Received { headers, body: body.to_vec() });
        let status = r.script.lock().expect("script").pop_front().unwrap_or(200);
        AxumStatus::from_u16(status).expect("status")
    }
    let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a delivery within 20 s")
        .expect("the receiver runs")
}

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
}

/// Checks `X-LMS-Signature` against `secret` the way a receiver would.
fn verify(r: &Received, secret: &str) {
    let sig = header(r, "x-lms-signature");
    let t = header(r, "x-lms-timestamp");
    let (st, v1) = sig.split_once(',').expect("t=…,v1=…");
    assert_eq!(st, format!("t={t}"), "{sig}");
    let v1 = v1.strip_prefix("v1=").expect("v1=");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(&r.body);
    mac.verify_slice(&hex::decode(v1).expect("hex")).expect("the signature matches the body and the secret");
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().expect("unix time");
    assert!((0..60).contains(&age), "timestamp {t} is {age} s old");
}

/// Another instance on `app`'s database delivering webhooks, retrying
/// quickly; it has answered once (so its worker runs).
async fn with_webhooks(app: &TestApp) -> TestApp {
    let cfg = WebhookConfig {
        retry: lms_core::mail::RetryPolicy::new(Duration::from_millis(200), Duration::from_secs(1), 4).expect("policy"),
        poll: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
        ..WebhookConfig::default()
    };
    let hooks =
        TestApp::start(app.db.clone(), app.url.clone(), ServerConfig { webhooks: Some(cfg), ..Default::default() })
            .await;
    assert_eq!(hooks.anonymous().get("/api/health").await.0, StatusCode::OK);
    hooks
}

/// HR allows private addresses and registers `url`; the answer (with the secret).
async fn register(hr: &User, url: &str, events: &[&str], format: &str) -> Value {
    let (s, b) = hr.put("/api/v1/settings/webhooks", json!({"allow_private": true})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["allow_private"], true);
    let (s, w) = hr.post("/api/v1/webhooks", json!({"url": url, "events": events, "format": format})).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    assert!(w["secret"].as_str().is_some_and(|s| s.starts_with("whsec_") && s.len() > 40), "{w}");
    w
}

/// The delivery log until `done` holds of it (the worker records after the receiver answered).
async fn log_until(hr: &User, id: i64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (s, page) = hr.get(&format!("/api/v1/webhooks/{id}/deliveries")).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let items = page["items"].as_array().expect("items").clone();
        if done(&items) {
            return items;
        }
        assert!(tokio::time::Instant::now() < deadline, "the delivery log never settled: {items:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_signed_event_reaches_the_endpoint_and_the_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _hooks = with_webhooks(&app).await;
    let hr = app.login("hr@demo.local").await;
    let (url, mut rx) = receiver(&[]).await;
    let w = register(&hr, &url, &["leave_request.submitted", "leave_request.approved"], "json").await;
    let (id, secret) = (w["id"].as_i64().expect("id"), w["secret"].as_str().expect("secret").to_string());
    let (s, list) = hr.get("/api/v1/webhooks").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["events"], json!(["leave_request.approved", "leave_request.submitted"]), "{list}");
    assert!(list[0].get("secret").is_none(), "the secret is shown once: {list}");

    let employee = app.login("employee1@demo.local").await;
    let request = employee.submit("annual", monday(3), monday(3)).await;
    let submitted = next(&mut rx).await;
    verify(&submitted, &secret);
    assert_eq!(header(&submitted, "x-lms-event"), "leave_request.submitted");
    let payload: Value = serde_json::from_slice(&submitted.body).expect("JSON");
    assert_eq!(payload["event"], "leave_request.submitted");
    assert_eq!(payload["entity"], json!({"type": "leave_request", "id": request.to_string()}));
    assert_eq!(payload["data"]["id"], request);
    assert_eq!(payload["id"].to_string(), header(&submitted, "x-lms-delivery"));

    let manager = app.login("manager@demo.local").await;
    let (s, b) = manager.post_empty(&format!("/api/v1/leave-requests/{request}/approve")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let approved = next(&mut rx).await;
    verify(&approved, &secret);
    assert_eq!(header(&approved, "x-lms-event"), "leave_request.approved");
    let payload: Value = serde_json::from_slice(&approved.body).expect("JSON");
    assert_eq!(payload["data"]["status"], "approved");

    let log = log_until(&hr, id, |d| d.len() == 2 && d.iter().all(|d| d["status"] == "delivered")).await;
    assert_eq!(log[0]["event"], "leave_request.approved");
    assert_eq!(log[1]["event"], "leave_request.submitted");
    for d in &log {
        assert_eq!(d["attempts"], 1, "{d}");
        assert_eq!(d["attempt_log"][0]["status_code"], 200, "{d}");
        assert!(d["attempt_log"][0]["duration_ms"].as_i64().is_some(), "{d}");
    }

    let (s, _) = hr.delete(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = hr.get("/api/v1/webhooks").await;
    assert_eq!(list, json!([]));
    let (s, _) = hr.delete(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn the_slack_format_posts_a_sentence(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _hooks = with_webhooks(&app).await;
    let hr = app.login("hr@demo.local").await;
    let (url, mut rx) = receiver(&[]).await;
    // Through a host name: the worker connects to the address it checked.
    let url = url.replace("127.0.0.1", "localhost");
    let w = register(&hr, &url, &["employee.created"], "slack").await;
    assert_eq!(w["format"], "slack");
    let (s, e) = hr
        .post(
            "/api/v1/employees",
            json!({"email": "ada@demo.local", "name": "Ada Lovelace", "start_date": "2026-01-01", "role": "employee"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let got = next(&mut rx).await;
    verify(&got, w["secret"].as_str().expect("secret"));
    let body: Value = serde_json::from_slice(&got.body).expect("JSON");
    assert_eq!(body, json!({"text": format!("Employee #{} of Ada Lovelace was created.", e["id"])}));
}

async fn a_delivery_answered_500_is_retried_until_delivered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _hooks = with_webhooks(&app).await;
    let hr = app.login("hr@demo.local").await;
    let (url, mut rx) = receiver(&[500]).await;
    let w = register(&hr, &url, &["leave_request.submitted"], "json").await;
    let id = w["id"].as_i64().expect("id");
    let employee = app.login("employee1@demo.local").await;
    employee.submit("annual", monday(3), monday(3)).await;
    let first = next(&mut rx).await;
    let second = next(&mut rx).await;
    assert_eq!(header(&first, "x-lms-delivery"), header(&second, "x-lms-delivery"), "one delivery, attempted twice");
    assert_eq!(first.body, second.body);
    verify(&second, w["secret"].as_str().expect("secret"));
    let log = log_until(&hr, id, |d| d.len() == 1 && d[0]["status"] == "delivered").await;
    assert_eq!(log[0]["attempts"], 2);
    let attempts = log[0]["attempt_log"].as_array().expect("attempt_log");
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0]["status_code"], 500);
    assert!(attempts[0]["error"].as_str().is_some_and(|e| e.contains("500")), "{attempts:?}");
    assert_eq!(attempts[1]["status_code"], 200);
    assert_eq!(attempts[1]["error"], Value::Null);
}

async fn private_addresses_are_refused_by_default_and_nothing_is_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hr = app.login("hr@demo.local").await;
    let (s, b) = hr.get("/api/v1/settings/webhooks").await;
    assert_eq!((s, b), (StatusCode::OK, json!({"allow_private": false})));
    let audit = app.count("audit_events").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "https://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/",
        "http://localhost:9/hook",
    ] {
        let (s, b) = hr.post("/api/v1/webhooks", json!({"url": url, "events": ["employee.created"]})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {b}");
        let message = b["error"]["message"].as_str().expect("message");
        assert!(message.contains("non-public") && message.contains("/settings/webhooks"), "{url}: {message}");
    }
    for (body, why) in [
        (json!({"url": "ftp://hooks.example.com/x", "events": ["employee.created"]}), "https://"),
        (json!({"url": "https://hooks.example.com/x", "events": ["employee.renamed"]}), "not a webhook event"),
        (
            json!({"url": "https://hooks.example.com/x", "events": ["employee.created"], "format": "xml"}),
            "json or slack",
        ),
        (json!({"url": "https://127.0.0.1/x", "events": []}), "at least one event"),
    ] {
        let (s, b) = hr.post("/api/v1/webhooks", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert!(b["error"]["message"].as_str().is_some_and(|m| m.contains(why)), "{body}: {b}");
    }
    assert_eq!(app.count("webhooks").await, 0);
    assert_eq!(app.count("audit_events").await, audit);
}

async fn employees_are_refused_every_webhook_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let employee = app.login("employee1@demo.local").await;
    let body = json!({"url": "https://hooks.example.com/lms", "events": ["employee.created"]});
    let calls = [
        employee.get("/api/v1/webhooks").await,
        employee.post("/api/v1/webhooks", body).await,
        employee.delete("/api/v1/webhooks/1").await,
        employee.get("/api/v1/webhooks/1/deliveries").await,
        employee.get("/api/v1/settings/webhooks").await,
        employee.put("/api/v1/settings/webhooks", json!({"allow_private": true})).await,
    ];
    for (s, b) in calls {
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    }
    assert_eq!(app.count("webhooks").await, 0);
}

async fn two_instances_deliver_each_event_once_and_the_release_before_has_none(backend: Backend) {
    use lms_store::db::ConnectOptions;
    use lms_store::migrations::SchemaCap;
    let app = TestApp::spawn(backend).await;
    let opts = ConnectOptions {
        schema: SchemaCap::UpTo(lms_store::webhooks::WEBHOOKS - 1),
        max_connections: 4,
        ..Default::default()
    };
    let db = lms_store::Db::connect(&app.url, &opts).await.expect("connect");
    let config = ServerConfig { webhooks: Some(WebhookConfig::default()), ..Default::default() };
    let blue = TestApp::start(db, app.url.clone(), config).await;
    let (s, b) = blue.login("hr@demo.local").await.get("/api/v1/webhooks").await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("schema_behind")), "{b}");

    let green = with_webhooks(&app).await;
    let _green2 = with_webhooks(&app).await;
    let hr = green.login("hr@demo.local").await;
    let (url, mut rx) = receiver(&[]).await;
    let w = register(&hr, &url, &["leave_request.submitted"], "json").await;
    let id = w["id"].as_i64().expect("id");
    // Submitted through the release before: its audit records owe the deliveries.
    let ada = blue.login("employee1@demo.local").await;
    let n = 12;
    for week in 0..n {
        ada.submit("annual", monday(3 + week), monday(3 + week)).await;
    }
    let log = log_until(&hr, id, |d| d.len() == n as usize && d.iter().all(|d| d["status"] == "delivered")).await;
    assert!(log.iter().all(|d| d["attempts"] == 1), "{log:?}");
    let mut ids = std::collections::BTreeSet::new();
    while let Ok(got) = rx.try_recv() {
        verify(&got, w["secret"].as_str().expect("secret"));
        assert!(ids.insert(header(&got, "x-lms-delivery").to_string()), "delivered twice");
    }
    assert_eq!(ids.len(), n as usize);
}

async fn a_private_address_is_refused_at_delivery_once_the_setting_is_off(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _hooks = with_webhooks(&app).await;
    let hr = app.login("hr@demo.local").await;
    let (url, mut rx) = receiver(&[]).await;
    let w = register(&hr, &url, &["leave_request.submitted"], "json").await;
    let (s, b) = hr.put("/api/v1/settings/webhooks", json!({"allow_private": false})).await;
    assert_eq!((s, &b), (StatusCode::OK, &json!({"allow_private": false})));
    app.login("employee1@demo.local").await.submit("annual", monday(3), monday(3)).await;
    let log = log_until(&hr, w["id"].as_i64().expect("id"), |d| d.len() == 1 && d[0]["status"] == "failed").await;
    assert_eq!(log[0]["attempts"], 1, "refused at once, not retried: {log:?}");
    let error = log[0]["attempt_log"][0]["error"].as_str().expect("error");
    assert!(error.contains("non-public"), "{error}");
    assert_eq!(log[0]["attempt_log"][0]["status_code"], Value::Null);
    assert!(rx.try_recv().is_err(), "nothing reached the private address");
}
