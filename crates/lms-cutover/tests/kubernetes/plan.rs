//! The example plan's sections wired to the drivers as a run builds them
//! (`Resolved`, `local_drivers`) against the fake API server; and `lms
//! cutover scale-down-blue` on a run that went live: refused before the
//! plan's keep-warm time has passed since go-live, then blue's Deployment
//! scaled to zero, recorded in the journal and the report.

use std::collections::BTreeMap;

use chrono::{TimeDelta, TimeZone, Utc};
use lms_cutover::engine::{Event, Verdict};
use lms_cutover::journal::Journal;
use lms_cutover::runner::context::{RunDir, RunInfo};

use crate::fake::{FakeApi, NAMESPACE, TOKEN};
use crate::{manifest, token_file};

const GATEWAY: &str = include_str!("../../../../examples/cutover/kubernetes-gateway-api.toml");

/// A run directory of the Gateway API example plan, pointed at the fake,
/// whose journal ends with `verdict` at `went_live`.
fn ended_run(fake: &FakeApi, went_live: chrono::DateTime<Utc>, verdict: Verdict) -> RunDir {
    let root =
        std::env::temp_dir().join(format!("lms-k8s-scale-down-{}-{}", std::process::id(), went_live.timestamp()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("dir");
    let dir = RunDir::new(&root);
    let plan_text = GATEWAY.replacen(
        "[kubernetes]\nnamespace = \"production\"",
        &format!(
            "[kubernetes]\nnamespace = \"{NAMESPACE}\"\napi_server = \"{}\"\ntoken_file = \"{}\"",
            fake.url,
            token_file(TOKEN)
        ),
        1,
    );
    std::fs::write(dir.plan(), &plan_text).expect("plan");
    let plan = lms_cutover::plan::parse(&plan_text).expect("valid plan");
    let base: BTreeMap<String, String> =
        [("self", "lms"), ("version", "3.0.0"), ("run_dir", root.to_str().expect("utf-8"))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let env = |name: &str| {
        Some(match name {
            "LMS_DATABASE_URL" => "postgres://lms@db/lms".to_string(),
            "LMS_GREEN_IMAGE" => "registry.example.com/lms:3.0.0-rc2".to_string(),
            n if n.ends_with("_URL") || n.ends_with("WEBHOOK") => "http://127.0.0.1:9".to_string(),
            _ => "x".to_string(),
        })
    };
    let info = RunInfo::capture(&plan, "run-1".into(), "test".into(), base, env).expect("run info");
    info.save(&dir).expect("run.json");
    let mut journal = Journal::create(dir.journal()).expect("journal");
    journal.append(went_live, Event::RunCompleted { verdict }).expect("record");
    dir
}

#[tokio::test]
async fn blue_is_scaled_down_only_after_its_keep_warm_time() {
    let fake = FakeApi::start(vec![manifest("deployment-blue.yaml", "Deployment", "lms-blue")]).await;
    let went_live = Utc.with_ymd_and_hms(2026, 1, 11, 1, 40, 0).single().expect("time");
    let dir = ended_run(&fake, went_live, Verdict::GoLive);

    let e = lms_cutover::control::scale_down_blue(&dir, went_live + TimeDelta::hours(23))
        .await
        .expect_err("kept warm 24h")
        .to_string();
    assert!(e.contains("not before 2026-01-12 01:40:00 UTC"), "{e}");
    assert_eq!(fake.object("deployments", "lms-blue")["spec"]["replicas"], 3, "nothing changed");

    let done =
        lms_cutover::control::scale_down_blue(&dir, went_live + TimeDelta::hours(24)).await.expect("scaled down");
    assert!(done.contains("scaled to 0"), "{done}");
    assert_eq!(fake.object("deployments", "lms-blue")["spec"]["replicas"], 0);
    let (_, contents) = Journal::open(dir.journal()).expect("journal");
    assert!(contents.records.iter().any(|r| matches!(&r.event, Event::BlueScaledDown { outcome } if outcome.ok)));
    let report = std::fs::read_to_string(dir.report("md")).expect("report");
    assert!(report.contains("blue scaled down"), "the report's log records it");
}

#[tokio::test]
async fn a_run_that_did_not_go_live_keeps_blue() {
    let fake = FakeApi::start(vec![manifest("deployment-blue.yaml", "Deployment", "lms-blue")]).await;
    let at = Utc.with_ymd_and_hms(2026, 1, 18, 1, 0, 0).single().expect("time");
    let rolled_back = Verdict::RolledBack { reason: "errors".into(), to_blue_ms: Some(300), blue_verified: true };
    let dir = ended_run(&fake, at, rolled_back);
    let e = lms_cutover::control::scale_down_blue(&dir, at + TimeDelta::days(3))
        .await
        .expect_err("rolled back")
        .to_string();
    assert!(e.contains("did not go live"), "{e}");
    assert_eq!(fake.object("deployments", "lms-blue")["spec"]["replicas"], 3);
}

#[tokio::test]
async fn a_run_of_the_example_plan_moves_the_route_and_deploys_green_on_the_cluster() {
    use lms_cutover::runner::context::{local_drivers, Resolved};
    use lms_cutover::units::{Slot, Weights};
    let fake = FakeApi::start(vec![
        manifest("routes.yaml", "HTTPRoute", "lms"),
        manifest("deployment-green.yaml", "Deployment", "lms-green"),
    ])
    .await;
    let at = Utc.with_ymd_and_hms(2026, 1, 10, 22, 0, 0).single().expect("time");
    let dir = ended_run(&fake, at, Verdict::GoLive);
    let plan = lms_cutover::plan::load(dir.plan()).expect("plan");
    let info = RunInfo::load(&dir).expect("run.json");
    let resolved = Resolved::new(&plan, &info).expect("resolved");
    let drivers = local_drivers(&plan, &resolved, &dir, false).expect("drivers");
    assert_eq!(drivers.traffic.name(), "gateway-api");
    let split = Weights::new(90, 10).expect("weights");
    assert_eq!(drivers.traffic.set_weights(split).await.expect("set").weights, split);
    assert_eq!(fake.object("httproutes", "lms")["spec"]["rules"][0]["backendRefs"][1]["weight"], 10);
    let started = drivers.deploy.start(Slot::Green, &resolved.green).await.expect("deployed");
    assert!(started.detail.contains("registry.example.com/lms:3.0.0-rc2"), "the image the run captured: {started:?}");
    let o = fake.object("deployments", "lms-green");
    assert_eq!(o["spec"]["template"]["spec"]["containers"][0]["image"], "registry.example.com/lms:3.0.0-rc2");
    assert_eq!(drivers.traffic.rollback().await.expect("rollback").weights, Weights::ALL_BLUE);
}
