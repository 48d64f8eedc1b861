//! The traffic drivers against the fake: each sets the split with a merge
//! patch pinned to the resourceVersion it read, retries on 409, reads the
//! split back, rolls back in one write, and names the missing grant on 403.

use lms_cutover::drivers::TrafficDriver;
use lms_cutover::engines::kubernetes::traffic_driver;
use lms_cutover::plan::model::{Traffic, TrafficKind};
use lms_cutover::units::Weights;
use serde_json::json;

use crate::fake::{FakeApi, Seen};
use crate::{kubernetes, manifest, token_file};

fn traffic(kind: TrafficKind) -> Traffic {
    let (route, service, blue, green) = match kind {
        TrafficKind::GatewayApi => (Some("lms"), None, "lms-blue", "lms-green"),
        TrafficKind::Istio => {
            (Some("lms-vs"), None, "lms-blue.production.svc.cluster.local", "lms-green.production.svc.cluster.local")
        }
        _ => (None, Some("lms"), "blue", "green"),
    };
    Traffic {
        kind,
        admin_url: String::new(),
        public_url: "https://lms.example.com".into(),
        socket: None,
        backend: None,
        blue: Some(blue.into()),
        green: Some(green.into()),
        upstream_file: None,
        upstream: None,
        nginx: None,
        config: None,
        route: route.map(str::to_string),
        service: service.map(str::to_string),
        label: None,
        admin_token_env: None,
        admin_token_file: None,
    }
}

fn w(blue: i64, green: i64) -> Weights {
    Weights::new(blue, green).expect("weights")
}

async fn routes() -> FakeApi {
    FakeApi::start(vec![
        manifest("routes.yaml", "HTTPRoute", "lms"),
        manifest("routes.yaml", "VirtualService", "lms-vs"),
        manifest("routes.yaml", "Service", "lms"),
    ])
    .await
}

fn driver(fake: &FakeApi, kind: TrafficKind) -> std::sync::Arc<dyn TrafficDriver> {
    traffic_driver(&traffic(kind), Some(&kubernetes(fake))).expect("driver").expect("a Kubernetes kind")
}

fn http_route_weights(fake: &FakeApi) -> Vec<(String, i64)> {
    let o = fake.object("httproutes", "lms");
    o["spec"]["rules"][0]["backendRefs"]
        .as_array()
        .expect("refs")
        .iter()
        .map(|r| (r["name"].as_str().expect("name").to_string(), r["weight"].as_i64().unwrap_or(1)))
        .collect()
}

fn writes(seen: &[Seen]) -> Vec<String> {
    seen.iter().map(|s| format!("{} {}", s.method, s.content_type.as_deref().unwrap_or("-"))).collect()
}

#[tokio::test]
async fn gateway_api_moves_the_backend_refs_weights_and_reads_them_back() {
    let fake = routes().await;
    let d = driver(&fake, TrafficKind::GatewayApi);
    assert_eq!(d.name(), "gateway-api");
    assert_eq!(d.state().await.expect("state").weights, Weights::ALL_BLUE, "the shipped route starts at blue");
    let before = fake.object("httproutes", "lms");
    for (b, g) in [(90, 10), (50, 50), (0, 100)] {
        fake.clear_seen();
        let s = d.set_weights(w(b, g)).await.expect("set");
        assert_eq!(s.weights, w(b, g));
        assert_eq!(http_route_weights(&fake), [("lms-blue".to_string(), b), ("lms-green".to_string(), g)]);
        assert_eq!(
            writes(&fake.seen()),
            ["GET -", "PATCH application/merge-patch+json", "GET -"],
            "read, one conditional write, read back"
        );
    }
    let after = fake.object("httproutes", "lms");
    assert_eq!(after["spec"]["parentRefs"], before["spec"]["parentRefs"], "nothing else of the route changed");
    assert_eq!(after["spec"]["hostnames"], before["spec"]["hostnames"]);
    assert_eq!(after["spec"]["rules"][0]["matches"], before["spec"]["rules"][0]["matches"]);
    assert_eq!(after["spec"]["rules"][0]["backendRefs"][1]["port"], json!(80));

    fake.clear_seen();
    let s = d.rollback().await.expect("rollback");
    assert_eq!(s.weights, Weights::ALL_BLUE);
    assert_eq!(
        writes(&fake.seen()),
        ["PATCH application/json-patch+json", "GET -"],
        "a rollback is one write with no read before it, then the read-back"
    );
    assert_eq!(http_route_weights(&fake), [("lms-blue".to_string(), 100), ("lms-green".to_string(), 0)]);
}

#[tokio::test]
async fn a_conflict_is_read_again_and_retried_and_endless_conflicts_give_up() {
    let fake = routes().await;
    let d = driver(&fake, TrafficKind::GatewayApi);
    fake.other_writer("lms", 2);
    fake.clear_seen();
    d.set_weights(w(90, 10)).await.expect("lands on the third write");
    let patches = fake.seen().iter().filter(|s| s.method == "PATCH").count();
    assert_eq!(patches, 3, "two refused with 409, the third read fresh and landed");
    let o = fake.object("httproutes", "lms");
    assert!(o["metadata"]["annotations"]["other-writer"].is_string(), "the other writer's change is kept");
    assert_eq!(http_route_weights(&fake)[1].1, 10);

    fake.other_writer("lms", 100);
    let e = d.set_weights(w(50, 50)).await.expect_err("every write conflicts").to_string();
    assert!(e.contains("409") && e.contains("5 writes") && e.contains("HTTPRoute"), "{e}");
    assert_eq!(http_route_weights(&fake)[1].1, 10, "nothing changed");
}

#[tokio::test]
async fn a_split_changed_by_hand_is_what_state_reports() {
    let fake = routes().await;
    let d = driver(&fake, TrafficKind::GatewayApi);
    d.set_weights(w(90, 10)).await.expect("set");
    fake.edit("httproutes", "lms", |o| {
        o["spec"]["rules"][0]["backendRefs"][0]["weight"] = json!(70);
        o["spec"]["rules"][0]["backendRefs"][1]["weight"] = json!(30);
    });
    assert_eq!(d.state().await.expect("state").weights, w(70, 30), "the drift the runner compares");
    fake.edit("httproutes", "lms", |o| o["spec"]["rules"][0]["backendRefs"][1]["weight"] = json!(50));
    let e = d.state().await.expect_err("70 + 50").to_string();
    assert!(e.contains("do not sum to 100") && e.contains("70") && e.contains("50"), "{e}");
}

#[tokio::test]
async fn a_rollback_whose_layout_moved_reads_again_and_still_lands_in_one_more_write() {
    let fake = routes().await;
    let d = driver(&fake, TrafficKind::GatewayApi);
    d.set_weights(w(10, 90)).await.expect("set");
    // Someone reorders the refs: the cached layout is stale.
    fake.edit("httproutes", "lms", |o| {
        let refs = o["spec"]["rules"][0]["backendRefs"].as_array_mut().expect("refs");
        refs.reverse();
    });
    fake.clear_seen();
    let s = d.rollback().await.expect("rollback");
    assert_eq!(s.weights, Weights::ALL_BLUE);
    assert_eq!(
        writes(&fake.seen()),
        ["PATCH application/json-patch+json", "GET -", "PATCH application/json-patch+json", "GET -"],
        "the stale patch failed its test (422) and changed nothing; the fresh one landed"
    );
    let o = fake.object("httproutes", "lms");
    assert_eq!(o["spec"]["rules"][0]["backendRefs"][0]["name"], "lms-green");
    assert_eq!(o["spec"]["rules"][0]["backendRefs"][0]["weight"], 0);
    assert_eq!(o["spec"]["rules"][0]["backendRefs"][1]["weight"], 100);
}

#[tokio::test]
async fn a_denied_verb_names_the_grant_the_role_lacks() {
    let fake = routes().await;
    let d = driver(&fake, TrafficKind::GatewayApi);
    fake.deny("patch", "httproutes");
    let e = d.set_weights(w(90, 10)).await.expect_err("403").to_string();
    for part in
        ["403", "patch", "httproutes", "gateway.networking.k8s.io", "\"lms\"", "production", "controller-rbac.yaml"]
    {
        assert!(e.contains(part), "{part} missing from: {e}");
    }
    fake.deny("get", "virtualservices");
    let e = driver(&fake, TrafficKind::Istio).state().await.expect_err("403").to_string();
    assert!(e.contains("verb \"get\"") && e.contains("virtualservices") && e.contains("networking.istio.io"), "{e}");
}

#[tokio::test]
async fn a_token_the_api_server_refuses_names_the_token_file() {
    let fake = routes().await;
    let mut k = kubernetes(&fake);
    let file = token_file("not-the-token");
    k.token_file = Some(file.clone());
    let d = traffic_driver(&traffic(TrafficKind::Istio), Some(&k)).expect("driver").expect("kind");
    let e = d.state().await.expect_err("401").to_string();
    assert!(e.contains("401") && e.contains(&file), "{e}");
    k.token_file = Some("/nonexistent/token".into());
    let d = traffic_driver(&traffic(TrafficKind::Istio), Some(&k)).expect("driver").expect("kind");
    let e = d.state().await.expect_err("no file").to_string();
    assert!(e.contains("/nonexistent/token"), "{e}");
}

#[tokio::test]
async fn istio_moves_the_route_weights_of_the_virtual_service() {
    let fake = routes().await;
    let d = driver(&fake, TrafficKind::Istio);
    assert_eq!(d.name(), "istio");
    assert_eq!(d.state().await.expect("state").weights, Weights::ALL_BLUE);
    for (b, g) in [(90, 10), (50, 50), (0, 100)] {
        assert_eq!(d.set_weights(w(b, g)).await.expect("set").weights, w(b, g));
        let o = fake.object("virtualservices", "lms-vs");
        let route = &o["spec"]["http"][0]["route"];
        assert_eq!((route[0]["weight"].as_i64(), route[1]["weight"].as_i64()), (Some(b), Some(g)));
        assert_eq!(route[1]["destination"]["port"]["number"], 80, "the destination is kept whole");
    }
    fake.clear_seen();
    assert_eq!(d.rollback().await.expect("rollback").weights, Weights::ALL_BLUE);
    assert_eq!(writes(&fake.seen()), ["PATCH application/json-patch+json", "GET -"]);
    let s = d.state().await.expect("state");
    assert!(s.backends[1].target.starts_with("lms-green."), "{:?}", s.backends);
}

#[tokio::test]
async fn istio_subsets_of_one_host_are_split_too() {
    let vs = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "lms-vs"},
        "spec": {"hosts": ["lms.example.com"], "http": [
            {"match": [{"uri": {"prefix": "/admin"}}], "route": [{"destination": {"host": "admin"}}]},
            {"route": [
                {"destination": {"host": "lms", "subset": "blue"}, "weight": 100},
                {"destination": {"host": "lms", "subset": "green"}}
            ]}
        ]}
    });
    let fake = FakeApi::start(vec![vs]).await;
    let mut t = traffic(TrafficKind::Istio);
    t.blue = Some("blue".into());
    t.green = Some("green".into());
    let d = traffic_driver(&t, Some(&kubernetes(&fake))).expect("driver").expect("kind");
    assert_eq!(d.state().await.expect("a missing weight is 0").weights, Weights::ALL_BLUE);
    d.set_weights(w(50, 50)).await.expect("set");
    let o = fake.object("virtualservices", "lms-vs");
    assert_eq!(o["spec"]["http"][1]["route"][1]["weight"], 50);
    assert_eq!(o["spec"]["http"][0]["route"][0].get("weight"), None, "the other route is left alone");
}

#[tokio::test]
async fn a_service_selector_switches_all_or_nothing_and_rolls_back_without_a_read() {
    let fake = routes().await;
    let d = driver(&fake, TrafficKind::KubernetesService);
    assert_eq!(d.name(), "kubernetes-service");
    assert_eq!(d.state().await.expect("state").weights, Weights::ALL_BLUE);
    let e = d.set_weights(w(90, 10)).await.expect_err("no canary").to_string();
    assert!(e.contains("nothing between"), "{e}");
    assert_eq!(d.set_weights(w(0, 100)).await.expect("switch").weights, w(0, 100));
    let o = fake.object("services", "lms");
    assert_eq!(o["spec"]["selector"], json!({"app": "lms", "slot": "green"}), "only the slot label changed");
    fake.clear_seen();
    assert_eq!(d.rollback().await.expect("rollback").weights, Weights::ALL_BLUE);
    assert_eq!(
        writes(&fake.seen()),
        ["PATCH application/merge-patch+json", "GET -"],
        "one blind write, then the read-back"
    );
    assert_eq!(fake.object("services", "lms")["spec"]["selector"]["slot"], "blue");
}

#[tokio::test]
async fn window_statistics_are_not_supported_and_say_so() {
    let fake = routes().await;
    let e = driver(&fake, TrafficKind::Istio).window_stats().await.expect_err("none").to_string();
    assert!(e.contains("[monitoring.source]"), "{e}");
}

#[tokio::test]
async fn a_missing_route_is_named() {
    let fake = FakeApi::start(vec![]).await;
    let e = driver(&fake, TrafficKind::GatewayApi).state().await.expect_err("404").to_string();
    assert!(e.contains("HTTPRoute \"lms\" not found in namespace \"production\""), "{e}");
}

#[tokio::test]
async fn the_api_server_is_reached_over_tls_trusting_only_the_plans_ca() {
    let (fake, ca_pem) = FakeApi::start_tls(vec![manifest("routes.yaml", "HTTPRoute", "lms")]).await;
    let dir = std::env::temp_dir().join(format!("lms-k8s-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ca = dir.join("ca.crt");
    std::fs::write(&ca, ca_pem).expect("ca");
    let mut k = kubernetes(&fake);
    k.ca_file = Some(ca.display().to_string());
    let d = traffic_driver(&traffic(TrafficKind::GatewayApi), Some(&k)).expect("driver").expect("kind");
    assert_eq!(d.set_weights(w(90, 10)).await.expect("over TLS").weights, w(90, 10));

    // Another CA: the handshake fails and nothing is changed.
    let (_, other_ca) = FakeApi::start_tls(vec![]).await;
    let other = dir.join("other-ca.crt");
    std::fs::write(&other, other_ca).expect("ca");
    k.ca_file = Some(other.display().to_string());
    let d = traffic_driver(&traffic(TrafficKind::GatewayApi), Some(&k)).expect("driver").expect("kind");
    let e = d.rollback().await.expect_err("untrusted").to_string();
    assert!(e.contains(&fake.url), "{e}");
    assert_eq!(http_route_weights(&fake)[1].1, 10, "nothing changed");

    k.ca_file = Some("/nonexistent/ca.crt".into());
    let Err(e) = traffic_driver(&traffic(TrafficKind::GatewayApi), Some(&k)) else { panic!("built without its CA") };
    let e = e.to_string();
    assert!(e.contains("/nonexistent/ca.crt"), "{e}");
}
