//! Notify: the war room's console, a JSON webhook, later chat systems.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::Notice;
use crate::error::{CutoverError, Result};

/// A notice as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// When.
    pub at: DateTime<Utc>,
    /// The plan's id.
    pub plan_id: String,
    /// The run's id.
    pub run: String,
    /// What.
    pub notice: Notice,
    /// One human line.
    pub text: String,
}

/// Sends notices.
#[async_trait]
pub trait NotifyDriver: Send + Sync {
    /// For logs and status ("console", "webhook").
    fn name(&self) -> &str;

    /// Sends one notice.
    async fn send(&self, message: &Message) -> Result<()>;

    /// Sends a war-room event to the channels other than the console (the
    /// webhook); the default has none and succeeds.
    async fn publish(&self, message: &Message) -> Result<()> {
        let _ = message;
        Ok(())
    }

    /// POSTs a JSON body to a URL (post-cutover checklist webhooks).
    async fn post_json(&self, url: &str, body: &serde_json::Value) -> Result<()> {
        let _ = body;
        Err(CutoverError::Driver { driver: "notify", message: format!("{} cannot POST to {url}", self.name()) })
    }
}
