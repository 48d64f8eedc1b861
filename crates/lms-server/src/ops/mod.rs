//! Operations endpoints and middleware: health, readiness and liveness,
//! status, Prometheus metrics, fault injection for rehearsals (with this process's CPU and memory), and
//! maintenance mode.

pub mod fault;
pub mod health;
pub mod maintenance;
pub mod metrics;
pub mod process;
pub mod status;
