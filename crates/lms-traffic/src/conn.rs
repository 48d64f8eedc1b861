//! One client connection: serves HTTP/1.1 (keep-alive) or HTTP/2 over any
//! byte stream, closes it when idle, and shuts it down gracefully on drain.
//!
//! Knows nothing about routing; every request goes to the `Forwarder`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::drain::{DrainWatch, CUT, DRAINING};
use crate::forward::Forwarder;

/// When the connection last did something, and how many requests it has open.
#[derive(Debug)]
pub struct Activity {
    base: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self { base: Instant::now(), last_ms: AtomicU64::new(0), in_flight: AtomicUsize::new(0) }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// How long the connection has been idle (zero while a request is open).
    fn idle_for(&self) -> Duration {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Duration::ZERO;
        }
        let now = self.base.elapsed();
        now.saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// Held while a request (and its response body) is open.
#[derive(Debug)]
pub struct ActivityGuard(Arc<Activity>);

impl ActivityGuard {
    fn new(a: Arc<Activity>) -> Self {
        // No need to note the time: the connection cannot count as idle
        // while a request is open.
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(a)
    }
}

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves one connection until it closes, goes idle, or the drain ends it.
pub async fn serve<I>(
    io: I,
    peer: SocketAddr,
    builder: Arc<auto::Builder<TokioExecutor>>,
    forwarder: Arc<Forwarder>,
    idle_timeout: Duration,
    drain: DrainWatch,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let svc_activity = activity.clone();
    let svc = service_fn(move |req| {
        let forwarder = forwarder.clone();
        let guard = ActivityGuard::new(svc_activity.clone());
        async move { Ok::<_, Infallible>(forwarder.handle(req, peer, guard).await) }
    });
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let mut drain = drain;
    let mut closing = false;
    let mut ticker = tokio::time::interval((idle_timeout / 4).max(Duration::from_millis(50)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(%peer, error = %e, "client connection ended with an error");
                }
                break;
            }
            changed = drain.state.changed() => {
                let state = if changed.is_ok() { *drain.state.borrow_and_update() } else { CUT };
                if state == CUT {
                    break;
                }
                if state == DRAINING && !closing {
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
            _ = ticker.tick() => {
                let idle = activity.idle_for();
                if idle >= idle_timeout && !closing {
                    // Idle keep-alive, or a request head that never completes.
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                } else if idle >= idle_timeout * 2 {
                    // Still open a full idle period after asking it to close.
                    break;
                }
            }
        }
    }
    drop(drain);
}
