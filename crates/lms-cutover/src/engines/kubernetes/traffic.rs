//! One traffic driver for every Kubernetes object that holds the split
//! (an HTTPRoute, a VirtualService, a Service): the object's own rules
//! are a [`Split`]; this module owns how it is written and read back.
//!
//! - `set_weights`: read the object, write the new split as a merge patch
//!   carrying the `metadata.resourceVersion` that was read (the API server
//!   refuses it with 409 when the object changed meanwhile), retry from
//!   the read at most [`ATTEMPTS`] times, then read back: weights in force
//!   that differ from those set are an error naming both (drift).
//! - `rollback`: one write, no read first when the object's layout is
//!   known from an earlier read (a JSON patch whose `test` operations pin
//!   the names it changes, or a patch with no precondition at all); only
//!   if the layout moved is it read and written again. Then the read-back.
//! - `window_stats`: not supported, said out loud: the API server counts
//!   no requests (gate on `[monitoring.source]`).
//!
//! Knows the write discipline, not any one object's shape.

use std::sync::Mutex;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use super::client::{KubeClient, Patch, Patched, Resource};
use crate::drivers::{BackendState, TrafficDriver, TrafficState, WindowStats};
use crate::error::Result;
use crate::local::err;
use crate::units::Weights;

/// Reads and writes of one change before conflicts make it give up.
pub const ATTEMPTS: usize = 5;

/// The split in force when an object carries it in several places (rules,
/// http routes): every place must give the same blue/green pair, and the
/// pair must be two percentages summing to 100. `places` yields each
/// place's number (1-based, for the message) and pair; `where_` names the
/// places ("rules", "http routes"), `what` the backends ("backendRef").
pub(crate) fn agreed_weights(
    places: impl IntoIterator<Item = (usize, (i32, i32))>,
    where_: &str,
    what: &str,
    blue: &str,
    green: &str,
) -> std::result::Result<Weights, String> {
    let mut found: Option<(i32, i32)> = None;
    for (n, pair) in places {
        match found {
            Some(first) if first != pair => {
                return Err(format!(
                    "its {where_} disagree: one splits {blue} {} / {green} {}, number {n} {blue} {} / {green} {}",
                    first.0, first.1, pair.0, pair.1
                ))
            }
            _ => found = Some(pair),
        }
    }
    let (b, g) = found.unwrap_or((0, 0));
    Weights::new(i64::from(b), i64::from(g)).map_err(|_| {
        format!("{what} {blue:?} weight {b} and {green:?} weight {g} do not sum to 100 as blue and green percentages")
    })
}

/// How one kind of object holds the blue/green split.
pub trait Split: Send + Sync + 'static {
    /// The object as read (typed after its schema, keeping unknown fields).
    type Object: DeserializeOwned + Clone + Send + Sync;
    /// Its resource.
    fn resource(&self) -> Resource;
    /// The driver's name ("gateway-api").
    fn engine(&self) -> &'static str;
    /// The object's name.
    fn name(&self) -> &str;
    /// The split the object holds; `Err` says why it holds none.
    fn weights(&self, o: &Self::Object) -> std::result::Result<Weights, String>;
    /// Blue's and green's backends as the object names them.
    fn backends(&self, o: &Self::Object) -> Vec<BackendState>;
    /// The patch that sets `w` on `o`, conditional on `o`'s resourceVersion.
    fn set(&self, o: &Self::Object, w: Weights) -> std::result::Result<Patch, String>;
    /// The fastest patch that sends everything to blue, given `o`'s layout
    /// (it must fail with a conflict, not do harm, if the layout moved).
    fn rollback(&self, o: &Self::Object) -> std::result::Result<Patch, String>;
    /// A rollback patch that needs no read at all, if the object allows
    /// one (it must be harmless whatever the object holds).
    fn blind_rollback(&self) -> Option<Patch> {
        None
    }
}

/// A [`Split`] driven through the API server.
pub struct KubernetesTraffic<S: Split> {
    client: KubeClient,
    split: S,
    /// The object as last read, for a rollback without a read.
    last: Mutex<Option<S::Object>>,
}

impl<S: Split> std::fmt::Debug for KubernetesTraffic<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubernetesTraffic")
            .field("engine", &self.split.engine())
            .field("name", &self.split.name())
            .finish()
    }
}

impl<S: Split> KubernetesTraffic<S> {
    /// The driver for `split` through `client`.
    pub fn new(client: KubeClient, split: S) -> Self {
        KubernetesTraffic { client, split, last: Mutex::new(None) }
    }

    fn what(&self) -> String {
        let r = self.split.resource();
        format!("{} {:?} in namespace {:?}", r.kind, self.split.name(), self.client.namespace())
    }

    async fn read(&self) -> Result<S::Object> {
        let o: S::Object = self.client.get(&self.split.resource(), self.split.name()).await?;
        if let Ok(mut last) = self.last.lock() {
            *last = Some(o.clone());
        }
        Ok(o)
    }

    fn cached(&self) -> Option<S::Object> {
        self.last.lock().ok().and_then(|l| l.clone())
    }

    /// Writes the patch `make` builds from the object, starting from
    /// `first` (or a fresh read), reading again after every conflict.
    async fn write(
        &self,
        first: Option<S::Object>,
        make: impl Fn(&S::Object) -> std::result::Result<Patch, String>,
    ) -> Result<()> {
        let mut object = first;
        let mut conflicts = Vec::new();
        for _ in 0..ATTEMPTS {
            let o = match object.take() {
                Some(o) => o,
                None => self.read().await?,
            };
            let patch = make(&o).map_err(|m| err("traffic", format!("{}: {m}", self.what())))?;
            match self.client.patch::<serde_json::Value>(&self.split.resource(), self.split.name(), &patch).await? {
                Patched::Done(_) => return Ok(()),
                Patched::Conflict(m) => conflicts.push(m),
            }
        }
        Err(err(
            "traffic",
            format!(
                "{} changed under every one of {ATTEMPTS} writes (409 Conflict each time, last: {}); nothing was changed by this driver",
                self.what(),
                conflicts.last().map_or("", String::as_str)
            ),
        ))
    }

    /// The weights in force, which must be `expected`.
    async fn verify(&self, expected: Weights) -> Result<TrafficState> {
        let state = self.state().await?;
        if state.weights != expected {
            return Err(err(
                "traffic",
                format!("{} has {} in force, not the {} that was set (drift)", self.what(), state.weights, expected),
            ));
        }
        Ok(state)
    }
}

#[async_trait]
impl<S: Split> TrafficDriver for KubernetesTraffic<S> {
    fn name(&self) -> &str {
        self.split.engine()
    }

    async fn set_weights(&self, weights: Weights) -> Result<TrafficState> {
        self.write(None, |o| self.split.set(o, weights)).await?;
        self.verify(weights).await
    }

    async fn rollback(&self) -> Result<TrafficState> {
        let blind = match self.split.blind_rollback() {
            Some(patch) => {
                matches!(
                    self.client.patch::<serde_json::Value>(&self.split.resource(), self.split.name(), &patch).await?,
                    Patched::Done(_)
                )
            }
            None => false,
        };
        if !blind {
            self.write(self.cached(), |o| self.split.rollback(o)).await?;
        }
        self.verify(Weights::ALL_BLUE).await
    }

    async fn state(&self) -> Result<TrafficState> {
        let o = self.read().await?;
        let weights = self.split.weights(&o).map_err(|m| err("traffic", format!("{}: {m}", self.what())))?;
        Ok(TrafficState { weights, backends: self.split.backends(&o) })
    }

    /// Not supported: the API server keeps no request counts.
    async fn window_stats(&self) -> Result<WindowStats> {
        Err(err(
            "traffic",
            format!(
                "the {} driver has no window statistics: a {} counts no requests; configure [monitoring.source] (Prometheus) for the gates",
                self.split.engine(),
                self.split.resource().kind
            ),
        ))
    }
}

#[cfg(test)]
mod agreed_weights_tests {
    use super::agreed_weights;

    #[test]
    fn every_place_gives_the_same_split_of_one_hundred() {
        let w = agreed_weights([(1, (90, 10)), (2, (90, 10))], "rules", "backendRef", "lms-blue", "lms-green");
        assert_eq!(w.map(|w| w.green_weight().get()), Ok(10));
        let e = agreed_weights([(1, (90, 10)), (2, (50, 50))], "rules", "backendRef", "b", "g").expect_err("disagree");
        assert_eq!(e, "its rules disagree: one splits b 90 / g 10, number 2 b 50 / g 50");
        let e = agreed_weights([(1, (1, 1))], "http routes", "destination", "b", "g").expect_err("not 100");
        assert!(e.contains("destination \"b\" weight 1 and \"g\" weight 1 do not sum to 100"), "{e}");
    }
}
