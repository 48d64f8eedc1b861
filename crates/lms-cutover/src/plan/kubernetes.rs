//! `[kubernetes]` as data: where the API server is, how the controller
//! proves who it is, and which Deployment each slot is.
//!
//! Every field has an in-cluster default (the service account's token, CA
//! and namespace files, `https://kubernetes.default.svc`), so a controller
//! running as a pod needs only the slots. Rules relating this section to
//! `[traffic]` and `[environments]` live in `validate`; nothing here
//! performs IO or knows the API's resources.

use serde::{Deserialize, Serialize};

use crate::units::PlanDuration;

/// The in-cluster API server address.
pub const IN_CLUSTER_API_SERVER: &str = "https://kubernetes.default.svc";
/// The service account's token, mounted into every pod.
pub const IN_CLUSTER_TOKEN_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/// The cluster CA that signed the API server's certificate.
pub const IN_CLUSTER_CA_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
/// The pod's own namespace.
pub const IN_CLUSTER_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// `[kubernetes]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    /// The API server's base URL (in-cluster when not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server: Option<String>,
    /// The namespace of the route, the Service and the Deployments (the
    /// service account's own namespace when not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A file holding the bearer token, read at every request so a
    /// rotated projected token is picked up (the service account's when
    /// not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// A PEM file of the CA that signed the API server's certificate (the
    /// cluster CA mounted into pods when not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// `[kubernetes.blue]`: blue's Deployment, when `[environments.blue]`
    /// says `deploy = "kubernetes"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue: Option<KubernetesSlot>,
    /// `[kubernetes.green]`: green's Deployment, when
    /// `[environments.green]` says `deploy = "kubernetes"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green: Option<KubernetesSlot>,
}

/// `[kubernetes.blue]` / `[kubernetes.green]`: one slot's Deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSlot {
    /// The Deployment's name, e.g. `lms-green`.
    pub deployment: String,
    /// Green: the image the deploy step sets on the container (the
    /// Deployment as it stands is rolled out again when not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Green: a manifest file holding the Deployment (e.g.
    /// `deploy/kubernetes/deployment-green.yaml`; other documents in it are
    /// left alone), applied by the deploy step onto the Deployment that
    /// exists: its labels, annotations and spec. Instead of `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// The container whose image is set (the Deployment's only container
    /// when not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Green: the replicas the deploy step sets with the image (the
    /// Deployment's own count when not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Blue: how long blue stays up, at full size, after go-live before
    /// `lms cutover scale-down-blue` may scale it to zero. Without it blue
    /// is never scaled down by the controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_warm: Option<PlanDuration>,
}

impl Kubernetes {
    /// The slot's Deployment section.
    pub fn slot(&self, slot: crate::units::Slot) -> Option<&KubernetesSlot> {
        match slot {
            crate::units::Slot::Blue => self.blue.as_ref(),
            crate::units::Slot::Green => self.green.as_ref(),
        }
    }
}
