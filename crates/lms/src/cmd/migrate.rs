//! `lms migrate status|up`: the embedded migrations of this build against a database.

use super::DbArgs;
use lms_store::migrations;

#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: MigrateAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum MigrateAction {
    /// List migrations applied and pending; exits 3 when some are pending.
    Status(DbArgs),
    /// Apply every pending migration.
    Up(DbArgs),
    /// Check this build's migrations against the expand/contract rule (no database needed);
    /// exits 1 when a statement would break the release still running.
    Check,
}

pub async fn run(a: MigrateArgs) -> anyhow::Result<()> {
    match a.action {
        MigrateAction::Status(db) => {
            let db = db.connect(2).await?;
            let s = migrations::status(&db).await?;
            println!("backend: {}", db.backend().as_str());
            for (v, d) in &s.expected {
                let mark = if s.applied.contains(v) { "applied" } else { "PENDING" };
                println!("  {v} {d:<40} {mark}");
            }
            println!("{} applied, {} pending", s.applied.len(), s.pending().len());
            if !s.is_current() {
                std::process::exit(3);
            }
            Ok(())
        }
        MigrateAction::Check => {
            let findings = migrations::check_embedded();
            for f in &findings {
                println!("{} {}: {} — {}", f.version, f.description, f.why, f.statement);
            }
            if findings.is_empty() {
                println!("all migrations only expand the schema (docs/MIGRATIONS.md)");
                Ok(())
            } else {
                anyhow::bail!("{} destructive statement(s); ship contractions one release later", findings.len())
            }
        }
        MigrateAction::Up(db) => {
            let db = db.connect(2).await?;
            let before = migrations::status(&db).await?;
            migrations::up(&db).await?;
            let after = migrations::status(&db).await?;
            println!(
                "applied {} migration(s); schema is current ({} total)",
                after.applied.len() - before.applied.len(),
                after.applied.len()
            );
            Ok(())
        }
    }
}
