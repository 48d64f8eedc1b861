//! The driver traits: how the engine's actions touch the world.
//!
//! Only interfaces and the typed answers they give live here; local
//! implementations (the `lms proxy` admin API, local processes, pg_dump,
//! /proc) and later ones (Kubernetes, Istio, Gateway API, HAProxy,
//! Prometheus) implement them elsewhere. The traits speak the runbook's
//! language (weights, slots, windows, backups), never a vendor's, and every
//! method may fail with [`crate::CutoverError::Driver`].

pub mod check;
pub mod database;
pub mod deploy;
pub mod metrics;
pub mod notify;
pub mod smoke;
pub mod traffic;

pub use check::{CheckDriver, ProbeOutcome, TlsReport};
pub use database::DatabaseDriver;
pub use deploy::{DeployDriver, DeployStatus, MaintenanceDriver};
pub use metrics::MetricsDriver;
pub use notify::{Message, NotifyDriver};
pub use smoke::SmokeDriver;
pub use traffic::{BackendState, TrafficDriver, TrafficState, WindowStats};

/// Every driver a run needs, as trait objects.
pub struct Drivers {
    /// Moves traffic.
    pub traffic: Box<dyn TrafficDriver>,
    /// Starts and stops green.
    pub deploy: Box<dyn DeployDriver>,
    /// Flips the LMS's maintenance mode.
    pub maintenance: Box<dyn MaintenanceDriver>,
    /// Backs up and migrates the database.
    pub database: Box<dyn DatabaseDriver>,
    /// Reads gate metrics.
    pub metrics: Box<dyn MetricsDriver>,
    /// Runs pre-checks and verifications.
    pub checks: Box<dyn CheckDriver>,
    /// Runs the smoke suite.
    pub smoke: Box<dyn SmokeDriver>,
    /// Tells the war room.
    pub notify: std::sync::Arc<dyn NotifyDriver>,
}

impl std::fmt::Debug for Drivers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drivers")
            .field("traffic", &self.traffic.name())
            .field("deploy", &self.deploy.name())
            .field("maintenance", &self.maintenance.name())
            .field("database", &self.database.name())
            .field("metrics", &self.metrics.name())
            .field("checks", &self.checks.name())
            .field("smoke", &self.smoke.name())
            .field("notify", &self.notify.name())
            .finish()
    }
}
