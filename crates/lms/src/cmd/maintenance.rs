//! `lms maintenance on|off|status`: the database-wide maintenance switch.

use super::DbArgs;
use chrono::Utc;
use lms_store::audit::{self, AuditContext, Change};
use lms_store::settings;
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct MaintenanceArgs {
    #[command(subcommand)]
    pub action: MaintenanceAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum MaintenanceAction {
    /// Pause changes: reads keep working, writes answer 503.
    On(DbArgs),
    /// Resume normal operation.
    Off(DbArgs),
    /// Print whether maintenance mode is on.
    Status(DbArgs),
}

pub async fn run(a: MaintenanceArgs) -> anyhow::Result<()> {
    let (db, target) = match a.action {
        MaintenanceAction::On(db) => (db, Some(true)),
        MaintenanceAction::Off(db) => (db, Some(false)),
        MaintenanceAction::Status(db) => (db, None),
    };
    let db = db.connect(2).await?;
    let mut tx = db.begin().await?;
    let before = settings::maintenance(&mut tx.conn()).await?;
    if let Some(on) = target {
        let now = Utc::now();
        settings::set_maintenance(&mut tx.conn(), on, None, now).await?;
        let ctx = AuditContext { actor_id: None, request_id: "cli".into(), client_addr: "cli".into() };
        let change = Change {
            action: if on { "maintenance.on" } else { "maintenance.off" },
            entity_type: "settings",
            entity_id: "maintenance".into(),
            before: Some(json!({ "enabled": before })),
            after: Some(json!({ "enabled": on })),
        };
        audit::record(&mut tx.conn(), &ctx, change, now).await?;
    }
    tx.commit().await?;
    let state = target.unwrap_or(before);
    println!("maintenance mode: {}", if state { "on" } else { "off" });
    Ok(())
}
