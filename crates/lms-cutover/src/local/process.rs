//! Local processes: start a command detached from the controller with its
//! output in a log file and its pid in a pid file, tell whether a pid still
//! runs, stop it (SIGTERM, then SIGKILL after a grace period), and read its
//! CPU time and resident memory from /proc.
//!
//! Knows nothing about what the process is.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::error::Result;
use crate::local::err;

/// Starts `argv` with extra `env`, stdout and stderr appended to `log`,
/// in its own process group (a terminal's Ctrl-C or the controller's death
/// does not take it down). Returns the pid.
pub fn spawn_detached(argv: &[String], env: &BTreeMap<String, String>, log: &Path) -> Result<u32> {
    let (program, args) = argv.split_first().ok_or_else(|| err("deploy", "empty command"))?;
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(|e| err("deploy", format!("{}: {e}", dir.display())))?;
    }
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| err("deploy", format!("{}: {e}", log.display())))?;
    let errf = out.try_clone().map_err(|e| err("deploy", e.to_string()))?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).envs(env).stdin(std::process::Stdio::null()).stdout(out).stderr(errf);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let child = cmd.spawn().map_err(|e| err("deploy", format!("cannot start {program}: {e}")))?;
    let pid = child.id();
    // The child is reaped by a thread so it never lingers as a zombie while
    // the controller runs; after the controller exits, init adopts it.
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    Ok(pid)
}

/// Whether `pid` names a live (non-zombie) process.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => stat_fields(&s).and_then(|f| f.first().map(|st| *st != "Z" && *st != "X")).unwrap_or(false),
        Err(_) => false,
    }
}

/// Fields after the command name in /proc/PID/stat (field 3 onwards).
fn stat_fields(s: &str) -> Option<Vec<&str>> {
    let close = s.rfind(')')?;
    Some(s[close + 1..].split_whitespace().collect())
}

/// Sends SIGTERM, waits up to `grace` for the process to go, then SIGKILL.
pub async fn terminate(pid: u32, grace: Duration) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with a pid we started; no memory is involved.
    unsafe {
        libc::kill(raw, libc::SIGTERM);
    }
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SAFETY: as above.
    unsafe {
        libc::kill(raw, libc::SIGKILL);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// CPU time used so far (user + system, in clock ticks) and resident set in bytes.
pub fn usage(pid: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f = stat_fields(&stat)?;
    // After the name: state(0) ppid(1) ... utime(11) stime(12) ... rss(21) in pages.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    let rss_pages: u64 = f.get(21)?.parse().ok()?;
    Some((utime + stime, rss_pages * page_size()))
}

/// Clock ticks per second.
pub fn ticks_per_second() -> u64 {
    // SAFETY: sysconf reads a constant.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(t).ok().filter(|t| *t > 0).unwrap_or(100)
}

fn page_size() -> u64 {
    // SAFETY: sysconf reads a constant.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(p).ok().filter(|p| *p > 0).unwrap_or(4096)
}

/// Memory available to processes: the cgroup limit when set, else MemTotal.
pub fn memory_capacity() -> Option<u64> {
    if let Ok(s) = std::fs::read_to_string("/sys/fs/cgroup/memory.max") {
        if let Ok(v) = s.trim().parse::<u64>() {
            return Some(v);
        }
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Reads a pid file.
pub fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}
