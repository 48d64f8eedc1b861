//! The war room's page served read-only from a run directory, in-process:
//! a run whose controller is gone (a plan and a journal written here). The
//! snapshot follows the journal (JSON and server-sent events), the page
//! carries a strict CSP, watching needs a credential once the run has
//! them (bearer or the page's sign-in cookie), and every request to act is
//! refused with the status and message that say what to do.

use std::time::{Duration, Instant};

use chrono::Utc;
use lms_cutover::dashboard::{self, Dashboard, Mode};
use lms_cutover::engine::Event;
use lms_cutover::journal::Journal;
use lms_cutover::runner::context::RunDir;
use lms_cutover::runner::grants;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

/// A run directory with the rehearsal plan and a journal that started.
fn run_without_controller(name: &str) -> (RunDir, Journal) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let root = std::env::temp_dir().join(format!("lms-warroom-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&root).expect("run dir");
    let dir = RunDir::new(root);
    std::fs::write(dir.plan(), lms_cutover::rehearse::DEFAULT_PLAN).expect("plan");
    let mut journal = Journal::create(dir.journal()).expect("journal");
    let plan_id = lms_cutover::plan::parse(lms_cutover::rehearse::DEFAULT_PLAN).expect("plan").meta.id;
    journal
        .append(Utc::now(), Event::RunStarted { plan_id, own_version: "3.0.0".into(), blackout_override: None })
        .expect("append");
    (dir, journal)
}

async fn serve(dir: &RunDir) -> (Dashboard, String) {
    let d = dashboard::serve(dir.clone(), "127.0.0.1:0".parse().expect("addr"), Mode::ReadOnly).await.expect("serve");
    let url = d.url().trim_end_matches('/').to_string();
    (d, url)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).build().expect("client")
}

async fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = client().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("GET");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn post(url: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut req = client().post(url).header("content-type", "application/json").body(body.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("POST");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The next `state` event's snapshot from an event stream.
async fn next_state(res: &mut reqwest::Response, buffer: &mut String) -> Value {
    let start = Instant::now();
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data:")) {
                return serde_json::from_str(data.trim()).expect("a JSON snapshot");
            }
            continue;
        }
        assert!(start.elapsed() < WAIT, "no state event within {WAIT:?}: {buffer}");
        let chunk = tokio::time::timeout(WAIT, res.chunk()).await.expect("an event in time").expect("the stream");
        buffer.push_str(&String::from_utf8_lossy(&chunk.expect("the stream ended")));
    }
}

#[tokio::test]
async fn a_read_only_war_room_follows_the_journal_and_refuses_to_act() {
    let (dir, mut journal) = run_without_controller("follow");
    let (_d, url) = serve(&dir).await;

    let page = client().get(format!("{url}/")).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let csp = page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(csp.starts_with("default-src 'self'") && !csp.contains("unsafe"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(html.contains("/assets/warroom.js") && !html.contains("<script>") && !html.contains("<style"));
    let (status, missing) = get(&format!("{url}/nowhere"), None).await;
    assert_eq!(status, 404);
    assert!(missing["error"].is_string(), "{missing}");

    let (status, s) = get(&format!("{url}/api/state"), None).await;
    assert_eq!(status, 200, "a run without credentials is open to watch: {s}");
    assert_eq!(s["started"], true);
    assert_eq!(s["records"], 1);
    assert_eq!(s["run_id"], dir.run_id());
    assert_eq!(
        (s["controls"].as_bool(), s["controller"].as_bool(), s["can_act"].as_bool()),
        (Some(false), Some(false), Some(false))
    );
    assert_eq!(s["steps"].as_array().map(Vec::len), Some(21));
    assert_eq!(s["weights"]["set"]["green"], 0);
    assert!(s["checkpoint"].is_null() && s["verdict"].is_null(), "{s}");

    // The event stream: the snapshot at once, then a new one per change.
    let mut events = client().get(format!("{url}/api/events")).send().await.expect("events");
    assert_eq!(events.status(), 200);
    assert!(events
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/event-stream")));
    assert_eq!(events.headers().get("x-accel-buffering").and_then(|v| v.to_str().ok()), Some("no"));
    let mut buffer = String::new();
    assert_eq!(next_state(&mut events, &mut buffer).await["records"], 1);
    journal.append(Utc::now(), Event::Resumed).expect("append");
    let next = next_state(&mut events, &mut buffer).await;
    assert_eq!(next["records"], 2, "the stream follows the journal");

    // Acting: refused, saying why and what to do instead.
    let hold = r#"{"checkpoint":1,"decision":"hold","by":"Release Commander"}"#;
    let (status, a) = post(&format!("{url}/api/decide"), None, hold).await;
    assert_eq!(status, 409, "{a}");
    assert!(a["error"].as_str().is_some_and(|e| e.contains("read-only") && e.contains("lms cutover decide")), "{a}");
    let (status, a) = post(&format!("{url}/api/rollback"), None, r#"{"reason":"x","by":"Release Commander"}"#).await;
    assert_eq!(status, 409, "{a}");
    let res = client().post(format!("{url}/api/decide")).body(hold).send().await.expect("POST");
    assert_eq!(res.status(), 415, "a body that is not JSON");
    let res = client()
        .post(format!("{url}/api/decide"))
        .header("content-type", "application/json")
        .header("sec-fetch-site", "cross-site")
        .body(hold)
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403, "a request from another site");
    let _ = std::fs::remove_dir_all(&dir.root);
}

#[tokio::test]
async fn with_credentials_only_their_holders_watch_and_only_the_commander_may_act() {
    let (dir, mut journal) = run_without_controller("grants");
    let plan = lms_cutover::plan::parse(lms_cutover::rehearse::DEFAULT_PLAN).expect("plan");
    let (_, commander) = grants::issue(&dir, &plan, "release-commander", "Alex Doe").expect("grant");
    let (_, observer) = grants::issue(&dir, &plan, "DBA", "Sam Lee").expect("grant");
    let (_d, url) = serve(&dir).await;

    let (status, a) = get(&format!("{url}/api/state"), None).await;
    assert_eq!(status, 401, "{a}");
    assert!(a["error"].as_str().is_some_and(|e| e.contains("lms cutover grant")), "{a}");
    assert_eq!(get(&format!("{url}/api/events"), None).await.0, 401);
    assert_eq!(get(&format!("{url}/api/state"), Some("lmsct_forged")).await.0, 401);
    assert_eq!(get(&format!("{url}/api/state"), Some(&observer)).await.0, 200);
    let (_, me) = get(&format!("{url}/api/me"), Some(&observer)).await;
    assert_eq!((me["name"].as_str(), me["may_decide"].as_bool()), (Some("Sam Lee"), Some(false)), "{me}");
    let (_, me) = get(&format!("{url}/api/me"), None).await;
    assert_eq!((me["credentials"].as_bool(), me["may_watch"].as_bool()), (Some(true), Some(false)), "{me}");

    let hold = r#"{"checkpoint":1,"decision":"hold"}"#;
    assert_eq!(post(&format!("{url}/api/decide"), None, hold).await.0, 401);
    let (status, a) = post(&format!("{url}/api/decide"), Some(&observer), hold).await;
    assert_eq!(status, 403, "{a}");
    assert!(a["error"].as_str().is_some_and(|e| e.contains("DBA") && e.contains("Release Commander")), "{a}");
    let (status, a) = post(&format!("{url}/api/rollback"), Some(&observer), r#"{"reason":"x"}"#).await;
    assert_eq!(status, 403, "{a}");
    let (status, a) = post(&format!("{url}/api/decide"), Some(&commander), hold).await;
    assert_eq!(status, 409, "the commander may, but this dashboard is read-only: {a}");

    // The page signs in with the token and gets a cookie for this run.
    let (status, _) = post(&format!("{url}/api/session"), None, r#"{"token":"lmsct_forged"}"#).await;
    assert_eq!(status, 401);
    let res = client()
        .post(format!("{url}/api/session"))
        .header("content-type", "application/json")
        .body(format!("{{\"token\":\"{observer}\"}}"))
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), 200);
    let cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.starts_with(&format!("lms_warroom_{}=", dir.run_id())), "one cookie per run: {cookie}");
    let pair = cookie.split(';').next().unwrap_or("").to_string();
    let res = client().get(format!("{url}/api/state")).header("cookie", &pair).send().await.expect("GET");
    assert_eq!(res.status(), 200, "the cookie signs the page in");
    let other = pair.replacen("lms_warroom_", "lms_warroom_another-run", 1);
    let res = client().get(format!("{url}/api/state")).header("cookie", other).send().await.expect("GET");
    assert_eq!(res.status(), 401, "another run's cookie is not this one's");

    // A credential taken away (its line removed) ends its open event stream.
    let mut events = client().get(format!("{url}/api/events")).header("cookie", &pair).send().await.expect("events");
    let mut buffer = String::new();
    assert_eq!(next_state(&mut events, &mut buffer).await["records"], 1);
    let kept: Vec<grants::Grant> =
        grants::load(&dir).expect("grants").into_iter().filter(|g| g.name != "Sam Lee").collect();
    std::fs::write(dir.root.join("grants.json"), serde_json::to_string(&kept).expect("json")).expect("write");
    journal.append(Utc::now(), Event::Resumed).expect("append");
    while let Ok(Some(chunk)) = tokio::time::timeout(WAIT, events.chunk()).await.expect("the stream ends in time") {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(!buffer.contains("data:"), "no snapshot after the credential was taken away: {buffer}");
    assert_eq!(get(&format!("{url}/api/state"), Some(&observer)).await.0, 401);
    assert_eq!(get(&format!("{url}/api/state"), Some(&commander)).await.0, 200);
    let _ = std::fs::remove_dir_all(&dir.root);
}
