//! Shared state of one instance: the database, configuration, metrics,
//! the draining flag and the OpenID provider of single sign-on.

use crate::ops::metrics::Metrics;
use crate::sso::OidcProvider;
use crate::ServerConfig;
use axum::http::HeaderValue;
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
    sso: Option<Arc<OidcProvider>>,
    csp: HeaderValue,
}

impl AppState {
    pub fn new(db: Db, config: ServerConfig) -> Self {
        let metrics = Metrics::new(&config.slot);
        let sso = config.sso.clone().and_then(|c| match OidcProvider::new(c) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                tracing::error!(error = %e, "single sign-on is off: its configuration is wrong");
                None
            }
        });
        let sso = sso.filter(|_| lms_app::sso::available(&db));
        let csp = crate::web::security::content_security_policy(sso.as_ref().map(|p| p.config().issuer.as_str()));
        let started = Instant::now();
        let inner = Inner { db, config, metrics, draining: AtomicBool::new(false), started, sso, csp };
        AppState { inner: Arc::new(inner) }
    }
    /// The OpenID provider people sign in through, when this instance has
    /// one and counts on single sign-on's migration.
    pub fn sso(&self) -> Option<&OidcProvider> {
        self.inner.sso.as_deref()
    }
    /// The Content-Security-Policy of every response.
    pub fn content_security_policy(&self) -> &HeaderValue {
        &self.inner.csp
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
