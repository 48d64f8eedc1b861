//! The war room's live page: `lms cutover run|resume|rehearse --dashboard
//! ADDR` serves it beside the controller, `lms cutover dashboard --run DIR`
//! serves it read-only from the journal of a run whose controller is gone.
//!
//! One page (no CDN, no inline script or style) fed by server-sent events:
//! the timeline planned vs actual with the current step, the weights, each
//! gate's values against its threshold as a chart, the open checkpoint's
//! questions with their evidence, decide and roll-back buttons, and the
//! decision log. The same HTTP control API lets `lms cutover decide` and
//! `rollback` work from another host (`--controller URL`, [`client`]).
//!
//! Layout:
//! - [`view`]: the snapshot, built from the plan and the journal alone;
//! - `watch`: one task that rebuilds it when the journal changes;
//! - [`access`]: the run's per-person credentials over HTTP;
//! - `http`: the routes and the control API;
//! - [`client`]: the control API as `--controller URL` calls it;
//! - `assets/`: the page, its CSS and its script.
//!
//! The controller stays the journal's single writer: a decision or a
//! rollback from the page goes through the run's inbox (`control::decide`,
//! `control::ask_rollback`), and the controller checks the credential
//! again. The dashboard binds to loopback by default; a public address
//! must sit behind TLS (the credentials travel in every request).
//!
//! Knows HTTP and the page; the cutover's rules stay in the engine, who
//! may act in `runner::grants`.

pub mod access;
pub mod client;
mod http;
pub mod view;
mod watch;

use std::net::SocketAddr;

use crate::error::{CutoverError, Result};
use crate::runner::context::RunDir;

/// What the dashboard may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Served beside the controller: decisions and rollbacks go to it.
    Controller,
    /// Served from the journal alone: watching only.
    ReadOnly,
}

/// A running dashboard; dropping it stops it.
#[derive(Debug)]
pub struct Dashboard {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Dashboard {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves the war room of the run in `dir` on `listen` (port 0 picks one)
/// until the returned handle is dropped. Needs a Tokio runtime.
pub async fn serve(dir: RunDir, listen: SocketAddr, mode: Mode) -> Result<Dashboard> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CutoverError::invalid("dashboard", format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CutoverError::invalid("dashboard", format!("cannot listen on {listen}: {e}")))?;
    let controls = mode == Mode::Controller;
    let snapshots = watch::start(dir.clone(), controls).await;
    let app = http::router(http::App { dir, controls, snapshots });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Dashboard { addr, task })
}
