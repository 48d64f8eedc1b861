//! This process's CPU time and resident memory, and the CPU and memory it
//! may use (its cgroup's limits when set, else the machine's), read from
//! `/proc` and `/sys/fs/cgroup` for `/metrics`: the figures the cutover's
//! CPU and memory gates compare per slot where no container runtime
//! reports them (a VM, systemd, a rehearsal).
//!
//! Linux only; elsewhere every reading is `None`. Knows nothing of
//! Prometheus: [`super::metrics`] turns the readings into series.

/// CPU seconds (user + system, all threads) and resident bytes of this process.
pub fn own_usage() -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The name may hold spaces and parentheses: fields start after the last ')'.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    // After the name: state(0) … utime(11) stime(12).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let rss_kb: u64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(((utime + stime) as f64 / ticks_per_second() as f64, rss_kb * 1024))
}

/// Cores this process may use: the cgroup's CPU quota when set, else the
/// cores the machine gives it.
pub fn cpu_limit_cores() -> f64 {
    let quota = std::fs::read_to_string("/sys/fs/cgroup/cpu.max").ok().and_then(|s| {
        let mut parts = s.split_whitespace();
        let (quota, period) = (parts.next()?.parse::<f64>().ok()?, parts.next()?.parse::<f64>().ok()?);
        (quota > 0.0 && period > 0.0).then(|| quota / period)
    });
    quota.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()) as f64)
}

/// Memory this process may use: the cgroup's limit when set, else MemTotal.
pub fn memory_limit_bytes() -> Option<u64> {
    if let Some(limit) =
        std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|s| s.trim().parse::<u64>().ok())
    {
        return Some(limit);
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 =
        info.lines().find_map(|l| l.strip_prefix("MemTotal:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

fn ticks_per_second() -> u64 {
    // SAFETY: sysconf reads a constant.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(t).ok().filter(|t| *t > 0).unwrap_or(100)
}
