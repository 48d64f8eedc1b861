//! Notices to the console (one line each on stderr) and, when the plan
//! names one, to a JSON webhook (the whole [`Message`] as the body). The
//! webhook also performs post-cutover checklist items.

use async_trait::async_trait;

use crate::drivers::{Message, NotifyDriver};
use crate::error::Result;
use crate::local::{err, http_client};

/// Console and optional webhook.
#[derive(Debug, Clone)]
pub struct LocalNotify {
    console: bool,
    webhook: Option<String>,
    client: reqwest::Client,
}

impl LocalNotify {
    /// Prints when `console`; POSTs to `webhook` when set.
    pub fn new(console: bool, webhook: Option<String>) -> Self {
        LocalNotify { console, webhook, client: http_client(std::time::Duration::from_secs(10)) }
    }
}

#[async_trait]
impl NotifyDriver for LocalNotify {
    fn name(&self) -> &str {
        if self.webhook.is_some() {
            "console+webhook"
        } else {
            "console"
        }
    }

    async fn send(&self, message: &Message) -> Result<()> {
        if self.console {
            eprintln!("[{}] {}", message.at.format("%H:%M:%S"), message.text);
        }
        if let Some(url) = &self.webhook {
            let body = serde_json::to_value(message).map_err(|e| err("notify", e.to_string()))?;
            self.post_json(url, &body).await?;
        }
        Ok(())
    }

    async fn post_json(&self, url: &str, body: &serde_json::Value) -> Result<()> {
        let resp =
            self.client.post(url).json(body).send().await.map_err(|e| err("notify", format!("POST {url}: {e}")))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(err("notify", format!("POST {url}: HTTP {}", resp.status().as_u16())))
        }
    }
}
