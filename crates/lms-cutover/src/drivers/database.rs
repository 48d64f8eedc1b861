//! Database: back up and verify (pg_dump -Fc + pg_restore --list; SQLite
//! online backup + integrity_check), migrate with the green artifact's own
//! commands and report the migration status.

use async_trait::async_trait;

use crate::error::Result;
use crate::observe::{BackupReport, MigrationReport};

/// Backs up and migrates the shared database.
#[async_trait]
pub trait DatabaseDriver: Send + Sync {
    /// For logs and status ("postgres", "sqlite", "rds").
    fn name(&self) -> &str;

    /// Takes a backup and verifies it (integrity, size against the
    /// previous backup). An unverifiable backup is an error.
    async fn backup(&self) -> Result<BackupReport>;

    /// Runs the green artifact's migrations, then reports their status.
    async fn migrate(&self) -> Result<MigrationReport>;

    /// Reports the migration status without changing anything.
    async fn migration_status(&self) -> Result<MigrationReport>;
}
