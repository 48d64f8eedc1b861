//! One module per subcommand, plus what they share.

pub mod cutover;
pub mod maintenance;
pub mod migrate;
pub mod serve;
pub mod user;

use anyhow::Context;
use lms_store::db::{ConnectOptions, DEFAULT_DATABASE_URL};
use lms_store::Db;

/// Where the database is: `--database-url` / `LMS_DATABASE_URL`.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// postgres://user@host/db, sqlite:///abs/path.db or sqlite://relative.db
    #[arg(long, env = "LMS_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

impl DbArgs {
    pub async fn connect(&self, max_connections: u32) -> anyhow::Result<Db> {
        self.connect_capped(max_connections, Default::default()).await
    }

    /// [`DbArgs::connect`] for an instance that counts only the migrations
    /// up to `schema`.
    pub async fn connect_capped(
        &self,
        max_connections: u32,
        schema: lms_store::migrations::SchemaCap,
    ) -> anyhow::Result<Db> {
        Db::connect(&self.database_url, &ConnectOptions { max_connections, schema, ..Default::default() })
            .await
            .with_context(|| format!("cannot open the database at {}", redact(&self.database_url)))
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// How log lines are written to standard error (`--log-format`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event; colours only when standard error is a terminal.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Logs to standard error in `format`; level from `RUST_LOG` (default info).
/// Colour codes are written only to a terminal, never to a file or a pipe.
pub fn init_tracing(format: LogFormat) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Json => {
            let _ = builder.json().flatten_event(true).try_init();
        }
        LogFormat::Text => {
            let _ = builder.try_init();
        }
    }
}
