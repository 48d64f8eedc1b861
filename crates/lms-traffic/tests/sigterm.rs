//! `run_proxy` drains on a real SIGTERM. Alone in its test binary because
//! the signal goes to the whole process.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_run_proxy_returns() {
    // Take over SIGTERM for this process first, so the default action
    // (exit) can never fire before the proxy installs its handler.
    let _guard = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");

    let blue = TestBackend::start("blue").await;
    let free = |()| std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port");
    let (listen, admin_listen) = (free(()), free(()));
    let mut a = args(&[&blue]);
    a.listen = listen;
    a.admin_listen = admin_listen;
    let proxy = tokio::spawn(lms_traffic::run_proxy(a));

    let admin = lms_traffic::AdminClient::new(&format!("http://{admin_listen}"), None).expect("client");
    eventually(Duration::from_secs(10), "proxy up", || {
        let admin = admin.clone();
        async move { admin.state().await.is_ok() }
    })
    .await;
    // Held by the backend until released below: the drain must wait for it.
    let inflight = tokio::spawn(async move { get(&client(), &format!("http://{listen}/held")).await });
    eventually(Duration::from_secs(10), "request in flight", || {
        let admin = admin.clone();
        async move { admin.state().await.map(|s| s.backends[0].stats.in_flight == 1).unwrap_or(false) }
    })
    .await;

    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    eventually(Duration::from_secs(10), "listener closed by the drain", || async move {
        tokio::net::TcpStream::connect(listen).await.is_err()
    })
    .await;
    assert!(!inflight.is_finished(), "the held request is still in flight while the proxy drains");
    assert!(!proxy.is_finished(), "run_proxy waits for the in-flight request");
    blue.knobs.release.notify_one();

    let a = inflight.await.expect("join").expect("in-flight request completes");
    assert_eq!(a.status, 200);
    let r = tokio::time::timeout(Duration::from_secs(20), proxy).await.expect("drained in time").expect("join");
    assert!(r.is_ok(), "{r:?}");
    assert!(tokio::net::TcpStream::connect(listen).await.is_err(), "no longer accepting");
}
