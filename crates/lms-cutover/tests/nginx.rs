//! The nginx traffic driver against a real nginx started here: a master
//! with one worker (`worker_processes 1`, so nginx's smooth weighted round
//! robin is one deterministic sequence), an upstream `lms_upstream` in an
//! include file the driver owns, with two tiny HTTP servers that answer
//! their own name, and a server on a free port proxying to it. Splits are
//! checked by the answers that come back through nginx, not only by what
//! the driver reports.
//!
//! A reload is not instant: `nginx -s reload` returns once the master was
//! signalled; the master then starts a new worker, waits 100 ms (both
//! workers accept meanwhile) and tells the old one to stop accepting and
//! exit when its connections are done. Every answer
//! carries the worker's pid (`X-Worker: $pid`), so after a change the test
//! waits (bounded by a deadline) until the old worker has exited; from then
//! on every new connection is served by the new worker with the new split.
//!
//! Needs the `nginx` binary: when it is missing the test runs
//! `scripts/ensure-nginx` once, and fails saying so if that did not help.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

mod engine_tools;

use engine_tools::{ensure_tool, free_port, name_server};
use lms_cutover::drivers::TrafficDriver;
use lms_cutover::engines::nginx::{NginxConfig, NginxTraffic};
use lms_cutover::units::{Slot, Weights};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Requests sent through nginx per split measured.
const N: usize = 200;

/// How long nginx may take to start, or an old worker to exit after a reload.
const DEADLINE: Duration = Duration::from_secs(20);

fn ensure_nginx() {
    ensure_tool("nginx", "-v", "ensure-nginx");
}

/// Whether process `pid` still runs (a zombie does not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// A directory with an nginx.conf and the driver's upstream file, and the
/// two name servers. nginx is not started by `new`.
struct Site {
    dir: PathBuf,
    conf: PathBuf,
    upstream_file: PathBuf,
    port: u16,
    blue: String,
    green: String,
    started: bool,
}

impl Drop for Site {
    /// `nginx -s quit`, then waits for the master to go (killing it after
    /// the deadline), then removes the directory.
    fn drop(&mut self) {
        if self.started {
            let master = self.master_pid();
            let _ = self.nginx().args(["-s", "quit"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
            if let Some(pid) = master {
                let deadline = Instant::now() + Duration::from_secs(5);
                while alive(pid) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                if alive(pid) {
                    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Site {
    async fn new() -> Site {
        ensure_nginx();
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "lms-nginx-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tmp")).expect("temp dir");
        let (b, g) = (name_server("blue").await, name_server("green").await);
        let (blue, green) = (format!("127.0.0.1:{b}"), format!("127.0.0.1:{g}"));
        let port = free_port();
        let upstream_file = dir.join("lms-upstream.conf");
        // Written by hand, as an operator would before the first cutover.
        std::fs::write(
            &upstream_file,
            format!("upstream lms_upstream {{\n  server {blue} weight=100;\n  server {green} down;\n}}\n"),
        )
        .expect("write the upstream file");
        let d = dir.display();
        let conf = dir.join("nginx.conf");
        let text = format!(
            "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log notice;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n  access_log off;\n\
               client_body_temp_path {d}/tmp/body;\n  proxy_temp_path {d}/tmp/proxy;\n  fastcgi_temp_path {d}/tmp/fastcgi;\n\
               uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
               include {upstream};\n\
               server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://lms_upstream;\n\
                   proxy_next_upstream off;\n      add_header X-Worker $pid always;\n    }}\n  }}\n}}\n",
            upstream = upstream_file.display()
        );
        std::fs::write(&conf, text).expect("write nginx.conf");
        Site { dir, conf, upstream_file, port, blue, green, started: false }
    }

    /// `nginx -c <conf> -p <dir>/`.
    fn nginx(&self) -> Command {
        let mut c = Command::new("nginx");
        c.arg("-c").arg(&self.conf).arg("-p").arg(format!("{}/", self.dir.display()));
        c
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    fn master_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("nginx.pid")).ok()?.trim().parse().ok()
    }

    /// Starts the master (it daemonizes) and polls until it answers.
    async fn start(mut self) -> Site {
        let out = self.nginx().output().expect("run nginx");
        assert!(
            out.status.success(),
            "nginx did not start: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.error_log()
        );
        self.started = true;
        let deadline = Instant::now() + DEADLINE;
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return self;
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not answer on port {} within {DEADLINE:?}:\n{}",
                self.port,
                self.error_log()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn config(&self) -> NginxConfig {
        NginxConfig {
            upstream_file: self.upstream_file.clone(),
            upstream: "lms_upstream".into(),
            blue: self.blue.clone(),
            green: self.green.clone(),
            nginx: None,
            config: Some(self.conf.to_string_lossy().to_string()),
        }
    }

    fn driver(&self) -> NginxTraffic {
        NginxTraffic::new(self.config()).expect("driver")
    }

    /// One request through nginx on a fresh connection: the body (`blue`
    /// or `green`) or the status line when it is not a 200, and the pid of
    /// the worker that answered.
    async fn get(&self, path: &str) -> (String, u32) {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port)).await.expect("connect to nginx");
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        conn.write_all(request.as_bytes()).await.expect("send");
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.expect("read");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.lines().next().unwrap_or("");
        let worker = head
            .lines()
            .find_map(|l| l.strip_prefix("X-Worker: "))
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("no X-Worker header in {head:?}"));
        let what = if status.starts_with("HTTP/1.1 200") { body.to_string() } else { status.to_string() };
        (what, worker)
    }

    async fn worker(&self) -> u32 {
        self.get("/").await.1
    }

    /// After a reload: polls until `old` (the worker before it) has exited,
    /// then checks that a new worker answers. Fails after the deadline.
    async fn settle(&self, old: u32) -> u32 {
        let deadline = Instant::now() + DEADLINE;
        while alive(old) {
            assert!(
                Instant::now() < deadline,
                "the old nginx worker {old} did not exit within {DEADLINE:?}:\n{}",
                self.error_log()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let new = self.worker().await;
        assert_ne!(new, old, "the old worker {old} exited but still answered");
        new
    }

    /// How many of `n` requests blue and green answered; panics on any
    /// other answer, or when a worker other than `worker` answered.
    async fn split(&self, n: usize, worker: u32) -> (usize, usize) {
        let (mut blue, mut green) = (0, 0);
        for _ in 0..n {
            let (what, pid) = self.get("/").await;
            assert_eq!(pid, worker, "answered by worker {pid}, not {worker}");
            match what.as_str() {
                "blue" => blue += 1,
                "green" => green += 1,
                other => panic!("unexpected answer through nginx: {other:?}"),
            }
        }
        (blue, green)
    }
}

fn weights(blue: i64, green: i64) -> Weights {
    Weights::new(blue, green).expect("weights")
}

/// nginx's smooth weighted round robin serves each server its weight's
/// share of every full turn (here 100 requests), spread evenly, so any run
/// of requests is off by at most one or two; 3 is safe.
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
    let h = Site::new().await.start().await;
    let d = h.driver();
    assert_eq!(d.name(), "nginx");

    let old = h.worker().await;
    let s = d.set_weights(Weights::ALL_BLUE).await.expect("100/0");
    assert_eq!(s.weights, Weights::ALL_BLUE);
    let w = h.settle(old).await;
    assert_eq!(h.split(N, w).await, (N, 0), "100/0 must send everything to blue");

    let mut w = w;
    for (b, g) in [(90, 10), (50, 50), (10, 90)] {
        let s = d.set_weights(weights(b, g)).await.expect("split");
        assert_eq!(s.weights, weights(b, g));
        w = h.settle(w).await;
        assert_share(h.split(N, w).await, weights(b, g), N);
    }

    d.set_weights(weights(0, 100)).await.expect("0/100");
    w = h.settle(w).await;
    assert_eq!(h.split(N, w).await, (0, N), "0/100 must drain blue completely");

    let s = d.rollback().await.expect("rollback");
    assert_eq!(s.weights, Weights::ALL_BLUE);
    w = h.settle(w).await;
    assert_eq!(h.split(N, w).await, (N, 0), "rollback must send everything to blue");
}

#[tokio::test]
async fn state_reports_the_split_in_the_file_and_the_servers() {
    let h = Site::new().await;
    let d = h.driver();
    // The hand-written file nginx starts with reads as 100 / 0.
    assert_eq!(d.state().await.expect("state").weights, Weights::ALL_BLUE);

    let h = h.start().await;
    d.set_weights(weights(10, 90)).await.expect("10/90");
    let s = d.state().await.expect("state");
    assert_eq!(s.weights, weights(10, 90));
    let slots: Vec<Slot> = s.backends.iter().map(|b| b.slot).collect();
    assert_eq!(slots, vec![Slot::Blue, Slot::Green]);
    assert_eq!(s.backends[0].target, h.blue);
    assert_eq!(s.backends[1].target, h.green);
    assert!(s.backends.iter().all(|b| b.healthy.is_none()), "nginx has no health view to give: {s:?}");
    let text = std::fs::read_to_string(&h.upstream_file).expect("read");
    assert!(
        text.contains(&format!("server {} weight=10;", h.blue))
            && text.contains(&format!("server {} weight=90;", h.green)),
        "{text}"
    );

    d.set_weights(weights(0, 100)).await.expect("0/100");
    let text = std::fs::read_to_string(&h.upstream_file).expect("read");
    assert!(text.contains(&format!("server {} down;", h.blue)), "{text}");
    assert_eq!(d.state().await.expect("state").weights, weights(0, 100));
}

#[tokio::test]
async fn a_file_the_driver_cannot_read_is_refused_clearly() {
    let h = Site::new().await;
    let d = h.driver();
    std::fs::write(&h.upstream_file, "upstream other { server 127.0.0.1:1; }\n").expect("write");
    let e = d.state().await.expect_err("no such upstream").to_string();
    assert!(e.contains(&*h.upstream_file.to_string_lossy()) && e.contains("no `upstream lms_upstream"), "{e}");

    std::fs::write(
        &h.upstream_file,
        format!("upstream lms_upstream {{ server {} weight=3; server {}; }}\n", h.blue, h.green),
    )
    .expect("write");
    let e = d.state().await.expect_err("3 + 1 is no split").to_string();
    assert!(e.contains("weight 3") && e.contains("weight 1") && e.contains("sum to 100"), "{e}");

    std::fs::write(
        &h.upstream_file,
        "upstream lms_upstream { server 127.0.0.1:1 weight=50; server 127.0.0.1:2 weight=50; }\n",
    )
    .expect("write");
    let e = d.state().await.expect_err("other servers").to_string();
    assert!(e.contains(&format!("no server {}", h.blue)) && e.contains("127.0.0.1:1, 127.0.0.1:2"), "{e}");

    std::fs::remove_file(&h.upstream_file).expect("remove");
    let e = d.state().await.expect_err("no file").to_string();
    assert!(e.contains("cannot read the nginx upstream file") && e.contains("No such file"), "{e}");
}

#[tokio::test]
async fn a_broken_config_is_refused_by_nginx_t_and_the_old_split_keeps_serving() {
    let h = Site::new().await.start().await;
    let d = h.driver();
    let old = h.worker().await;
    d.set_weights(Weights::ALL_BLUE).await.expect("100/0");
    let w = h.settle(old).await;
    let before = std::fs::read(&h.upstream_file).expect("read");

    let good = std::fs::read_to_string(&h.conf).expect("read nginx.conf");
    std::fs::write(&h.conf, format!("{good}lms_not_a_directive on;\n")).expect("break nginx.conf");
    let e = d.set_weights(weights(50, 50)).await.expect_err("nginx -t must refuse").to_string();
    assert!(e.contains("unknown directive \"lms_not_a_directive\"") && e.contains("-t"), "{e}");
    assert!(e.contains("is back as it was") && e.contains("blue 50 / green 50"), "{e}");
    assert_eq!(std::fs::read(&h.upstream_file).expect("read"), before, "the previous upstream file is back");
    assert_eq!(d.state().await.expect("state").weights, Weights::ALL_BLUE);
    // No reload happened: the same worker serves the old split.
    assert_eq!(h.split(N, w).await, (N, 0), "the refused change must leave everything on blue");
    let e = d.rollback().await.expect_err("rollback through a broken config").to_string();
    assert!(e.contains("unknown directive"), "{e}");

    // Repaired, the same change goes through.
    std::fs::write(&h.conf, good).expect("repair nginx.conf");
    d.set_weights(weights(50, 50)).await.expect("50/50 after the repair");
    let w = h.settle(w).await;
    assert_share(h.split(N, w).await, weights(50, 50), N);
}

#[tokio::test]
async fn a_failed_reload_puts_the_previous_file_back() {
    // nginx is not running: `nginx -t` passes, `nginx -s reload` finds no master.
    let h = Site::new().await;
    let d = h.driver();
    let before = std::fs::read(&h.upstream_file).expect("read");
    let e = d.set_weights(weights(50, 50)).await.expect_err("no master to reload").to_string();
    assert!(e.contains("-s reload") && e.contains("nginx.pid"), "{e}");
    assert_eq!(std::fs::read(&h.upstream_file).expect("read"), before, "the previous upstream file is back");
    assert_eq!(d.state().await.expect("state").weights, Weights::ALL_BLUE);
}

#[tokio::test]
async fn a_missing_nginx_binary_is_a_clear_error() {
    let h = Site::new().await;
    let missing = h.dir.join("no-such-nginx");
    let d = NginxTraffic::new(NginxConfig { nginx: Some(missing.to_string_lossy().to_string()), ..h.config() })
        .expect("driver");
    let before = std::fs::read(&h.upstream_file).expect("read");
    let e = d.rollback().await.expect_err("no binary").to_string();
    assert!(e.contains("cannot run the nginx binary") && e.contains(&*missing.to_string_lossy()), "{e}");
    assert_eq!(std::fs::read(&h.upstream_file).expect("read"), before);
}

#[tokio::test]
async fn window_stats_are_not_supported_and_say_why() {
    let h = Site::new().await;
    let e = h.driver().window_stats().await.expect_err("no per-server counters").to_string();
    assert!(e.contains("stub_status is global") && e.contains("[monitoring.source]"), "{e}");
}

#[tokio::test]
async fn the_plans_traffic_section_picks_this_driver() {
    let h = Site::new().await.start().await;
    let traffic: lms_cutover::plan::model::Traffic = serde_json::from_value(serde_json::json!({
        "kind": "nginx",
        "public_url": format!("http://127.0.0.1:{}", h.port),
        "upstream_file": h.upstream_file.to_string_lossy(),
        "upstream": "lms_upstream",
        "blue": h.blue,
        "green": h.green,
        "config": h.conf.to_string_lossy(),
    }))
    .expect("a [traffic] section");
    let d = lms_cutover::runner::context::traffic_driver(&traffic, None).expect("driver from the plan");
    assert_eq!(d.name(), "nginx");
    let old = h.worker().await;
    d.set_weights(weights(0, 100)).await.expect("0/100");
    let w = h.settle(old).await;
    assert_eq!(h.split(N, w).await, (0, N), "0/100 through the plan's driver must send everything to green");
}
