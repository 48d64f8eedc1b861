//! Kubernetes: the traffic drivers `gateway-api` (an HTTPRoute's
//! backendRefs weights), `istio` (a VirtualService's route weights) and
//! `kubernetes-service` (a Service's selector, all or nothing), and the
//! deploy driver `kubernetes` (a Deployment's image and rollout), all
//! through the API server's REST interface.
//!
//! Layout:
//! - `client`: GET/PATCH of one named object with the service account's
//!   token and CA; the one place HTTP answers become errors (403 names the
//!   missing grant, 409 is a conflict to retry);
//! - `rbac`: every resource and verb the drivers use — the controller's
//!   Role grants exactly these;
//! - `traffic`: the write discipline every split shares (read, patch with
//!   the resourceVersion read, retry on conflict, read back; a rollback in
//!   one write);
//! - `gateway_api`, `istio`, `service`: each object's shape and split;
//! - `deploy`: the Deployment's image (or `manifest`: a manifest applied
//!   onto it), rollout and scale-down.
//!
//! Core resources are typed with `k8s-openapi`; the HTTPRoute and the
//! VirtualService with the fields of their CRD schemas the drivers read,
//! keeping every other field as it came. This module must not know the
//! runbook (steps, gates, checkpoints) nor the plan beyond the values it
//! is given.

pub mod client;
pub mod deploy;
pub mod gateway_api;
pub mod istio;
pub mod manifest;
pub mod rbac;
pub mod service;
pub mod traffic;

use std::sync::Arc;

use crate::drivers::TrafficDriver;
use crate::error::Result;
use crate::local::err;
use crate::plan::kubernetes::Kubernetes;
use crate::plan::model::{Traffic, TrafficKind};

pub use client::{Connection, KubeClient};
pub use deploy::KubernetesDeploy;
pub use gateway_api::GatewayApiSplit;
pub use istio::IstioSplit;
pub use service::ServiceSplit;
pub use traffic::KubernetesTraffic;

/// The selector label of `kubernetes-service` when the plan names none.
pub const DEFAULT_LABEL: &str = "slot";

/// The traffic driver for a Kubernetes `[traffic] kind`, connected as
/// `[kubernetes]` says; `None` for the other kinds.
pub fn traffic_driver(t: &Traffic, k: Option<&Kubernetes>) -> Result<Option<Arc<dyn TrafficDriver>>> {
    if !t.kind.is_kubernetes() {
        return Ok(None);
    }
    let field = |name: &str, v: &Option<String>| {
        v.clone().ok_or_else(|| err("traffic", format!("[traffic] kind \"{}\" needs `{name}`", t.kind.as_str())))
    };
    let client = KubeClient::new(Connection::from_plan(k)?, "traffic")?;
    let (blue, green) = (field("blue", &t.blue)?, field("green", &t.green)?);
    Ok(Some(match t.kind {
        TrafficKind::GatewayApi => {
            Arc::new(KubernetesTraffic::new(client, GatewayApiSplit { route: field("route", &t.route)?, blue, green }))
        }
        TrafficKind::Istio => {
            Arc::new(KubernetesTraffic::new(client, IstioSplit { route: field("route", &t.route)?, blue, green }))
        }
        _ => Arc::new(KubernetesTraffic::new(
            client,
            ServiceSplit {
                service: field("service", &t.service)?,
                label: t.label.clone().unwrap_or_else(|| DEFAULT_LABEL.into()),
                blue,
                green,
            },
        )),
    }))
}

/// The deploy driver for the slots `[kubernetes]` names, connected as it
/// says.
pub fn deploy_driver(k: &Kubernetes) -> Result<KubernetesDeploy> {
    let client = KubeClient::new(Connection::from_plan(Some(k))?, "deploy")?;
    Ok(KubernetesDeploy::new(client, k.blue.clone(), k.green.clone()))
}

/// What a person runs to send all traffic to blue when the controller
/// cannot (the rollback's fallback, printed while it retries).
pub fn by_hand_rollback(t: &Traffic, k: Option<&Kubernetes>) -> String {
    let of = |v: &Option<String>| v.clone().unwrap_or_default();
    let ns = k.and_then(|k| k.namespace.clone()).map_or_else(String::new, |n| format!(" -n {n}"));
    let (blue, green) = (of(&t.blue), of(&t.green));
    let how = match t.kind {
        TrafficKind::KubernetesService => format!(
            "kubectl{ns} patch service {} --type=merge -p '{{\"spec\":{{\"selector\":{{\"{}\":\"{blue}\"}}}}}}'",
            of(&t.service),
            t.label.clone().unwrap_or_else(|| DEFAULT_LABEL.into())
        ),
        TrafficKind::Istio => format!(
            "kubectl{ns} edit virtualservice {}: give destination {blue} weight 100 and {green} weight 0 in every http route",
            of(&t.route)
        ),
        _ => format!(
            "kubectl{ns} edit httproute {}: give backendRef {blue} weight 100 and {green} weight 0 in every rule",
            of(&t.route)
        ),
    };
    format!("send all traffic to blue on the cluster: {how}; this controller keeps retrying")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traffic(kind: TrafficKind) -> Traffic {
        let text = format!(
            "kind = \"{}\"\npublic_url = \"https://lms.example.com\"\nroute = \"lms\"\nservice = \"lms\"\nblue = \"blue\"\ngreen = \"green\"\n",
            kind.as_str()
        );
        let doc: toml_edit::ImDocument<String> = text.parse().expect("toml");
        toml_edit::de::from_document(doc).expect("traffic")
    }

    #[test]
    fn the_by_hand_rollback_names_the_object_and_the_namespace() {
        let k = Kubernetes { namespace: Some("production".into()), ..Kubernetes::default() };
        let gw = by_hand_rollback(&traffic(TrafficKind::GatewayApi), Some(&k));
        assert!(gw.contains("kubectl -n production edit httproute lms") && gw.contains("blue weight 100"), "{gw}");
        let svc = by_hand_rollback(&traffic(TrafficKind::KubernetesService), Some(&k));
        assert!(
            svc.contains(
                r#"kubectl -n production patch service lms --type=merge -p '{"spec":{"selector":{"slot":"blue"}}}'"#
            ),
            "{svc}"
        );
    }
}
