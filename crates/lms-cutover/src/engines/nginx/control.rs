//! The `nginx` binary as a transport: `nginx -t` (test the configuration)
//! and `nginx -s reload` (signal the running master), each with `-c
//! <config>` when the plan names the main configuration file.
//!
//! Knows nothing of weights or upstreams; that is `upstream` and the driver.

use std::time::Duration;

use crate::error::Result;
use crate::local::err;

/// How long one `nginx` invocation may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// How to run nginx: the binary and, optionally, the main config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nginx {
    /// The binary (`nginx`, found on PATH, or a path).
    pub binary: String,
    /// The main configuration file passed with `-c`, if any.
    pub config: Option<String>,
}

impl Nginx {
    /// `nginx -t`: Ok when nginx says the configuration is good, else an
    /// error holding what nginx printed.
    pub async fn test(&self) -> Result<()> {
        self.run(&["-t", "-q"]).await
    }

    /// `nginx -s reload`: the master re-reads the configuration, starts new
    /// workers and tells the old ones to finish what they hold and exit.
    pub async fn reload(&self) -> Result<()> {
        self.run(&["-s", "reload"]).await
    }

    fn command_line(&self, args: &[&str]) -> String {
        let mut words = vec![self.binary.clone()];
        if let Some(c) = &self.config {
            words.push("-c".into());
            words.push(c.clone());
        }
        words.extend(args.iter().map(|a| (*a).to_string()));
        words.join(" ")
    }

    async fn run(&self, args: &[&str]) -> Result<()> {
        let line = self.command_line(args);
        let mut cmd = tokio::process::Command::new(&self.binary);
        if let Some(c) = &self.config {
            cmd.arg("-c").arg(c);
        }
        cmd.args(args).stdin(std::process::Stdio::null()).kill_on_drop(true);
        let out = tokio::time::timeout(TIMEOUT, cmd.output())
            .await
            .map_err(|_| err("traffic", format!("`{line}` did not finish within {TIMEOUT:?}")))?
            .map_err(|e| {
                err(
                    "traffic",
                    format!(
                        "cannot run the nginx binary {:?} (`{line}`): {e}; set [traffic] nginx to its path",
                        self.binary
                    ),
                )
            })?;
        if out.status.success() {
            return Ok(());
        }
        let mut said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !stdout.trim().is_empty() {
            said = format!("{said}\n{}", stdout.trim());
        }
        Err(err("traffic", format!("`{line}` failed ({}): {}", out.status, said.trim())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_carries_the_config_when_given() {
        let n = Nginx { binary: "nginx".into(), config: Some("/etc/nginx/nginx.conf".into()) };
        assert_eq!(n.command_line(&["-t"]), "nginx -c /etc/nginx/nginx.conf -t");
        let n = Nginx { binary: "/usr/sbin/nginx".into(), config: None };
        assert_eq!(n.command_line(&["-s", "reload"]), "/usr/sbin/nginx -s reload");
    }
}
