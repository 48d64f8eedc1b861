//! `lms maintenance on|off|status`: the database-wide maintenance switch.

use super::DbArgs;
use chrono::Utc;
use lms_store::settings;

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
    let state = match target {
        Some(on) => {
            lms_app::maintenance::set(&db, lms_app::By::CommandLine, on, Utc::now()).await?;
            on
        }
        None => {
            let mut c = db.acquire().await?;
            settings::maintenance(&mut c.conn()).await?
        }
    };
    println!("maintenance mode: {}", if state { "on" } else { "off" });
    Ok(())
}
