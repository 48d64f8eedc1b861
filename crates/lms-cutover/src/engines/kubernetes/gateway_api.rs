//! The Gateway API's split: the `weight`s of blue's and green's
//! `backendRefs` in an `HTTPRoute` (`gateway.networking.k8s.io/v1`).
//!
//! Every rule that sends to blue or green must send to both and to nothing
//! else; all such rules carry the same split. A `backendRef` without a
//! weight weighs 1 (the API's default). The plan's percentages are the
//! weights as they are (blue 90 / green 10 → 90 and 10); a read split
//! whose two weights do not sum to 100 is reported, not normalised.
//!
//! The types below are the fields of the CRD's schema the driver reads,
//! every other field kept as it came (so a write never drops one). Knows
//! the HTTPRoute's shape, not how it is written (see `traffic`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::client::{Patch, Resource, HTTP_ROUTES};
use super::traffic::Split;
use crate::drivers::BackendState;
use crate::units::{Slot, Weights};

/// An `HTTPRoute`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRoute {
    /// `gateway.networking.k8s.io/v1`.
    #[serde(default)]
    pub api_version: String,
    /// `HTTPRoute`.
    #[serde(default)]
    pub kind: String,
    /// Name, namespace, resourceVersion, generation.
    pub metadata: ObjectMeta,
    /// The routing rules.
    pub spec: HttpRouteSpec,
    /// `status` and anything else, as it came.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    /// `rules[]`.
    #[serde(default)]
    pub rules: Vec<HttpRouteRule>,
    /// `parentRefs`, `hostnames`, ... as they came.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `spec.rules[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteRule {
    /// `backendRefs[]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backend_refs: Vec<BackendRef>,
    /// `matches`, `filters`, ... as they came.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `spec.rules[].backendRefs[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendRef {
    /// The Service's name.
    pub name: String,
    /// The Service's port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// The share, relative to the rule's other refs (1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// `group`, `kind`, `namespace`, `filters`, ... as they came.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// The weight the API gives a ref without one.
const DEFAULT_WEIGHT: i32 = 1;

/// Blue and green as two Services behind one HTTPRoute.
#[derive(Debug, Clone)]
pub struct GatewayApiSplit {
    /// The HTTPRoute's name.
    pub route: String,
    /// Blue's Service.
    pub blue: String,
    /// Green's Service.
    pub green: String,
}

/// Where blue and green sit in one rule.
struct Places {
    rule: usize,
    blue: usize,
    green: usize,
}

impl GatewayApiSplit {
    /// The rules that send to blue or green, with their refs' indices.
    fn places(&self, o: &HttpRoute) -> Result<Vec<Places>, String> {
        let mut out = Vec::new();
        for (i, rule) in o.spec.rules.iter().enumerate() {
            let find = |n: &str| rule.backend_refs.iter().position(|b| b.name == n);
            let (b, g) = (find(&self.blue), find(&self.green));
            if b.is_none() && g.is_none() {
                continue;
            }
            let (Some(blue), Some(green)) = (b, g) else {
                let missing = if b.is_none() { &self.blue } else { &self.green };
                return Err(format!(
                    "rule {} has no backendRef {missing:?}: add one (weight 0) so the rule can be split",
                    i + 1
                ));
            };
            if let Some(other) = rule.backend_refs.iter().find(|r| r.name != self.blue && r.name != self.green) {
                return Err(format!(
                    "rule {} also sends to {:?}: the driver splits a rule only between {:?} and {:?}",
                    i + 1,
                    other.name,
                    self.blue,
                    self.green
                ));
            }
            out.push(Places { rule: i, blue, green });
        }
        if out.is_empty() {
            return Err(format!("no rule has backendRefs {:?} and {:?}", self.blue, self.green));
        }
        Ok(out)
    }
}

impl Split for GatewayApiSplit {
    type Object = HttpRoute;

    fn resource(&self) -> Resource {
        HTTP_ROUTES
    }

    fn engine(&self) -> &'static str {
        "gateway-api"
    }

    fn name(&self) -> &str {
        &self.route
    }

    fn weights(&self, o: &HttpRoute) -> Result<Weights, String> {
        let pairs = self.places(o)?.into_iter().map(|p| {
            let refs = &o.spec.rules[p.rule].backend_refs;
            (
                p.rule + 1,
                (refs[p.blue].weight.unwrap_or(DEFAULT_WEIGHT), refs[p.green].weight.unwrap_or(DEFAULT_WEIGHT)),
            )
        });
        super::traffic::agreed_weights(pairs, "rules", "backendRef", &self.blue, &self.green)
    }

    fn backends(&self, o: &HttpRoute) -> Vec<BackendState> {
        let port =
            |n: &str| o.spec.rules.iter().flat_map(|r| &r.backend_refs).find(|b| b.name == n).and_then(|b| b.port);
        let target = |n: &str| match port(n) {
            Some(p) => format!("service/{n}:{p}"),
            None => format!("service/{n}"),
        };
        vec![
            BackendState { slot: Slot::Blue, target: target(&self.blue), healthy: None },
            BackendState { slot: Slot::Green, target: target(&self.green), healthy: None },
        ]
    }

    fn set(&self, o: &HttpRoute, w: Weights) -> Result<Patch, String> {
        let version = o.metadata.resource_version.clone().ok_or("it has no metadata.resourceVersion")?;
        let mut rules = o.spec.rules.clone();
        for p in self.places(o)? {
            let refs = &mut rules[p.rule].backend_refs;
            refs[p.blue].weight = Some(i32::from(w.blue_weight().get()));
            refs[p.green].weight = Some(i32::from(w.green_weight().get()));
        }
        let rules = serde_json::to_value(rules).map_err(|e| e.to_string())?;
        Ok(Patch::Merge(json!({ "metadata": { "resourceVersion": version }, "spec": { "rules": rules } })))
    }

    fn rollback(&self, o: &HttpRoute) -> Result<Patch, String> {
        let mut ops = Vec::new();
        for p in self.places(o)? {
            // The tests pin the layout that was read: if a ref moved, the
            // whole patch fails (422) and is rebuilt from a fresh read.
            for (at, name, weight) in [(p.blue, &self.blue, 100), (p.green, &self.green, 0)] {
                let path = format!("/spec/rules/{}/backendRefs/{at}", p.rule);
                ops.push(json!({ "op": "test", "path": format!("{path}/name"), "value": name }));
                ops.push(json!({ "op": "add", "path": format!("{path}/weight"), "value": weight }));
            }
        }
        Ok(Patch::Json(Value::Array(ops)))
    }
}
