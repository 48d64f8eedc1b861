//! Traffic: the blue/green split (a proxy's admin API, a service mesh's
//! route weights, a load balancer's backend weights).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::observe::BackendWindow;
use crate::units::{PlanDuration, Slot, Weights};

/// One backend as the traffic layer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendState {
    /// Which deployment.
    pub slot: Slot,
    /// Where it is (address, service name).
    pub target: String,
    /// The traffic layer's own health view, if it has one.
    pub healthy: Option<bool>,
}

/// The split currently in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficState {
    /// The weights.
    pub weights: Weights,
    /// The backends.
    pub backends: Vec<BackendState>,
}

/// Per-backend statistics over the traffic layer's recent window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowStats {
    /// How far back the window reaches.
    pub window: PlanDuration,
    /// Blue's requests, errors, failures, p95.
    pub blue: BackendWindow,
    /// Green's.
    pub green: BackendWindow,
}

/// Moves traffic between blue and green.
#[async_trait]
pub trait TrafficDriver: Send + Sync {
    /// For logs and status ("lms-proxy", "istio").
    fn name(&self) -> &str;

    /// Sets the split in one call and returns what is in force afterwards.
    async fn set_weights(&self, weights: Weights) -> Result<TrafficState>;

    /// All traffic to blue, in one call, as fast as the layer allows.
    async fn rollback(&self) -> Result<TrafficState>;

    /// The split in force now.
    async fn state(&self) -> Result<TrafficState>;

    /// Per-backend statistics over the recent window, if the layer keeps
    /// them (a metrics driver may read them from elsewhere).
    async fn window_stats(&self) -> Result<WindowStats>;
}

/// A shared driver is a driver (the runner moves traffic through it while
/// the metrics driver reads its window statistics).
#[async_trait]
impl<T: TrafficDriver + ?Sized> TrafficDriver for std::sync::Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }

    async fn set_weights(&self, weights: Weights) -> Result<TrafficState> {
        (**self).set_weights(weights).await
    }

    async fn rollback(&self) -> Result<TrafficState> {
        (**self).rollback().await
    }

    async fn state(&self) -> Result<TrafficState> {
        (**self).state().await
    }

    async fn window_stats(&self) -> Result<WindowStats> {
        (**self).window_stats().await
    }
}
