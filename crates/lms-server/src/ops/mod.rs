//! Operations endpoints and middleware: health, readiness and liveness,
//! status, Prometheus metrics, and maintenance mode.

pub mod health;
pub mod maintenance;
pub mod metrics;
pub mod status;
