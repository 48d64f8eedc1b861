//! Traffic drivers for real engines that sit in front of blue and green in
//! production (HAProxy, nginx, and on Kubernetes the Gateway API, Istio
//! and a Service's selector; plus the Kubernetes deploy driver), one
//! directory per engine.
//!
//! Each engine implements [`crate::drivers::TrafficDriver`] in the engine's
//! own protocol and knows nothing of the runbook beyond the weights it is
//! asked to set; the runner picks one from the plan's `[traffic] kind`.

pub mod haproxy;
pub mod kubernetes;
pub mod nginx;
