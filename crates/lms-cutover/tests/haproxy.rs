//! The HAProxy traffic driver against a real HAProxy started here: a
//! backend `lms` with servers `blue` and `green` (two tiny HTTP servers
//! that answer their own name), a frontend on a free port, the runtime API
//! on a UNIX socket and on TCP. Weights are checked by the answers that
//! come back through the frontend, not only by what HAProxy reports.
//!
//! Needs the `haproxy` binary: when it is missing the test runs
//! `scripts/ensure-haproxy` once, and fails saying so if that did not help.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

mod engine_tools;

use engine_tools::{ensure_tool, free_port, name_server};
use lms_cutover::drivers::TrafficDriver;
use lms_cutover::engines::haproxy::HaproxyTraffic;
use lms_cutover::units::{Slot, Weights};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Requests sent through the frontend per split measured.
const N: usize = 200;

fn ensure_haproxy() {
    ensure_tool("haproxy", "-v", "ensure-haproxy");
}

/// HAProxy running as a child of the test, killed and its directory
/// removed on drop.
struct Haproxy {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
    tcp_socket: String,
    frontend: u16,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Haproxy {
    async fn start() -> Haproxy {
        ensure_haproxy();
        static N: AtomicU32 = AtomicU32::new(0);
        let dir =
            std::env::temp_dir().join(format!("lms-hap-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (blue, green) = (name_server("blue").await, name_server("green").await);
        let (frontend, api_port) = (free_port(), free_port());
        let socket = dir.join("admin.sock");
        let config = format!(
            "global\n  stats socket {sock} level admin\n  stats socket ipv4@127.0.0.1:{api_port} level admin\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n\
             frontend public\n  bind 127.0.0.1:{frontend}\n  default_backend lms\n\
             backend lms\n  balance roundrobin\n  server blue 127.0.0.1:{blue} weight 100\n  server green 127.0.0.1:{green} weight 0\n",
            sock = socket.display()
        );
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(&cfg, config).expect("write config");
        let log = std::fs::File::create(dir.join("haproxy.log")).expect("log file");
        let child = Command::new("haproxy")
            .arg("-f")
            .arg(&cfg)
            .arg("-db")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start haproxy");
        let mut h = Haproxy { child, dir, socket, tcp_socket: format!("tcp://127.0.0.1:{api_port}"), frontend };
        h.wait_ready().await;
        h
    }

    /// Polls until the runtime API answers and the frontend accepts, or
    /// HAProxy exits (its log in the panic), or 20 s pass.
    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default();
                panic!("haproxy exited with {status} before answering:\n{log}");
            }
            let api = tokio::net::UnixStream::connect(&self.socket).await.is_ok();
            let front = TcpStream::connect(("127.0.0.1", self.frontend)).await.is_ok();
            if api && front {
                return;
            }
            assert!(Instant::now() < deadline, "haproxy did not answer on {} within 20 s", self.socket.display());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn driver(&self) -> HaproxyTraffic {
        HaproxyTraffic::new(&self.socket.to_string_lossy(), "lms", "blue", "green").expect("driver")
    }

    /// One request through the frontend on a fresh connection: the body
    /// (`blue` or `green`), or the status line when it is not a 200.
    async fn get(&self, path: &str) -> String {
        let mut conn = TcpStream::connect(("127.0.0.1", self.frontend)).await.expect("connect to the frontend");
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        conn.write_all(request.as_bytes()).await.expect("send");
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.expect("read");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.lines().next().unwrap_or("");
        if status.starts_with("HTTP/1.1 200") {
            body.to_string()
        } else {
            status.to_string()
        }
    }

    /// How many of `n` requests blue and green answered; panics on any
    /// other answer.
    async fn split(&self, n: usize) -> (usize, usize) {
        let (mut blue, mut green) = (0, 0);
        for _ in 0..n {
            match self.get("/").await.as_str() {
                "blue" => blue += 1,
                "green" => green += 1,
                other => panic!("unexpected answer through HAProxy: {other:?}"),
            }
        }
        (blue, green)
    }
}

fn weights(blue: i64, green: i64) -> Weights {
    Weights::new(blue, green).expect("weights")
}

/// Roundrobin with weights serves each server its weight's share of every
/// full turn (here 100 requests); a measurement that starts mid-turn may be
/// off by a few, never more than the share of one turn's start.
fn assert_share(measured: (usize, usize), w: Weights, n: usize) {
    let expected_green = n * usize::from(w.green_weight().get()) / 100;
    let tolerance = 3;
    assert_eq!(measured.0 + measured.1, n);
    assert!(
        measured.1.abs_diff(expected_green) <= tolerance,
        "{w}: green answered {} of {n}, expected {expected_green} ± {tolerance}",
        measured.1
    );
}

#[tokio::test]
async fn all_blue_then_splits_then_all_green_then_rollback() {
    let h = Haproxy::start().await;
    let d = h.driver();
    assert_eq!(d.name(), "haproxy");

    let s = d.set_weights(Weights::ALL_BLUE).await.expect("100/0");
    assert_eq!(s.weights, Weights::ALL_BLUE);
    assert_eq!(h.split(N).await, (N, 0), "100/0 must send everything to blue");

    for (b, g) in [(90, 10), (50, 50), (10, 90)] {
        let s = d.set_weights(weights(b, g)).await.expect("split");
        assert_eq!(s.weights, weights(b, g));
        assert_share(h.split(N).await, weights(b, g), N);
    }

    d.set_weights(weights(0, 100)).await.expect("0/100");
    assert_eq!(h.split(N).await, (0, N), "0/100 must drain blue completely");

    let s = d.rollback().await.expect("rollback");
    assert_eq!(s.weights, Weights::ALL_BLUE);
    assert_eq!(h.split(N).await, (N, 0), "rollback must send everything to blue");
}

#[tokio::test]
async fn state_reports_what_was_set_and_the_servers() {
    let h = Haproxy::start().await;
    let d = h.driver();
    d.set_weights(weights(10, 90)).await.expect("10/90");
    let s = d.state().await.expect("state");
    assert_eq!(s.weights, weights(10, 90));
    let slots: Vec<Slot> = s.backends.iter().map(|b| b.slot).collect();
    assert_eq!(slots, vec![Slot::Blue, Slot::Green]);
    assert!(s.backends.iter().all(|b| b.target.starts_with("127.0.0.1:") && b.healthy == Some(true)), "{s:?}");
    let raw = d.raw("get weight lms/green").await.expect("raw");
    assert!(raw.starts_with("90 "), "HAProxy itself says {raw:?}");
}

#[tokio::test]
async fn the_runtime_api_over_tcp_works_the_same() {
    let h = Haproxy::start().await;
    let d = HaproxyTraffic::new(&h.tcp_socket, "lms", "blue", "green").expect("driver");
    let s = d.set_weights(weights(50, 50)).await.expect("50/50 over TCP");
    assert_eq!(s.weights, weights(50, 50));
    assert_eq!(h.driver().state().await.expect("state over UNIX").weights, weights(50, 50));
}

#[tokio::test]
async fn a_change_behind_the_drivers_back_is_reported_as_drift() {
    let h = Haproxy::start().await;
    let d = h.driver();
    d.set_weights(Weights::ALL_BLUE).await.expect("100/0");

    // Someone moves 30% to green on HAProxy directly.
    let answer = d.raw("set server lms/blue weight 70; set server lms/green weight 30").await.expect("raw");
    assert!(answer.trim().is_empty(), "{answer:?}");
    assert_eq!(d.state().await.expect("state").weights, weights(70, 30));
    let e = d.verify(Weights::ALL_BLUE).await.expect_err("drift").to_string();
    assert!(e.contains("blue 70 / green 30") && e.contains("blue 100 / green 0") && e.contains("drift"), "{e}");

    // Weights that are no split at all are named as they are.
    d.raw("set server lms/green weight 5").await.expect("raw");
    let e = d.state().await.expect_err("70 + 5 is no split").to_string();
    assert!(e.contains("lms/blue 70") && e.contains("lms/green 5") && e.contains("sum to 100"), "{e}");

    // Setting the weights again repairs it.
    assert_eq!(d.set_weights(Weights::ALL_BLUE).await.expect("repair").weights, Weights::ALL_BLUE);
}

#[tokio::test]
async fn window_stats_are_the_counts_since_the_previous_call() {
    let h = Haproxy::start().await;
    let d = h.driver();
    let first = d.window_stats().await.expect("baseline");
    assert_eq!((first.blue.requests, first.green.requests), (0, 0));
    assert!(first.window.is_zero());

    d.set_weights(weights(0, 100)).await.expect("0/100");
    assert_eq!(h.split(7).await, (0, 7));
    for _ in 0..3 {
        assert_eq!(h.get("/fail").await, "HTTP/1.1 500 Internal Server Error");
    }
    let second = d.window_stats().await.expect("second");
    assert_eq!((second.blue.requests, second.blue.errors), (0, 0));
    assert_eq!((second.green.requests, second.green.errors, second.green.failed), (10, 3, 0));
    assert_eq!(second.green.p95_ms, None);

    let third = d.window_stats().await.expect("third");
    assert_eq!((third.blue.requests, third.green.requests), (0, 0), "nothing happened since the second call");
}

#[tokio::test]
async fn bad_names_are_refused_naming_them() {
    let h = Haproxy::start().await;
    let sock = h.socket.to_string_lossy().to_string();

    let d = HaproxyTraffic::new(&sock, "nope", "blue", "green").expect("driver");
    let e = d.set_weights(Weights::ALL_BLUE).await.expect_err("no backend").to_string();
    assert!(e.contains("nope/blue") && e.contains("No such backend"), "{e}");
    let e = d.state().await.expect_err("no backend").to_string();
    assert!(e.contains("show servers state nope") && e.contains("Can't find backend"), "{e}");

    let d = HaproxyTraffic::new(&sock, "lms", "blue", "teal").expect("driver");
    let e = d.set_weights(Weights::ALL_BLUE).await.expect_err("no server").to_string();
    assert!(e.contains("lms/teal") && e.contains("No such server"), "{e}");
    let e = d.state().await.expect_err("no server").to_string();
    assert!(e.contains("no server named \"teal\"") && e.contains("blue, green"), "{e}");
    let e = d.window_stats().await.expect_err("no server").to_string();
    assert!(e.contains("lms/teal"), "{e}");
}

#[tokio::test]
async fn a_missing_socket_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("lms-hap-missing-{}", std::process::id()));
    let sock = dir.join("admin.sock");
    let d = HaproxyTraffic::new(&sock.to_string_lossy(), "lms", "blue", "green").expect("driver");
    let e = d.state().await.expect_err("no socket").to_string();
    assert!(e.contains("cannot reach the HAProxy runtime API") && e.contains(&*sock.to_string_lossy()), "{e}");
    let e = d.rollback().await.expect_err("no socket").to_string();
    assert!(e.contains("cannot reach the HAProxy runtime API"), "{e}");
}
