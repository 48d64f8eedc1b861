//! The deploy driver against the fake: green's image set with one JSON
//! patch pinned to the resourceVersion read (retried on conflict), the
//! rollout followed through the Deployment's status as the fake's
//! controller moves it, a rollout that never becomes available failing the
//! step at the plan's timeout, scaling to zero, and a 403 naming the grant.

use std::time::Duration;

use lms_cutover::drivers::DeployDriver;
use lms_cutover::engines::kubernetes::{deploy_driver, KubernetesDeploy};
use lms_cutover::plan::model::{DeployKind, Environment};
use lms_cutover::units::{PlanDuration, Slot};

use crate::fake::{FakeApi, Rollout};
use crate::{kubernetes, manifest};

async fn deployments() -> FakeApi {
    FakeApi::start(vec![
        manifest("deployment-blue.yaml", "Deployment", "lms-blue"),
        manifest("deployment-green.yaml", "Deployment", "lms-green"),
    ])
    .await
}

fn driver(fake: &FakeApi) -> KubernetesDeploy {
    deploy_driver(&kubernetes(fake)).expect("driver").with_poll_interval(Duration::from_millis(5))
}

fn green_env() -> Environment {
    Environment {
        url: "http://lms-green.production.svc.cluster.local".into(),
        health_path: "/api/health".into(),
        command: Vec::new(),
        env: Default::default(),
        ready_timeout: PlanDuration::seconds(5).expect("d"),
        artifact: None,
        deploy: DeployKind::Kubernetes,
        deploy_timeout: None,
    }
}

fn image(fake: &FakeApi, name: &str) -> String {
    fake.object("deployments", name)["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .expect("image")
        .to_string()
}

#[tokio::test]
async fn green_gets_its_image_and_the_rollout_is_followed_through_the_status() {
    let fake = deployments().await;
    let d = driver(&fake);
    assert_eq!(d.name(), "kubernetes");
    fake.clear_seen();
    let started = d.start(Slot::Green, &green_env()).await.expect("image set");
    assert!(started.detail.contains("registry.example.com/lms:3.0.1"), "{started:?}");
    assert_eq!(image(&fake, "lms-green"), "registry.example.com/lms:3.0.1");
    assert_eq!(fake.object("deployments", "lms-green")["metadata"]["generation"], 2);
    let patches: Vec<_> = fake.seen().into_iter().filter(|s| s.method == "PATCH").collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].content_type.as_deref(), Some("application/json-patch+json"));

    // The status moves through the rollout one read at a time.
    let mut seen = Vec::new();
    loop {
        let (_, r) = d.rollout(Slot::Green).await.expect("read");
        seen.push((r.observed, r.updated, r.available, r.current));
        if r.complete() {
            break;
        }
        assert!(seen.len() < 10, "never completed: {seen:?}");
    }
    assert_eq!(started.running, 4, "start's own read: generation 2 observed, a surge pod, none updated");
    assert_eq!(
        seen,
        [(2, 1, 3, 4), (2, 2, 3, 4), (2, 3, 3, 3)],
        "(observed, updated, available, pods): one pod more each read, old ones available until the end"
    );

    // Set again: nothing to change, and the rollout is complete at once.
    let again = d.start(Slot::Green, &green_env()).await.expect("already");
    assert!(again.detail.contains("already"), "{again:?}");
    let ready = d.wait_ready(Slot::Green, PlanDuration::seconds(5).expect("d")).await.expect("ready");
    assert!(ready.healthy && ready.detail.contains("rolled out"), "{ready:?}");
    assert_eq!(image(&fake, "lms-blue"), "registry.example.com/lms:2.9.0", "blue untouched");
}

#[tokio::test]
async fn wait_ready_follows_a_fresh_rollout_to_the_end() {
    let fake = deployments().await;
    let d = driver(&fake);
    d.start(Slot::Green, &green_env()).await.expect("image set");
    let ready = d.wait_ready(Slot::Green, PlanDuration::seconds(5).expect("d")).await.expect("ready");
    assert!(ready.healthy, "{ready:?}");
    assert_eq!(ready.version.as_deref(), Some("registry.example.com/lms:3.0.1"));
    let reads = fake.seen().iter().filter(|s| s.method == "GET").count();
    assert!(reads >= 5, "the status was polled through the rollout ({reads} reads)");
}

#[tokio::test]
async fn a_rollout_that_never_becomes_available_fails_at_the_timeout() {
    let fake = deployments().await;
    fake.rollout("lms-green", Rollout::NeverAvailable);
    let d = driver(&fake);
    d.start(Slot::Green, &green_env()).await.expect("image set");
    let report = d.wait_ready(Slot::Green, PlanDuration::new(chrono::TimeDelta::milliseconds(300)).expect("d")).await;
    let report = report.expect("an answer, not an error");
    assert!(!report.healthy, "{report:?}");
    assert!(
        report.detail.contains("not rolled out within") && report.detail.contains("1 of 3 replica(s) updated"),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_rollout_the_controller_gave_up_on_fails_at_once() {
    let fake = deployments().await;
    fake.rollout("lms-green", Rollout::NeverAvailable);
    let d = driver(&fake);
    d.start(Slot::Green, &green_env()).await.expect("image set");
    fake.edit("deployments", "lms-green", |o| {
        o["status"]["conditions"] = serde_json::json!([{
            "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
            "message": "ReplicaSet \"lms-green-7d9\" has timed out progressing."
        }]);
    });
    let report = d.wait_ready(Slot::Green, PlanDuration::seconds(30).expect("d")).await.expect("answer");
    assert!(!report.healthy && report.detail.contains("ProgressDeadlineExceeded"), "{report:?}");
}

#[tokio::test]
async fn a_conflicting_write_is_retried_from_a_fresh_read() {
    let fake = deployments().await;
    fake.other_writer("lms-green", 2);
    let d = driver(&fake);
    d.start(Slot::Green, &green_env()).await.expect("third time");
    assert_eq!(image(&fake, "lms-green"), "registry.example.com/lms:3.0.1");
    let patches = fake.seen().iter().filter(|s| s.method == "PATCH").count();
    assert_eq!(patches, 3, "two failed their resourceVersion test (422), the third landed");
}

#[tokio::test]
async fn a_denied_patch_names_the_grant() {
    let fake = deployments().await;
    fake.deny("patch", "deployments");
    let e = driver(&fake).start(Slot::Green, &green_env()).await.expect_err("403").to_string();
    for part in ["403", "verb \"patch\"", "\"deployments\"", "apiGroup \"apps\"", "lms-green", "controller-rbac.yaml"] {
        assert!(e.contains(part), "{part} missing from: {e}");
    }
    assert_eq!(image(&fake, "lms-green"), "registry.example.com/lms:3.0.0", "nothing changed");
}

#[tokio::test]
async fn green_is_scaled_to_zero_and_blue_only_when_the_plan_keeps_it_warm_for_a_time() {
    let fake = deployments().await;
    let d = driver(&fake);
    let stopped = d.stop(Slot::Green).await.expect("scaled");
    assert_eq!(fake.object("deployments", "lms-green")["spec"]["replicas"], 0);
    assert!(stopped.detail.contains("scaled to 0"), "{stopped:?}");
    let e = d.stop(Slot::Blue).await.expect_err("not asked").to_string();
    assert!(e.contains("keep_warm"), "{e}");
    assert_eq!(fake.object("deployments", "lms-blue")["spec"]["replicas"], 3);

    let mut k = kubernetes(&fake);
    if let Some(b) = k.blue.as_mut() {
        b.keep_warm = Some(PlanDuration::minutes(30).expect("d"));
    }
    let d = deploy_driver(&k).expect("driver").with_poll_interval(Duration::from_millis(5));
    d.stop(Slot::Blue).await.expect("scaled");
    assert_eq!(fake.object("deployments", "lms-blue")["spec"]["replicas"], 0);
    let ready = d.wait_ready(Slot::Blue, PlanDuration::seconds(5).expect("d")).await.expect("settled");
    assert!(ready.healthy, "a Deployment at zero has finished rolling out: {ready:?}");
}

/// A health endpoint answering healthy with `version`, on a free port.
fn health_server(version: &'static str) -> u16 {
    use std::io::{Read, Write};
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

/// The plan's way: a `kubernetes` slot is rolled out, then awaited on its
/// health URL with its version checked, like a `command` slot.
#[tokio::test]
async fn a_planned_kubernetes_slot_is_rolled_out_then_its_health_and_version_checked() {
    use lms_cutover::local::deploy::LocalDeploy;
    use lms_cutover::local::planned_deploy::PlannedDeploy;
    use lms_cutover::units::VersionSpec;
    let fake = deployments().await;
    let port = health_server("3.0.0");
    let mut green = green_env();
    green.url = format!("http://127.0.0.1:{port}");
    let mut blue = green.clone();
    blue.deploy = DeployKind::External;
    let dir = std::env::temp_dir().join(format!("lms-k8s-planned-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let expect: [VersionSpec; 2] = ["2.x".parse().expect("spec"), "3.0.0".parse().expect("spec")];
    let local = LocalDeploy::new(dir.clone(), &blue, &green, expect, "3.0.0");
    let planned = PlannedDeploy::new(local, dir, &blue, &green).with_kubernetes(driver(&fake));
    let started = planned.start(Slot::Green, &green).await.expect("image set");
    assert!(started.detail.contains("image registry.example.com/lms:3.0.1 set"), "{started:?}");
    let ready = planned.wait_ready(Slot::Green, PlanDuration::seconds(5).expect("d")).await.expect("ready");
    assert!(ready.healthy && ready.detail.contains("rolled out"), "{ready:?}");
    assert_eq!(ready.version.as_deref(), Some("3.0.0"), "the version the slot reports, not the image tag");

    fake.rollout("lms-green", Rollout::NeverAvailable);
    fake.edit("deployments", "lms-green", |o| o["spec"]["template"]["metadata"]["labels"]["version"] = "3.0.2".into());
    fake.edit("deployments", "lms-green", |o| {
        let g = o["metadata"]["generation"].as_i64().unwrap_or(1);
        o["metadata"]["generation"] = (g + 1).into();
    });
    let stuck = planned
        .wait_ready(Slot::Green, PlanDuration::new(chrono::TimeDelta::milliseconds(200)).expect("d"))
        .await
        .expect("an answer");
    assert!(!stuck.healthy && stuck.detail.contains("not rolled out within"), "the deploy step fails: {stuck:?}");
}

#[tokio::test]
async fn green_s_manifest_is_applied_onto_its_deployment_and_rolled_out() {
    let fake = deployments().await;
    let shipped = format!("{}/../../deploy/kubernetes/deployment-green.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&shipped)
        .expect("manifest")
        .replace("registry.example.com/lms:3.0.0", "registry.example.com/lms:3.0.1")
        .replacen("replicas: 3", "replicas: 4", 1);
    let file = std::env::temp_dir().join(format!("lms-k8s-manifest-{}.yaml", std::process::id()));
    std::fs::write(&file, text).expect("write");
    let mut k = kubernetes(&fake);
    if let Some(g) = k.green.as_mut() {
        g.image = None;
        g.manifest = Some(file.display().to_string());
    }
    let d = deploy_driver(&k).expect("driver").with_poll_interval(Duration::from_millis(5));
    fake.clear_seen();
    let started = d.start(Slot::Green, &green_env()).await.expect("applied");
    assert!(started.detail.contains("applied (generation 2)"), "{started:?}");
    let o = fake.object("deployments", "lms-green");
    assert_eq!(image(&fake, "lms-green"), "registry.example.com/lms:3.0.1");
    assert_eq!(o["spec"]["replicas"], 4);
    let seen = fake.seen();
    assert!(seen.iter().all(|s| s.plural == "deployments"), "the manifest's PDB and Service are left alone: {seen:?}");
    let patch = seen.iter().find(|s| s.method == "PATCH").expect("a write");
    assert_eq!(patch.content_type.as_deref(), Some("application/merge-patch+json"));
    let ready = d.wait_ready(Slot::Green, PlanDuration::seconds(5).expect("d")).await.expect("ready");
    assert!(ready.healthy && ready.detail.contains("4 of 4"), "{ready:?}");

    // A manifest that holds no Deployment of that name changes nothing.
    if let Some(g) = k.green.as_mut() {
        g.manifest = Some(shipped.replace("green", "blue"));
    }
    let e =
        deploy_driver(&k).expect("driver").start(Slot::Green, &green_env()).await.expect_err("wrong file").to_string();
    assert!(e.contains("holds no Deployment \"lms-green\"") && e.contains("Deployment/lms-blue"), "{e}");
}
