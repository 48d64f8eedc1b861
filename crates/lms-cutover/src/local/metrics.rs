//! Gate metrics from the traffic driver's window statistics (error rate, failed
//! requests, p95 per backend) and green's CPU and memory from /proc (the
//! process in green's pid file and its children).
//!
//! CPU is the share of the machine's cores used since the previous reading
//! (or since the process started, on the first one); memory is the
//! resident set as a share of the cgroup limit or of MemTotal.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;

use crate::drivers::{MetricsDriver, TrafficDriver, WindowStats};
use crate::error::Result;
use crate::local::process;
use crate::observe::ResourceUsage;
use crate::units::{Percent, Slot};

/// Traffic-layer statistics plus /proc.
pub struct ProxyProcMetrics {
    traffic: std::sync::Arc<dyn TrafficDriver>,
    green_pid_file: PathBuf,
    last: Mutex<Option<(u32, u64, Instant)>>,
}

impl ProxyProcMetrics {
    /// Reads window statistics through `traffic` (the `lms proxy`, HAProxy),
    /// green's pid from `green_pid_file`.
    pub fn new(traffic: std::sync::Arc<dyn TrafficDriver>, green_pid_file: PathBuf) -> Self {
        ProxyProcMetrics { traffic, green_pid_file, last: Mutex::new(None) }
    }

    fn uptime_ticks(pid: u32) -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let close = stat.rfind(')')?;
        let start: u64 = stat[close + 1..].split_whitespace().nth(19)?.parse().ok()?;
        let up: f64 = std::fs::read_to_string("/proc/uptime").ok()?.split_whitespace().next()?.parse().ok()?;
        let now_ticks = (up * process::ticks_per_second() as f64) as u64;
        Some(now_ticks.saturating_sub(start).max(1))
    }
}

impl std::fmt::Debug for ProxyProcMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyProcMetrics")
            .field("traffic", &self.traffic.name())
            .field("green_pid_file", &self.green_pid_file)
            .finish()
    }
}

#[async_trait]
impl MetricsDriver for ProxyProcMetrics {
    fn name(&self) -> &str {
        "proxy+proc"
    }

    async fn backends(&self) -> Result<WindowStats> {
        self.traffic.window_stats().await
    }

    async fn resources(&self, slot: Slot) -> Result<Option<ResourceUsage>> {
        if slot != Slot::Green {
            return Ok(None);
        }
        let Some(pid) = process::read_pid(&self.green_pid_file).filter(|p| process::alive(*p)) else {
            return Ok(None);
        };
        let Some((ticks, rss)) = process::usage(pid) else {
            return Ok(None);
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let now = Instant::now();
        let hz = process::ticks_per_second() as f64;
        let cpu_share = {
            let mut last = self.last.lock().map_err(|_| crate::local::err("metrics", "poisoned lock"))?;
            let share = match *last {
                Some((p, t0, i0)) if p == pid && now > i0 => {
                    let secs = now.duration_since(i0).as_secs_f64();
                    (ticks.saturating_sub(t0) as f64 / hz) / secs / cores * 100.0
                }
                _ => Self::uptime_ticks(pid).map_or(0.0, |up| ticks as f64 / up as f64 / cores * 100.0),
            };
            *last = Some((pid, ticks, now));
            share
        };
        let mem_share = process::memory_capacity().map(|cap| rss as f64 * 100.0 / cap.max(1) as f64);
        let (Ok(cpu), Some(Ok(memory))) =
            (Percent::new(cpu_share.clamp(0.0, 100.0)), mem_share.map(|m| Percent::new(m.clamp(0.0, 100.0))))
        else {
            return Ok(None);
        };
        Ok(Some(ResourceUsage { cpu, memory }))
    }
}
