//! Running the server with graceful shutdown: on the shutdown signal
//! readiness goes false, after the drain delay the listener stops accepting,
//! in-flight requests finish (bounded by the shutdown timeout), then `run`
//! returns. A request head must arrive within the configured header timeout
//! (10 s by default), so slow or stuck clients cannot hold connections open.
//! With mail configured, the mail worker runs beside the listener and stops
//! after the in-flight requests (finishing the batch it holds); so does the
//! webhook worker, when the configuration has webhooks.

use crate::{router, AppState};
use std::future::Future;
use tokio::net::TcpListener;

/// Serves until `shutdown` completes, then drains.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;

    let app = router(state.clone());
    let mail = match &state.config().mail {
        Some(cfg) => crate::mail::MailWorker::spawn(state.db(), cfg, instance_name(&state))
            .await
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
        None => None,
    };
    let webhooks = state
        .config()
        .webhooks
        .as_ref()
        .and_then(|cfg| crate::webhooks::WebhookWorker::spawn(state.db(), cfg, instance_name(&state)));
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(state.config().header_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let drain_state = state.clone();
    let signal = async move {
        shutdown.await;
        drain_state.start_draining();
        tracing::info!("shutdown requested: readiness is now false");
        tokio::time::sleep(drain_state.config().drain_delay).await;
        tracing::info!("closing the listener; finishing in-flight requests");
    };
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = &mut signal => break,
        };
        let app = app.clone();
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc).into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    let timeout = state.config().shutdown_timeout;
    if tokio::time::timeout(timeout, graceful.shutdown()).await.is_err() {
        tracing::warn!(?timeout, "in-flight requests did not finish in time; exiting anyway");
    }
    if let Some(worker) = mail {
        worker.stop(state.config().mail.as_ref().map(|m| m.timeout).unwrap_or_default() * 2).await;
    }
    if let Some(worker) = webhooks {
        worker.stop(state.config().webhooks.as_ref().map(|w| w.timeout).unwrap_or_default() * 2).await;
    }
    Ok(())
}

/// This process among the instances on one database, as the mail outbox
/// records who claimed and attempted a mail: slot, instance id or process
/// id, and a random part (two servers in one process differ too).
fn instance_name(state: &AppState) -> String {
    let config = state.config();
    let who = config.instance_id.clone().unwrap_or_else(|| std::process::id().to_string());
    format!("{}/{}/{:08x}", config.slot, who, rand::random::<u32>())
}

/// A future that completes on SIGTERM or SIGINT (Ctrl-C). The handlers are
/// installed when this is called, not when the future is first polled: call
/// it before announcing the server, so a signal sent right after the
/// announcement drains the server instead of killing it.
#[cfg(unix)]
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
