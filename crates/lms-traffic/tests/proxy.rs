//! The proxy seen from clients: split accuracy, headers, streaming,
//! timeouts, failures and limits.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::BodyExt;
use hyper::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_90_10_is_accurate_over_10000_requests() {
    let (blue, green) = (TestBackend::start("blue").await, TestBackend::start("green").await);
    let mut a = args(&[&blue, &green]);
    a.weights = Some("blue=90,green=10".into());
    let proxy = start_proxy(a).await;
    let url = format!("http://{}/", proxy.local_addr());
    let results = blast(&url, 10_000, 16).await;
    assert!(results.iter().all(|(s, _)| *s == 200), "every request succeeds");
    let green_n = results.iter().filter(|(_, b)| b == "green").count();
    let share = green_n as f64 / 100.0;
    assert!((share - 10.0).abs() <= 1.5, "green got {share}% (want 10 ± 1.5)");

    let state = proxy.admin_client_for_test().state().await.expect("state");
    let by_name: BTreeMap<_, _> = state.backends.iter().map(|b| (b.name.clone(), b.stats.cumulative.clone())).collect();
    assert_eq!(by_name["green"].requests as usize, green_n);
    assert_eq!(by_name["blue"].requests as usize, 10_000 - green_n);
    assert_eq!(by_name["blue"].responses.s2xx + by_name["green"].responses.s2xx, 10_000);
    assert!(by_name["blue"].latency.p95_ms.is_some());
    assert_eq!(by_name["blue"].failed, 0);
}

#[tokio::test]
async fn forwarding_headers_request_id_and_hop_by_hop() {
    let blue = TestBackend::start("blue").await;
    let proxy = start_proxy(args(&[&blue])).await;
    let c = client();
    let url = format!("http://{}/headers", proxy.local_addr());

    let req = Request::get(&url)
        .header("host", "lms.example")
        .header("x-forwarded-for", "10.1.2.3")
        .header("connection", "x-private")
        .header("x-private", "secret")
        .header("keep-alive", "timeout=5")
        .header("x-request-id", "req-42")
        .header("forwarded", "for=6.6.6.6;proto=https")
        .header("x-real-ip", "6.6.6.6")
        .header("proxy-authorization", "Basic c2VjcmV0")
        .body(empty())
        .expect("request");
    let a = send(&c, req).await.expect("answer");
    assert_eq!(a.status, 200);
    let seen: BTreeMap<String, String> = serde_json::from_str(&a.body).expect("json");
    assert_eq!(seen.get("x-forwarded-for").map(String::as_str), Some("10.1.2.3, 127.0.0.1"));
    assert_eq!(seen.get("x-forwarded-proto").map(String::as_str), Some("http"));
    assert_eq!(seen.get("x-forwarded-host").map(String::as_str), Some("lms.example"));
    assert_eq!(seen.get("host").map(String::as_str), Some("lms.example"));
    assert_eq!(seen.get("x-request-id").map(String::as_str), Some("req-42"));
    assert!(!seen.contains_key("x-private"), "header named in Connection is hop-by-hop");
    assert!(!seen.contains_key("keep-alive"));
    // What a client says about where it comes from is not passed on as truth.
    assert!(!seen.contains_key("forwarded"), "client-supplied Forwarded stripped");
    assert_eq!(seen.get("x-real-ip").map(String::as_str), Some("127.0.0.1"), "X-Real-IP overwritten");
    assert!(!seen.contains_key("proxy-authorization"), "credentials for a proxy never reach a backend");
    assert_eq!(a.headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some("req-42"));
    assert_eq!(a.headers.get("x-lms-backend").and_then(|v| v.to_str().ok()), Some("blue"));

    // Without a request id, one is created and sent both ways.
    let a = get(&c, &url).await.expect("answer");
    let seen: BTreeMap<String, String> = serde_json::from_str(&a.body).expect("json");
    let id = seen.get("x-request-id").cloned().unwrap_or_default();
    assert_eq!(id.len(), 32);
    assert_eq!(a.headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some(id.as_str()));
}

#[tokio::test]
async fn backend_header_is_off_by_default() {
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.backend_header = None;
    let proxy = start_proxy(a).await;
    let a = get(&client(), &format!("http://{}/", proxy.local_addr())).await.expect("answer");
    assert_eq!(a.body, "blue");
    assert!(a.headers.get("x-lms-backend").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_stream_both_ways_without_buffering() {
    let blue = TestBackend::start("blue").await;
    let proxy = start_proxy(args(&[&blue])).await;
    let c = client();

    // Response: the first chunk reaches the client while the backend still
    // holds back the rest, so the proxy cannot be buffering the whole body.
    let resp = c
        .request(Request::get(format!("http://{}/gated", proxy.local_addr())).body(empty()).expect("req"))
        .await
        .expect("response head");
    let mut body = resp.into_body();
    let first = body.frame().await.expect("a frame").expect("ok frame").into_data().unwrap_or_default();
    assert_eq!(first, Bytes::from_static(b"first"));
    blue.knobs.gate.notify_one();
    let rest = body.collect().await.expect("rest").to_bytes();
    assert_eq!(rest, Bytes::from_static(b"second"));

    // Request: the backend sees the first chunk before the client sends the rest.
    let (tx, rx) = mpsc::channel::<Bytes>(1);
    let req = Request::post(format!("http://{}/count", proxy.local_addr()))
        .body(ChannelBody(rx).boxed_unsync())
        .expect("req");
    let pending = tokio::spawn({
        let c = c.clone();
        async move { send(&c, req).await }
    });
    tx.send(Bytes::from_static(b"12345")).await.expect("send first");
    tokio::time::timeout(Duration::from_secs(20), blue.knobs.first_frame.notified())
        .await
        .expect("backend got the first chunk while the upload was still open");
    tx.send(Bytes::from_static(b"678")).await.expect("send rest");
    drop(tx);
    let a = pending.await.expect("join").expect("answer");
    assert_eq!(a.body, "8");
}

/// A `/proc/self/status` figure in KiB (`VmRSS`, `VmHWM`); the test cannot
/// pass without it.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_keep_memory_flat() {
    const SIZE: u64 = 256 * 1024 * 1024;
    let blue = TestBackend::start("blue").await;
    let proxy = start_proxy(args(&[&blue])).await;
    let c = client();
    // Reset the peak ("high water mark") to the current resident size, so
    // VmHWM afterwards is the peak of this transfer (if the kernel refuses,
    // the peak since the start is kept: a stricter test).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:");

    // Download 256 MiB, counting as it arrives.
    let resp = c
        .request(Request::get(format!("http://{}/big?bytes={SIZE}", proxy.local_addr())).body(empty()).expect("req"))
        .await
        .expect("head");
    let mut body = resp.into_body();
    let mut got = 0u64;
    while let Some(f) = body.frame().await {
        got += f.expect("frame").into_data().map(|d| d.len() as u64).unwrap_or(0);
    }
    assert_eq!(got, SIZE);

    // Upload 256 MiB, generated as it is sent.
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let req = Request::post(format!("http://{}/count", proxy.local_addr()))
        .body(ChannelBody(rx).boxed_unsync())
        .expect("req");
    let pending = tokio::spawn({
        let c = c.clone();
        async move { send(&c, req).await }
    });
    let chunk = Bytes::from(vec![b'y'; 64 * 1024]);
    for _ in 0..SIZE / (64 * 1024) {
        tx.send(chunk.clone()).await.expect("upload");
    }
    drop(tx);
    let a = pending.await.expect("join").expect("answer");
    assert_eq!(a.body, SIZE.to_string());

    let peak_growth_mib = status_kib("VmHWM:").saturating_sub(before) / 1024;
    assert!(peak_growth_mib < 64, "resident memory peaked {peak_growth_mib} MiB above the start while moving 512 MiB");
}

#[tokio::test]
async fn slow_backend_gets_504_after_first_byte_timeout_and_is_counted() {
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.first_byte_timeout = Duration::from_millis(200);
    let proxy = start_proxy(a).await;
    let a = get(&client(), &format!("http://{}/hang", proxy.local_addr())).await.expect("answer");
    assert_eq!(a.status, 504);
    assert!(a.body.contains("blue"), "body names the backend: {}", a.body);
    let st = proxy.admin_client_for_test().state().await.expect("state");
    let s = &st.backends[0].stats.cumulative;
    assert_eq!(s.failures.timeout, 1);
    assert_eq!(s.failed, 1);
    assert_eq!(s.responses.s5xx, 1);
    assert_eq!(st.backends[0].stats.window.failed, 1);
}

#[tokio::test]
async fn maintenance_answers_are_counted_apart_from_the_backends_errors() {
    let blue = TestBackend::start("blue").await;
    let proxy = start_proxy(args(&[&blue])).await;
    let c = client();
    let base = format!("http://{}", proxy.local_addr());
    for path in ["/maintenance", "/maintenance", "/maintenance", "/status?code=500", "/"] {
        get(&c, &format!("{base}{path}")).await.expect("answer");
    }
    let st = proxy.admin_client_for_test().state().await.expect("state");
    for s in [&st.backends[0].stats.cumulative, &st.backends[0].stats.window] {
        assert_eq!(s.requests, 5);
        assert_eq!(s.maintenance, 3);
        // Clients saw four 503/500 answers; only the 500 is the backend's error.
        assert_eq!(s.responses.s5xx, 4);
        assert_eq!(s.error_rate, 0.5, "{s:?}");
        assert_eq!(s.failed, 0);
    }
    let metrics = proxy.admin_client_for_test().metrics().await.expect("metrics");
    assert!(metrics.contains("lms_proxy_window_maintenance{backend=\"blue\""), "{metrics}");
}

#[tokio::test]
async fn idle_body_times_out_and_counts() {
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.idle_timeout = Duration::from_millis(300);
    let proxy = start_proxy(a).await;
    // `/gated` sends one chunk and then nothing (the gate is never opened).
    let r = get(&client(), &format!("http://{}/gated", proxy.local_addr())).await;
    assert!(r.is_err(), "the body is cut after the idle timeout");
    let admin = proxy.admin_client_for_test();
    eventually(Duration::from_secs(10), "idle timeout counted", || {
        let admin = admin.clone();
        async move { admin.state().await.map(|s| s.backends[0].stats.cumulative.failures.timeout == 1).unwrap_or(false) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_backend_fails_in_flight_with_502_and_traffic_moves() {
    let (blue, green) = (TestBackend::start("blue").await, TestBackend::start("green").await);
    let mut a = args(&[&blue, &green]);
    a.weights = Some("blue=100,green=0".into());
    a.health_fails = 1;
    let proxy = start_proxy(a).await;
    let admin = proxy.admin_client_for_test();
    let base = format!("http://{}", proxy.local_addr());

    // Three requests in flight on blue.
    let c = client();
    let mut inflight = Vec::new();
    for _ in 0..3 {
        let (c, url) = (c.clone(), format!("{base}/hang"));
        inflight.push(tokio::spawn(async move { get(&c, &url).await }));
    }
    eventually(Duration::from_secs(10), "three requests in flight", || {
        let admin = admin.clone();
        async move { admin.state().await.map(|s| s.backends[0].stats.in_flight == 3).unwrap_or(false) }
    })
    .await;

    blue.kill();
    for h in inflight {
        let a = h.await.expect("join").expect("answer");
        assert_eq!(a.status, 502, "in-flight request fails as 502");
    }
    eventually(Duration::from_secs(10), "blue marked down", || {
        let admin = admin.clone();
        async move {
            admin
                .state()
                .await
                .map(|s| s.backends[0].health.status == lms_traffic::admin::types::HealthStatus::Down)
                .unwrap_or(false)
        }
    })
    .await;

    let results = blast(&format!("{base}/"), 200, 4).await;
    assert!(results.iter().all(|(s, b)| *s == 200 && b == "green"), "new requests go to green");

    let st = admin.state().await.expect("state");
    assert_eq!(st.backends[0].stats.cumulative.failed, 3);
    assert_eq!(st.backends[0].stats.cumulative.failures.reset, 3);
    assert_eq!(st.routing.mode, lms_traffic::admin::types::RoutingMode::Failover);
    assert!(st.routing.failovers >= 200);
}

#[tokio::test]
async fn every_backend_down_gives_503_counted() {
    let (blue, green) = (TestBackend::start("blue").await, TestBackend::start("green").await);
    let proxy = start_proxy(args(&[&blue, &green])).await;
    let admin = proxy.admin_client_for_test();
    blue.knobs.healthy.store(false, std::sync::atomic::Ordering::Relaxed);
    green.knobs.healthy.store(false, std::sync::atomic::Ordering::Relaxed);
    eventually(Duration::from_secs(10), "all down", || {
        let admin = admin.clone();
        async move {
            admin
                .state()
                .await
                .map(|s| s.routing.mode == lms_traffic::admin::types::RoutingMode::AllDown)
                .unwrap_or(false)
        }
    })
    .await;
    let a = get(&client(), &format!("http://{}/", proxy.local_addr())).await.expect("answer");
    assert_eq!(a.status, 503);
    assert!(a.body.contains("every backend is down"), "{}", a.body);
    let st = admin.state().await.expect("state");
    assert_eq!(st.routing.all_down_responses, 1);
    assert!(st.routing.mode_changes >= 1);

    // Recovery: one good check brings a backend back.
    green.knobs.healthy.store(true, std::sync::atomic::Ordering::Relaxed);
    eventually(Duration::from_secs(10), "green back", || {
        let c = client();
        let url = format!("http://{}/", proxy.local_addr());
        async move { get(&c, &url).await.map(|a| a.status == 200 && a.body == "green").unwrap_or(false) }
    })
    .await;
}

#[tokio::test]
async fn http2_clients_are_served() {
    let blue = TestBackend::start("blue").await;
    let proxy = start_proxy(args(&[&blue])).await;
    let c: hyper_util::client::legacy::Client<_, TestBody> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .http2_only(true)
            .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let resp = c
        .request(Request::get(format!("http://{}/headers", proxy.local_addr())).body(empty()).expect("req"))
        .await
        .expect("h2 response");
    assert_eq!(resp.version(), hyper::Version::HTTP_2);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    let seen: BTreeMap<String, String> = serde_json::from_slice(&body).expect("json");
    assert!(seen.get("host").is_some_and(|h| h.starts_with("127.0.0.1:")));
}

#[tokio::test]
async fn oversized_or_garbage_requests_get_4xx_and_the_proxy_stays_up() {
    let blue = TestBackend::start("blue").await;
    let proxy = start_proxy(args(&[&blue])).await;
    let addr = proxy.local_addr();

    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let big = "a".repeat(40_000);
    let req = format!("GET / HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n");
    let _ = s.write_all(req.as_bytes()).await;
    let mut buf = vec![0u8; 64];
    let n = s.read(&mut buf).await.unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 431"), "a too-large head is answered 431: {head:?}");

    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = s.write_all(b"\x00\xff garbage \r\n\r\n").await;
    let n = s.read(&mut buf).await.unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 400"), "garbage is answered 400: {head:?}");

    let a = get(&client(), &format!("http://{addr}/")).await.expect("still serving");
    assert_eq!(a.body, "blue");
}

/// A client that breaks its own request body (cut short, or bad chunking)
/// is not the backend's failure: otherwise an anonymous client could push
/// green's error rate up and make a cutover roll back.
#[tokio::test]
async fn broken_request_bodies_are_the_clients_fault_not_the_backends() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let blue = TestBackend::start("blue").await;
    let proxy = start_proxy(args(&[&blue])).await;
    let addr = proxy.local_addr();
    let broken = [
        "POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
        "POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n",
    ];
    let n = 30;
    for i in 0..n {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(broken[i % 2].as_bytes()).await.expect("write");
        let _ = s.shutdown().await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
    }
    let admin = proxy.admin_client_for_test();
    eventually(Duration::from_secs(5), "every broken request counted", || {
        let admin = admin.clone();
        async move { admin.state().await.map(|s| s.backends[0].stats.cumulative.requests >= n as u64).unwrap_or(false) }
    })
    .await;
    let st = admin.state().await.expect("state");
    for s in [&st.backends[0].stats.cumulative, &st.backends[0].stats.window] {
        assert_eq!(s.failed, 0, "not the backend's failures: {s:?}");
        assert_eq!(s.error_rate, 0.0, "{s:?}");
        assert_eq!(s.responses.s4xx, n as u64, "every one answered 400: {s:?}");
        assert!(s.client_faults > 0, "counted apart as the client's: {s:?}");
    }
    let a = get(&client(), &format!("http://{addr}/")).await.expect("still serving");
    assert_eq!(a.body, "blue");
}

/// Clients that never finish their request head cannot hold the
/// connection slots: with every slot taken by one, a real client is served
/// as soon as the header timeout closes them.
#[tokio::test]
async fn half_sent_heads_are_cut_at_the_header_timeout_and_free_their_slots() {
    use tokio::io::AsyncWriteExt;
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.max_connections = 2;
    a.header_timeout = Duration::from_millis(300);
    let proxy = start_proxy(a).await;
    let addr = proxy.local_addr();
    let mut stuck = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nx-slow: ").await.expect("write");
        stuck.push(s);
    }
    let served = tokio::time::timeout(Duration::from_secs(10), get(&client(), &format!("http://{addr}/"))).await;
    let a = served.expect("served once the stuck heads were cut").expect("answer");
    assert_eq!(a.body, "blue");
}

#[tokio::test]
async fn backend_connections_are_kept_alive_and_reused() {
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.health_interval = Duration::ZERO;
    a.workers = 1;
    let proxy = start_proxy(a).await;
    let c = client();
    for path in ["/", "/status?code=204", "/big?bytes=200000", "/"].iter().cycle().take(200) {
        let r = get(&c, &format!("http://{}{path}", proxy.local_addr())).await.expect("answer");
        assert!(r.status == 200 || r.status == 204);
    }
    let conns = blue.knobs.conns.load(std::sync::atomic::Ordering::Relaxed);
    assert!(conns <= 2, "200 sequential requests used {conns} backend connections");
}

async fn read_until(s: &mut tokio::net::TcpStream, needle: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return String::from_utf8_lossy(&got).into_owned();
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if text.contains(needle) {
            return text;
        }
    }
}

#[tokio::test]
async fn connection_limit_keeps_extra_clients_waiting() {
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.workers = 1;
    a.max_connections = 1;
    let proxy = start_proxy(a).await;
    let addr = proxy.local_addr();
    let req = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n";

    let mut first = tokio::net::TcpStream::connect(addr).await.expect("connect");
    first.write_all(req).await.expect("write");
    assert!(read_until(&mut first, "blue").await.ends_with("blue"));

    // The second client is accepted by the kernel but not served while the
    // first connection holds the only slot.
    let mut second = tokio::net::TcpStream::connect(addr).await.expect("connect");
    second.write_all(req).await.expect("write");
    let mut buf = [0u8; 16];
    let early = tokio::time::timeout(Duration::from_millis(300), second.read(&mut buf)).await;
    assert!(early.is_err(), "a client beyond the limit was served");

    drop(first);
    let answer = tokio::time::timeout(Duration::from_secs(20), read_until(&mut second, "blue")).await.expect("served");
    assert!(answer.ends_with("blue"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_never_break_the_proxy() {
    use rand::{Rng, SeedableRng};
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.idle_timeout = Duration::from_millis(500);
    let proxy = start_proxy(a).await;
    let addr = proxy.local_addr();
    let mut set = tokio::task::JoinSet::new();
    for seed in 0..64u64 {
        set.spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let prefixes: [&[u8]; 4] = [
                b"",
                b"GET / HTTP/1.1\r\n",
                b"POST /x HTTP/1.1\r\ncontent-length: 5\r\n",
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            ];
            let mut bytes = prefixes[rng.gen_range(0..prefixes.len())].to_vec();
            let len = rng.gen_range(0..3000);
            bytes.extend((0..len).map(|_| rng.gen::<u8>()));
            if let Ok(mut s) = tokio::net::TcpStream::connect(addr).await {
                let _ = s.write_all(&bytes).await;
                let mut buf = vec![0u8; 8192];
                // Read until the proxy closes (idle timeout at the latest).
                let _ = tokio::time::timeout(Duration::from_secs(20), async {
                    while s.read(&mut buf).await.map(|n| n > 0).unwrap_or(false) {}
                })
                .await;
            }
        });
    }
    while set.join_next().await.is_some() {}
    let a = get(&client(), &format!("http://{addr}/")).await.expect("still serving");
    assert_eq!(a.body, "blue");
}

#[tokio::test]
async fn idle_and_half_sent_client_connections_are_closed() {
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.idle_timeout = Duration::from_millis(300);
    let proxy = start_proxy(a).await;
    let addr = proxy.local_addr();

    let mut half = tokio::net::TcpStream::connect(addr).await.expect("connect");
    half.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").await.expect("write");
    let mut idle = tokio::net::TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.expect("write");
    assert!(read_until(&mut idle, "blue").await.ends_with("blue"));

    for (what, s) in [("half-sent head", &mut half), ("idle keep-alive", &mut idle)] {
        let closed = tokio::time::timeout(Duration::from_secs(20), async {
            let mut buf = [0u8; 1024];
            while s.read(&mut buf).await.map(|n| n > 0).unwrap_or(false) {}
        })
        .await;
        assert!(closed.is_ok(), "{what} connection was not closed");
    }
}
