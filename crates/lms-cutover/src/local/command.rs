//! A command run to completion under a time limit, its output (stdout and
//! stderr) written to a log file and its last lines kept for the journal:
//! what `command` deploys and `command` steps (the seed's `kubectl …`
//! lines, an Ansible playbook, a systemd unit) share.
//!
//! Knows processes and files, not what the command does.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Lines of a command's output kept for the journal.
pub const TAIL_LINES: usize = 5;

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Its exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Its last non-empty output lines, joined with ` | `.
    pub tail: String,
}

impl Finished {
    /// The exit code as a person reads it.
    pub fn code_text(&self) -> String {
        self.code.map_or_else(|| "on a signal".to_string(), |c| c.to_string())
    }
}

/// Runs `argv` with extra `env`; its output goes to `log`. An error says
/// what went wrong (empty, could not start, ran past `limit` and was
/// stopped, log not writable).
pub async fn run(
    argv: &[String],
    env: &BTreeMap<String, String>,
    limit: Duration,
    log: &Path,
) -> std::result::Result<Finished, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("the command is empty".to_string());
    };
    let mut command = tokio::process::Command::new(program);
    command.args(args).envs(env).kill_on_drop(true).stdin(std::process::Stdio::null());
    let output = match tokio::time::timeout(limit, command.output()).await {
        Err(_) => return Err(format!("`{}` took longer than {} s; it was stopped", argv.join(" "), limit.as_secs())),
        Ok(Err(e)) => return Err(format!("`{program}` could not be started: {e}")),
        Ok(Ok(o)) => o,
    };
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(log, &text).map_err(|e| format!("{}: {e}", log.display()))?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join(" | ");
    Ok(Finished { code: output.status.code(), tail })
}
