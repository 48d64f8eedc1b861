//! What the Kubernetes drivers may do on a cluster, as one table: every
//! resource they read or patch, with the verbs. The controller's Role in
//! `deploy/kubernetes/controller-rbac.yaml` grants exactly this (a test
//! compares the two), and a 403 from the API server is turned into an
//! error that names the grant the Role lacks.
//!
//! Knows resources and verbs, not what the drivers do with them.

/// One resource the drivers use, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The API group (`""` for the core group).
    pub api_group: &'static str,
    /// The resource's plural name.
    pub resource: &'static str,
    /// The verbs the drivers use on it.
    pub verbs: &'static [&'static str],
    /// Which driver uses it.
    pub used_by: &'static str,
}

/// Every grant the drivers rely on; nothing cluster-wide, no list, watch,
/// create, update or delete.
pub const GRANTS: &[Grant] = &[
    Grant {
        api_group: "gateway.networking.k8s.io",
        resource: "httproutes",
        verbs: &["get", "patch"],
        used_by: "traffic kind \"gateway-api\"",
    },
    Grant {
        api_group: "networking.istio.io",
        resource: "virtualservices",
        verbs: &["get", "patch"],
        used_by: "traffic kind \"istio\"",
    },
    Grant {
        api_group: "",
        resource: "services",
        verbs: &["get", "patch"],
        used_by: "traffic kind \"kubernetes-service\"",
    },
    Grant { api_group: "apps", resource: "deployments", verbs: &["get", "patch"], used_by: "deploy = \"kubernetes\"" },
];

/// The error text for a 403: who was refused what, and what the Role must
/// grant.
pub fn forbidden(verb: &str, api_group: &str, resource: &str, name: &str, namespace: &str, said: &str) -> String {
    let group = if api_group.is_empty() { "\"\" (core)".to_string() } else { format!("\"{api_group}\"") };
    format!(
        "the API server refused to {verb} {resource} {name:?} in namespace {namespace:?} (403 Forbidden: {said}); \
         the controller's Role (deploy/kubernetes/controller-rbac.yaml) must grant verb \"{verb}\" on resource \
         \"{resource}\" of apiGroup {group} (resourceNames: [\"{name}\"]) in namespace {namespace:?}"
    )
}
