//! The split of a cluster without a mesh: one Service whose selector
//! picks blue's pods or green's by one label (`slot: blue` / `slot:
//! green`). All or nothing — blue 100 / green 0 or blue 0 / green 100;
//! any other split is refused here, and the plan's canary steps are
//! refused by `validate` before a run starts.
//!
//! A rollback is one merge patch of that one label with no precondition:
//! nothing else of the Service can be harmed, so it needs no read first.
//! Knows the Service's selector, not how it is written (see `traffic`).

use k8s_openapi::api::core::v1::Service;
use serde_json::json;

use super::client::{Patch, Resource, SERVICES};
use super::traffic::Split;
use crate::drivers::BackendState;
use crate::units::{Slot, Weights};

/// Blue and green as two values of one selector label.
#[derive(Debug, Clone)]
pub struct ServiceSplit {
    /// The Service users reach.
    pub service: String,
    /// The selector's label (`slot`).
    pub label: String,
    /// Its value on blue's pods.
    pub blue: String,
    /// Its value on green's pods.
    pub green: String,
}

impl ServiceSplit {
    fn selected(o: &Service, label: &str) -> Option<String> {
        o.spec.as_ref()?.selector.as_ref()?.get(label).cloned()
    }

    fn patch(&self, value: &str, version: Option<&str>) -> Patch {
        let selector = json!({ "spec": { "selector": { self.label.as_str(): value } } });
        match version {
            Some(v) => {
                let mut p = selector;
                p["metadata"] = json!({ "resourceVersion": v });
                Patch::Merge(p)
            }
            None => Patch::Merge(selector),
        }
    }
}

impl Split for ServiceSplit {
    type Object = Service;

    fn resource(&self) -> Resource {
        SERVICES
    }

    fn engine(&self) -> &'static str {
        "kubernetes-service"
    }

    fn name(&self) -> &str {
        &self.service
    }

    fn weights(&self, o: &Service) -> Result<Weights, String> {
        match Self::selected(o, &self.label) {
            Some(v) if v == self.blue => Ok(Weights::ALL_BLUE),
            Some(v) if v == self.green => Weights::new(0, 100).map_err(|e| e.to_string()),
            Some(v) => Err(format!(
                "its selector has {}={v:?}, neither blue's {:?} nor green's {:?}",
                self.label, self.blue, self.green
            )),
            None => Err(format!("its selector has no label {:?}: it does not tell blue from green", self.label)),
        }
    }

    fn backends(&self, o: &Service) -> Vec<BackendState> {
        let service = o.metadata.name.as_deref().unwrap_or(&self.service);
        let backend = |slot, value: &str| BackendState {
            slot,
            target: format!("service/{service} → pods {}={value}", self.label),
            healthy: None,
        };
        vec![backend(Slot::Blue, &self.blue), backend(Slot::Green, &self.green)]
    }

    fn set(&self, o: &Service, w: Weights) -> Result<Patch, String> {
        let value = match w.green_weight().get() {
            0 => &self.blue,
            100 => &self.green,
            _ => {
                return Err(format!(
                    "a Service selects blue's pods or green's, nothing between: {w} cannot be set (kind \"kubernetes-service\" moves all traffic at once)"
                ))
            }
        };
        let version = o.metadata.resource_version.as_deref().ok_or("it has no metadata.resourceVersion")?;
        Ok(self.patch(value, Some(version)))
    }

    fn rollback(&self, _: &Service) -> Result<Patch, String> {
        Ok(self.patch(&self.blue, None))
    }

    fn blind_rollback(&self) -> Option<Patch> {
        Some(self.patch(&self.blue, None))
    }
}
