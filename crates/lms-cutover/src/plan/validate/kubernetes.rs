//! The rules of a plan that drives a cluster: the `[traffic]` fields of the
//! Kubernetes kinds (`gateway-api`, `istio`, `kubernetes-service`), the
//! `[kubernetes]` section, and `deploy = "kubernetes"` slots — what each
//! needs, what it refuses, and the canary steps a Service selector cannot
//! do. Every finding is located at its line and column like the rest of
//! `validate`; this module knows the plan's shape, not the API server.

use super::{check_placeholders, check_url, refuse_nginx_fields, refuse_proxy_fields, Rules, Seg};
use crate::plan::model::{DeployKind, Plan, StepAction, Traffic, TrafficKind};
use crate::units::Slot;

/// A Kubernetes object name as written (a placeholder is checked when the
/// run resolves it): a DNS subdomain, lower case.
fn is_object_name(s: &str) -> bool {
    s.contains("{{")
        || (!s.is_empty()
            && s.len() <= 253
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// A label key or value: letters, digits, `-`, `_`, `.` and one `/` prefix.
fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 316
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && s.matches('/').count() <= 1
}

/// `[traffic]` for a Kubernetes kind: its own fields present and sane, no
/// field of another kind.
pub(super) fn check_traffic(r: &mut Rules<'_, '_>, t: &Traffic) {
    use Seg::K;
    let kind = t.kind.as_str();
    let needed: [(&str, &Option<String>, &str); 3] = match t.kind {
        TrafficKind::GatewayApi => [
            ("route", &t.route, "the HTTPRoute's name, e.g. \"lms\""),
            ("blue", &t.blue, "blue's Service in the route's backendRefs, e.g. \"lms-blue\""),
            ("green", &t.green, "green's Service in the route's backendRefs, e.g. \"lms-green\""),
        ],
        TrafficKind::Istio => [
            ("route", &t.route, "the VirtualService's name, e.g. \"lms-vs\""),
            ("blue", &t.blue, "blue's destination host (or subset), e.g. \"lms-blue.production.svc.cluster.local\""),
            (
                "green",
                &t.green,
                "green's destination host (or subset), e.g. \"lms-green.production.svc.cluster.local\"",
            ),
        ],
        _ => [
            ("service", &t.service, "the Service users reach, whose selector is switched, e.g. \"lms\""),
            ("blue", &t.blue, "the selector label's value on blue's pods, e.g. \"blue\""),
            ("green", &t.green, "the selector label's value on green's pods, e.g. \"green\""),
        ],
    };
    for (key, value, what) in needed {
        match value {
            None => r.at(&[K("traffic"), K("kind")], format!("kind \"{kind}\" needs `{key}`: {what}")),
            Some(v) if v.trim().is_empty() => r.at(&[K("traffic"), K(key)], format!("`{key}` is empty; write {what}")),
            Some(v) => {
                check_placeholders(r, v, &[K("traffic"), K(key)]);
                let named_object = matches!(key, "route" | "service")
                    || (t.kind == TrafficKind::GatewayApi && matches!(key, "blue" | "green"));
                if named_object && !is_object_name(v) {
                    r.at(
                        &[K("traffic"), K(key)],
                        format!(
                            "`{key}` {v:?} is not a Kubernetes object name (lower-case letters, digits, '-' and '.')"
                        ),
                    );
                }
                if t.kind == TrafficKind::KubernetesService && key != "service" && !is_label(v) && !v.contains("{{") {
                    r.at(&[K("traffic"), K(key)], format!("`{key}` {v:?} is not a label value"));
                }
            }
        }
    }
    if let (Some(b), Some(g)) = (&t.blue, &t.green) {
        if b == g {
            r.at(&[K("traffic"), K("green")], format!("blue and green name the same {b:?}"));
        }
    }
    match t.kind {
        TrafficKind::KubernetesService => {
            if t.route.is_some() {
                r.at(
                    &[K("traffic"), K("route")],
                    "`route` is for kind \"gateway-api\" or \"istio\"; kind \"kubernetes-service\" names `service`"
                        .into(),
                );
            }
            if let Some(l) = &t.label {
                if !is_label(l) {
                    r.at(
                        &[K("traffic"), K("label")],
                        format!("`label` {l:?} is not a label key; write e.g. \"slot\" or leave it out for \"slot\""),
                    );
                }
            }
        }
        _ => {
            for (key, value) in [("service", &t.service), ("label", &t.label)] {
                if value.is_some() {
                    r.at(
                        &[K("traffic"), K(key)],
                        format!("`{key}` is for kind \"kubernetes-service\"; kind \"{kind}\" names `route`"),
                    );
                }
            }
        }
    }
    for (key, value) in [("socket", &t.socket), ("backend", &t.backend)] {
        if value.is_some() {
            r.at(
                &[K("traffic"), K(key)],
                format!("`{key}` is for HAProxy; kind \"{kind}\" is driven through the Kubernetes API ([kubernetes])"),
            );
        }
    }
    refuse_nginx_fields(r, t, kind);
    refuse_proxy_fields(r, t, kind, "the Kubernetes API server of [kubernetes]");
}

/// The Kubernetes kinds' fields written under another kind.
pub(super) fn refuse_fields(r: &mut Rules<'_, '_>, t: &Traffic) {
    use Seg::K;
    for (key, value, kinds) in [
        ("route", &t.route, "kind = \"gateway-api\" or \"istio\""),
        ("service", &t.service, "kind = \"kubernetes-service\""),
        ("label", &t.label, "kind = \"kubernetes-service\""),
    ] {
        if value.is_some() {
            r.at(
                &[K("traffic"), K(key)],
                format!("`{key}` is for {kinds}: write that kind or remove `{key}` (kind is \"{}\")", t.kind.as_str()),
            );
        }
    }
}

/// `[kubernetes]`, the slots deployed on a cluster, and what the traffic
/// kinds need from the rest of the plan.
pub(super) fn check(r: &mut Rules<'_, '_>, plan: &Plan) {
    use Seg::{I, K};
    let kind = plan.traffic.kind;
    if kind.is_kubernetes() && plan.monitoring.source.is_none() {
        // The gates would otherwise read window statistics from the traffic
        // driver; a route or a Service counts no requests.
        r.at(
            &[K("traffic"), K("kind")],
            format!(
                "kind \"{}\" gives the gates no per-slot request or error counts (the API server keeps none): add a [monitoring.source] (kind = \"prometheus\")",
                kind.as_str()
            ),
        );
    }
    if kind == TrafficKind::KubernetesService {
        for (i, s) in plan.steps.iter().enumerate() {
            if let StepAction::Traffic { green } = s.action {
                if green.get() != 100 {
                    r.at(
                        &[K("steps"), I(i), K("do")],
                        format!(
                            "kind \"kubernetes-service\" switches a Service's selector: all traffic on blue or all on green, nothing between, so a {green}% step cannot be done; make the timeline's only traffic step 100%, or use kind \"gateway-api\" or \"istio\" for a canary"
                        ),
                    );
                }
            }
        }
    }
    let on_cluster = |slot: Slot| match slot {
        Slot::Blue => plan.environments.blue.deploy == DeployKind::Kubernetes,
        Slot::Green => plan.environments.green.deploy == DeployKind::Kubernetes,
    };
    let uses_cluster = kind.is_kubernetes() || on_cluster(Slot::Blue) || on_cluster(Slot::Green);
    let k = plan.kubernetes.clone().unwrap_or_default();
    if plan.kubernetes.is_some() && !uses_cluster {
        r.at(
            &[K("kubernetes")],
            "[kubernetes] is not read: no traffic kind of Kubernetes and no `deploy = \"kubernetes\"` slot; remove it"
                .into(),
        );
    }
    if let Some(url) = &k.api_server {
        check_url(r, url, &[K("kubernetes"), K("api_server")]);
    }
    if let Some(ns) = &k.namespace {
        if !is_object_name(ns) || ns.contains('.') {
            r.at(&[K("kubernetes"), K("namespace")], format!("namespace {ns:?} is not a Kubernetes namespace name"));
        }
    }
    for (key, value) in [("token_file", &k.token_file), ("ca_file", &k.ca_file)] {
        match value {
            Some(v) if v.trim().is_empty() => r.at(
                &[K("kubernetes"), K(key)],
                format!("`{key}` is empty; write a path or leave it out for the service account's"),
            ),
            Some(v) => check_placeholders(r, v, &[K("kubernetes"), K(key)]),
            None => {}
        }
    }
    for slot in [Slot::Blue, Slot::Green] {
        let name = slot.to_string();
        let env = match slot {
            Slot::Blue => &plan.environments.blue,
            Slot::Green => &plan.environments.green,
        };
        let section = k.slot(slot);
        if !on_cluster(slot) {
            if section.is_some() {
                r.at(
                    &[K("kubernetes"), K(&name)],
                    format!(
                        "[kubernetes.{name}] is not read: [environments.{name}] does not say deploy = \"kubernetes\""
                    ),
                );
            }
            continue;
        }
        let at = [K("environments"), K(&name), K("deploy")];
        let Some(s) = section else {
            r.at(
                &at,
                format!("deploy = \"kubernetes\" needs [kubernetes.{name}] with the Deployment's name, e.g. deployment = \"lms-{name}\""),
            );
            continue;
        };
        if !env.command.is_empty() {
            r.at(
                &[K("environments"), K(&name), K("command")],
                format!("deploy = \"kubernetes\" rolls out [kubernetes.{name}]'s Deployment: remove `command`"),
            );
        }
        if env.deploy_timeout.is_some() {
            r.at(
                &[K("environments"), K(&name), K("deploy_timeout")],
                "`deploy_timeout` is for a deploy command; a rollout waits `ready_timeout`".into(),
            );
        }
        let here = |key: &'static str| [K("kubernetes"), K(if slot == Slot::Blue { "blue" } else { "green" }), K(key)];
        if !is_object_name(&s.deployment) {
            r.at(&here("deployment"), format!("deployment {:?} is not a Kubernetes object name", s.deployment));
        }
        check_placeholders(r, &s.deployment, &here("deployment"));
        if let Some(image) = &s.image {
            if slot == Slot::Blue {
                r.at(&here("image"), "blue runs already: the controller never sets its image; remove `image`".into());
            } else if image.trim().is_empty() || image.contains(char::is_whitespace) {
                r.at(&here("image"), format!("image {image:?} is empty or holds a space"));
            } else {
                check_placeholders(r, image, &here("image"));
            }
        }
        if let Some(m) = &s.manifest {
            if slot == Slot::Blue {
                r.at(&here("manifest"), "blue runs already: the controller never applies it; remove `manifest`".into());
            } else if s.image.is_some() {
                r.at(&here("manifest"), "write `image` or `manifest`, not both: the manifest names its image".into());
            } else if m.trim().is_empty() {
                r.at(&here("manifest"), "`manifest` is empty; write the path of the Deployment's manifest".into());
            } else {
                check_placeholders(r, m, &here("manifest"));
            }
        }
        if let Some(c) = &s.container {
            if !is_object_name(c) {
                r.at(&here("container"), format!("container {c:?} is not a container name"));
            }
        }
        if s.keep_warm.is_some() && slot == Slot::Green {
            r.at(
                &here("keep_warm"),
                "`keep_warm` is for blue, which is scaled down after go-live; remove it here".into(),
            );
        }
    }
    if let (Some(b), Some(g)) = (&k.blue, &k.green) {
        if b.deployment == g.deployment {
            r.at(
                &[K("kubernetes"), K("green"), K("deployment")],
                format!("blue and green name the same Deployment {:?}", b.deployment),
            );
        }
    }
}
