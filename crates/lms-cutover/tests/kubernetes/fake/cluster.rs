//! What the cluster does besides storing objects: the schema checks of
//! the API server (and Istio's webhook) a write must pass, and the
//! Deployment controller moving a Deployment's status through a rollout.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use serde_json::{json, Value};

use super::Rollout;

/// The schema checks of the real API server (and Istio's webhook) that
/// the drivers' writes could break.
pub fn valid(plural: &str, o: &Value) -> Result<(), String> {
    match plural {
        "deployments" => serde_json::from_value::<Deployment>(o.clone()).map(|_| ()).map_err(|e| e.to_string()),
        "services" => serde_json::from_value::<Service>(o.clone()).map(|_| ()).map_err(|e| e.to_string()),
        "httproutes" => {
            for rule in o["spec"]["rules"].as_array().cloned().unwrap_or_default() {
                for r in rule["backendRefs"].as_array().cloned().unwrap_or_default() {
                    if !r["name"].is_string() {
                        return Err("spec.rules[].backendRefs[].name: Required value".into());
                    }
                    if let Some(w) = r.get("weight") {
                        if !w.as_i64().is_some_and(|w| (0..=1_000_000).contains(&w)) {
                            return Err(format!("spec.rules[].backendRefs[].weight: Invalid value: {w}"));
                        }
                    }
                }
            }
            Ok(())
        }
        "virtualservices" => {
            for h in o["spec"]["http"].as_array().cloned().unwrap_or_default() {
                let route = h["route"].as_array().cloned().unwrap_or_default();
                if route.iter().any(|r| !r["destination"]["host"].is_string()) {
                    return Err("destination.host is required".into());
                }
                if route.len() > 1 {
                    let sum: i64 = route.iter().map(|r| r["weight"].as_i64().unwrap_or(0)).sum();
                    if sum != 100 {
                        return Err(format!("admission webhook \"validation.istio.io\" denied the request: total destination weight {sum} != 100"));
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The Deployment controller, one step per read: it first observes the
/// latest generation (a changed pod template starts a new rollout from
/// zero updated pods), then brings one more pod up to date per read. Old
/// pods stay available until the rollout is done (one pod of surge). With
/// [`Rollout::NeverAvailable`] the first new pod never becomes available,
/// so the rollout never progresses past it.
pub fn control_deployment(d: &mut Value, rolled: &mut String, mode: Rollout) {
    let desired = d["spec"]["replicas"].as_i64().unwrap_or(1);
    let generation = d["metadata"]["generation"].as_i64().unwrap_or(1);
    let template = d["spec"]["template"].to_string();
    let st = &mut d["status"];
    let mut updated = st["updatedReplicas"].as_i64().unwrap_or(0);
    if st["observedGeneration"].as_i64().unwrap_or(0) < generation {
        st["observedGeneration"] = json!(generation);
        if *rolled != template {
            *rolled = template;
            updated = 0;
        }
    } else if updated < desired && (mode == Rollout::Progresses || updated == 0) {
        updated += 1;
    }
    let updated = updated.min(desired);
    let (replicas, available) = match (updated == desired, mode) {
        (true, _) => (desired, desired),
        (false, Rollout::Progresses) => (desired + 1, desired),
        (false, Rollout::NeverAvailable) => (desired + updated.max(1), desired),
    };
    st["updatedReplicas"] = json!(updated);
    st["replicas"] = json!(replicas);
    st["availableReplicas"] = json!(available);
    st["readyReplicas"] = json!(available);
}

/// A Deployment as its controller leaves it after a finished rollout.
pub fn settled(d: &mut Value) {
    let desired = d["spec"]["replicas"].as_i64().unwrap_or(1);
    let generation = d["metadata"]["generation"].as_i64().unwrap_or(1);
    d["status"] = json!({
        "observedGeneration": generation,
        "replicas": desired,
        "updatedReplicas": desired,
        "availableReplicas": desired,
        "readyReplicas": desired,
    });
}
