//! Ctrl-C and SIGTERM while a controller runs. The controller never just
//! dies with traffic half moved: with a terminal it asks "roll back, leave
//! as is, or continue"; without one (a service manager's SIGTERM, a closed
//! SSH session) it rolls back when green carries traffic, and otherwise
//! stops, leaving the run resumable. A second signal while it asks, or
//! during a rollback, leaves the run as it is.
//!
//! Knows signals and the three answers; the rollback itself is the
//! engine's ordinary manual-rollback path.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::engine::Event;
use crate::error::{CutoverError, Result};
use crate::runner::Runner;

/// How long the terminal question waits before the default (roll back).
const ASK_FOR: Duration = Duration::from_secs(30);

/// Signals received, counted by a background task.
#[derive(Debug, Clone, Default)]
pub struct Interrupts {
    received: Arc<AtomicU32>,
    handled: Arc<AtomicU32>,
}

impl Interrupts {
    /// Starts counting SIGINT and SIGTERM (no-op outside a runtime).
    pub fn listen() -> Self {
        let me = Interrupts::default();
        if tokio::runtime::Handle::try_current().is_err() {
            return me;
        }
        use tokio::signal::unix::{signal, SignalKind};
        for kind in [SignalKind::interrupt(), SignalKind::terminate()] {
            let Ok(mut s) = signal(kind) else { continue };
            let received = me.received.clone();
            tokio::spawn(async move {
                while s.recv().await.is_some() {
                    received.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        me
    }

    /// Signals not yet handled.
    fn pending(&self) -> u32 {
        self.received.load(Ordering::SeqCst).saturating_sub(self.handled.load(Ordering::SeqCst))
    }

    fn mark_handled(&self) {
        self.handled.store(self.received.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// What a person chose after Ctrl-C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Rollback,
    Leave,
    Continue,
}

impl Runner {
    /// Handles a pending signal; true when a rollback request was journaled.
    /// Leaving the run as it is ends the controller with [`CutoverError::Stopped`].
    pub(crate) async fn handle_interrupt(&mut self) -> Result<bool> {
        if self.interrupts.pending() == 0 {
            return Ok(false);
        }
        self.interrupts.mark_handled();
        let exposed = self.state.green_exposed && self.state.verdict.is_none();
        let rolling_back = self.state.rollback.is_some() || self.state.rollback_requested.is_some();
        let choice = if rolling_back {
            // A second interrupt during a rollback: stop, the rollback resumes with the run.
            Choice::Leave
        } else if self.stdin.is_some() {
            self.ask().await
        } else if exposed {
            Choice::Rollback
        } else {
            Choice::Leave
        };
        match choice {
            Choice::Continue => {
                self.observer.note("interrupt ignored: the run continues");
                Ok(false)
            }
            Choice::Leave => {
                let by = "an interrupt (Ctrl-C or SIGTERM)";
                self.record(Event::ControllerStopped { why: format!("{by}: the run was left as it is") })?;
                Err(CutoverError::Stopped { by: by.into(), run: self.dir.root.display().to_string() })
            }
            Choice::Rollback if !exposed => {
                let by = "an interrupt before traffic moved";
                self.record(Event::ControllerStopped { why: format!("{by}: nothing to roll back") })?;
                Err(CutoverError::Stopped { by: by.into(), run: self.dir.root.display().to_string() })
            }
            Choice::Rollback => {
                let by = self.opts.operator.clone().unwrap_or_else(|| "controller".into());
                self.observer.note("interrupted: sending all traffic back to blue");
                self.record(Event::RollbackRequested {
                    by,
                    reason: "the controller was interrupted (Ctrl-C or SIGTERM); rolling back by default".into(),
                })?;
                Ok(true)
            }
        }
    }

    /// Asks on the terminal; the default after [`ASK_FOR`] or a second
    /// signal is to roll back (leave as is, for a second signal).
    async fn ask(&mut self) -> Choice {
        self.observer.note(&format!(
            "INTERRUPTED. Type `rollback` (all traffic to blue), `leave` (stop; resume later) or `continue`; rollback in {} s",
            ASK_FOR.as_secs()
        ));
        let deadline = tokio::time::Instant::now() + ASK_FOR;
        while tokio::time::Instant::now() < deadline {
            if self.interrupts.pending() > 0 {
                self.interrupts.mark_handled();
                return Choice::Leave;
            }
            if let Some(rx) = self.stdin.as_mut() {
                if let Ok(line) = rx.try_recv() {
                    match line.trim().to_ascii_lowercase().as_str() {
                        "rollback" | "r" => return Choice::Rollback,
                        "leave" | "l" => return Choice::Leave,
                        "continue" | "c" => return Choice::Continue,
                        _ => self.observer.note("answer rollback, leave or continue"),
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Choice::Rollback
    }
}
