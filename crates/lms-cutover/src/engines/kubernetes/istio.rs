//! Istio's split: the `weight`s of blue's and green's destinations in the
//! HTTP routes of a `VirtualService` (`networking.istio.io/v1`).
//!
//! A destination is blue's when its `host` is the plan's `blue`, or its
//! `subset` is (blue and green as two subsets of one host). Every `http[]`
//! entry that routes to blue or green must route to both and to nothing
//! else; all such entries carry the same split. A destination without a
//! weight weighs 100 when it is its entry's only one, else 0 (Istio's
//! rule); Istio itself refuses weights that do not sum to 100.
//!
//! The types below are the fields of the CRD's schema the driver reads,
//! every other field kept as it came. Knows the VirtualService's shape,
//! not how it is written (see `traffic`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::client::{Patch, Resource, VIRTUAL_SERVICES};
use super::traffic::Split;
use crate::drivers::BackendState;
use crate::units::{Slot, Weights};

/// A `VirtualService`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualService {
    /// `networking.istio.io/v1`.
    #[serde(default)]
    pub api_version: String,
    /// `VirtualService`.
    #[serde(default)]
    pub kind: String,
    /// Name, namespace, resourceVersion, generation.
    pub metadata: ObjectMeta,
    /// The routes.
    pub spec: VirtualServiceSpec,
    /// `status` and anything else, as it came.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualServiceSpec {
    /// `http[]`.
    #[serde(default)]
    pub http: Vec<HttpRoute>,
    /// `hosts`, `gateways`, `tcp`, ... as they came.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `spec.http[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRoute {
    /// `route[]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub route: Vec<RouteDestination>,
    /// `match`, `retries`, `timeout`, ... as they came.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `spec.http[].route[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteDestination {
    /// Where to.
    pub destination: Destination,
    /// The share in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// `headers`, ... as they came.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `destination`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    /// The service's host name.
    pub host: String,
    /// A subset of a DestinationRule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
    /// `port`, as it came.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Destination {
    fn is(&self, name: &str) -> bool {
        match &self.subset {
            Some(s) => s == name || self.host == name,
            None => self.host == name,
        }
    }

    fn shown(&self) -> String {
        match &self.subset {
            Some(s) => format!("{}#{s}", self.host),
            None => self.host.clone(),
        }
    }
}

/// Blue and green as two destinations of one VirtualService.
#[derive(Debug, Clone)]
pub struct IstioSplit {
    /// The VirtualService's name.
    pub route: String,
    /// Blue's host or subset.
    pub blue: String,
    /// Green's host or subset.
    pub green: String,
}

struct Places {
    http: usize,
    blue: usize,
    green: usize,
}

impl IstioSplit {
    fn places(&self, o: &VirtualService) -> Result<Vec<Places>, String> {
        let mut out = Vec::new();
        for (i, h) in o.spec.http.iter().enumerate() {
            let find = |n: &str| h.route.iter().position(|r| r.destination.is(n));
            let (b, g) = (find(&self.blue), find(&self.green));
            if b.is_none() && g.is_none() {
                continue;
            }
            let (Some(blue), Some(green)) = (b, g) else {
                let missing = if b.is_none() { &self.blue } else { &self.green };
                return Err(format!(
                    "http route {} has no destination {missing:?}: add one (weight 0) so it can be split",
                    i + 1
                ));
            };
            if let Some(other) =
                h.route.iter().find(|r| !r.destination.is(&self.blue) && !r.destination.is(&self.green))
            {
                return Err(format!(
                    "http route {} also sends to {:?}: the driver splits a route only between {:?} and {:?}",
                    i + 1,
                    other.destination.shown(),
                    self.blue,
                    self.green
                ));
            }
            out.push(Places { http: i, blue, green });
        }
        if out.is_empty() {
            return Err(format!("no http route has destinations {:?} and {:?}", self.blue, self.green));
        }
        Ok(out)
    }
}

impl Split for IstioSplit {
    type Object = VirtualService;

    fn resource(&self) -> Resource {
        VIRTUAL_SERVICES
    }

    fn engine(&self) -> &'static str {
        "istio"
    }

    fn name(&self) -> &str {
        &self.route
    }

    fn weights(&self, o: &VirtualService) -> Result<Weights, String> {
        let pairs = self.places(o)?.into_iter().map(|p| {
            let route = &o.spec.http[p.http].route;
            let weight = |at: usize| route[at].weight.unwrap_or(if route.len() == 1 { 100 } else { 0 });
            (p.http + 1, (weight(p.blue), weight(p.green)))
        });
        super::traffic::agreed_weights(pairs, "http routes", "destination", &self.blue, &self.green)
    }

    fn backends(&self, o: &VirtualService) -> Vec<BackendState> {
        let shown = |n: &str| {
            o.spec
                .http
                .iter()
                .flat_map(|h| &h.route)
                .find(|r| r.destination.is(n))
                .map_or_else(|| n.to_string(), |r| r.destination.shown())
        };
        vec![
            BackendState { slot: Slot::Blue, target: shown(&self.blue), healthy: None },
            BackendState { slot: Slot::Green, target: shown(&self.green), healthy: None },
        ]
    }

    fn set(&self, o: &VirtualService, w: Weights) -> Result<Patch, String> {
        let version = o.metadata.resource_version.clone().ok_or("it has no metadata.resourceVersion")?;
        let mut http = o.spec.http.clone();
        for p in self.places(o)? {
            let route = &mut http[p.http].route;
            route[p.blue].weight = Some(i32::from(w.blue_weight().get()));
            route[p.green].weight = Some(i32::from(w.green_weight().get()));
        }
        let http = serde_json::to_value(http).map_err(|e| e.to_string())?;
        Ok(Patch::Merge(json!({ "metadata": { "resourceVersion": version }, "spec": { "http": http } })))
    }

    fn rollback(&self, o: &VirtualService) -> Result<Patch, String> {
        let mut ops = Vec::new();
        for p in self.places(o)? {
            for (at, weight) in [(p.blue, 100), (p.green, 0)] {
                let path = format!("/spec/http/{}/route/{at}", p.http);
                // Pin the destination that was read: if it moved, the
                // whole patch fails (422) and is rebuilt from a fresh read.
                let destination =
                    serde_json::to_value(&o.spec.http[p.http].route[at].destination).map_err(|e| e.to_string())?;
                ops.push(json!({ "op": "test", "path": format!("{path}/destination"), "value": destination }));
                ops.push(json!({ "op": "add", "path": format!("{path}/weight"), "value": weight }));
            }
        }
        Ok(Patch::Json(Value::Array(ops)))
    }
}
