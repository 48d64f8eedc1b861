//! Traffic through the `lms proxy` admin API: weights in one `PUT /weights`,
//! rollback in one `POST /rollback`, state and window statistics from
//! `GET /state`. Backends are named `blue` and `green` in the proxy.

use async_trait::async_trait;
use lms_traffic::admin::types::{StateResponse, Weights as ProxyWeights};
use lms_traffic::AdminClient;

use crate::drivers::{BackendState, TrafficDriver, TrafficState, WindowStats};
use crate::error::Result;
use crate::local::err;
use crate::observe::BackendWindow;
use crate::units::{PlanDuration, Slot, Weights};

/// The proxy's admin API.
#[derive(Debug, Clone)]
pub struct ProxyTraffic {
    client: AdminClient,
}

impl ProxyTraffic {
    /// A driver for the admin API at `admin_url`, with an optional bearer token.
    pub fn new(admin_url: &str, token: Option<String>) -> Result<Self> {
        let client = AdminClient::new(admin_url, token)
            .map_err(|e| err("traffic", e.to_string()))?
            .with_timeout(std::time::Duration::from_secs(5));
        Ok(ProxyTraffic { client })
    }

    /// The raw `/state` answer (rehearsal figures read the change log).
    pub async fn raw_state(&self) -> Result<StateResponse> {
        self.client.state().await.map_err(|e| err("traffic", e.to_string()))
    }

    /// The admin client.
    pub fn client(&self) -> &AdminClient {
        &self.client
    }
}

fn weight_of(w: &ProxyWeights, name: &str) -> i64 {
    w.0.get(name).copied().map_or(0, i64::from)
}

/// Converts the proxy's state into the driver's view.
pub fn traffic_state(s: &StateResponse) -> Result<TrafficState> {
    let weights = Weights::new(weight_of(&s.weights, "blue"), weight_of(&s.weights, "green"))
        .map_err(|e| err("traffic", format!("the proxy reports weights the plan cannot hold: {e}")))?;
    let backends = s
        .backends
        .iter()
        .filter_map(|b| {
            let slot = match b.name.as_str() {
                "blue" => Slot::Blue,
                "green" => Slot::Green,
                _ => return None,
            };
            let healthy = match b.health.status {
                lms_traffic::admin::types::HealthStatus::Down => Some(false),
                lms_traffic::admin::types::HealthStatus::Up => Some(true),
                _ => None,
            };
            Some(BackendState { slot, target: b.url.clone(), healthy })
        })
        .collect();
    Ok(TrafficState { weights, backends })
}

/// The window statistics of `blue` and `green` in the proxy's state.
pub fn window_stats(s: &StateResponse) -> WindowStats {
    let of = |name: &str| {
        s.backends.iter().find(|b| b.name == name).map_or(BackendWindow::default(), |b| {
            let w = &b.stats.window;
            BackendWindow {
                requests: w.requests.saturating_sub(w.maintenance),
                errors: w.responses.s5xx.saturating_sub(w.maintenance),
                failed: w.failed,
                p95_ms: w.latency.p95_ms.map(|ms| ms.ceil() as u64),
                maintenance: w.maintenance,
            }
        })
    };
    WindowStats {
        window: PlanDuration::seconds(i64::try_from(s.window_secs).unwrap_or(60)).unwrap_or(PlanDuration::ZERO),
        blue: of("blue"),
        green: of("green"),
    }
}

#[async_trait]
impl TrafficDriver for ProxyTraffic {
    fn name(&self) -> &str {
        "lms-proxy"
    }

    async fn set_weights(&self, weights: Weights) -> Result<TrafficState> {
        let body = ProxyWeights::of(&[
            ("blue", u32::from(weights.blue_weight().get())),
            ("green", u32::from(weights.green_weight().get())),
        ]);
        self.client.set_weights(&body).await.map_err(|e| err("traffic", e.to_string()))?;
        self.state().await
    }

    async fn rollback(&self) -> Result<TrafficState> {
        let change = self.client.rollback("blue").await.map_err(|e| err("traffic", e.to_string()))?;
        let weights = Weights::new(weight_of(&change.weights, "blue"), weight_of(&change.weights, "green"))
            .map_err(|e| err("traffic", e.to_string()))?;
        Ok(TrafficState { weights, backends: Vec::new() })
    }

    async fn state(&self) -> Result<TrafficState> {
        traffic_state(&self.raw_state().await?)
    }

    async fn window_stats(&self) -> Result<WindowStats> {
        Ok(window_stats(&self.raw_state().await?))
    }
}
