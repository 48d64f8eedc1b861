//! Slots deployed the plan's way: a `command` deploy runs to completion
//! (exit 0 is success, its output kept; a failure or a timeout is an error
//! quoting it) and the slot is then awaited on its health URL; an
//! `external` slot is never started or stopped, only awaited and its
//! version checked. A plan that asks for what cannot work is refused.

use lms_cutover::drivers::DeployDriver;
use lms_cutover::local::deploy::LocalDeploy;
use lms_cutover::local::planned_deploy::PlannedDeploy;
use lms_cutover::plan::model::{DeployKind, Environment};
use lms_cutover::units::{PlanDuration, Slot, VersionSpec};
use std::io::{Read, Write};

/// A health endpoint answering healthy with `version`, on a free port.
fn health_server(version: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let body = format!(r#"{{"status":"healthy","database":"connected","version":"{version}"}}"#);
            let _ = s.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                    .as_bytes(),
            );
        }
    });
    port
}

fn env(port: u16, deploy: DeployKind, command: &[&str], timeout_secs: Option<i64>) -> Environment {
    Environment {
        url: format!("http://127.0.0.1:{port}"),
        health_path: "/api/health".into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        env: Default::default(),
        ready_timeout: PlanDuration::seconds(5).expect("duration"),
        artifact: None,
        deploy,
        deploy_timeout: timeout_secs.map(|s| PlanDuration::seconds(s).expect("duration")),
    }
}

fn driver(dir: &std::path::Path, blue: &Environment, green: &Environment) -> PlannedDeploy {
    let expect: [VersionSpec; 2] = ["2.x".parse().expect("spec"), "3.0.0".parse().expect("spec")];
    let local = LocalDeploy::new(dir.to_path_buf(), blue, green, expect, "3.0.0");
    PlannedDeploy::new(local, dir.to_path_buf(), blue, green)
}

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lms-planned-deploy-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("dir");
    d
}

#[tokio::test]
async fn a_command_deploy_runs_to_completion_then_the_slot_is_awaited() {
    let dir = scratch("command");
    let port = health_server("3.0.0");
    let blue = env(port, DeployKind::External, &[], None);
    let green = env(port, DeployKind::Command, &["sh", "-c", "echo rolling out; echo green deployed"], None);
    let d = driver(&dir, &blue, &green);
    let started = d.start(Slot::Green, &green).await.expect("deployed");
    assert!(started.detail.contains("exited 0") && started.detail.contains("green deployed"), "{started:?}");
    assert!(std::fs::read_to_string(d.log(Slot::Green)).expect("log").contains("rolling out"));
    let ready = d.wait_ready(Slot::Green, PlanDuration::seconds(5).expect("d")).await.expect("health");
    assert!(ready.healthy, "{ready:?}");
    assert!(d
        .stop(Slot::Green)
        .await
        .expect_err("never stopped by the controller")
        .to_string()
        .contains("by a command"));

    let failing = env(port, DeployKind::Command, &["sh", "-c", "echo image not found >&2; exit 3"], None);
    let e = driver(&dir, &blue, &failing).start(Slot::Green, &failing).await.expect_err("exit 3").to_string();
    assert!(e.contains("exited 3") && e.contains("image not found"), "{e}");

    let slow = env(port, DeployKind::Command, &["sleep", "30"], Some(1));
    let e = driver(&dir, &blue, &slow).start(Slot::Green, &slow).await.expect_err("too slow").to_string();
    assert!(e.contains("took longer than 1 s"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_external_slot_is_only_awaited_and_its_version_checked() {
    let dir = scratch("external");
    let (old, new) = (health_server("2.9.0"), health_server("3.0.0"));
    let blue = env(old, DeployKind::External, &[], None);
    let green = env(new, DeployKind::External, &[], None);
    let d = driver(&dir, &blue, &green);
    assert!(d.start(Slot::Green, &green).await.expect("nothing to start").detail.contains("external"));
    assert!(d.wait_ready(Slot::Green, PlanDuration::seconds(5).expect("d")).await.expect("health").healthy);
    assert_eq!(d.status(Slot::Green).await.expect("status").ready, 1);
    assert!(d.stop(Slot::Green).await.is_err(), "the controller never stops an external slot");

    // Green answering with blue's version is not green.
    let wrong = env(old, DeployKind::External, &[], None);
    let r = driver(&dir, &blue, &wrong)
        .wait_ready(Slot::Green, PlanDuration::seconds(1).expect("d"))
        .await
        .expect("report");
    assert!(!r.healthy && r.detail.contains("not ready within"), "{r:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
