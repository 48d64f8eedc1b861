//! Notices to the console (one line each on stderr) and, when the plan
//! names one, to a webhook: the whole [`Message`] as JSON, or a
//! Slack-compatible `{"text": …}`. War-room events go to the webhook only.
//! The webhook also performs post-cutover checklist items.

use async_trait::async_trait;

use crate::drivers::{Message, NotifyDriver};
use crate::error::Result;
use crate::local::{err, http_client};
use crate::plan::WebhookFormat;

/// Console and optional webhook.
#[derive(Debug, Clone)]
pub struct LocalNotify {
    console: bool,
    webhook: Option<String>,
    format: WebhookFormat,
    client: reqwest::Client,
}

impl LocalNotify {
    /// Prints when `console`; POSTs to `webhook` when set, in `format`.
    pub fn new(console: bool, webhook: Option<String>, format: WebhookFormat) -> Self {
        LocalNotify { console, webhook, format, client: http_client(std::time::Duration::from_secs(10)) }
    }

    fn body(&self, message: &Message) -> Result<serde_json::Value> {
        match self.format {
            WebhookFormat::Json => serde_json::to_value(message).map_err(|e| err("notify", e.to_string())),
            WebhookFormat::Slack => Ok(serde_json::json!({
                "text": format!("*{}* · run `{}` · {}\n{}", message.plan_id, message.run, message.at.format("%H:%M:%S UTC"), message.text),
            })),
        }
    }

    async fn to_webhook(&self, message: &Message) -> Result<()> {
        if let Some(url) = &self.webhook {
            let body = self.body(message)?;
            self.post_json(url, &body).await?;
        }
        Ok(())
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
        self.to_webhook(message).await
    }

    async fn publish(&self, message: &Message) -> Result<()> {
        self.to_webhook(message).await
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
