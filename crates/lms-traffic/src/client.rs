//! The general-purpose HTTP/1.1 client used by active health checks
//! (forwarded traffic uses the per-worker `pool` instead).
//!
//! Keep-alive connections per backend, TCP_NODELAY, the configured connect
//! timeout. Knows nothing about routing or statistics.

use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::ProxyBody;

/// Client type used for forwarding and health checks.
pub type BackendClient = Client<HttpConnector, ProxyBody>;

/// Builds a client with the given connect timeout.
pub fn build(connect_timeout: Duration, idle_pool: Duration) -> BackendClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(connect_timeout));
    connector.enforce_http(true);
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .pool_idle_timeout(idle_pool)
        .pool_max_idle_per_host(1024)
        .retry_canceled_requests(true)
        .set_host(false)
        .build(connector)
}
