//! The admin API: auth, validation, weight changes under load, rollback,
//! stickiness, fault injection, metrics and the sliding window.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use hyper::Request;
use lms_traffic::admin::types::{AbortFault, DelayFault, FaultSpec, FaultsRequest, Weights};
use lms_traffic::{AdminClient, Config, TrafficError};

fn raw(method: &str, url: &str, token: Option<&str>, body: &str) -> Request<TestBody> {
    let mut r = Request::builder().method(method).uri(url).header("content-type", "application/json");
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    r.body(http_body_util::BodyExt::boxed_unsync(
        http_body_util::Full::new(bytes::Bytes::from(body.to_string())).map_err(|e| match e {}),
    ))
    .expect("request")
}

use http_body_util::BodyExt as _;

#[tokio::test]
async fn admin_requires_the_token_and_validates_everything() {
    let (blue, green) = (TestBackend::start("blue").await, TestBackend::start("green").await);
    let mut a = args(&[&blue, &green]);
    let file = std::env::temp_dir().join(format!("lms-admin-tokens-{}", std::process::id()));
    std::fs::write(&file, "# name secret\nops S3CRET_OPS_TOKEN_0123\n").expect("token file");
    a.admin_token_file = Some(file);
    let proxy = start_proxy(a).await;
    let base = proxy.admin_url();
    let c = client();

    for token in [None, Some("wrong")] {
        let r = send(&c, raw("GET", &format!("{base}/state"), token, "")).await.expect("answer");
        assert_eq!(r.status, 401);
        let r =
            send(&c, raw("PUT", &format!("{base}/weights"), token, r#"{"blue":0,"green":100}"#)).await.expect("answer");
        assert_eq!(r.status, 401);
    }
    let anon = AdminClient::new(&base, None).expect("client");
    assert!(matches!(anon.state().await, Err(TrafficError::AdminRejected { status: 401, .. })));

    let admin = AdminClient::new(&base, Some("S3CRET_OPS_TOKEN_0123".into())).expect("client");
    let bad = [
        (r#"{"blue":90,"green":20}"#, 422),
        (r#"{"blue":90,"red":10}"#, 422),
        (r#"{"blue":90.5,"green":9.5}"#, 400),
        (r#"{"blue":"90","green":"10"}"#, 400),
        (r#"{"blue":-10,"green":110}"#, 400),
        (r#"{"blue":200,"green":-100}"#, 400),
        (r#"[90,10]"#, 400),
        ("not json", 400),
    ];
    for (body, status) in bad {
        let r = send(&c, raw("PUT", &format!("{base}/weights"), Some("S3CRET_OPS_TOKEN_0123"), body))
            .await
            .expect("answer");
        assert_eq!(r.status, status, "{body} -> {}", r.body);
        assert!(r.body.contains("\"error\""), "{}", r.body);
    }
    let r =
        send(&c, raw("POST", &format!("{base}/rollback"), Some("S3CRET_OPS_TOKEN_0123"), r#"{"backend":"purple"}"#))
            .await
            .expect("answer");
    assert_eq!(r.status, 422);
    let r = send(
        &c,
        raw(
            "PUT",
            &format!("{base}/faults"),
            Some("S3CRET_OPS_TOKEN_0123"),
            r#"{"green":{"abort":{"percent":150,"status":503}}}"#,
        ),
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 422);
    let r =
        send(&c, raw("DELETE", &format!("{base}/weights"), Some("S3CRET_OPS_TOKEN_0123"), "")).await.expect("answer");
    assert_eq!(r.status, 405);

    let st = admin.state().await.expect("state");
    assert_eq!(st.weights, Weights::of(&[("blue", 100), ("green", 0)]), "nothing changed");
    assert!(st.changes.is_empty());
    assert!(st.backends.iter().all(|b| b.faults.is_empty()));

    let ch = admin.set_weights(&Weights::of(&[("blue", 90), ("green", 10)])).await.expect("set");
    assert_eq!(ch.change.who, "ops");
    let ch = admin.rollback("blue").await.expect("rollback");
    assert_eq!(ch.weights, Weights::of(&[("blue", 100), ("green", 0)]));
    let st = admin.state().await.expect("state");
    assert_eq!(st.changes.len(), 2);
    assert!(st.changes.iter().all(|c| c.who == "ops" && c.at_unix_ms > 0));
    assert!(st.changes[1].what.contains("rollback to blue"));
}

#[test]
fn a_non_loopback_admin_address_needs_a_token() {
    let mut a = lms_traffic::ProxyArgs::new(
        "127.0.0.1:0".parse().expect("addr"),
        "0.0.0.0:0".parse().expect("addr"),
        &[("blue", "http://127.0.0.1:1")],
    );
    assert!(Config::from_args(&a).is_err());
    a.admin_tokens = vec!["a-long-enough-admin-secret".into()];
    assert!(Config::from_args(&a).is_ok());
}

/// A bare `--admin-token` is the whole secret: a base64 value ending in
/// `==` is not split into a name and the secret `=`, a comma is part of the
/// secret, and a short secret is refused.
#[tokio::test]
async fn an_admin_token_is_taken_whole_and_short_ones_are_refused() {
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.admin_tokens = vec!["c2VjcmV0LXBhc3N3b3Jk==".into(), "abcdefghijklmnop,qrstuvwxyz".into()];
    let proxy = start_proxy(a).await;
    let base = proxy.admin_url();
    let c = client();
    for wrong in ["=", "c2VjcmV0LXBhc3N3b3Jk", "abcdefghijklmnop", "qrstuvwxyz"] {
        let r = send(&c, raw("GET", &format!("{base}/state"), Some(wrong), "")).await.expect("answer");
        assert_eq!(r.status, 401, "Bearer {wrong} must not be accepted");
    }
    for right in ["c2VjcmV0LXBhc3N3b3Jk==", "abcdefghijklmnop,qrstuvwxyz"] {
        let r = send(&c, raw("GET", &format!("{base}/state"), Some(right), "")).await.expect("answer");
        assert_eq!(r.status, 200, "Bearer {right}");
        assert!(!r.body.contains(right), "the state never shows a secret");
    }
    let r = send(
        &c,
        raw("POST", &format!("{base}/rollback"), Some("abcdefghijklmnop,qrstuvwxyz"), r#"{"backend":"blue"}"#),
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("\"admin-2\""), "recorded by name: {}", r.body);

    let mut short = lms_traffic::ProxyArgs::new(
        "127.0.0.1:0".parse().expect("addr"),
        "127.0.0.1:0".parse().expect("addr"),
        &[("blue", "http://127.0.0.1:1")],
    );
    short.admin_tokens = vec!["s3cret".into()];
    let err = Config::from_args(&short).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("at least 16"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weight_changes_under_load_fail_no_request() {
    let (blue, green) = (TestBackend::start("blue").await, TestBackend::start("green").await);
    let proxy = start_proxy(args(&[&blue, &green])).await;
    let admin = proxy.admin_client_for_test();
    let url = format!("http://{}/slow?ms=2", proxy.local_addr());

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut load = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (stop, ok, failed, url, c) = (stop.clone(), ok.clone(), failed.clone(), url.clone(), client());
        load.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match get(&c, &url).await {
                    Ok(a) if a.status == 200 => ok.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        });
    }
    let steps = [(90, 10), (50, 50), (0, 100), (50, 50), (100, 0), (10, 90)];
    for (b, g) in steps {
        let before = ok.load(Ordering::Relaxed);
        admin.set_weights(&Weights::of(&[("blue", b), ("green", g)])).await.expect("change");
        // Let some traffic flow at this split before the next change.
        eventually(Duration::from_secs(20), "traffic flows", || {
            let ok = ok.clone();
            async move { ok.load(Ordering::Relaxed) >= before + 50 }
        })
        .await;
        if g == 100 {
            // The change is already in force for every new request.
            let c = client();
            for _ in 0..20 {
                assert_eq!(get(&c, &url).await.expect("answer").body, "green");
            }
        }
    }
    admin.rollback("blue").await.expect("rollback");
    let c = client();
    for _ in 0..20 {
        assert_eq!(get(&c, &url).await.expect("answer").body, "blue");
    }
    stop.store(true, Ordering::Relaxed);
    while load.join_next().await.is_some() {}
    assert_eq!(failed.load(Ordering::Relaxed), 0, "no client request failed");
    assert!(ok.load(Ordering::Relaxed) >= 300);
    let st = admin.state().await.expect("state");
    assert!(st.backends.iter().all(|b| b.stats.cumulative.failed == 0 && b.stats.cumulative.responses.s5xx == 0));
    assert_eq!(st.changes.len(), steps.len() + 1);
    assert!(st.changes.iter().all(|c| c.who == "loopback"));
}

#[tokio::test]
async fn sticky_cookie_keeps_a_client_until_its_backend_leaves_the_split() {
    let (blue, green) = (TestBackend::start("blue").await, TestBackend::start("green").await);
    let mut a = args(&[&blue, &green]);
    a.sticky = "cookie".into();
    a.weights = Some("blue=50,green=50".into());
    let proxy = start_proxy(a).await;
    let admin = proxy.admin_client_for_test();
    let url = format!("http://{}/", proxy.local_addr());
    let c = client();

    let first = get(&c, &url).await.expect("answer");
    let cookie = first
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a stickiness cookie")
        .to_string();
    assert!(cookie.starts_with("lms_backend="), "{cookie}");
    let mine = first.body.clone();
    for _ in 0..50 {
        let r =
            send(&c, Request::get(&url).header("cookie", &cookie).body(empty()).expect("req")).await.expect("answer");
        assert_eq!(r.body, mine, "sticky while both are in the split");
        assert!(r.headers.get("set-cookie").is_none());
    }
    // A forged cookie is ignored.
    let r = send(&c, Request::get(&url).header("cookie", "lms_backend=blue.00").body(empty()).expect("req"))
        .await
        .expect("answer");
    assert!(r.headers.get("set-cookie").is_some());

    let other = if mine == "blue" { "green" } else { "blue" };
    admin.rollback(other).await.expect("rollback");
    let r = send(&c, Request::get(&url).header("cookie", &cookie).body(empty()).expect("req")).await.expect("answer");
    assert_eq!(r.body, other, "the client moves when its backend's weight is 0");
    let moved = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(moved.starts_with(&format!("lms_backend={other}.")), "{moved}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_injection_aborts_5_percent_and_counts_like_real_failures() {
    let (blue, green) = (TestBackend::start("blue").await, TestBackend::start("green").await);
    let mut a = args(&[&blue, &green]);
    a.weights = Some("blue=0,green=100".into());
    let proxy = start_proxy(a).await;
    let admin = proxy.admin_client_for_test();

    let mut faults = FaultsRequest::default();
    faults.0.insert("green".into(), FaultSpec { abort: Some(AbortFault { percent: 5.0, status: 503 }), delay: None });
    let ch = admin.set_faults(&faults).await.expect("faults");
    assert!(ch.faults.contains_key("green"));
    let st = admin.state().await.expect("state");
    assert_eq!(st.backends[1].faults.abort, Some(AbortFault { percent: 5.0, status: 503 }));

    let hits_before = green.knobs.hits.load(Ordering::Relaxed);
    let results = blast(&format!("http://{}/", proxy.local_addr()), 10_000, 16).await;
    let aborted = results.iter().filter(|(s, _)| *s == 503).count();
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count() + aborted, 10_000);
    let pct = aborted as f64 / 100.0;
    assert!((pct - 5.0).abs() <= 1.0, "aborted {pct}% (want 5 ± 1)");
    let forwarded = green.knobs.hits.load(Ordering::Relaxed) - hits_before;
    // Health checks also hit the backend, so at least the non-aborted ones arrived.
    assert!(forwarded as usize >= 10_000 - aborted);

    let st = admin.state().await.expect("state");
    let s = &st.backends[1].stats.cumulative;
    assert_eq!(s.faults_aborted as usize, aborted);
    assert_eq!(s.responses.s5xx as usize, aborted);
    assert!((s.error_rate - aborted as f64 / 10_000.0).abs() < 1e-9);
    assert_eq!(st.backends[1].stats.window.responses.s5xx as usize, aborted);

    // A delay fault is counted too; clearing restores normal service.
    let mut faults = FaultsRequest::default();
    faults
        .0
        .insert("green".into(), FaultSpec { abort: None, delay: Some(DelayFault { percent: 100.0, delay_ms: 10 }) });
    admin.set_faults(&faults).await.expect("faults");
    let a = get(&client(), &format!("http://{}/", proxy.local_addr())).await.expect("answer");
    assert_eq!(a.status, 200);
    let mut clear = FaultsRequest::default();
    clear.0.insert("green".into(), FaultSpec::default());
    let ch = admin.set_faults(&clear).await.expect("clear");
    assert!(ch.faults.is_empty());
    let st = admin.state().await.expect("state");
    assert_eq!(st.backends[1].stats.cumulative.faults_delayed, 1);

    // Aborts with a gateway status count as failed requests as well.
    let mut faults = FaultsRequest::default();
    faults.0.insert("green".into(), FaultSpec { abort: Some(AbortFault { percent: 100.0, status: 502 }), delay: None });
    admin.set_faults(&faults).await.expect("faults");
    let a = get(&client(), &format!("http://{}/", proxy.local_addr())).await.expect("answer");
    assert_eq!(a.status, 502);
    let st = admin.state().await.expect("state");
    assert_eq!(st.backends[1].stats.cumulative.failures.injected, 1);
}

#[tokio::test]
async fn metrics_and_sliding_window() {
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.window = Duration::from_secs(1);
    let proxy = start_proxy(a).await;
    let admin = proxy.admin_client_for_test();
    let c = client();
    for _ in 0..5 {
        get(&c, &format!("http://{}/status?code=404", proxy.local_addr())).await.expect("answer");
    }
    let m = admin.metrics().await.expect("metrics");
    assert!(m.contains("lms_proxy_requests_total{backend=\"blue\"} 5"), "{m}");
    assert!(m.contains("lms_proxy_responses_total{backend=\"blue\",class=\"4xx\"} 5"));
    assert!(m.contains("lms_proxy_request_duration_seconds_bucket{backend=\"blue\",le=\"+Inf\"} 5"));
    assert!(m.contains("lms_proxy_backend_up{backend=\"blue\"} 1"));
    assert!(m.contains("# TYPE lms_proxy_window_latency_seconds gauge"));

    let st = admin.state().await.expect("state");
    assert_eq!(st.window_secs, 1);
    // The window forgets; the cumulative figures do not.
    eventually(Duration::from_secs(10), "window emptied", || {
        let admin = admin.clone();
        async move { admin.state().await.map(|s| s.backends[0].stats.window.requests == 0).unwrap_or(false) }
    })
    .await;
    let st = admin.state().await.expect("state");
    assert_eq!(st.backends[0].stats.cumulative.requests, 5);
    assert_eq!(st.backends[0].stats.cumulative.responses.s4xx, 5);
}

/// Without a token (loopback only) the admin API must not be reachable from
/// a web page in the operator's browser: a form post (text/plain, with an
/// Origin) or a DNS-rebound host name changes nothing.
#[tokio::test]
async fn browsers_cannot_move_traffic_through_an_open_loopback_admin_api() {
    let (blue, green) = (TestBackend::start("blue").await, TestBackend::start("green").await);
    let mut a = args(&[&blue, &green]);
    a.weights = Some("blue=0,green=100".into());
    let proxy = start_proxy(a).await;
    let base = proxy.admin_url();
    let c = client();
    let req = |headers: &[(&str, &str)]| {
        let mut r = Request::builder().method("POST").uri(format!("{base}/rollback"));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.body(http_body_util::BodyExt::boxed_unsync(
            http_body_util::Full::new(bytes::Bytes::from(r#"{"backend":"blue"}"#)).map_err(|e| match e {}),
        ))
        .expect("request")
    };
    let refused: [(&[(&str, &str)], u16); 4] = [
        (&[("content-type", "text/plain"), ("origin", "https://evil.example")], 403),
        (&[("content-type", "application/json"), ("origin", "https://evil.example")], 403),
        (&[("content-type", "text/plain")], 415),
        (&[("content-type", "application/json"), ("host", "evil.example:8001")], 403),
    ];
    for (headers, status) in refused {
        let r = send(&c, req(headers)).await.expect("answer");
        assert_eq!(r.status, status, "{headers:?}: {}", r.body);
    }
    let st = proxy.admin_client_for_test().state().await.expect("state");
    assert_eq!(st.weights.0.get("green").copied(), Some(100), "nothing moved");
    let r = send(&c, req(&[("content-type", "application/json")])).await.expect("answer");
    assert_eq!(r.status, 200, "the operator's own call works: {}", r.body);
}
