//! The Kubernetes manifests in `deploy/kubernetes/` hold together. No
//! cluster runs here, so they are checked as documents: every file parses
//! as YAML; each Deployment's probes point at the LMS's health endpoints,
//! it drains before it stops (a preStop delay and a grace period longer
//! than the drain plus the shutdown timeout), it has requests and limits,
//! a PodDisruptionBudget and a Service select exactly its pods, and its
//! container arguments are ones this build's `lms` accepts; the routes
//! start at 100 % blue and name the slots' Services; the controller's Role
//! is namespaced, names what it patches and grants exactly what the
//! Kubernetes drivers use (`lms_cutover::engines::kubernetes::rbac`). Nothing here proves the cluster accepts them (see docs/KUBERNETES.md).

use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kubernetes")
}

/// Every document of every `.yaml` file, by `kind/name`.
fn documents() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir()).expect("deploy/kubernetes") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v = Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let kind = v["kind"].as_str().unwrap_or_else(|| panic!("{}: a document without kind", path.display()));
            let name =
                v["metadata"]["name"].as_str().unwrap_or_else(|| panic!("{}: {kind} without a name", path.display()));
            out.insert(format!("{kind}/{name}"), v);
        }
    }
    out
}

use serde::Deserialize;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[test]
fn each_slot_is_probed_drained_bounded_and_selected() {
    let docs = documents();
    for slot in ["blue", "green"] {
        let d = &docs[&format!("Deployment/lms-{slot}")];
        let labels = &d["spec"]["selector"]["matchLabels"];
        assert_eq!(s(&labels["slot"]), slot);
        assert_eq!(
            &d["spec"]["template"]["metadata"]["labels"]["slot"], &labels["slot"],
            "the pods carry the selector"
        );
        let pod = &d["spec"]["template"]["spec"];
        let c = &pod["containers"][0];
        assert_eq!(s(&c["readinessProbe"]["httpGet"]["path"]), "/api/health/ready");
        assert_eq!(s(&c["livenessProbe"]["httpGet"]["path"]), "/api/health/live");
        assert!(c["lifecycle"]["preStop"]["exec"]["command"].is_sequence(), "a preStop delay for draining");
        for (what, r) in [("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")] {
            assert!(!c["resources"][what][r].is_null(), "{slot}: {what}.{r}");
        }
        // The grace period covers the preStop delay, the drain delay and the shutdown timeout.
        let args: Vec<String> = c["args"].as_sequence().expect("args").iter().map(|a| s(a).to_string()).collect();
        let after = |flag: &str| {
            args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).and_then(|v| v.parse::<u64>().ok())
        };
        let pre_stop: u64 =
            c["lifecycle"]["preStop"]["exec"]["command"][1].as_str().and_then(|v| v.parse().ok()).unwrap_or(0);
        let grace = pod["terminationGracePeriodSeconds"].as_u64().expect("terminationGracePeriodSeconds");
        let needed = pre_stop + after("--drain-delay").unwrap_or(0) + after("--shutdown-timeout").unwrap_or(30);
        assert!(grace > needed, "{slot}: grace {grace} s must exceed {needed} s");
        assert!(args.windows(2).any(|w| w[0] == "--slot" && w[1] == slot), "{args:?}");
        // This build's lms accepts exactly these arguments (clap refuses an unknown one even with --help).
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_lms")).args(&args).arg("--help").output().expect("lms");
        assert!(out.status.success(), "lms {args:?}: {}", String::from_utf8_lossy(&out.stderr));

        for kind in ["PodDisruptionBudget", "Service"] {
            let sel = &docs[&format!("{kind}/lms-{slot}")];
            let selector =
                if kind == "Service" { &sel["spec"]["selector"] } else { &sel["spec"]["selector"]["matchLabels"] };
            assert_eq!(selector, labels, "{kind} lms-{slot} selects the {slot} pods");
        }
    }
}

#[test]
fn the_routes_start_at_blue_and_name_the_slots_services() {
    let docs = documents();
    let route = &docs["HTTPRoute/lms"];
    let refs = route["spec"]["rules"][0]["backendRefs"].as_sequence().expect("backendRefs");
    let weights: Vec<(&str, u64)> = refs.iter().map(|r| (s(&r["name"]), r["weight"].as_u64().unwrap_or(1))).collect();
    assert_eq!(weights, [("lms-blue", 100), ("lms-green", 0)]);
    for (name, _) in &weights {
        assert!(docs.contains_key(&format!("Service/{name}")), "{name}");
    }
    let vs = &docs["VirtualService/lms-vs"];
    let routes = vs["spec"]["http"][0]["route"].as_sequence().expect("route");
    let split: Vec<(&str, u64)> =
        routes.iter().map(|r| (s(&r["destination"]["host"]), r["weight"].as_u64().unwrap_or(0))).collect();
    assert_eq!(split, [("lms-blue.production.svc.cluster.local", 100), ("lms-green.production.svc.cluster.local", 0)]);
}

#[test]
fn the_controller_may_do_only_what_the_cutover_does() {
    let docs = documents();
    let role = &docs["Role/lms-cutover"];
    assert!(!docs.contains_key("ClusterRole/lms-cutover"), "nothing cluster-wide");
    let mut granted = Vec::new();
    for rule in role["rules"].as_sequence().expect("rules") {
        let verbs: Vec<&str> = rule["verbs"].as_sequence().expect("verbs").iter().map(s).collect();
        let resources: Vec<&str> = rule["resources"].as_sequence().expect("resources").iter().map(s).collect();
        if verbs.contains(&"patch") {
            assert!(rule["resourceNames"].is_sequence(), "a rule that patches names its objects: {resources:?}");
        }
        for group in rule["apiGroups"].as_sequence().expect("apiGroups").iter().map(s) {
            for resource in &resources {
                granted.push((group.to_string(), resource.to_string(), verbs.join(",")));
            }
        }
    }
    // Exactly what the Kubernetes drivers use, no more and no less.
    let used: Vec<(String, String, String)> = lms_cutover::engines::kubernetes::rbac::GRANTS
        .iter()
        .map(|g| (g.api_group.to_string(), g.resource.to_string(), g.verbs.join(",")))
        .collect();
    granted.sort();
    let mut used = used;
    used.sort();
    assert_eq!(granted, used, "the Role grants exactly the verbs the drivers use");
    let binding = &docs["RoleBinding/lms-cutover"];
    assert_eq!(s(&binding["roleRef"]["name"]), "lms-cutover");
    assert_eq!(s(&binding["subjects"][0]["name"]), "lms-cutover");
    let job = &docs["Job/lms-migrate-3-0-0"];
    let service = &docs["Service/lms"];
    assert_eq!(s(&service["spec"]["selector"]["slot"]), "blue", "the kubernetes-service split starts at blue");
    let args: Vec<&str> =
        job["spec"]["template"]["spec"]["containers"][0]["args"].as_sequence().expect("args").iter().map(s).collect();
    assert_eq!(args, ["migrate", "up"]);
    assert_eq!(job["spec"]["backoffLimit"].as_u64(), Some(0), "a failed migration is not retried blindly");
}

/// Debian's Prometheus is built without Kubernetes discovery, so promtool
/// here cannot load this file; what can be checked is that it keeps only
/// the annotated pods and scrapes them where the Deployments say.
#[test]
fn the_in_cluster_scrape_configuration_follows_the_pods_annotations() {
    let text = std::fs::read_to_string(dir().join("prometheus-scrape.yml")).expect("prometheus-scrape.yml");
    let v: Value = serde_yaml::from_str(&text).expect("YAML");
    let job = &v["scrape_configs"][0];
    assert_eq!(s(&job["kubernetes_sd_configs"][0]["role"]), "pod");
    let relabels = job["relabel_configs"].as_sequence().expect("relabel_configs");
    let keep = relabels.iter().find(|r| s(&r["action"]) == "keep").expect("a keep rule");
    assert_eq!(s(&keep["source_labels"][0]), "__meta_kubernetes_pod_annotation_prometheus_io_scrape");
    let docs = documents();
    let annotations = &docs["Deployment/lms-green"]["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(s(&annotations["prometheus.io/scrape"]), s(&keep["regex"]));
    assert_eq!(s(&annotations["prometheus.io/path"]), "/metrics");
}
