//! The shipped plans: they validate, and they say what the runbook says.

use lms_cutover::plan::{self, Decision, GateAction, Limit, Metric, StepAction, WindowKind};

const PHASE29: &str = include_str!("../../../examples/cutover/phase29.toml");
const REHEARSAL: &str = include_str!("../../../examples/cutover/rehearsal.toml");
const HAPROXY: &str = include_str!("../../../examples/cutover/haproxy.toml");
const NGINX: &str = include_str!("../../../examples/cutover/nginx.toml");
const K8S_GATEWAY_API: &str = include_str!("../../../examples/cutover/kubernetes-gateway-api.toml");
const K8S_ISTIO: &str = include_str!("../../../examples/cutover/kubernetes-istio.toml");

/// The seed's plan on Kubernetes, through the Gateway API and through
/// Istio, with Prometheus gates and green deployed as a Deployment: valid,
/// the same timeline, gates and checkpoints; `lms cutover env` lists the
/// service account's token and CA files beside the variables.
#[test]
fn the_kubernetes_plans_are_the_seed_on_a_cluster() {
    use lms_cutover::plan::kubernetes::{IN_CLUSTER_CA_FILE, IN_CLUSTER_TOKEN_FILE};
    use lms_cutover::plan::model::{DeployKind, TrafficKind};
    use lms_cutover::runner::needs::{needs, NeedKind};
    let p = plan::parse(PHASE29).unwrap_or_else(|e| panic!("{e}"));
    for (text, kind) in [(K8S_GATEWAY_API, TrafficKind::GatewayApi), (K8S_ISTIO, TrafficKind::Istio)] {
        let k = plan::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k.traffic.kind, kind);
        assert_eq!(
            (k.environments.blue.deploy, k.environments.green.deploy),
            (DeployKind::Kubernetes, DeployKind::Kubernetes)
        );
        let cluster = k.kubernetes.as_ref().expect("[kubernetes]");
        assert_eq!(cluster.green.as_ref().map(|g| g.deployment.as_str()), Some("lms-green"));
        assert!(matches!(k.monitoring.source, Some(plan::model::MetricsSource::Prometheus { .. })));
        assert_eq!((&k.steps, &k.thresholds, &k.checkpoints), (&p.steps, &p.thresholds, &p.checkpoints));
        assert!(!text.contains("{{admin_url}}"), "no probe of the lms proxy's admin API");
        let listed = needs(&k, &|_| None, false);
        let find = |name: &str| listed.iter().find(|n| n.name == name).unwrap_or_else(|| panic!("{name} not listed"));
        assert_eq!(find(IN_CLUSTER_TOKEN_FILE).kind, NeedKind::SecretFile);
        assert!(find(IN_CLUSTER_TOKEN_FILE).required && !find(IN_CLUSTER_TOKEN_FILE).set);
        assert_eq!(find(IN_CLUSTER_CA_FILE).kind, NeedKind::File);
        assert!(find(IN_CLUSTER_TOKEN_FILE).used_in[0].contains("every rollback"));
        assert_eq!(find("LMS_GREEN_IMAGE").kind, NeedKind::Placeholder);
    }
}

/// The seed's plan through nginx with Prometheus gates: valid, the same
/// timeline, gates and checkpoints.
#[test]
fn the_nginx_plan_is_the_seed_through_nginx_and_prometheus() {
    let n = plan::parse(NGINX).unwrap_or_else(|e| panic!("{e}"));
    let p = plan::parse(PHASE29).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n.traffic.kind, plan::model::TrafficKind::Nginx);
    assert!(matches!(n.monitoring.source, Some(plan::model::MetricsSource::Prometheus { .. })));
    assert_eq!((n.steps, n.thresholds, n.checkpoints), (p.steps, p.thresholds, p.checkpoints));
    assert!(!NGINX.contains("{{admin_url}}"), "no probe of the lms proxy's admin API");
}

/// The seed's plan through HAProxy with Prometheus gates: it validates, and
/// differs from phase29.toml only in how traffic moves and where the gates
/// read (the timeline, gates and checkpoints are the same).
#[test]
fn the_haproxy_plan_is_the_seed_through_haproxy_and_prometheus() {
    let h = plan::parse(HAPROXY).unwrap_or_else(|e| panic!("{e}"));
    let p = plan::parse(PHASE29).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.traffic.kind, plan::model::TrafficKind::Haproxy);
    assert_eq!((h.traffic.backend.as_deref(), h.traffic.blue.as_deref()), (Some("lms"), Some("blue")));
    assert!(matches!(h.monitoring.source, Some(plan::model::MetricsSource::Prometheus { .. })));
    assert_eq!(h.steps, p.steps);
    assert_eq!(h.thresholds, p.thresholds);
    assert_eq!(h.checkpoints, p.checkpoints);
    assert!(!HAPROXY.contains("{{admin_url}}"), "no probe of the lms proxy's admin API");
}

#[test]
fn phase29_transcribes_the_seed() {
    let p = plan::parse(PHASE29).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.steps.len(), 21);
    assert_eq!(p.prechecks.len(), 17, "7 checks of 5.1 and 10 of 5.2");
    assert_eq!(p.verifications.len(), 12, "8 of 7.2 and 4 of 7.3");
    assert_eq!(p.smoke.len(), 10);
    assert_eq!(p.checkpoints.len(), 3);
    assert_eq!(p.success_criteria.len(), 5);
    assert_eq!(p.definition_of_done.len(), 7);
    assert_eq!(p.post_cutover.len(), 10);
    assert_eq!(p.roles.len(), 8);
    assert_eq!(p.contacts.len(), 5);
    assert_eq!(p.prep.len(), 6);
    assert_eq!(p.window.kind, WindowKind::Weekly);
    assert_eq!(p.window.weekday, Some(chrono::Weekday::Sat));
    let greens: Vec<u8> = p
        .steps
        .iter()
        .filter_map(|s| match s.action {
            StepAction::Traffic { green } => Some(green.get()),
            _ => None,
        })
        .collect();
    assert_eq!(greens, [10, 50, 100]);
    let windows: Vec<i64> = p
        .steps
        .iter()
        .filter_map(|s| match s.action {
            StepAction::Monitor { window } => Some(window.delta().num_minutes()),
            _ => None,
        })
        .collect();
    assert_eq!(windows, [15, 20]);
    let gates: Vec<(Metric, String, GateAction)> =
        p.thresholds.iter().map(|t| (t.metric, t.below.to_string(), t.action)).collect();
    assert_eq!(
        gates,
        [
            (Metric::ErrorRate, "1%".into(), GateAction::Rollback),
            (Metric::P95Latency, "500ms".into(), GateAction::Investigate),
            (Metric::Cpu, "70%".into(), GateAction::Investigate),
            (Metric::Memory, "80%".into(), GateAction::Investigate),
            (Metric::FailedRequests, "0.5%".into(), GateAction::Rollback),
        ]
    );
    assert!(matches!(p.thresholds[1].below, Limit::Duration(_)));
    assert_eq!(
        p.checkpoints[2].decisions,
        [Decision::GoLiveConfirmed, Decision::ExtendedMonitoring, Decision::Rollback]
    );
    let ids: Vec<&str> = p.smoke.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids[0], "SMOKE-001");
    assert_eq!(ids[9], "SMOKE-010");
    assert!(!p.meta.auto_decisions);
}

#[test]
fn show_prints_the_seed_table() {
    let p = plan::parse(PHASE29).unwrap_or_else(|e| panic!("{e}"));
    let table = plan::show(&p);
    assert!(table.contains("| Time  | Step | Activity"), "{table}");
    assert!(
        table.contains("| 22:00 | 1    | War room opens, team check-in      | Release Mgr | 15 min        |"),
        "{table}"
    );
    assert!(table.contains("| 23:55 | 10   | Checkpoint #1 - Go/No-Go"), "{table}");
    assert!(
        table.contains("| 02:00 | 21   | War room closes                    | Release Mgr | -             |"),
        "{table}"
    );
    assert_eq!(table.lines().filter(|l| l.starts_with("| ")).count(), 22);
}

#[test]
fn rehearsal_is_compressed_and_automatic() {
    let p = plan::parse(REHEARSAL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.steps.len(), 21);
    assert!(p.meta.auto_decisions && p.meta.auto_confirm_manual);
    assert_eq!(p.window.kind, WindowKind::Anytime);
    assert_eq!(p.database.kind, plan::DatabaseKind::Sqlite);
    for s in &p.steps {
        if let StepAction::Monitor { window } = s.action {
            let secs = window.compressed(p.meta.compression).delta().num_seconds();
            assert!((1..=10).contains(&secs), "window of step {} is {secs}s", s.n);
        }
    }
    assert!(p.environments.green.command.iter().any(|a| a == "{{self}}"));
    assert_eq!(p.versions.green, lms_cutover::units::VersionSpec::OwnBuild);
}
