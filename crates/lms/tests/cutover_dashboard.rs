//! The war room's page and its HTTP control API, through the real binary:
//! `lms cutover run --dashboard ADDR` at checkpoint 1 serves the snapshot
//! (as JSON and as server-sent events that follow the journal), open to
//! anyone until the run has credentials (a name decides), then only to
//! their holders; a
//! decision is taken with the release commander's credential, refused
//! without one (401) and with an observer's (403); `lms cutover decide`
//! and `rollback --controller URL` reach the same API from "another host"
//! with the local exit codes; `lms cutover dashboard --run DIR` serves the
//! ended run read-only and refuses every request to act; `resume
//! --dashboard` serves a run picked up after its controller died. Every
//! wait polls with a deadline.

mod common;

use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn manual_plan() -> String {
    production_like_plan().replace("auto_decisions = true", "auto_decisions = false")
}

fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// One HTTP/1.1 request with `Connection: close`: status, headers, body.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

fn call(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<(&str, &str)>) -> Answer {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the war room");
    s.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let (kind, payload) = body.unwrap_or(("", ""));
    let content = if body.is_some() {
        format!("Content-Type: {kind}\r\nContent-Length: {}\r\n", payload.len())
    } else {
        String::new()
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{auth}{content}\r\n{payload}"
    )
    .expect("send");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read the answer");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Answer { status, head: head.to_string(), body: body.to_string() }
}

fn post_json(port: u16, path: &str, token: Option<&str>, body: &str) -> Answer {
    call(port, "POST", path, token, Some(("application/json", body)))
}

/// Reads server-sent events until two `state` events with different
/// journal record counts arrived: the stream follows the journal.
fn two_different_states(port: u16, token: &str) -> (u64, u64) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    write!(s, "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n").expect("send");
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    let mut counts: Vec<u64> = Vec::new();
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        line.clear();
        if reader.read_line(&mut line).expect("read the stream") == 0 {
            break;
        }
        if let Some(data) = line.strip_prefix("data: ").or_else(|| line.strip_prefix("data:")) {
            let v: Value = serde_json::from_str(data.trim()).expect("each event is a JSON snapshot");
            let n = v["records"].as_u64().expect("records");
            if counts.last().is_some_and(|&last| last != n) {
                return (counts[0], n);
            }
            counts.push(n);
        }
    }
    panic!("the event stream did not bring a second, newer snapshot: {counts:?}")
}

#[test]
fn the_war_room_follows_the_run_and_only_the_commander_decides_and_rolls_back() {
    let stage = Stage::new("war-room", &manual_plan());
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    // Killed when the test ends, whatever happens.
    let mut procs = Procs::default();
    let controller = stage
        .run_command()
        .args(["--dashboard", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(stage.dir.join("controller.log")).expect("log"))
        .spawn()
        .expect("controller");
    procs.0.push(controller);
    let run = stage.run.clone();
    wait_for("checkpoint 1 waiting", || journal(&run).iter().any(|r| started(r, "await_checkpoint")));
    let log = std::fs::read_to_string(stage.dir.join("controller.log")).unwrap_or_default();
    assert!(log.contains(&format!("war room: {url}/")), "the URL is printed at start:\n{log}");

    // The page: no inline script or style, nothing from elsewhere.
    let page = call(port, "GET", "/", None, None);
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(page.body.contains("<script src=\"/assets/warroom.js\"") && !page.body.contains("<script>"));
    assert!(!page.body.contains("<style") && !page.body.contains("style=") && !page.body.contains("https://"));
    let js = call(port, "GET", "/assets/warroom.js", None, None);
    assert_eq!(js.status, 200);
    assert!(js.header("content-type").unwrap_or_default().contains("javascript"));
    assert!(!js.body.contains("innerHTML") && !js.body.contains("eval("), "data never becomes markup");

    // Without credentials anyone watches, and deciding takes a name.
    // The snapshot follows the journal within a poll of it.
    let mut s = Value::Null;
    wait_for("checkpoint 1 in the snapshot", || {
        let open = call(port, "GET", "/api/state", None, None);
        assert_eq!(open.status, 200, "{}", open.body);
        s = open.json();
        s["checkpoint"]["n"] == 1
    });
    assert_eq!(s["checkpoint"]["n"], 1, "{s}");
    assert_eq!(s["current_step"], 10, "{s}");
    assert_eq!(s["steps"].as_array().map(Vec::len), Some(21));
    assert_eq!(s["steps"][9]["current"], true);
    assert_eq!(s["weights"]["set"]["green"], 10);
    assert_eq!(s["weights"]["reported"]["green"], 10, "as the traffic controller reports it");
    assert_eq!(s["gates"].as_array().map(Vec::len), Some(5));
    assert!(s["gates"][0]["points"].as_array().is_some_and(|p| !p.is_empty()), "{}", s["gates"][0]);
    assert!(s["checkpoint"]["questions"].as_array().is_some_and(|q| q.len() == 4));
    assert!(s["checkpoint"]["evidence"].as_str().is_some_and(|e| e.starts_with("1.1.")));
    assert_eq!(s["can_act"], true);
    let nameless = post_json(port, "/api/decide", None, r#"{"checkpoint":1,"decision":"hold"}"#);
    assert_eq!(nameless.status, 400, "{}", nameless.body);
    assert!(nameless.json()["error"].as_str().is_some_and(|e| e.contains("your name")), "{}", nameless.body);
    let named =
        post_json(port, "/api/decide", None, r#"{"checkpoint":1,"decision":"hold","by":"Pat Duty","note":"named"}"#);
    assert_eq!(named.status, 200, "{}", named.body);
    // The hold's extended monitoring (3 s compressed), then round 2.
    wait_for("checkpoint 1 asking again, round 2", || {
        let s = call(port, "GET", "/api/state", None, None).json();
        s["checkpoint"]["n"] == 1 && s["checkpoint"]["round"] == 2
    });

    // Credentials: from now on only their holders watch.
    let grant = |role: &str, name: &str| -> String {
        let o = stage
            .cutover(&["grant", "--run", &run.display().to_string(), "--role", role, "--name", name])
            .output()
            .expect("grant");
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let commander = grant("release-commander", "Alex Doe");
    let observer = grant("DBA", "Sam Lee");
    assert_eq!(call(port, "GET", "/api/state", None, None).status, 401);
    assert_eq!(call(port, "GET", "/api/events", None, None).status, 401);
    assert_eq!(call(port, "GET", "/api/state", Some("lmsct_forged"), None).status, 401);
    let watched = call(port, "GET", "/api/state", Some(&observer), None);
    assert_eq!(watched.status, 200, "an observer watches: {}", watched.body);
    let me = call(port, "GET", "/api/me", Some(&observer), None).json();
    assert_eq!((me["signed_in"].as_bool(), me["may_decide"].as_bool()), (Some(true), Some(false)), "{me}");

    // Live: the event stream brings a newer snapshot as samples are journaled.
    let (first, later) = two_different_states(port, &observer);
    assert!(later > first, "{first} -> {later}");

    // Deciding: 401 without a credential, 403 for an observer, 409 for a
    // checkpoint that is not open, 415 / 400 for a malformed request.
    let hold = r#"{"checkpoint":1,"decision":"hold","note":"from the war room"}"#;
    let a = post_json(port, "/api/decide", None, hold);
    assert_eq!(a.status, 401, "{}", a.body);
    let a = post_json(port, "/api/decide", Some(&observer), hold);
    assert_eq!(a.status, 403, "{}", a.body);
    let why = a.json()["error"].as_str().unwrap_or_default().to_string();
    assert!(why.contains("Sam Lee") && why.contains("Release Commander"), "says which role is needed: {why}");
    let a = post_json(port, "/api/decide", Some(&commander), r#"{"checkpoint":2,"decision":"hold"}"#);
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.json()["error"].as_str().is_some_and(|e| e.contains("not open")), "{}", a.body);
    let a = call(port, "POST", "/api/decide", Some(&commander), Some(("text/plain", hold)));
    assert_eq!(a.status, 415, "{}", a.body);
    let a = post_json(port, "/api/decide", Some(&commander), r#"{"checkpoint":"one"}"#);
    assert_eq!(a.status, 400, "{}", a.body);
    let a = post_json(port, "/api/decide", Some(&commander), r#"{"checkpoint":1,"decision":"maybe"}"#);
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(count_events(&journal(&run), "decided"), 1, "nothing refused was journaled");

    let a = post_json(port, "/api/decide", Some(&commander), hold);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["accepted"], true);
    let j = journal(&run);
    let decisions: Vec<&Value> = j.iter().filter(|r| r["event"]["type"] == "decided").collect();
    assert_eq!(decisions.len(), 2, "{decisions:?}");
    assert_eq!(decisions[0]["event"]["record"]["by"], "Pat Duty", "a name decides on a run without credentials");
    let decided = decisions[1];
    assert_eq!(decided["event"]["record"]["round"], 2);
    assert_eq!(decided["event"]["record"]["by"], "Alex Doe (Release Commander)");
    assert_eq!(decided["event"]["record"]["decision"], "hold");
    assert_eq!(decided["event"]["record"]["note"], "from the war room");
    wait_for("the decision in the snapshot", || {
        call(port, "GET", "/api/state", Some(&observer), None).json()["decisions"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["by"] == "Alex Doe (Release Commander)" && d["decision"] == "HOLD"))
    });

    // From another host: the same API through the CLI, the local exit codes.
    let o = stage
        .cutover(&["decide", "--controller", &url, "--checkpoint", "1", "--decision", "proceed"])
        .env("LMS_CUTOVER_TOKEN", &observer)
        .output()
        .expect("decide --controller");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("403") && text(&o).contains("Release Commander"), "{}", text(&o));
    let o = stage
        .cutover(&["rollback", "--controller", &url, "--reason", "latency on green"])
        .env("LMS_CUTOVER_TOKEN", &observer)
        .output()
        .expect("rollback --controller");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_eq!(stage.weights(), Some((90, 10)), "nothing moved");
    let o = stage
        .cutover(&["rollback", "--controller", &url, "--reason", "latency on green"])
        .env("LMS_CUTOVER_TOKEN", &commander)
        .output()
        .expect("rollback --controller");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("ROLLED BACK"), "{}", text(&o));
    assert_eq!(stage.weights(), Some((100, 0)), "all traffic on blue");
    assert_eq!(wait_exit(&mut procs.0[0], "the controller"), Some(1));
    let j = journal(&run);
    let requested = j.iter().find(|r| r["event"]["type"] == "rollback_requested").expect("journaled");
    assert_eq!(requested["event"]["by"], "Alex Doe (Release Commander)");
    assert_eq!(requested["event"]["reason"], "latency on green");

    // The controller is gone: the read-only war room serves the journal
    // and refuses every request to act, saying why.
    let ro_port = free_port();
    let ro = stage
        .cutover(&["dashboard", "--run", &run.display().to_string(), "--listen", &format!("127.0.0.1:{ro_port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("lms cutover dashboard");
    procs.0.push(ro);
    wait_for("the read-only war room", || {
        if let Ok(Some(status)) = procs.0[1].try_wait() {
            panic!("lms cutover dashboard exited: {status}");
        }
        std::net::TcpStream::connect(("127.0.0.1", ro_port)).is_ok()
    });
    let s = call(ro_port, "GET", "/api/state", Some(&observer), None).json();
    assert_eq!(
        (s["controls"].as_bool(), s["controller"].as_bool(), s["can_act"].as_bool()),
        (Some(false), Some(false), Some(false))
    );
    assert!(s["verdict"].as_str().is_some_and(|v| v.starts_with("ROLLED BACK")), "{s}");
    assert!(s["rollback"]["on_blue_at"].is_string(), "{s}");
    assert_eq!(call(ro_port, "GET", "/api/state", None, None).status, 401);
    for (path, body) in [("/api/decide", hold), ("/api/rollback", r#"{"reason":"again"}"#)] {
        let a = post_json(ro_port, path, Some(&commander), body);
        assert_eq!(a.status, 409, "{path}: {}", a.body);
        assert!(a.json()["error"].as_str().is_some_and(|e| e.contains("read-only")), "{path}: {}", a.body);
    }
    assert_eq!(post_json(ro_port, "/api/decide", Some(&observer), hold).status, 403);
}

/// `resume --dashboard` serves the war room of a run picked up after its
/// controller died; on a run without credentials `decide --controller`
/// takes a name, and a rollback decided there ends the run rolled back.
#[test]
fn a_resumed_controller_serves_the_war_room_and_a_named_decision_rolls_back() {
    let mut stage = Stage::new("war-room-resume", &manual_plan());
    stage.run_to_checkpoint_1_and_kill();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut procs = Procs::default();
    let run = stage.run.display().to_string();
    let resumed = stage
        .cutover(&["resume", &run, "--no-prompt", "--dashboard", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("resume");
    procs.0.push(resumed);
    wait_for("checkpoint 1 open in the resumed run's war room", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && {
            let s = call(port, "GET", "/api/state", None, None).json();
            s["checkpoint"]["n"] == 1 && s["controller"] == true
        }
    });
    let o = stage
        .cutover(&["decide", "--controller", &url, "--checkpoint", "1", "--decision", "rollback"])
        .output()
        .expect("decide --controller");
    assert_eq!(o.status.code(), Some(3), "a name is needed: {}", text(&o));
    assert!(text(&o).contains("your name"), "{}", text(&o));
    let o = stage
        .cutover(&["decide", "--controller", &url, "--checkpoint", "1", "--decision", "rollback"])
        .args(["--by", "Pat Duty", "--note", "latency on green"])
        .output()
        .expect("decide --controller");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("ROLLBACK by Pat Duty"), "{}", text(&o));
    assert_eq!(wait_exit(&mut procs.0[0], "the resumed controller"), Some(1), "rolled back");
    assert_eq!(stage.weights(), Some((100, 0)));
    let j = journal(&stage.run);
    let decided = j.iter().find(|r| r["event"]["type"] == "decided").expect("journaled");
    assert_eq!(decided["event"]["record"]["by"], "Pat Duty");
}
