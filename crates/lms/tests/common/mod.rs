//! What the CLI tests of `lms cutover` share: the binary, scratch
//! directories, free ports, a staged blue + proxy on loopback (the proxy
//! behind an admin token read from a file), a webhook receiver that keeps
//! every body it is sent, a stand-in for a dead traffic controller that
//! counts the calls it refuses, and journal readers. Every wait polls a
//! file, a port or a counter with a deadline.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const DEADLINE: Duration = Duration::from_secs(120);

pub fn lms() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lms"));
    c.env_remove("LMS_DATABASE_URL").env_remove("LMS_CUTOVER_STALL_AT").env("RUST_LOG", "warn");
    c
}

/// `lms` with an empty environment but PATH: an operator's fresh shell.
pub fn lms_fresh_shell() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lms"));
    c.env_clear().env("PATH", "/usr/local/bin:/usr/bin:/bin");
    c
}

pub fn scratch(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let d = std::env::temp_dir().join(format!("lms-cutover-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// A free loopback port outside the ephemeral range, so no outgoing
/// connection takes it before the process meant for it binds it.
pub fn free_port() -> u16 {
    lms_cutover::local::ports::free_loopback_port().expect("a free loopback port")
}

pub fn only_run_dir(out: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> =
        std::fs::read_dir(out).expect("out dir").filter_map(|e| e.ok().map(|e| e.path())).collect();
    assert_eq!(dirs.len(), 1, "one run expected in {}", out.display());
    dirs[0].clone()
}

pub fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")
}

/// Children (and pid files of detached processes) killed when the test
/// ends, whatever happens.
#[derive(Default)]
pub struct Procs(pub Vec<Child>, pub Vec<PathBuf>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
        for pidfile in &self.1 {
            if let Some(pid) = std::fs::read_to_string(pidfile).ok().and_then(|s| s.trim().parse::<i32>().ok()) {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        }
    }
}

/// A raw HTTP/1.0 GET; the whole answer (status line, headers, body).
pub fn http_get(port: u16, path: &str) -> Option<String> {
    http_get_with(port, path, None)
}

pub fn http_get_with(port: u16, path: &str, token: Option<&str>) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    Some(buf)
}

pub fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a child to exit; its exit code.
pub fn wait_exit(child: &mut Child, what: &str) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code();
        }
        assert!(start.elapsed() < DEADLINE, "{what} did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn journal(run: &Path) -> Vec<Value> {
    std::fs::read_to_string(run.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Records after the last `resumed` (or all).
pub fn since_last_resume(j: &[Value]) -> &[Value] {
    let at = j.iter().rposition(|r| r["event"]["type"] == "resumed").map_or(0, |i| i + 1);
    &j[at..]
}

pub fn started(r: &Value, action: &str) -> bool {
    r["event"]["type"] == "action_started" && r["event"]["action"]["action"] == action
}

pub fn count_events(j: &[Value], ty: &str) -> usize {
    j.iter().filter(|r| r["event"]["type"] == ty).count()
}

/// The rehearsal plan without its checkpoint deadline (6 s compressed):
/// these tests decide, kill and resume at a checkpoint at their own pace.
/// [`lms_plan_text_with_deadline`] keeps it.
pub fn lms_plan_text() -> String {
    let text = lms_plan_text_with_deadline();
    let without = text.replacen("decision_timeout = \"30m\"", "", 1);
    assert_ne!(text, without, "the rehearsal plan's decision_timeout moved; update this helper");
    without
}

/// The rehearsal plan as shipped.
pub fn lms_plan_text_with_deadline() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cutover/rehearsal.toml"))
        .expect("plan")
}

/// An HTTP server that answers 200 to every POST and keeps the bodies.
pub struct Hook {
    pub port: u16,
    pub bodies: Arc<Mutex<Vec<String>>>,
    failing: Arc<AtomicBool>,
}

impl Hook {
    pub fn start() -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("hook bind");
        let port = listener.local_addr().expect("addr").port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(AtomicBool::new(false));
        let (keep, down) = (bodies.clone(), failing.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut length = 0usize;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0u8; length];
                if down.load(Ordering::SeqCst) {
                    let _ = stream.write_all(
                        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    );
                    continue;
                }
                if reader.read_exact(&mut body).is_ok() {
                    keep.lock().expect("lock").push(String::from_utf8_lossy(&body).into_owned());
                }
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            }
        });
        Hook { port, bodies, failing }
    }

    /// From now on answers every POST with 503 and keeps nothing (a
    /// webhook that is down).
    pub fn fail_from_now(&self) {
        self.failing.store(true, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn any(&self, needle: &str) -> bool {
        self.bodies.lock().expect("lock").iter().any(|b| b.contains(needle))
    }
}

/// A dead traffic controller's stand-in: accepts connections on a port and
/// answers 503 to each, counting them, until dropped.
pub struct Refuser {
    pub calls: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Refuser {
    pub fn start(port: u16) -> Refuser {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("refuser bind");
        let calls = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (calls.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream
                    .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            }
        });
        Refuser { calls, stop, port, thread: Some(thread) }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Drop for Refuser {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Blue serving a demo database, a proxy in front of blue and green with
/// an admin token kept in a file, a plan (the rehearsal plan, edited by
/// the test) written next to them, and a webhook receiver.
pub struct Stage {
    pub dir: PathBuf,
    pub out: PathBuf,
    pub run: PathBuf,
    pub db: String,
    pub backups: PathBuf,
    pub plan: PathBuf,
    pub token: String,
    pub token_file: PathBuf,
    pub blue: u16,
    pub green: u16,
    pub public: u16,
    pub admin: u16,
    pub hook: Hook,
    pub procs: Procs,
    proxy_index: Option<usize>,
}

/// The rehearsal plan as a production plan writes it: the artifact and
/// the webhook come from the environment, the admin token from a file.
pub fn production_like_plan() -> String {
    lms_plan_text()
        .replace("artifact = \"{{self}}\"", "artifact = \"{{env:LMS_TEST_ARTIFACT}}\"")
        .replace("command = [\"{{self}}\", \"serve\"", "command = [\"{{env:LMS_TEST_ARTIFACT}}\", \"serve\"")
        .replace(
            "public_url = \"http://127.0.0.1:{{public_port}}\"",
            "public_url = \"http://127.0.0.1:{{public_port}}\"\nadmin_token_file = \"{{env:LMS_TEST_TOKEN_FILE}}\"",
        )
        .replace("[notify]\nconsole = true", "[notify]\nconsole = true\nwebhook = \"{{env:LMS_TEST_WEBHOOK}}\"")
        .replace(
            "id = \"golive-confirmation\"\nitem = \"Send go-live confirmation to stakeholders\"\ndue = \"immediate\"\nowner = \"Communications\"\nby = { kind = \"manual\" }",
            "id = \"golive-confirmation\"\nitem = \"Send go-live confirmation to stakeholders\"\ndue = \"immediate\"\nowner = \"Communications\"\nby = { kind = \"webhook\", url = \"{{env:LMS_TEST_WEBHOOK}}\" }",
        )
}

impl Stage {
    /// Starts blue and the proxy (100% blue) and writes `plan`.
    pub fn new(name: &str, plan: &str) -> Stage {
        let dir = scratch(name);
        let out = dir.join("runs");
        let run = out.join("r1");
        let backups = dir.join("backups");
        std::fs::create_dir_all(&backups).expect("backups");
        std::fs::write(backups.join("nightly.txt"), "automated backup stand-in\n").expect("backup stand-in");
        let token = format!("test-admin-token-{:x}", std::process::id());
        let token_file = dir.join("admin.token");
        std::fs::write(&token_file, format!("{token}\n")).expect("token file");
        let plan_path = dir.join("plan.toml");
        std::fs::write(&plan_path, plan).expect("plan");
        let mut stage = Stage {
            db: format!("sqlite://{}/lms.db", dir.display()),
            dir,
            out,
            run: run.clone(),
            backups,
            plan: plan_path,
            token,
            token_file,
            blue: free_port(),
            green: free_port(),
            public: free_port(),
            admin: free_port(),
            hook: Hook::start(),
            procs: Procs(Vec::new(), vec![run.join("green.pid")]),
            proxy_index: None,
        };
        let blue = lms()
            .args(["serve", "--slot", "blue", "--demo", "--migrate", "--listen", &format!("127.0.0.1:{}", stage.blue)])
            .env("LMS_DATABASE_URL", &stage.db)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(stage.dir.join("blue.log")).expect("blue log"))
            .spawn()
            .expect("blue");
        stage.procs.0.push(blue);
        let (port, log) = (stage.blue, stage.dir.join("blue.log"));
        let blue = stage.procs.0.last_mut().expect("blue");
        wait_for("blue", || {
            if let Ok(Some(status)) = blue.try_wait() {
                panic!("blue exited ({status}): {}", std::fs::read_to_string(&log).unwrap_or_default());
            }
            http_get(port, "/api/health").is_some_and(|b| b.contains("healthy"))
        });
        stage.start_proxy("blue=100,green=0");
        // Users: a steady trickle through the proxy, so the gates have data.
        let load = lms()
            .args(["loadgen", "--target", &format!("http://127.0.0.1:{}", stage.public), "--rate", "40"])
            .args(["--duration", "10m", "--request", "GET /api/health"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("loadgen");
        stage.procs.0.push(load);
        stage
    }

    /// (Re)starts the proxy with these weights.
    pub fn start_proxy(&mut self, weights: &str) {
        let proxy = lms()
            .args(["proxy", "--listen", &format!("127.0.0.1:{}", self.public)])
            .args(["--admin-listen", &format!("127.0.0.1:{}", self.admin), "--admin-token", &self.token])
            .args([
                "--backend",
                &format!("blue=http://127.0.0.1:{}", self.blue),
                "--backend",
                &format!("green=http://127.0.0.1:{}", self.green),
            ])
            .args(["--weights", weights, "--window", "2s", "--health-interval", "500ms", "--workers", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("proxy");
        self.procs.0.push(proxy);
        self.proxy_index = Some(self.procs.0.len() - 1);
        wait_for("proxy", || self.weights().is_some());
    }

    /// Kills the proxy (the traffic controller dies).
    pub fn kill_proxy(&mut self) {
        if let Some(i) = self.proxy_index.take() {
            let mut p = self.procs.0.remove(i);
            p.kill().expect("kill proxy");
            let _ = p.wait();
        }
    }

    /// The proxy's weights (blue, green), read with the admin token.
    pub fn weights(&self) -> Option<(u64, u64)> {
        let answer = http_get_with(self.admin, "/state", Some(&self.token))?;
        let body = answer.split_once("\r\n\r\n")?.1;
        let v: Value = serde_json::from_str(body).ok()?;
        Some((v["weights"]["blue"].as_u64()?, v["weights"]["green"].as_u64()?))
    }

    /// `lms cutover ARGS` with the environment the plan needs (artifact,
    /// token file, webhook, smoke accounts).
    pub fn cutover(&self, args: &[&str]) -> Command {
        let mut c = lms();
        c.arg("cutover").args(args).stdin(Stdio::null());
        c.env("LMS_TEST_ARTIFACT", env!("CARGO_BIN_EXE_lms"))
            .env("LMS_TEST_TOKEN_FILE", &self.token_file)
            .env("LMS_TEST_WEBHOOK", self.hook.url());
        for (k, v) in
            [("EMPLOYEE", "employee1@demo.local"), ("MANAGER", "manager@demo.local"), ("ADMIN", "hr@demo.local")]
        {
            c.env(format!("LMS_SMOKE_{k}_EMAIL"), v).env(format!("LMS_SMOKE_{k}_PASSWORD"), "lms-demo");
        }
        c
    }

    /// `lms cutover run` of the stage's plan as run `r1`.
    pub fn run_command(&self) -> Command {
        let mut args: Vec<String> = vec!["run".into(), self.plan.display().to_string()];
        args.extend(["--out".into(), self.out.display().to_string(), "--run-id".into(), "r1".into()]);
        args.push("--no-prompt".into());
        for v in [
            format!("blue_port={}", self.blue),
            format!("green_port={}", self.green),
            format!("public_port={}", self.public),
            format!("admin_port={}", self.admin),
            format!("database_url={}", self.db),
            format!("backup_dir={}", self.backups.display()),
        ] {
            args.extend(["--var".into(), v]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.cutover(&refs)
    }

    /// Starts the run and waits until checkpoint 1 waits for a person
    /// (green carries 10%); the controller keeps running.
    pub fn run_to_checkpoint_1(&self) -> Child {
        let c = self.run_command().stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("controller");
        let run = self.run.clone();
        wait_for("checkpoint 1 waiting", || journal(&run).iter().any(|r| started(r, "await_checkpoint")));
        c
    }

    /// [`Stage::run_to_checkpoint_1`], then kills the controller with SIGKILL.
    pub fn run_to_checkpoint_1_and_kill(&mut self) {
        let mut c = self.run_to_checkpoint_1();
        c.kill().expect("SIGKILL");
        let _ = c.wait();
        assert_eq!(self.weights(), Some((90, 10)));
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let procs = std::mem::take(&mut self.procs);
        drop(procs);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
