//! The load generator against a tiny local server.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use lms_smoke::loadgen::{run, LiveStats};
use lms_smoke::LoadgenArgs;
use tokio::net::TcpListener;

async fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = listener.accept().await else { continue };
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let status =
                        if req.uri().path() == "/fail" { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
                    let mut r = Response::new(Full::new(Bytes::from_static(b"ok")));
                    *r.status_mut() = status;
                    Ok::<_, Infallible>(r)
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(s), svc).await;
            });
        }
    });
    format!("http://{addr}")
}

fn args(target: &str) -> LoadgenArgs {
    LoadgenArgs {
        target: target.to_string(),
        rate: None,
        connections: 4,
        duration: Duration::from_millis(500),
        requests: Vec::new(),
        headers: vec!["x-test: 1".into()],
        timeout: Duration::from_secs(5),
        live: false,
        json: false,
    }
}

#[tokio::test]
async fn closed_loop_counts_successes_and_non_2xx() {
    let base = server().await;
    let mut a = args(&base);
    a.requests = vec!["GET / x3".into(), "/fail".into()];
    let live = Arc::new(LiveStats::default());
    let report = run(a.to_spec().expect("spec"), live.clone()).await;
    assert!(report.requests > 20, "{report}");
    assert_eq!(report.requests, report.ok + report.non_2xx + report.transport_errors);
    assert!(report.ok > 0 && report.non_2xx > 0, "{report}");
    assert_eq!(report.transport_errors, 0);
    assert_eq!(report.statuses.get(&500).copied().unwrap_or(0), report.non_2xx);
    assert!(report.latency.p50_ms > 0.0 && report.latency.p99_ms >= report.latency.p50_ms);
    assert_eq!(live.snapshot().requests, report.requests, "live counters match the report");
}

#[tokio::test]
async fn open_loop_sends_at_the_rate() {
    let base = server().await;
    let mut a = args(&base);
    a.rate = Some(200.0);
    a.duration = Duration::from_secs(1);
    let report = run(a.to_spec().expect("spec"), Arc::new(LiveStats::default())).await;
    let sent = report.requests + report.skipped;
    assert_eq!(sent, 200, "every slot of 200/s for 1 s is sent or counted as skipped");
}

#[tokio::test]
async fn refused_connections_are_transport_errors() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let mut a = args(&format!("http://127.0.0.1:{port}/"));
    a.duration = Duration::from_millis(200);
    a.connections = 1;
    let report = run(a.to_spec().expect("spec"), Arc::new(LiveStats::default())).await;
    assert!(report.transport_errors > 0);
    assert_eq!(report.ok, 0);
}

#[test]
fn bad_arguments_are_refused() {
    assert!(args("ftp://x").to_spec().is_err());
    let mut a = args("http://127.0.0.1:1");
    a.rate = Some(-1.0);
    assert!(a.to_spec().is_err());
    let mut a = args("http://127.0.0.1:1");
    a.headers = vec!["nocolon".into()];
    assert!(a.to_spec().is_err());
}
