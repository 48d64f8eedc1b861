//! A Deployment's manifest to apply: read from a YAML file (which may hold
//! other documents — a PodDisruptionBudget, a Service — left alone), the
//! Deployment of the wanted name found and checked against the
//! Deployment schema (`k8s-openapi`), and turned into the merge patch that
//! puts its labels, annotations and spec onto the Deployment that exists,
//! pinned to the resourceVersion read.
//!
//! Knows YAML and the Deployment's shape, not how the patch is written.

use k8s_openapi::api::apps::v1::Deployment;
use serde::Deserialize;
use serde_json::{json, Value};

use super::client::Patch;

/// The Deployment `name` in the manifest text `text` (from `path`, for
/// messages), as JSON that parsed as a Deployment.
pub fn deployment(text: &str, path: &str, name: &str, namespace: &str) -> Result<Value, String> {
    let mut found = None;
    let mut seen = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let yaml = serde_yaml::Value::deserialize(doc).map_err(|e| format!("the manifest {path} is not YAML: {e}"))?;
        let json = serde_json::to_value(yaml).map_err(|e| format!("the manifest {path}: {e}"))?;
        let (kind, n) = (json["kind"].as_str().unwrap_or("?"), json["metadata"]["name"].as_str().unwrap_or("?"));
        if kind == "Deployment" && n == name {
            found = Some(json);
            break;
        }
        seen.push(format!("{kind}/{n}"));
    }
    let Some(json) = found else {
        return Err(format!(
            "the manifest {path} holds no Deployment {name:?} (it holds: {})",
            if seen.is_empty() { "nothing".to_string() } else { seen.join(", ") }
        ));
    };
    if let Some(ns) = json["metadata"]["namespace"].as_str() {
        if ns != namespace {
            return Err(format!("the manifest {path} puts Deployment {name:?} in namespace {ns:?}, not {namespace:?}"));
        }
    }
    serde_json::from_value::<Deployment>(json.clone())
        .map_err(|e| format!("the manifest {path}: Deployment {name:?} is not a valid Deployment: {e}"))?;
    if json["spec"].is_null() {
        return Err(format!("the manifest {path}: Deployment {name:?} has no spec"));
    }
    Ok(json)
}

/// The merge patch applying `manifest` onto a Deployment read at
/// `resource_version`: its labels and annotations (when written) and its
/// spec (lists such as the containers replaced whole, as the manifest
/// gives them).
pub fn patch(manifest: &Value, resource_version: &str) -> Patch {
    let mut metadata = json!({ "resourceVersion": resource_version });
    for key in ["labels", "annotations"] {
        if manifest["metadata"][key].is_object() {
            metadata[key] = manifest["metadata"][key].clone();
        }
    }
    Patch::Merge(json!({ "metadata": metadata, "spec": manifest["spec"] }))
}
