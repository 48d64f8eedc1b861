//! The `lms` binary through its command line: help texts, migrations,
//! refusing a stale schema, bootstrapping a user, maintenance mode, the demo
//! server and its graceful exit on SIGTERM.

use lms_store::{testing, Backend};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

fn lms() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lms"));
    c.env_remove("LMS_DATABASE_URL").env_remove("LMS_LISTEN").env("RUST_LOG", "warn");
    c
}

fn run(args: &[&str]) -> Output {
    lms().args(args).output().expect("run lms")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn every_command_explains_itself() {
    let top = run(&["--help"]);
    assert!(top.status.success());
    let t = text(&top);
    for cmd in ["serve", "migrate", "user", "maintenance", "proxy", "loadgen"] {
        assert!(t.contains(cmd), "{cmd} missing from --help:\n{t}");
    }
    for (args, needle) in [
        (vec!["serve", "--help"], "--database-url"),
        (vec!["serve", "--help"], "--demo"),
        (vec!["serve", "--help"], "--slot"),
        (vec!["migrate", "status", "--help"], "--database-url"),
        (vec!["migrate", "up", "--help"], "--database-url"),
        (vec!["user", "create", "--help"], "--password-stdin"),
        (vec!["maintenance", "on", "--help"], "--database-url"),
        (vec!["proxy", "--help"], "--backend"),
        (vec!["loadgen", "--help"], "--target"),
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}");
        assert!(text(&o).contains(needle), "{args:?} lacks {needle}:\n{}", text(&o));
    }
    let v = run(&["--version"]);
    assert!(text(&v).contains("3.0.0"));
}

fn sqlite_url(name: &str) -> (tempdir::Dir, String) {
    let dir = tempdir::Dir::new(name);
    let url = format!("sqlite://{}/lms.db", dir.path());
    (dir, url)
}

/// A throwaway directory under the system temp dir.
mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new(name: &str) -> Dir {
            let p = std::env::temp_dir().join(format!("lms-cli-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).expect("temp dir");
            Dir(p)
        }
        pub fn path(&self) -> String {
            self.0.display().to_string()
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn migrations_flow(url: &str) {
    let status = run(&["migrate", "status", "--database-url", url]);
    assert_eq!(status.status.code(), Some(3), "{}", text(&status));
    assert!(text(&status).contains("PENDING"));
    let serve = run(&["serve", "--database-url", url, "--listen", "127.0.0.1:0"]);
    assert!(!serve.status.success());
    let msg = text(&serve);
    assert!(msg.contains("schema is behind") && msg.contains("lms migrate up"), "{msg}");
    let up = run(&["migrate", "up", "--database-url", url]);
    assert!(up.status.success(), "{}", text(&up));
    let status = run(&["migrate", "status", "--database-url", url]);
    assert!(status.status.success(), "{}", text(&status));
    assert!(text(&status).contains("0 pending"));
}

#[test]
fn migrations_on_sqlite() {
    let (dir, url) = sqlite_url("migrate");
    migrations_flow(&url);
    // The database file holds every person's data: readable by its owner only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(format!("{}/lms.db", dir.path())).expect("db file").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}

#[tokio::test]
async fn migrations_on_postgres() {
    let url = testing::fresh_url(Backend::Postgres).await.expect("database");
    let _cleanup = testing::Cleanup::new(&url);
    let flow_url = url.clone();
    tokio::task::spawn_blocking(move || migrations_flow(&flow_url)).await.expect("flow");
}

#[test]
fn bad_database_urls_are_explained() {
    let o = run(&["migrate", "status", "--database-url", "mysql://x"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("use postgres://"), "{}", text(&o));
}

/// A running `lms serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
    stdout: Vec<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server::start_logging_to(args, Stdio::inherit())
    }
    fn start_logging_to(args: &[&str], stderr: Stdio) -> Server {
        let mut child = lms()
            .env("RUST_LOG", "info")
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut stdout = Vec::new();
        let base = loop {
            let line = lines.next().expect("server exited early").expect("line");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().expect("url").to_string();
            }
            stdout.push(line);
        };
        Server { child, base, stdout }
    }
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_server_serves_and_stops_cleanly_on_sigterm() {
    let (_dir, url) = sqlite_url("demo");
    let server = Server::start(&["--demo", "--database-url", &url, "--slot", "blue"]);
    let printed = server.stdout.join("\n");
    for login in [
        "hr@demo.local",
        "manager@demo.local",
        "employee1@demo.local",
        "manager2@demo.local",
        "employee6@demo.local",
        "lms-demo",
    ] {
        assert!(printed.contains(login), "{login} not printed:\n{printed}");
    }
    // The same demo password, a different salt (so a different hash) for each account.
    let db = lms_store::Db::connect(&url, &Default::default()).await.unwrap();
    let people = testing::count_rows(&db, "employees").await.unwrap();
    assert_eq!(testing::count_distinct(&db, "employees", "password_hash").await.unwrap(), people);
    assert_eq!(people, 9);
    db.close().await;
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let health: Value = client.get(format!("{}/api/health", server.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["slot"], "blue");
    let res = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({"email": "manager@demo.local", "password": "lms-demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Maintenance switched from the command line is seen by the running server.
    let on = run(&["maintenance", "on", "--database-url", &url]);
    assert!(on.status.success(), "{}", text(&on));
    let health: Value = client.get(format!("{}/api/health", server.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["maintenance"], true);
    let res = client
        .post(format!("{}/api/v1/me/tokens", server.base))
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(run(&["maintenance", "off", "--database-url", &url]).status.success());
    let res = client
        .post(format!("{}/api/v1/me/tokens", server.base))
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let status = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    assert!(status.success(), "exit after SIGTERM: {status:?}");
}

/// Logs written to a file carry no colour codes; `--log-format json` writes
/// one JSON object per line.
#[test]
fn logs_to_a_file_are_plain_text_or_one_json_object_per_line() {
    for format in ["text", "json"] {
        let (dir, url) = sqlite_url(&format!("logs-{format}"));
        let log_path = format!("{}/server.log", dir.path());
        let log = std::fs::File::create(&log_path).expect("log file");
        let server =
            Server::start_logging_to(&["--log-format", format, "--migrate", "--database-url", &url], Stdio::from(log));
        assert!(server.terminate().success());
        let logged = std::fs::read_to_string(&log_path).expect("read log");
        let lines: Vec<&str> = logged.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(lines.iter().any(|l| l.contains("LMS listening")), "{format}: {logged}");
        assert!(lines.iter().any(|l| l.contains("stopped")), "{format}: {logged}");
        assert!(!logged.contains('\x1b'), "{format} log holds colour codes: {logged:?}");
        if format == "json" {
            for line in &lines {
                let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                assert!(v["level"].is_string() && v["timestamp"].is_string(), "{line}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_hr_admin_is_bootstrapped_from_the_command_line() {
    let (_dir, url) = sqlite_url("bootstrap");
    assert!(run(&["migrate", "up", "--database-url", &url]).status.success());
    let mut child = lms()
        .args([
            "user",
            "create",
            "--database-url",
            &url,
            "--email",
            "Boss@Example.org",
            "--role",
            "hr-admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"correct horse battery\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("boss@example.org"));
    let weak = lms()
        .args(["user", "create", "--database-url", &url, "--email", "weak@example.org", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut weak = weak;
    weak.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = weak.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("at least 8"), "{}", text(&out));

    let server = Server::start(&["--database-url", &url]);
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({"email": "boss@example.org", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["role"], "hr-admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_suite_passes_repeatedly_and_fails_honestly() {
    let (_dir, url) = sqlite_url("smoke");
    let server = Server::start(&["--demo", "--database-url", &url]);
    let base = server.base.clone();
    let smoke = |extra: &[&str]| {
        let mut args = vec!["smoke", "--target", base.as_str(), "--json"];
        args.extend_from_slice(extra);
        let o = run(&args);
        let results: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        (o.status.success(), results, text(&o))
    };
    for round in 0..2 {
        let (ok, results, out) = tokio::task::block_in_place(|| smoke(&[]));
        assert!(ok, "round {round}: {out}");
        let ids: Vec<&str> = results.as_array().unwrap().iter().filter_map(|r| r["id"].as_str()).collect();
        assert_eq!(ids, (1..=10).map(|i| format!("SMOKE-{i:03}")).collect::<Vec<_>>());
        assert!(results.as_array().unwrap().iter().all(|r| r["passed"] == true), "{results}");
    }
    // It cleans up: the employee has no pending or approved smoke request left.
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "employee1@demo.local", "password": "lms-demo"}))
        .send()
        .await
        .unwrap();
    for status in ["pending", "approved"] {
        let h: Value = client
            .get(format!("{base}/api/v1/leave-requests?status={status}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(h["items"].as_array().map(|a| a.len()), Some(0), "{status}: {h}");
    }
    // Read-only mode runs the six read-only tests.
    let (ok, results, out) = tokio::task::block_in_place(|| smoke(&["--read-only"]));
    assert!(ok, "{out}");
    assert_eq!(results.as_array().unwrap().len(), 6);
    // During maintenance the write tests fail, and the command says so.
    assert!(run(&["maintenance", "on", "--database-url", &url]).status.success());
    let (ok, results, _) = tokio::task::block_in_place(|| smoke(&[]));
    assert!(!ok);
    let failed: Vec<&str> =
        results.as_array().unwrap().iter().filter(|r| r["passed"] == false).filter_map(|r| r["id"].as_str()).collect();
    assert!(failed.contains(&"SMOKE-003") && failed.contains(&"SMOKE-005"), "{results}");
    // Wrong credentials fail SMOKE-001 with the reason.
    let (ok, results, _) =
        tokio::task::block_in_place(|| smoke(&["--password", "wrong-password", "--only", "SMOKE-001"]));
    assert!(!ok);
    assert!(results[0]["detail"].as_str().unwrap_or("").contains("401"), "{results}");
}

#[test]
fn shipped_migrations_pass_the_expand_contract_check() {
    let o = run(&["migrate", "check"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("only expand"));
}

#[test]
fn cutover_plans_validate_and_show_as_the_seed_table() {
    let phase29 = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cutover/phase29.toml");
    let ok = run(&["cutover", "validate", phase29]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("21 timeline steps, 3 checkpoints, 10 smoke tests"), "{}", text(&ok));
    let show = run(&["cutover", "show", phase29]);
    assert!(show.status.success(), "{}", text(&show));
    let table = text(&show);
    assert!(table.contains("| Time  | Step | Activity"), "{table}");
    assert!(table.contains("| 23:55 | 10   | Checkpoint #1 - Go/No-Go"), "{table}");
    assert_eq!(table.lines().filter(|l| l.starts_with("| ") && l.contains(":")).count(), 21, "{table}");

    let dir = tempdir::Dir::new("badplan");
    let bad = format!("{}/bad.toml", dir.path());
    std::fs::write(&bad, "[plan]\nid = 5\n").unwrap();
    let o = run(&["cutover", "validate", &bad]);
    assert!(!o.status.success());
    let msg = text(&o);
    assert!(msg.contains("2:6: [plan]: invalid type"), "{msg}");
    assert!(msg.contains("missing [[steps]] entries"), "every error is reported: {msg}");
}
