//! Cleanup that outlives the test binary. The shared chromedriver (with
//! every browser it launches) and the shared `lms` server live in a static,
//! and Rust never drops statics; so each of them runs in its own process
//! group, and a small shell "reaper", started before them, reads those
//! group ids from a pipe whose writing end only this process holds. When
//! the binary exits — all tests passed, one panicked, or it was killed —
//! the pipe closes, the reaper's `read` sees the end of it, and it kills
//! every group it was told about and removes the scratch directory. No
//! polling and no timers: the end of the pipe is the signal.
//!
//! The reaper runs in a process group of its own too, so a Ctrl-C at the
//! terminal stops the tests but not the cleanup.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

const SCRIPT: &str = r#"groups=""
while read -r group; do groups="$groups $group"; done
for group in $groups; do kill -KILL "-$group" 2>/dev/null; done
rm -rf -- "$1""#;

/// The reaper and the writing end of its pipe; meant to live until the
/// process exits (in a static). The reaper is never waited for: it is meant
/// to outlive this process.
pub struct Reaper {
    lifeline: Mutex<ChildStdin>,
    _process: Child,
}

impl Reaper {
    /// Starts the reaper; `dir` is removed after the processes are killed.
    pub fn start(dir: &Path) -> Reaper {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("lms-browser-reaper")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("starting the reaper (/bin/sh) of the browser tests' processes");
        let lifeline = child.stdin.take().expect("the reaper's stdin is piped");
        Reaper { lifeline: Mutex::new(lifeline), _process: child }
    }

    /// Spawns `command` as the leader of a new process group (its children
    /// stay in it) and hands the group to the reaper.
    pub fn spawn(&self, what: &str, command: &mut Command) -> Child {
        let child = command.process_group(0).spawn().unwrap_or_else(|e| panic!("starting {what}: {e}"));
        let mut lifeline = self.lifeline.lock().expect("the reaper's pipe lock");
        writeln!(lifeline, "{}", child.id())
            .and_then(|()| lifeline.flush())
            .unwrap_or_else(|e| panic!("telling the reaper about {what}: {e}"));
        child
    }
}
