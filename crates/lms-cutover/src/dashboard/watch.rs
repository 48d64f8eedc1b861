//! Follows the run directory and publishes a fresh snapshot whenever the
//! journal grows or changes, or a controller starts or stops: one task per
//! dashboard polls the journal's length and modification time and whether
//! a controller runs, and rebuilds the snapshot only when one of them
//! changed. Every page and event stream reads the latest one.
//!
//! Beside the controller (in its process) the controller runs once its
//! journal exists. Read-only, whether one runs is probed by trying its
//! lock, which holds the lock for an instant: so only every
//! [`PROBE`], not at every poll, to leave a starting controller its lock.
//!
//! Knows the run directory's files; nothing about HTTP or who watches.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::dashboard::view;
use crate::runner::context::{controller_running, RunDir};

/// How often the journal is looked at.
pub const POLL: Duration = Duration::from_millis(200);
/// How often a read-only dashboard asks whether a controller runs.
pub const PROBE: Duration = Duration::from_secs(2);

/// The latest snapshot, as JSON (what `/api/state` and each event carry).
#[derive(Debug, Clone)]
pub struct Published {
    /// The snapshot's JSON text.
    pub json: Arc<str>,
}

/// What tells a change: the journal's length and time, the controller.
#[derive(Debug, Clone, PartialEq)]
struct Mark {
    len: Option<u64>,
    modified: Option<SystemTime>,
    plan: bool,
    controller: bool,
}

/// Whether a controller runs the run, asked no more often than [`PROBE`]
/// when it is not this process.
struct Controller {
    beside: bool,
    probed: Option<(std::time::Instant, bool)>,
}

impl Controller {
    fn runs(&mut self, dir: &RunDir) -> bool {
        if self.beside {
            return dir.journal().exists();
        }
        match self.probed {
            Some((at, runs)) if at.elapsed() < PROBE => runs,
            _ => {
                let runs = controller_running(dir);
                self.probed = Some((std::time::Instant::now(), runs));
                runs
            }
        }
    }
}

fn mark(dir: &RunDir, controller: &mut Controller) -> Mark {
    let meta = std::fs::metadata(dir.journal()).ok();
    Mark {
        len: meta.as_ref().map(|m| m.len()),
        modified: meta.and_then(|m| m.modified().ok()),
        plan: dir.plan().exists(),
        controller: controller.runs(dir),
    }
}

/// Builds the snapshot on a blocking thread (it reads and replays the
/// journal); an error becomes a snapshot that says so.
async fn publish(dir: &RunDir, controls: bool, controller: bool) -> Published {
    let d = dir.clone();
    let built = tokio::task::spawn_blocking(move || view::build(&d, controls, controller)).await;
    let snapshot = match built {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => view::unreadable(dir, controls, &e.to_string()),
        Err(e) => view::unreadable(dir, controls, &e.to_string()),
    };
    let json = serde_json::to_string(&snapshot).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    Published { json: json.into() }
}

/// Builds the first snapshot and starts the task that keeps it fresh; the
/// task ends when every receiver is gone.
pub async fn start(dir: RunDir, controls: bool) -> watch::Receiver<Published> {
    let mut controller = Controller { beside: controls, probed: None };
    let mut seen = mark(&dir, &mut controller);
    let first = publish(&dir, controls, seen.controller).await;
    let (tx, rx) = watch::channel(first);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tx.closed() => return,
                () = tokio::time::sleep(POLL) => {}
            }
            let now = mark(&dir, &mut controller);
            if now != seen {
                let runs = now.controller;
                seen = now;
                let _ = tx.send(publish(&dir, controls, runs).await);
            }
        }
    });
    rx
}
