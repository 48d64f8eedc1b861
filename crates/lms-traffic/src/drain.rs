//! Graceful shutdown: the signals that start it and the watch every
//! connection holds to learn about it.
//!
//! Drain means: stop accepting, let in-flight requests finish (keep-alive
//! connections close after their current response), then exit; after the
//! drain timeout, remaining connections are cut. Knows nothing about HTTP.

use tokio::sync::{mpsc, watch};

/// Connection state broadcast by the drain.
pub const RUNNING: u8 = 0;
/// Finish the current requests, then close.
pub const DRAINING: u8 = 1;
/// Close now.
pub const CUT: u8 = 2;

/// Sender side: owned by the listener task.
#[derive(Debug)]
pub struct Drain {
    state: watch::Sender<u8>,
    tracker: Option<mpsc::Sender<()>>,
    done: mpsc::Receiver<()>,
}

/// Receiver side: one per connection. Dropping it tells the drain that the
/// connection is finished.
#[derive(Debug)]
pub struct DrainWatch {
    /// `RUNNING`, `DRAINING` or `CUT`.
    pub(crate) state: watch::Receiver<u8>,
    _tracker: mpsc::Sender<()>,
}

impl Drain {
    /// A drain with every connection running.
    pub fn new() -> Self {
        let (state, _) = watch::channel(RUNNING);
        let (tracker, done) = mpsc::channel(1);
        Self { state, tracker: Some(tracker), done }
    }

    /// A watch for a new connection.
    pub fn watch(&self) -> Option<DrainWatch> {
        Some(DrainWatch { state: self.state.subscribe(), _tracker: self.tracker.clone()? })
    }

    /// Starts draining and waits until every connection is done, cutting
    /// them after `timeout`. Returns true when every connection finished.
    pub async fn finish(mut self, timeout: std::time::Duration) -> bool {
        self.tracker = None;
        let _ = self.state.send(DRAINING);
        if tokio::time::timeout(timeout, self.done.recv()).await.is_ok() {
            return true;
        }
        tracing::warn!(?timeout, "drain timeout: cutting remaining connections");
        let _ = self.state.send(CUT);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), self.done.recv()).await;
        false
    }
}

/// A future that resolves on SIGTERM or SIGINT (Ctrl-C). The handlers are
/// installed when this is called, not when the future is first polled, so a
/// signal that arrives right after the proxy announced itself is not lost
/// (the default action would kill the process without a drain).
#[cfg(unix)]
pub fn terminate_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: draining"),
            _ = int.recv() => tracing::info!("SIGINT: draining"),
        }
    })
}

/// A future that resolves on Ctrl-C.
#[cfg(not(unix))]
pub fn terminate_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Resolves when the flag behind `rx` is true, or its sender is gone.
pub async fn until_true(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}
