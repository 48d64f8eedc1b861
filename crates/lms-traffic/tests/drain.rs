//! Graceful drain through the handle: stop accepting, finish in flight.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_requests_and_refuses_new_ones() {
    let blue = TestBackend::start("blue").await;
    let proxy = start_proxy(args(&[&blue])).await;
    let addr = proxy.local_addr();
    let admin = proxy.admin_client_for_test();

    let c = client();
    // The backend holds the request until the test releases it, so the
    // drain is seen waiting for it (not a race against a timer).
    let inflight = tokio::spawn({
        let c = c.clone();
        async move { get(&c, &format!("http://{addr}/held")).await }
    });
    eventually(Duration::from_secs(10), "request in flight", || {
        let admin = admin.clone();
        async move { admin.state().await.map(|s| s.backends[0].stats.in_flight == 1).unwrap_or(false) }
    })
    .await;

    proxy.shutdown();
    eventually(Duration::from_secs(10), "listener closed", || async move {
        tokio::net::TcpStream::connect(addr).await.is_err()
    })
    .await;
    assert!(!inflight.is_finished(), "the held request is still in flight while the proxy drains");
    let st = admin.state().await.expect("the admin API outlives the drain");
    assert_eq!(st.backends[0].stats.in_flight, 1);
    blue.knobs.release.notify_one();
    let a = inflight.await.expect("join").expect("in-flight request completes");
    assert_eq!((a.status, a.body.as_str()), (200, "blue"));
    tokio::time::timeout(Duration::from_secs(20), proxy.wait()).await.expect("drain ends").expect("clean exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_timeout_cuts_stuck_requests() {
    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.drain_timeout = Duration::from_millis(300);
    let proxy = start_proxy(a).await;
    let addr = proxy.local_addr();
    let admin = proxy.admin_client_for_test();
    let stuck = tokio::spawn(async move { get(&client(), &format!("http://{addr}/hang")).await });
    eventually(Duration::from_secs(10), "request in flight", || {
        let admin = admin.clone();
        async move { admin.state().await.map(|s| s.backends[0].stats.in_flight == 1).unwrap_or(false) }
    })
    .await;
    proxy.shutdown();
    tokio::time::timeout(Duration::from_secs(20), proxy.wait()).await.expect("drain ends").expect("clean exit");
    assert!(stuck.await.expect("join").is_err(), "the stuck request is cut");
}
