//! The cutover war room in Chromium, during a rehearsal whose checkpoints
//! wait for a person (`lms cutover rehearse --dashboard ADDR`): the page
//! asks for a run credential once the run has them, follows the run live
//! (server-sent events, no reload), shows the open checkpoint with its
//! questions and evidence, refuses an observer's decision with the reason,
//! takes the release commander's, and rolls back from its button; it fits
//! a phone's width and passes axe. Then `lms cutover dashboard` shows the
//! ended run read-only, with nothing to press.

use crate::common;
use crate::harness::Browser;
use serde_json::Value;
use std::process::Stdio;

/// Whether the document is wider than the viewport (a sideways scroll).
const OVERFLOW: &str = "return document.documentElement.scrollWidth - window.innerWidth";

/// The journal's record count the page last drew.
const RECORDS: &str = "return Number(document.body.getAttribute('data-records') || '0')";

fn grant(run: &std::path::Path, role: &str, name: &str) -> String {
    let o = common::lms()
        .args(["cutover", "grant", "--run"])
        .arg(run)
        .args(["--role", role, "--name", name])
        .output()
        .expect("lms cutover grant");
    assert!(o.status.success(), "grant: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

async fn records_drawn(browser: &Browser) -> u64 {
    browser.client().execute(RECORDS, vec![]).await.expect("reading the page's record count").as_u64().unwrap_or(0)
}

async fn sign_in_with(browser: &Browser, token: &str) {
    browser.type_into("#token", token).await;
    browser.find("form#sign-in button[type=submit]").await.click().await.expect("clicking Sign in");
}

#[tokio::test]
async fn the_war_room_follows_a_rehearsal_and_only_the_commander_decides_from_the_page() {
    let browser = Browser::start().await;
    let dir = common::scratch("warroom-browser");
    let plan = common::lms_plan_text().replace("auto_decisions = true", "auto_decisions = false");
    assert!(plan.contains("auto_decisions = false"), "the rehearsal plan changed; update this test");
    std::fs::write(dir.join("plan.toml"), plan).expect("plan");
    let port = common::free_port();
    let out = dir.join("runs");
    let mut procs = common::Procs::default();
    let rehearsal = common::lms()
        .args(["cutover", "rehearse", "--port-base", "0", "--rate", "30", "--quiet", "--plan"])
        .arg(dir.join("plan.toml"))
        .arg("--out")
        .arg(&out)
        .args(["--dashboard", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("rehearsal.log")).expect("log"))
        .spawn()
        .expect("lms cutover rehearse");
    procs.0.push(rehearsal);
    let run_dir = || std::fs::read_dir(&out).ok()?.flatten().next().map(|e| e.path());
    common::wait_for("the rehearsal's run directory", || run_dir().is_some());
    let run = run_dir().expect("run directory");
    // Blue and green go with the test, whatever happens.
    procs.1.extend([run.join("blue.pid"), run.join("green.pid")]);
    let waiting = || common::journal(&run).iter().any(|r| common::started(r, "await_checkpoint"));
    common::wait_for("checkpoint 1 waiting for a person", waiting);
    let commander = grant(&run, "release-commander", "Alex Doe");
    let observer = grant(&run, "QA Lead", "Kim Park");

    // The page asks for a credential; an observer signs in and watches.
    browser.goto_url(&format!("http://127.0.0.1:{port}/")).await;
    browser.find("#sign-in-panel:not([hidden]) #token").await;
    sign_in_with(&browser, "lmsct_not-issued").await;
    browser.wait_for_text("#sign-in-result", "not one issued for this run").await;
    sign_in_with(&browser, &observer).await;
    browser.wait_for_text("#who-text", "Kim Park (QA Lead)").await;
    let title = browser.wait_for_text("#checkpoint-title", "Checkpoint 1").await;
    assert!(title.contains("round 1"), "{title}");
    browser.wait_for_text("#connection", "Live").await;
    assert_eq!(browser.count("#questions tbody tr").await, 4, "the checkpoint's questions");
    let evidence = browser.text("#checkpoint-meta").await;
    assert!(evidence.contains("Evidence 1.1."), "{evidence}");
    assert_eq!(browser.count("#gates figure svg").await, 5, "a chart per gate");
    assert_eq!(browser.count("#gates figure svg line").await, 5, "each with its threshold");
    // Values: green's CPU and memory always; the request figures once
    // green has served enough requests in a sample.
    assert!(browser.count("#gates figure svg polyline").await >= 2, "measured values drawn");
    assert!(browser.text("#timeline tr[aria-current=step]").await.contains("Checkpoint #1"), "the current step");
    assert!(browser.text("#weights").await.contains("green 10 %"), "{}", browser.text("#weights").await);

    // Live: the page draws newer journal records as the controller samples.
    let before = records_drawn(&browser).await;
    assert!(before > 0);
    browser
        .wait_until("the page to draw a newer snapshot without reloading", || async {
            records_drawn(&browser).await > before
        })
        .await;

    // Fits a phone and passes axe, signed in and live.
    for width in [360, 1280] {
        browser.screenshot("warroom", width).await;
        let overflow = browser.client().execute(OVERFLOW, vec![]).await.expect("measuring the page");
        assert!(overflow.as_i64().is_some_and(|px| px <= 0), "{overflow} px wider than {width} px");
        browser.assert_accessible(&format!("warroom-{width}")).await;
    }

    // The observer's decision is refused, with the role it needs.
    browser.find("#decide-buttons button[data-decision=hold]").await.click().await.expect("clicking HOLD");
    let refused = browser.wait_for_text("#decide-result", "Refused (403)").await;
    assert!(refused.contains("Release Commander"), "{refused}");
    assert!(
        !common::journal(&run).iter().any(|r| r["event"]["type"] == "decided"),
        "nothing was journaled for the observer"
    );

    // The commander signs in and proceeds from the page.
    browser.click_and_wait("#sign-out").await;
    browser.find("#sign-in-panel:not([hidden]) #token").await;
    sign_in_with(&browser, &commander).await;
    browser.wait_for_text("#who-text", "Alex Doe (Release Commander)").await;
    browser.wait_for_text("#checkpoint-title", "Checkpoint 1").await;
    browser.type_into("#decide-note", "canary looks fine").await;
    browser.type_into("#decide-override", "a loaded test machine may breach p95").await;
    browser.find("#decide-buttons button[data-decision=proceed]").await.click().await.expect("clicking PROCEED");
    let accepted = browser.wait_for_text("#decide-result", "Accepted").await;
    assert!(accepted.contains("Alex Doe (Release Commander)"), "{accepted}");
    let decided: Vec<Value> = common::journal(&run).into_iter().filter(|r| r["event"]["type"] == "decided").collect();
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert_eq!(decided[0]["event"]["record"]["by"], "Alex Doe (Release Commander)");
    assert_eq!(decided[0]["event"]["record"]["decision"], "proceed");
    assert_eq!(decided[0]["event"]["record"]["note"], "canary looks fine");
    browser.wait_for_text("#decisions", "Alex Doe (Release Commander)").await;
    browser.wait_for_text("#weights", "green 50 %").await;

    // And rolls back with the big button, after confirming with a reason.
    browser.find("#rollback-open:not([hidden])").await.click().await.expect("clicking Roll back now");
    browser.type_into("#rollback-reason", "drill from the war room").await;
    browser.find("form#rollback button[type=submit]").await.click().await.expect("confirming the rollback");
    browser.wait_for_text("#rollback-result", "ROLLED BACK").await;
    assert_eq!(common::wait_exit(&mut procs.0[0], "the rehearsal"), Some(1), "rolled back");
    let j = common::journal(&run);
    let requested = j.iter().find(|r| r["event"]["type"] == "rollback_requested").expect("the rollback request");
    assert_eq!(requested["event"]["by"], "Alex Doe (Release Commander)");
    assert_eq!(requested["event"]["reason"], "drill from the war room");

    // The controller is gone: the read-only war room shows how it ended,
    // with nothing to press. The browser keeps the run's cookie for this
    // host, so the commander is still signed in.
    let ro_port = common::free_port();
    let ro = common::lms()
        .args(["cutover", "dashboard", "--run"])
        .arg(&run)
        .args(["--listen", &format!("127.0.0.1:{ro_port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("lms cutover dashboard");
    procs.0.push(ro);
    common::wait_for("the read-only war room", || std::net::TcpStream::connect(("127.0.0.1", ro_port)).is_ok());
    browser.goto_url(&format!("http://127.0.0.1:{ro_port}/")).await;
    browser.wait_for_text("#verdict", "ROLLED BACK").await;
    browser.wait_for_text("#controller", "Read-only").await;
    assert!(browser.text("#who-text").await.contains("Alex Doe"), "signed in by the run's cookie");
    assert!(!browser.exists("#rollback-open:not([hidden])").await, "no roll-back button on a read-only page");
    assert!(!browser.exists("#checkpoint-panel:not([hidden])").await, "no checkpoint open");
    browser.wait_for_text("#decisions", "PROCEED").await;
    browser.assert_accessible("warroom-read-only").await;
    drop(procs);
    let _ = std::fs::remove_dir_all(&dir);
}
