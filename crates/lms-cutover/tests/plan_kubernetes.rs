//! Plans that drive a cluster: the Kubernetes traffic kinds and
//! `deploy = "kubernetes"` report what they miss and refuse what belongs
//! to another kind, each at its line; `kubernetes-service` refuses canary
//! steps at the step's line.

use lms_cutover::plan;
use lms_cutover::{CutoverError, Diagnostic};

const GATEWAY: &str = include_str!("../../../examples/cutover/kubernetes-gateway-api.toml");

fn errors(text: &str) -> Vec<Diagnostic> {
    match plan::parse(text) {
        Err(CutoverError::InvalidPlan { diagnostics, .. }) => diagnostics.0,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("plan accepted"),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or_else(|| panic!("{needle:?} not in text"))
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in plan");
    text.replacen(from, to, 1)
}

fn has(e: &[Diagnostic], line: usize, part: &str) -> bool {
    e.iter().any(|d| d.line == line && d.message.contains(part))
}

#[test]
fn a_kubernetes_service_plan_refuses_canary_steps_at_their_lines() {
    let text = replace_once(
        GATEWAY,
        "kind = \"gateway-api\"\nroute = \"lms\"\nblue = \"lms-blue\"\ngreen = \"lms-green\"",
        "kind = \"kubernetes-service\"\nservice = \"lms\"\nblue = \"blue\"\ngreen = \"green\"",
    );
    let e = errors(&text);
    for green in [10, 50] {
        let line = line_of(&text, &format!("do = {{ kind = \"traffic\", green = {green} }}"));
        assert!(has(&e, line, "nothing between"), "{green}% at line {line}: {e:?}");
    }
    assert_eq!(e.len(), 2, "the 100% step is fine: {e:?}");
}

#[test]
fn each_kind_reports_its_missing_fields_and_refuses_the_others() {
    let text = replace_once(GATEWAY, "route = \"lms\"\n", "socket = \"/run/haproxy.sock\"\nservice = \"lms\"\n");
    let e = errors(&text);
    let kind = line_of(&text, "kind = \"gateway-api\"");
    assert!(has(&e, kind, "needs `route`"), "{e:?}");
    assert!(has(&e, line_of(&text, "socket = "), "is for HAProxy"), "{e:?}");
    assert!(has(&e, line_of(&text, "service = \"lms\""), "is for kind \"kubernetes-service\""), "{e:?}");

    let text = replace_once(GATEWAY, "kind = \"gateway-api\"", "kind = \"istio\"");
    assert!(plan::parse(&text).is_ok(), "istio reads route, blue and green the same way");

    let text = replace_once(GATEWAY, "route = \"lms\"\n", "route = \"Lms_Route\"\n");
    assert!(has(&errors(&text), line_of(&text, "Lms_Route"), "not a Kubernetes object name"));

    let nginx = include_str!("../../../examples/cutover/nginx.toml");
    let text = replace_once(nginx, "upstream = \"lms\"\n", "upstream = \"lms\"\nroute = \"lms\"\n");
    assert!(has(&errors(&text), line_of(&text, "route = \"lms\""), "is for kind = \"gateway-api\" or \"istio\""));
}

#[test]
fn a_kubernetes_kind_without_a_metrics_source_is_refused() {
    let start = GATEWAY.find("[monitoring.source]").expect("source");
    let end = GATEWAY[start..].find("[maintenance]").expect("next") + start;
    let text = format!("{}{}", &GATEWAY[..start], &GATEWAY[end..]);
    let e = errors(&text);
    assert!(has(&e, line_of(&text, "kind = \"gateway-api\""), "[monitoring.source]"), "{e:?}");
}

#[test]
fn a_kubernetes_deploy_needs_its_deployment_and_nothing_of_a_command() {
    let text = replace_once(
        GATEWAY,
        "[kubernetes.green]\ndeployment = \"lms-green\"\ncontainer = \"lms\"\nimage = \"{{env:LMS_GREEN_IMAGE}}\"",
        "",
    );
    let e = errors(&text);
    let green_deploy =
        text.lines().enumerate().filter(|(_, l)| l.starts_with("deploy = \"kubernetes\"")).nth(1).map(|(i, _)| i + 1);
    assert!(green_deploy.is_some_and(|l| has(&e, l, "needs [kubernetes.green]")), "{e:?}");

    let text = replace_once(
        GATEWAY,
        "ready_timeout = \"300s\"",
        "ready_timeout = \"300s\"\ncommand = [\"kubectl\", \"apply\"]\ndeploy_timeout = \"5m\"",
    );
    let e = errors(&text);
    assert!(has(&e, line_of(&text, "command = [\"kubectl\""), "remove `command`"), "{e:?}");
    assert!(has(&e, line_of(&text, "deploy_timeout"), "ready_timeout"), "{e:?}");

    let text =
        replace_once(GATEWAY, "keep_warm = \"24h\"", "keep_warm = \"24h\"\nimage = \"registry.example.com/lms:2.9.0\"");
    assert!(has(&errors(&text), line_of(&text, "lms:2.9.0"), "never sets its image"));

    let text = replace_once(
        GATEWAY,
        "image = \"{{env:LMS_GREEN_IMAGE}}\"",
        "image = \"{{env:LMS_GREEN_IMAGE}}\"\nmanifest = \"deploy/kubernetes/deployment-green.yaml\"",
    );
    assert!(has(&errors(&text), line_of(&text, "manifest = "), "not both"));
    let text = replace_once(
        GATEWAY,
        "image = \"{{env:LMS_GREEN_IMAGE}}\"",
        "manifest = \"deploy/kubernetes/deployment-green.yaml\"",
    );
    assert!(plan::parse(&text).is_ok(), "a manifest instead of an image");

    let text = replace_once(GATEWAY, "deployment = \"lms-green\"", "deployment = \"lms-blue\"");
    let second =
        text.lines().enumerate().filter(|(_, l)| l.starts_with("deployment = \"lms-blue\"")).nth(1).map(|(i, _)| i + 1);
    assert!(second.is_some_and(|l| has(&errors(&text), l, "the same Deployment")), "{:?}", errors(&text));
}

#[test]
fn a_kubernetes_section_nothing_reads_is_refused() {
    let haproxy = include_str!("../../../examples/cutover/haproxy.toml");
    let text = format!("{haproxy}\n[kubernetes]\nnamespace = \"production\"\n");
    let e = errors(&text);
    assert!(has(&e, line_of(&text, "[kubernetes]"), "is not read"), "{e:?}");
}
