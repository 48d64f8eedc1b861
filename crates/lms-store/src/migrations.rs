//! Embedded migrations, one set per backend, and where a database stands
//! against them. Migrations follow expand/contract (docs/MIGRATIONS.md).

use crate::{Db, Result};
use sqlx::migrate::Migrator;

static PG: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Applied versus expected migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions applied successfully, in order.
    pub applied: Vec<i64>,
    /// Versions this build carries, with their descriptions.
    pub expected: Vec<(i64, String)>,
}

impl MigrationStatus {
    /// Migrations this build carries that the database has not applied.
    pub fn pending(&self) -> Vec<(i64, String)> {
        self.expected.iter().filter(|(v, _)| !self.applied.contains(v)).cloned().collect()
    }
    pub fn is_current(&self) -> bool {
        self.pending().is_empty()
    }
}

fn migrator(db: &Db) -> &'static Migrator {
    match db {
        Db::Pg(_) => &PG,
        Db::Sqlite(..) => &SQLITE,
    }
}

/// Applies every pending migration.
pub async fn up(db: &Db) -> Result<()> {
    match db {
        Db::Pg(p) => PG.run(p).await?,
        Db::Sqlite(p, _) => SQLITE.run(p).await?,
    }
    Ok(())
}

/// Reads which migrations the database has applied.
pub async fn status(db: &Db) -> Result<MigrationStatus> {
    let expected = migrator(db).iter().map(|m| (m.version, m.description.to_string())).collect();
    let mut c = db.acquire().await?;
    let exists_sql = match db {
        Db::Pg(_) => {
            "SELECT CAST(COUNT(*) AS BIGINT) FROM information_schema.tables WHERE table_name = '_sqlx_migrations'"
        }
        Db::Sqlite(..) => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    };
    let exists: i64 = q!(scalar & mut c.conn(), i64, exists_sql)?;
    let applied = if exists > 0 {
        q!(all & mut c.conn(), (i64,), "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version")?
            .into_iter()
            .map(|(v,)| v)
            .collect()
    } else {
        Vec::new()
    };
    Ok(MigrationStatus { applied, expected })
}
