//! Traffic through open-source nginx: the driver owns one include file
//! holding `upstream <name> { server <blue> weight=<b>; server <green>
//! weight=<g>; }`, rewrites it for every split, checks it with `nginx -t`
//! and only then applies it with `nginx -s reload`.
//!
//! The plan's percentages are nginx weights as they are (blue 10 / green
//! 90 → `weight=10` and `weight=90`). nginx refuses `weight=0`, so a slot
//! at 0 % is written `down` (see `upstream`). The file is replaced
//! atomically (temporary file in the same directory, then rename); if
//! `nginx -t` or the reload fails, the previous content is put back the
//! same way and the error carries what nginx printed. Since nginx is
//! reloaded only after `-t` passed, a refused change leaves the running
//! nginx on the split it had.
//!
//! What `state` reports is the split nginx was *told*: the include file as
//! the driver wrote it. Open-source nginx has no API to read the weights
//! in force (that is nginx Plus's `/api/…/upstreams`), so the driver cannot
//! verify them the way the HAProxy driver does. Nor does it keep
//! per-upstream-server counters (`stub_status` is global), so
//! `window_stats` is an error saying so: gate on a `[monitoring.source]`
//! (Prometheus) with this driver.
//!
//! `set_weights` returns once `nginx -s reload` has signalled the master;
//! the new split is not in force at that instant. The master starts new
//! workers with the new split, waits 100 ms (nginx's own pause before it
//! signals the old workers; during it old and new workers both accept new
//! connections), then tells the old workers to stop accepting and exit
//! once their connections are done. From then on every new connection gets
//! the new split; requests already in flight, and keep-alive connections
//! until their current request ends, finish on the old one, bounded by
//! nginx's `worker_shutdown_timeout` when it is set (otherwise by the
//! longest of them). Measured against nginx 1.22: the old worker is gone
//! about 105 ms after the reload when nothing long is in flight.
//!
//! This driver must not know the runbook (steps, gates, checkpoints) nor
//! how nginx was started; it needs the binary, the main config when it is
//! not nginx's default, and a config that `include`s the file it owns.

pub mod control;
pub mod upstream;

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::drivers::{BackendState, TrafficDriver, TrafficState, WindowStats};
use crate::error::Result;
use crate::local::err;
use crate::units::{Slot, Weights};

pub use control::Nginx;
pub use upstream::ServerLine;

/// Where the driver's include file is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NginxConfig {
    /// The include file the driver owns.
    pub upstream_file: PathBuf,
    /// The upstream block's name.
    pub upstream: String,
    /// Blue's server address (`host:port`).
    pub blue: String,
    /// Green's server address (`host:port`).
    pub green: String,
    /// The nginx binary (`nginx` when `None`).
    pub nginx: Option<String>,
    /// The main configuration file passed with `-c`, if any.
    pub config: Option<String>,
}

/// Blue and green as two servers of one nginx upstream.
#[derive(Debug)]
pub struct NginxTraffic {
    file: PathBuf,
    upstream: String,
    blue: String,
    green: String,
    nginx: Nginx,
    /// One change at a time: the file, `-t` and the reload go together.
    changing: tokio::sync::Mutex<()>,
}

impl NginxTraffic {
    /// A driver for `c`; refuses names and addresses that would break the
    /// file it writes.
    pub fn new(c: NginxConfig) -> Result<Self> {
        let bad = |s: &str| s.trim().is_empty() || s.contains(char::is_whitespace) || s.contains(['{', '}', ';', '#']);
        if bad(&c.upstream) {
            return Err(err(
                "traffic",
                format!("nginx upstream name {:?} is empty or holds a space, '{{', '}}', ';' or '#'", c.upstream),
            ));
        }
        for (what, address) in [("blue", &c.blue), ("green", &c.green)] {
            let host_port = address.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if bad(address) || !host_port {
                return Err(err("traffic", format!("nginx {what} server {address:?}: write host:port")));
            }
        }
        if c.blue == c.green {
            return Err(err("traffic", format!("nginx blue and green are the same server {:?}", c.blue)));
        }
        if c.upstream_file.as_os_str().is_empty() {
            return Err(err("traffic", "nginx upstream_file is empty"));
        }
        Ok(NginxTraffic {
            file: c.upstream_file,
            upstream: c.upstream,
            blue: c.blue,
            green: c.green,
            nginx: Nginx { binary: c.nginx.unwrap_or_else(|| "nginx".into()), config: c.config },
            changing: tokio::sync::Mutex::new(()),
        })
    }

    /// The include file's text for `weights`.
    pub fn render(&self, weights: Weights) -> String {
        upstream::render(&self.upstream, &self.blue, &self.green, weights)
    }

    async fn apply(&self, weights: Weights) -> Result<TrafficState> {
        let _one = self.changing.lock().await;
        let previous = match tokio::fs::read(&self.file).await {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(err("traffic", format!("cannot read {}: {e}", self.file.display()))),
        };
        replace(&self.file, self.render(weights).as_bytes()).await?;
        let applied = match self.nginx.test().await {
            Ok(()) => self.nginx.reload().await,
            Err(e) => Err(e),
        };
        if let Err(e) = applied {
            let restored = match &previous {
                Some(bytes) => replace(&self.file, bytes).await,
                None => tokio::fs::remove_file(&self.file)
                    .await
                    .map_err(|r| err("traffic", format!("cannot remove {}: {r}", self.file.display()))),
            };
            let kept = match restored {
                Ok(()) => format!("{} is back as it was", self.file.display()),
                Err(r) => format!("AND putting {} back failed: {r}", self.file.display()),
            };
            return Err(err(
                "traffic",
                format!("nginx did not take {weights} ({kept}; nginx still runs the split it had): {e}"),
            ));
        }
        self.state().await
    }
}

/// Replaces `path` with `bytes` atomically: a temporary file next to it,
/// flushed, then renamed over it.
async fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.lms-tmp"));
    let io = |what: &str, e: std::io::Error| err("traffic", format!("cannot {what} {}: {e}", path.display()));
    {
        use tokio::io::AsyncWriteExt;
        let mut f = tokio::fs::File::create(&tmp).await.map_err(|e| io("write a temporary file next to", e))?;
        f.write_all(bytes).await.map_err(|e| io("write a temporary file next to", e))?;
        f.sync_all().await.map_err(|e| io("flush a temporary file next to", e))?;
    }
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(io("replace", e));
    }
    Ok(())
}

#[async_trait]
impl TrafficDriver for NginxTraffic {
    fn name(&self) -> &str {
        "nginx"
    }

    async fn set_weights(&self, weights: Weights) -> Result<TrafficState> {
        self.apply(weights).await
    }

    async fn rollback(&self) -> Result<TrafficState> {
        self.apply(Weights::ALL_BLUE).await
    }

    /// The split in the include file: what nginx was told (open-source
    /// nginx cannot be asked what is in force).
    async fn state(&self) -> Result<TrafficState> {
        let file = self.file.display();
        let text = tokio::fs::read_to_string(&self.file)
            .await
            .map_err(|e| err("traffic", format!("cannot read the nginx upstream file {file}: {e}")))?;
        let rows = upstream::servers(&text, &self.upstream)
            .map_err(|m| err("traffic", format!("the nginx upstream file {file} {m}")))?;
        let row = |address: &str| {
            rows.iter().find(|r| r.address == address).ok_or_else(|| {
                let names: Vec<&str> = rows.iter().map(|r| r.address.as_str()).collect();
                err(
                    "traffic",
                    format!(
                        "the nginx upstream file {file}: upstream {} has no server {address} (its servers: {})",
                        self.upstream,
                        if names.is_empty() { "none".to_string() } else { names.join(", ") }
                    ),
                )
            })
        };
        let (blue, green) = (row(&self.blue)?, row(&self.green)?);
        let weights = Weights::new(i64::from(blue.weight), i64::from(green.weight)).map_err(|_| {
            err(
                "traffic",
                format!(
                    "the nginx upstream file {file}: {} weight {} and {} weight {} do not sum to 100 as blue and green percentages",
                    self.blue, blue.weight, self.green, green.weight
                ),
            )
        })?;
        let backend = |slot, r: &ServerLine| BackendState { slot, target: r.address.clone(), healthy: None };
        Ok(TrafficState { weights, backends: vec![backend(Slot::Blue, blue), backend(Slot::Green, green)] })
    }

    /// Not supported: open-source nginx keeps no per-upstream-server
    /// counters (`stub_status` counts the whole server), so there is no
    /// honest blue/green window to give. Gates need `[monitoring.source]`.
    async fn window_stats(&self) -> Result<WindowStats> {
        Err(err(
            "traffic",
            "open-source nginx keeps no per-upstream-server request or error counters (stub_status is global), so the nginx driver has no window statistics: configure [monitoring.source] (Prometheus) for the gates",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(upstream: &str, blue: &str, green: &str) -> NginxConfig {
        NginxConfig {
            upstream_file: "/tmp/lms-upstream.conf".into(),
            upstream: upstream.into(),
            blue: blue.into(),
            green: green.into(),
            nginx: None,
            config: None,
        }
    }

    #[test]
    fn names_and_addresses_that_would_break_the_file_are_refused() {
        assert!(NginxTraffic::new(config("lms", "127.0.0.1:1", "127.0.0.1:2")).is_ok());
        assert!(NginxTraffic::new(config("lms; }", "127.0.0.1:1", "127.0.0.1:2")).is_err());
        assert!(NginxTraffic::new(config("lms", "127.0.0.1", "127.0.0.1:2")).is_err());
        assert!(NginxTraffic::new(config("lms", "a:1;", "127.0.0.1:2")).is_err());
        assert!(NginxTraffic::new(config("lms", "a:1", "a:1")).is_err());
    }

    #[tokio::test]
    async fn window_stats_say_they_are_not_supported() {
        let d = NginxTraffic::new(config("lms", "127.0.0.1:1", "127.0.0.1:2")).unwrap();
        let e = d.window_stats().await.unwrap_err().to_string();
        assert!(e.contains("stub_status") && e.contains("[monitoring.source]"), "{e}");
    }
}
