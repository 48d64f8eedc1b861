//! Several instances and their lifecycle: a session made by one instance is
//! accepted by another on the same database; graceful shutdown finishes an
//! in-flight request; health turns 503 when the database goes away; a
//! half-sent request head is cut at the header timeout.

use crate::support::*;
use lms_store::{employees, testing, Backend};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

crate::both_backends!(a_session_works_on_every_instance, readiness_is_503_while_the_schema_is_behind);

/// An instance whose database lacks a migration of this build is not ready
/// (a load balancer keeps it out) until the migration is applied.
async fn readiness_is_503_while_the_schema_is_behind(backend: Backend) {
    let url = testing::fresh_url(backend).await.unwrap();
    let _cleanup = testing::Cleanup::new(&url);
    let db = lms_store::Db::connect(&url, &Default::default()).await.unwrap();
    lms_store::migrations::up_to(&db, lms_store::migrations::SchemaCap::Previous).await.unwrap();
    let app = TestApp::start(db.clone(), url, Default::default()).await;
    let anon = app.anonymous();
    let (s, r) = anon.get("/api/health/ready").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("not_ready")), "{r}");
    assert!(r["reason"].as_str().unwrap_or("").contains("schema is behind"), "{r}");
    lms_store::migrations::up(&db).await.unwrap();
    let (s, r) = anon.get("/api/health/ready").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("ready")), "{r}");
}

/// During the drain delay the listener still answers, and readiness says
/// 503 so the load balancer stops sending new work; liveness stays 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_503_while_draining() {
    let base = TestApp::spawn(Backend::Sqlite).await;
    let config = lms_server::ServerConfig { drain_delay: Duration::from_secs(300), ..Default::default() };
    let mut app = TestApp::start(base.db.clone(), base.url.clone(), config).await;
    let anon = app.anonymous();
    assert_eq!(anon.get("/api/health/ready").await.0, StatusCode::OK);
    let _server = app.signal_shutdown();
    wait_until("readiness to turn 503", || {
        let anon = anon.clone();
        async move { anon.get("/api/health/ready").await.0 == StatusCode::SERVICE_UNAVAILABLE }
    })
    .await;
    let (_, r) = anon.get("/api/health/ready").await;
    assert!(r["reason"].as_str().unwrap_or("").contains("draining"), "{r}");
    assert_eq!(anon.get("/api/health/live").await.0, StatusCode::OK);
    let (_, st) = anon.get("/api/v1/status").await;
    assert_eq!(st["draining"], true);
}

/// An open SQLite connection keeps working on a deleted file, so the
/// server checks: with the file gone, health is 503 and nothing is written
/// into the void.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_when_the_sqlite_file_is_gone() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let emp = app.login("employee1@demo.local").await;
    let anon = app.anonymous();
    assert_eq!(anon.get("/api/health").await.0, StatusCode::OK);
    let path = app.url.strip_prefix("sqlite://").unwrap().to_string();
    std::fs::rename(&path, format!("{path}.moved")).unwrap();
    let (s, h) = anon.get("/api/health").await;
    assert_eq!((s, h["database"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("disconnected")), "{h}");
    assert_eq!(anon.get("/api/health/ready").await.0, StatusCode::SERVICE_UNAVAILABLE);
    let (s, e) = emp.post("/api/v1/leave-requests", request("annual", monday(10), monday(10))).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("database_unavailable")),
        "{e}"
    );
    // Put back, it serves again.
    std::fs::rename(format!("{path}.moved"), &path).unwrap();
    assert_eq!(anon.get("/api/health").await.0, StatusCode::OK);
}

async fn a_session_works_on_every_instance(backend: Backend) {
    let blue = TestApp::spawn(backend).await;
    let config = lms_server::ServerConfig {
        slot: "green".into(),
        instance_id: Some("run-1/green".into()),
        ..Default::default()
    };
    let green = TestApp::start(blue.db.clone(), blue.url.clone(), config).await;
    let user = blue.login("employee1@demo.local").await;
    // The same cookie jar, sent to the other instance.
    let on_green = User { base: format!("http://{}", green.addr), ..user.clone() };
    let (s, me) = on_green.get("/api/v1/me").await;
    assert_eq!((s, me["id"].as_i64()), (StatusCode::OK, Some(EMPLOYEE1)));
    let (_, st) = on_green.get("/api/v1/status").await;
    assert_eq!(st["slot"], "green");
    assert_eq!(st["instance_id"], "run-1/green");
    let (_, on_blue) = user.get("/api/v1/status").await;
    assert!(on_blue["instance_id"].is_null(), "{on_blue}");
    // Logging out on green ends the session on blue too.
    on_green.post_empty("/api/v1/auth/logout").await;
    assert_eq!(user.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

async fn wait_until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_an_in_flight_request() {
    let mut app = TestApp::spawn(Backend::Postgres).await;
    let emp = app.login("employee1@demo.local").await;
    // Hold the employee's row lock so the submission stays in flight.
    let mut blocker = app.db.begin().await.unwrap();
    employees::lock(&mut blocker.conn(), EMPLOYEE1).await.unwrap();
    let in_flight = {
        let emp = emp.clone();
        tokio::spawn(async move { emp.post("/api/v1/leave-requests", request("annual", monday(10), monday(10))).await })
    };
    let db = app.db.clone();
    wait_until("the submission to wait on the lock", || {
        let db = db.clone();
        async move { testing::pg_lock_waiters(&db).await.unwrap_or(0) >= 1 }
    })
    .await;
    let server = app.signal_shutdown();
    // New connections are refused once the listener closes...
    let addr = app.addr;
    wait_until("the listener to close", || async move { tokio::net::TcpStream::connect(addr).await.is_err() }).await;
    // ...while the in-flight request is still allowed to finish.
    blocker.commit().await.unwrap();
    let (s, body) = in_flight.await.unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    server.await.unwrap().expect("clean exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_when_the_database_goes_away() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let anon = app.anonymous();
    assert_eq!(anon.get("/api/health").await.0, StatusCode::OK);
    testing::drop_pg_database(&app.url).await.unwrap();
    let (s, h) = anon.get("/api/health").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{h}");
    assert_eq!(
        (h["status"].as_str(), h["database"].as_str(), h["version"].as_str()),
        (Some("unhealthy"), Some("disconnected"), Some("3.0.0"))
    );
    let (s, r) = anon.get("/api/health/ready").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("not_ready")));
    // API calls fail with a clear 503, not a 500.
    let (s, e) =
        anon.post("/api/v1/auth/login", serde_json::json!({"email": "hr@demo.local", "password": PASSWORD})).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{e}");
}

/// A client that never finishes its request head loses the connection at
/// the header timeout instead of holding it open.
#[tokio::test]
async fn a_half_sent_request_head_is_cut_at_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let base = TestApp::spawn(Backend::Sqlite).await;
    let config =
        lms_server::ServerConfig { header_timeout: Duration::from_millis(300), ..lms_server::ServerConfig::default() };
    let app = TestApp::start(base.db.clone(), base.url.clone(), config).await;
    let mut s = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    s.write_all(b"GET /api/health HTTP/1.1\r\nhost: x\r\nx-slow: ").await.expect("write");
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 512];
        while s.read(&mut buf).await.is_ok_and(|n| n > 0) {}
    })
    .await;
    assert!(closed.is_ok(), "the half-sent head was not cut");
    // A normal client is served as before.
    let (status, _) = app.anonymous().get("/api/health").await;
    assert_eq!(status, StatusCode::OK);
}
