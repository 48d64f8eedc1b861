//! Shared state of one instance: the database, configuration, metrics and
//! the draining flag.

use crate::ops::metrics::Metrics;
use crate::ServerConfig;
use lms_store::Db;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: ServerConfig,
    metrics: Metrics,
    draining: AtomicBool,
    started: Instant,
}

impl AppState {
    pub fn new(db: Db, config: ServerConfig) -> Self {
        let metrics = Metrics::new(&config.slot);
        AppState {
            inner: Arc::new(Inner { db, config, metrics, draining: AtomicBool::new(false), started: Instant::now() }),
        }
    }
    pub fn db(&self) -> &Db {
        &self.inner.db
    }
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
    pub fn started(&self) -> Instant {
        self.inner.started
    }
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }
}
