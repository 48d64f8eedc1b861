//! Running the server with graceful shutdown: on the shutdown signal
//! readiness goes false, after the drain delay the listener stops accepting,
//! in-flight requests finish (bounded by the shutdown timeout), then `run`
//! returns.

use crate::{router, AppState};
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Serves until `shutdown` completes, then drains.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let drain_state = state.clone();
    let signal = async move {
        shutdown.await;
        drain_state.start_draining();
        tracing::info!("shutdown requested: readiness is now false");
        tokio::time::sleep(drain_state.config().drain_delay).await;
        tracing::info!("closing the listener; finishing in-flight requests");
        let _ = drained_tx.send(());
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    let timeout = state.config().shutdown_timeout;
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        res = &mut server => return res,
        _ = drained_rx => {}
    }
    match tokio::time::timeout(timeout, server).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(?timeout, "in-flight requests did not finish in time; exiting anyway");
            Ok(())
        }
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
