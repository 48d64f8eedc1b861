//! The Kubernetes drivers — traffic through a Gateway API HTTPRoute, an
//! Istio VirtualService or a Service's selector, and deploy through a
//! Deployment — driven through their public API against a fake API server
//! (`fake.rs`: no cluster can run here) seeded with the manifests shipped
//! in `deploy/kubernetes/`.

mod deploy;
mod fake;
mod plan;
mod traffic;

use fake::{FakeApi, NAMESPACE, TOKEN};
use lms_cutover::plan::model::{Kubernetes, KubernetesSlot};
use serde_json::Value;

/// Every document of a manifest file of `deploy/kubernetes/`, as JSON.
pub fn manifests(file: &str) -> Vec<Value> {
    let path = format!("{}/../../deploy/kubernetes/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("manifest");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| {
            let v = serde_yaml::Value::deserialize(doc).expect("yaml");
            serde_json::to_value(v).expect("json")
        })
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// The manifest of `kind` named `name` in `file`.
pub fn manifest(file: &str, kind: &str, name: &str) -> Value {
    manifests(file)
        .into_iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{file} has no {kind} {name}"))
}

use serde::Deserialize;

/// A token file holding the fake's token, unique per test.
pub fn token_file(token: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("lms-k8s-token-{}-{n}", std::process::id()));
    std::fs::write(&path, format!("{token}\n")).expect("token file");
    path.display().to_string()
}

/// `[kubernetes]` pointing at the fake.
pub fn kubernetes(fake: &FakeApi) -> Kubernetes {
    Kubernetes {
        api_server: Some(fake.url.clone()),
        namespace: Some(NAMESPACE.into()),
        token_file: Some(token_file(TOKEN)),
        ca_file: None,
        blue: Some(KubernetesSlot {
            deployment: "lms-blue".into(),
            image: None,
            manifest: None,
            container: None,
            replicas: None,
            keep_warm: None,
        }),
        green: Some(KubernetesSlot {
            deployment: "lms-green".into(),
            image: Some("registry.example.com/lms:3.0.1".into()),
            manifest: None,
            container: Some("lms".into()),
            replicas: None,
            keep_warm: None,
        }),
    }
}
