//! The emergency path of `lms cutover`, through the real binary: a manual
//! rollback from an operator's fresh shell with the controller dead, a
//! rollback against a traffic controller that does not answer (capped
//! back-off, one journal line per change, an alert on the webhook, then
//! done once the controller is back), a rollback of a run that went live
//! (refused without confirmation, done with it), a green that dies at start
//! while an older process answers its address, a decision with no
//! controller running, and the exit codes.

mod common;

use common::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn manual_plan() -> String {
    production_like_plan().replace("auto_decisions = true", "auto_decisions = false")
}

#[test]
fn rollback_from_a_fresh_shell_with_the_controller_dead() {
    let mut stage = Stage::new("fresh-shell", &manual_plan());
    stage.run_to_checkpoint_1_and_kill();
    let run = stage.run.display().to_string();

    // Green carries 10 %: stopping it now is refused, and nothing changes.
    let o = lms_fresh_shell().args(["cutover", "stop-green", &run]).output().expect("stop-green");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("carries traffic"), "{}", text(&o));
    assert!(stage.run.join("green.pid").exists(), "green still runs");

    // An operator's new terminal: no LMS_TEST_* variables, no token in the
    // environment. The run directory holds everything a rollback needs.
    let started = Instant::now();
    let child = lms_fresh_shell()
        .args(["cutover", "rollback", "--run", &run, "--by", "Release Commander", "--reason", "errors reported"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rollback");
    wait_for("all traffic on blue", || stage.weights() == Some((100, 0)));
    eprintln!("FIGURE manual rollback, controller dead: command to 100% blue {} ms", started.elapsed().as_millis());
    let o = child.wait_with_output().expect("rollback output");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "a rollback ends with exit 1:\n{t}");
    assert!(t.contains("ROLLED BACK"), "{t}");
    assert_eq!(stage.weights(), Some((100, 0)), "all traffic on blue");
    let j = journal(&stage.run);
    let requested = j.iter().find(|r| r["event"]["type"] == "rollback_requested").expect("request journaled");
    assert_eq!(requested["event"]["by"], "Release Commander");
    let completed = j.iter().rev().find(|r| r["event"]["type"] == "run_completed").expect("a verdict");
    assert_eq!(completed["event"]["verdict"]["kind"], "rolled_back");

    // resume and stop-green work from a fresh shell too.
    let o = lms_fresh_shell().args(["cutover", "resume", &run, "--no-prompt"]).output().expect("resume");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("ROLLED BACK"));
    let o = lms_fresh_shell().args(["cutover", "stop-green", &run]).output().expect("stop-green");
    assert!(o.status.success(), "{}", text(&o));
    assert!(!stage.run.join("green.pid").exists(), "green stopped");
    assert_eq!(count_events(&journal(&stage.run), "green_stopped"), 1, "recorded in the journal");
    let md = std::fs::read_to_string(stage.run.join("report.md")).expect("report");
    assert!(md.contains("Green was stopped at"), "the report says so");
    // A second rollback has nothing to do and says so, with the same code.
    let o = lms_fresh_shell()
        .args(["cutover", "rollback", "--run", &run, "--by", "Release Commander", "--reason", "again"])
        .output()
        .expect("rollback again");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("already on blue"), "{}", text(&o));
}

#[test]
fn rollback_against_a_dead_traffic_controller_backs_off_then_completes() {
    let mut stage = Stage::new("dead-proxy", &manual_plan());
    stage.run_to_checkpoint_1_and_kill();
    stage.kill_proxy();
    let refuser = Refuser::start(stage.admin);
    let before = journal(&stage.run).len();
    let run = stage.run.display().to_string();

    let t0 = Instant::now();
    let mut rollback = lms_fresh_shell()
        .args(["cutover", "rollback", "--run", &run, "--by", "Release Commander", "--reason", "errors reported"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rollback");
    // Back-off of 100 ms doubling: the sixth call cannot come before 3.1 s.
    wait_for("six rollback attempts", || refuser.calls() >= 6);
    let elapsed = t0.elapsed();
    assert!(elapsed >= Duration::from_millis(3000), "6 calls in {elapsed:?}: no back-off");
    let j = journal(&stage.run);
    let added = &j[before..];
    assert_eq!(count_events(added, "rollback_retrying"), 1, "one line per change of what fails, not per attempt");
    assert!(added.len() <= 8, "the journal grew by {} lines: {added:#?}", added.len());
    wait_for("the alert on the webhook", || stage.hook.any("rollback_failing"));

    // The traffic controller comes back (still at 90/10): the rollback completes.
    drop(refuser);
    stage.start_proxy("blue=90,green=10");
    let code = wait_exit(&mut rollback, "the rollback");
    let out = rollback.wait_with_output().expect("output");
    let t = text(&out);
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("ROLLBACK FAILING") && t.contains("/rollback"),
        "the console says what fails and what to do:\n{t}"
    );
    assert_eq!(stage.weights(), Some((100, 0)));
    let report = read_json(&stage.run.join("report.json"));
    assert_eq!(report["verdict"]["kind"], "rolled_back");
}

#[test]
fn rollback_after_go_live_is_refused_without_confirmation_and_done_with_it() {
    let stage = Stage::new("after-golive", &production_like_plan());
    let o = stage.run_command().output().expect("run");
    assert_eq!(o.status.code(), Some(0), "go-live:\n{}", text(&o));
    assert_eq!(stage.weights(), Some((0, 100)));
    // The post-cutover webhook, named as {{env:…}}, was called.
    assert!(stage.hook.any("golive-confirmation"), "go-live announcement not sent");
    let report = read_json(&stage.run.join("report.json"));
    let dod = report["definition_of_done"].as_array().expect("dod");
    let announced = dod.iter().find(|d| d["item"] == "Go-live announcement sent").expect("dod item");
    assert_eq!(announced["met"], true, "{announced}");

    let run = stage.run.display().to_string();
    let o = lms_fresh_shell()
        .args(["cutover", "rollback", "--run", &run, "--by", "Release Commander", "--reason", "billing broken"])
        .output()
        .expect("rollback");
    assert_eq!(o.status.code(), Some(3), "refused loudly:\n{}", text(&o));
    assert!(text(&o).contains("--after-go-live"), "{}", text(&o));
    assert_eq!(stage.weights(), Some((0, 100)), "nothing changed");

    let o = lms_fresh_shell()
        .args(["cutover", "rollback", "--run", &run, "--by", "Release Commander", "--reason", "billing broken"])
        .arg("--after-go-live")
        .output()
        .expect("rollback after go-live");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(stage.weights(), Some((100, 0)), "all traffic on blue");
    let j = journal(&stage.run);
    let reopened = j.iter().find(|r| r["event"]["type"] == "reopened_for_rollback").expect("recorded");
    assert_eq!(reopened["event"]["by"], "Release Commander");
    let report = read_json(&stage.run.join("report.json"));
    assert_eq!(report["verdict"]["kind"], "rolled_back");
}

#[test]
fn deploy_green_fails_when_its_process_dies_while_an_older_one_answers() {
    let mut stage = Stage::new("green-dies", &production_like_plan());
    // An older green still holds green's address.
    let old = lms()
        .args(["serve", "--slot", "green", "--listen", &format!("127.0.0.1:{}", stage.green)])
        .env("LMS_DATABASE_URL", &stage.db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("old green");
    stage.procs.0.push(old);
    let port = stage.green;
    wait_for("old green", || http_get(port, "/api/health").is_some_and(|b| b.contains("healthy")));

    let o = stage.run_command().output().expect("run");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "aborted before traffic moved:\n{t}");
    assert_eq!(stage.weights(), Some((100, 0)), "no traffic moved");
    let j = journal(&stage.run);
    let deployed = j.iter().find(|r| r["event"]["type"] == "green_deployed").expect("deploy recorded");
    assert_eq!(deployed["event"]["outcome"]["ok"], false);
    let why = deployed["event"]["outcome"]["detail"].as_str().unwrap_or("");
    assert!(why.contains("exited") || why.contains("another process"), "{why}");
}

#[test]
fn a_decision_with_no_controller_is_refused_at_once_and_never_applied_later() {
    let mut stage = Stage::new("no-controller", &manual_plan());
    stage.run_to_checkpoint_1_and_kill();
    let run = stage.run.display().to_string();
    let t0 = Instant::now();
    let o = stage
        .cutover(&["decide", "--run", &run, "--checkpoint", "1", "--decision", "proceed", "--by", "Release Commander"])
        .output()
        .expect("decide");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("no controller"), "{}", text(&o));
    assert!(t0.elapsed() < Duration::from_secs(10), "it said so at once, not after a wait");
    let inbox: Vec<_> = std::fs::read_dir(stage.run.join("inbox")).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(inbox.is_empty(), "nothing queued: {inbox:?}");
}

fn signal(child: &std::process::Child, sig: &str) {
    let ok = std::process::Command::new("kill").args([sig, &child.id().to_string()]).status().expect("kill");
    assert!(ok.success());
}

#[test]
fn sigterm_without_a_terminal_rolls_back_when_green_has_traffic() {
    let stage = Stage::new("sigterm", &manual_plan());
    let mut c = stage.run_to_checkpoint_1();
    assert_eq!(stage.weights(), Some((90, 10)));
    signal(&c, "-TERM");
    let code = wait_exit(&mut c, "the interrupted controller");
    assert_eq!(code, Some(1), "rolled back by default");
    assert_eq!(stage.weights(), Some((100, 0)));
    let j = journal(&stage.run);
    let req = j.iter().find(|r| r["event"]["type"] == "rollback_requested").expect("recorded");
    assert!(req["event"]["reason"].as_str().unwrap_or("").contains("interrupted"), "{req}");
}

#[test]
fn sigint_before_traffic_moved_stops_and_leaves_the_run_resumable() {
    let mut stage = Stage::new("sigint", &manual_plan());
    let mut c = stage.run_command().stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("controller");
    let run = stage.run.clone();
    // Interrupt after the pre-checks, well before traffic moves (green must
    // still be deployed and checked).
    wait_for("the pre-checks done", || journal(&run).iter().any(|r| r["event"]["type"] == "checks_finished"));
    signal(&c, "-INT");
    let code = wait_exit(&mut c, "the interrupted controller");
    assert_eq!(code, Some(4), "stopped by a person");
    assert_eq!(stage.weights(), Some((100, 0)));
    assert!(journal(&run).iter().all(|r| r["event"]["type"] != "run_completed"), "no verdict: resumable");
    assert_eq!(count_events(&journal(&run), "controller_stopped"), 1, "the stop is in the journal, with why");
    // It resumes and carries on to checkpoint 1.
    let mut r = stage
        .cutover(&["resume", &run.display().to_string(), "--no-prompt"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("resume");
    wait_for("checkpoint 1 after resume", || {
        since_last_resume(&journal(&run)).iter().any(|r| started(r, "await_checkpoint"))
    });
    r.kill().expect("kill");
    let _ = r.wait();
    stage.procs.1.push(run.join("green.pid"));
}

#[test]
fn rollback_with_the_controller_alive_returns_once_traffic_is_on_blue() {
    let stage = Stage::new("alive", &manual_plan());
    let mut controller = stage.run_to_checkpoint_1();
    let run = stage.run.clone();
    let t0 = Instant::now();
    let child = stage
        .cutover(&["rollback", "--run", &run.display().to_string(), "--by", "Release Commander", "--reason", "test"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rollback");
    wait_for("all traffic on blue", || stage.weights() == Some((100, 0)));
    eprintln!("FIGURE manual rollback, controller alive: command to 100% blue {} ms", t0.elapsed().as_millis());
    let o = child.wait_with_output().expect("output");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("all traffic on blue"), "{}", text(&o));
    assert_eq!(wait_exit(&mut controller, "the controller"), Some(1), "the controller ends rolled back");
}

#[test]
fn a_restarted_traffic_controller_shows_as_weight_drift_and_holds_the_checkpoint() {
    let mut stage = Stage::new("drift", &manual_plan());
    let mut controller = stage.run_to_checkpoint_1();
    let run = stage.run.clone();
    // The proxy restarts with its command-line weights: all traffic on blue.
    stage.kill_proxy();
    stage.start_proxy("blue=100,green=0");
    wait_for("a drift alert", || {
        journal(&run)
            .iter()
            .any(|r| r["event"]["type"] == "notified" && r["event"]["notice"]["kind"] == "weights_drift")
    });
    assert!(stage.hook.any("weights_drift"), "the war room's webhook hears of it");
    let o = stage
        .cutover(&["decide", "--run", &run.display().to_string(), "--checkpoint", "1", "--decision", "proceed"])
        .args(["--by", "Release Commander"])
        .output()
        .expect("decide");
    assert_eq!(o.status.code(), Some(3), "proceeding on drifted weights is refused:\n{}", text(&o));
    let status = stage.cutover(&["status", &run.display().to_string()]).output().expect("status");
    assert!(text(&status).contains("weights drift"), "the checkpoint shows it:\n{}", text(&status));
    controller.kill().expect("kill");
    let _ = controller.wait();
}

/// The war room follows the run on its webhook: the checkpoint waiting with
/// its questions, the decision with who and why, rollback started and
/// completed with its timing, blue verified and the verdict — each as JSON
/// with structured data.
#[test]
fn the_war_room_webhook_gets_every_event_of_a_rollback_decided_at_a_checkpoint() {
    let stage = Stage::new("warroom", &manual_plan());
    let mut controller = stage.run_to_checkpoint_1();
    wait_for("checkpoint 1 on the webhook", || stage.hook.any("\"checkpoint_waiting\""));
    let run = stage.run.display().to_string();
    // The person reads the evidence id from status and decides on it.
    let status = text(&stage.cutover(&["status", &run]).output().expect("status"));
    let evidence = status
        .split("--evidence ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("status shows an evidence id: {status}"))
        .to_string();
    assert!(evidence.starts_with("1.1."), "{evidence}");
    let o = stage
        .cutover(&["decide", "--run", &run, "--checkpoint", "1", "--decision", "rollback", "--evidence", "x.y"])
        .args(["--by", "Release Commander"])
        .output()
        .expect("decide");
    assert_eq!(o.status.code(), Some(3), "a malformed evidence id: {}", text(&o));
    let o = stage
        .cutover(&["decide", "--run", &run, "--checkpoint", "1", "--decision", "rollback", "--evidence", &evidence])
        .args(["--by", "Release Commander", "--note", "p95 creeping up"])
        .output()
        .expect("decide");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(wait_exit(&mut controller, "the controller"), Some(1));
    let events: Vec<serde_json::Value> = stage
        .hook
        .bodies
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .filter(|v| v["notice"]["kind"] == "war_room")
        .map(|v| v["notice"].clone())
        .collect();
    let names: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    let at = |name: &str| names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("no {name} in {names:?}"));
    assert!(at("checkpoint_waiting") < at("decision"), "{names:?}");
    assert!(at("decision") < at("rollback_started") && at("rollback_started") < at("rollback_completed"));
    assert!(at("rollback_completed") < at("verdict"), "{names:?}");
    let waiting = &events[at("checkpoint_waiting")]["data"];
    assert_eq!(waiting["questions"].as_array().map(Vec::len), Some(4), "{waiting}");
    let decision = &events[at("decision")]["data"];
    assert_eq!((decision["by"].as_str(), decision["decision"].as_str()), (Some("Release Commander"), Some("rollback")));
    assert_eq!(decision["note"], "p95 creeping up");
    assert!(events[at("rollback_completed")]["data"]["to_blue_ms"].is_i64(), "{:?}", events[at("rollback_completed")]);
    assert!(names.contains(&"blue_verified"), "{names:?}");
    assert_eq!(events[at("verdict")]["data"]["kind"], "rolled_back");
    // Each delivery is in the journal, so the report can show it.
    let r = read_json(&stage.run.join("report.json"));
    let delivered = r["notices"].as_array().expect("notices").iter().filter(|n| n["kind"] == "war room").count();
    assert!(delivered >= 5, "{}", r["notices"]);
}

/// A Slack-compatible payload, and a webhook that does not answer: the run
/// goes on (the rollback is not delayed), and the report lists the events
/// that were not delivered.
#[test]
fn a_dead_slack_webhook_never_delays_the_run_and_its_failures_are_in_the_report() {
    let plan =
        manual_plan().replace("[notify]\nconsole = true", "[notify]\nconsole = true\nwebhook_format = \"slack\"");
    let stage = Stage::new("warroom-dead", &plan);
    let mut controller = stage.run_to_checkpoint_1();
    wait_for("checkpoint 1 on the webhook", || stage.hook.any("waiting for a decision"));
    let bodies = stage.hook.bodies.lock().expect("lock").clone();
    for b in &bodies {
        let v: serde_json::Value = serde_json::from_str(b).expect("json");
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["text"], "slack payloads hold text only: {b}");
    }
    // The webhook goes down; a rollback is requested.
    stage.hook.fail_from_now();
    let run = stage.run.display().to_string();
    let t0 = Instant::now();
    let o = stage
        .cutover(&["rollback", "--run", &run, "--by", "Release Commander", "--reason", "test"])
        .output()
        .expect("rollback");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(t0.elapsed() < Duration::from_secs(5), "the rollback waited on the webhook: {:?}", t0.elapsed());
    assert_eq!(wait_exit(&mut controller, "the controller"), Some(1));
    let r = read_json(&stage.run.join("report.json"));
    let failed: Vec<&serde_json::Value> = r["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .filter(|n| n["kind"] == "war room" && n["ok"] == false)
        .collect();
    assert!(!failed.is_empty(), "{}", r["notices"]);
    let md = std::fs::read_to_string(stage.run.join("report.md")).expect("md");
    assert!(md.contains("rollback_started"), "the failed delivery is in the report");
}

/// Per-person credentials: once the run has one, decide and rollback take
/// the identity from the token; only the release commander may decide or
/// roll back by hand (the seed's rule), and the controller checks it again
/// for a request dropped into its inbox without the CLI.
#[test]
fn credentials_decide_who_may_decide_and_roll_back() {
    let stage = Stage::new("grants", &manual_plan());
    let mut controller = stage.run_to_checkpoint_1();
    let run = stage.run.display().to_string();
    let grant = |role: &str, name: &str| -> String {
        let o = stage.cutover(&["grant", "--run", &run, "--role", role, "--name", name]).output().expect("grant");
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let commander = grant("release-commander", "Alex Doe");
    let dba = grant("DBA", "Sam Lee");
    assert!(commander.len() >= 32 && commander != dba);
    let stored = std::fs::read_to_string(stage.run.join("grants.json")).expect("grants");
    assert!(!stored.contains(&commander) && !stored.contains(&dba), "only hashes are kept");
    let o = stage.cutover(&["grant", "--run", &run, "--role", "Astronaut", "--name", "X"]).output().expect("grant");
    assert_eq!(o.status.code(), Some(3), "a role the plan does not have: {}", text(&o));

    let decide = |token: Option<&str>, by: Option<&str>| {
        let mut c = stage.cutover(&["decide", "--run", &run, "--checkpoint", "1", "--decision", "hold"]);
        if let Some(t) = token {
            c.env("LMS_CUTOVER_TOKEN", t);
        }
        if let Some(b) = by {
            c.args(["--by", b]);
        }
        c.output().expect("decide")
    };
    let o = decide(None, Some("Release Commander"));
    assert_eq!(o.status.code(), Some(3), "a free --by no longer works: {}", text(&o));
    assert!(text(&o).contains("credential"), "{}", text(&o));
    let o = decide(Some(&dba), None);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("Release Commander"), "{}", text(&o));
    let o = decide(Some("lmsct_forged"), None);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    // A request written into the inbox by hand, naming the commander but
    // without the token, is refused by the controller itself.
    let inbox = stage.run.join("inbox");
    let forged = r#"{"kind":"rollback","by":"Alex Doe","reason":"forged"}"#;
    std::fs::write(inbox.join("zz-forged.tmp"), forged).expect("forge");
    std::fs::rename(inbox.join("zz-forged.tmp"), inbox.join("zz-forged.req")).expect("forge");
    wait_for("the controller's answer", || inbox.join("zz-forged.answer").exists());
    let answer = read_json(&inbox.join("zz-forged.answer"));
    assert_eq!(answer["accepted"], false, "{answer}");
    assert_eq!(stage.weights(), Some((90, 10)), "nothing moved");

    let o = stage
        .cutover(&["rollback", "--run", &run, "--reason", "latency on green"])
        .env("LMS_CUTOVER_TOKEN", &commander)
        .output()
        .expect("rollback");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(wait_exit(&mut controller, "the controller"), Some(1));
    let j = journal(&stage.run);
    let requested = j.iter().find(|r| r["event"]["type"] == "rollback_requested").expect("journaled");
    assert_eq!(requested["event"]["by"], "Alex Doe (Release Commander)");
    assert!(!j.iter().any(|r| r["event"]["type"] == "decided"), "no refused decision was journaled");
}
