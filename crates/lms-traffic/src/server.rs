//! The client listener: accepts connections (within the connection limit),
//! optionally terminates TLS, hands each to `conn::serve`, and on shutdown
//! stops accepting and drains.
//!
//! Knows nothing about routing or statistics.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::config::Config;
use crate::conn;
use crate::drain::Drain;
use crate::forward::Forwarder;
use crate::tls::TlsAcceptor;

/// Builds the HTTP/1.1 + HTTP/2 connection builder with the configured limits.
fn builder(cfg: &Config) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    // A request head must arrive within the header timeout (a client that
    // sends it byte by byte, or never finishes it, loses the connection);
    // idle keep-alive connections are also closed by the connection's own
    // idle check (see `conn`).
    b.http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(cfg.header_timeout)
        .max_buf_size(cfg.max_header_bytes);
    b.http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(cfg.max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(256);
    b
}

/// Accepts until `shutdown` is true, then drains. Returns when every
/// connection is closed (or cut after the drain timeout).
pub async fn run(
    listener: TcpListener,
    cfg: Config,
    forwarder: Arc<Forwarder>,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let drain = Drain::new();
    let limit = Arc::new(Semaphore::new(cfg.max_connections));
    let builder = Arc::new(builder(&cfg));
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => p,
            _ = crate::drain::until_true(&mut shutdown) => break,
        };
        let Ok(permit) = permit else { break };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = crate::drain::until_true(&mut shutdown) => break,
        };
        let _ = stream.set_nodelay(true);
        let Some(watch) = drain.watch() else { break };
        let (builder, forwarder, tls) = (builder.clone(), forwarder.clone(), tls.clone());
        let idle = cfg.idle_timeout;
        tokio::spawn(async move {
            match tls {
                None => conn::serve(stream, peer, builder, forwarder, idle, watch).await,
                Some(tls) => match tokio::time::timeout(idle, tls.accept(stream)).await {
                    Ok(Ok(stream)) => conn::serve(stream, peer, builder, forwarder, idle, watch).await,
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("stopped accepting; draining in-flight requests");
    if drain.finish(cfg.drain_timeout).await {
        tracing::info!("drain complete");
    }
}
