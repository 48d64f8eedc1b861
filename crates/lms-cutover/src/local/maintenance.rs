//! Maintenance mode through the LMS's own switch: `lms maintenance on|off`
//! (argv from the plan) or `PUT /api/v1/admin/maintenance` with an HR admin
//! bearer token.

use async_trait::async_trait;

use crate::drivers::MaintenanceDriver;
use crate::error::Result;
use crate::local::{err, http_client};
use crate::observe::Outcome;
use crate::plan::model::MaintenanceSwitch;

/// The switch, with placeholders resolved.
#[derive(Debug, Clone)]
pub struct LocalMaintenance {
    switch: MaintenanceSwitch,
}

impl LocalMaintenance {
    /// A driver for the resolved switch.
    pub fn new(switch: MaintenanceSwitch) -> Self {
        LocalMaintenance { switch }
    }
}

#[async_trait]
impl MaintenanceDriver for LocalMaintenance {
    fn name(&self) -> &str {
        match self.switch {
            MaintenanceSwitch::Cli { .. } => "cli",
            MaintenanceSwitch::Http { .. } => "http",
        }
    }

    async fn set(&self, enabled: bool) -> Result<Outcome> {
        match &self.switch {
            MaintenanceSwitch::Cli { on, off } => {
                let argv = if enabled { on } else { off };
                let (program, args) = argv.split_first().ok_or_else(|| err("maintenance", "empty command"))?;
                let out = tokio::process::Command::new(program)
                    .args(args)
                    .stdin(std::process::Stdio::null())
                    .output()
                    .await
                    .map_err(|e| err("maintenance", format!("cannot run {program}: {e}")))?;
                let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
                Ok(if out.status.success() {
                    Outcome::ok(text.trim())
                } else {
                    Outcome::failed(format!("exit {:?}: {}", out.status.code(), text.trim()))
                })
            }
            MaintenanceSwitch::Http { url, token_env } => {
                let client = http_client(std::time::Duration::from_secs(10));
                let mut req = client.put(url).json(&serde_json::json!({ "enabled": enabled }));
                if let Some(var) = token_env {
                    let token = std::env::var(var).map_err(|_| err("maintenance", format!("{var} is not set")))?;
                    req = req.bearer_auth(token);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => Ok(Outcome::ok(format!("HTTP {}", r.status().as_u16()))),
                    Ok(r) => Ok(Outcome::failed(format!("HTTP {}", r.status().as_u16()))),
                    Err(e) => Ok(Outcome::failed(e.to_string())),
                }
            }
        }
    }
}
