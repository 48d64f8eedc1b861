//! The inbox: how people reach a running controller from another terminal
//! without writing to its journal (the controller is the journal's single
//! writer). `lms cutover decide|rollback|confirm` drop a request file into
//! `<run>/inbox/`; the controller validates it (a decision through
//! `Engine::decide`), journals it, and leaves an answer file beside it that
//! the requester waits for.
//!
//! Knows the request vocabulary and the file protocol, not the engine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::DecisionInput;
use crate::error::{CutoverError, Result};

/// A request from a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// A checkpoint decision.
    Decide {
        /// The decision.
        input: DecisionInput,
        /// The person's run credential, when the run has grants.
        #[serde(default)]
        token: Option<String>,
    },
    /// All traffic back to blue.
    Rollback {
        /// Who.
        by: String,
        /// Why.
        reason: String,
        /// The person's run credential, when the run has grants.
        #[serde(default)]
        token: Option<String>,
    },
    /// A manual step or post-cutover checklist item is done.
    Confirm {
        /// A timeline step number, or
        step: Option<u32>,
        /// a checklist item id.
        item: Option<String>,
        /// Who.
        by: String,
        /// Note.
        note: Option<String>,
        /// The person's run credential, when the run has grants.
        #[serde(default)]
        token: Option<String>,
    },
}

/// The controller's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// Journaled.
    pub accepted: bool,
    /// What happened, or why it was refused.
    pub message: String,
}

fn io(path: &Path, source: std::io::Error) -> CutoverError {
    CutoverError::JournalIo { path: path.to_path_buf(), source }
}

/// Drops a request; returns the path of the answer to wait for.
pub fn submit(inbox: &Path, request: &Request) -> Result<PathBuf> {
    std::fs::create_dir_all(inbox).map_err(|e| io(inbox, e))?;
    let name = format!(
        "{}-{}-{:08x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
        std::process::id(),
        rand::random::<u32>()
    );
    let tmp = inbox.join(format!("{name}.tmp"));
    let path = inbox.join(format!("{name}.req"));
    let body = serde_json::to_vec(request).map_err(|e| CutoverError::invalid("request", e.to_string()))?;
    std::fs::write(&tmp, body).map_err(|e| io(&tmp, e))?;
    // Rename is atomic: the controller never sees half a request.
    std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))?;
    Ok(inbox.join(format!("{name}.answer")))
}

/// Waits for an answer file, up to `timeout`.
pub async fn wait_answer(answer: &Path, timeout: Duration) -> Option<Answer> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(answer) {
            if let Ok(a) = serde_json::from_str(&text) {
                return Some(a);
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Pending requests, oldest first. A file that does not parse is answered
/// as refused and dropped.
pub fn take(inbox: &Path) -> Vec<(PathBuf, Result<Request>)> {
    let Ok(entries) = std::fs::read_dir(inbox) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "req"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let parsed = std::fs::read(&p)
                .map_err(|e| io(&p, e))
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| CutoverError::invalid("request", e.to_string())));
            (p, parsed)
        })
        .collect()
}

/// Answers a request and removes it.
pub fn answer(request: &Path, answer: &Answer) -> Result<()> {
    let out = request.with_extension("answer");
    let tmp = request.with_extension("answer.tmp");
    let body = serde_json::to_vec(answer).map_err(|e| CutoverError::invalid("answer", e.to_string()))?;
    std::fs::write(&tmp, body).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, &out).map_err(|e| io(&out, e))?;
    // The requester may have withdrawn it meanwhile.
    match std::fs::remove_file(request) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(request, e)),
        _ => Ok(()),
    }
}
