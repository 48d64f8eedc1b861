//! Embedded migrations, one set per backend, and where a database stands
//! against them. Migrations follow expand/contract (docs/MIGRATIONS.md).
//!
//! A [`SchemaCap`] makes this build stand in for the release before it (a
//! cutover rehearsal): only migrations up to the cap are applied and
//! expected, so the newest one is left for the new release to apply while
//! the old one serves.

use crate::{Db, Result};
use sqlx::migrate::Migrator;
use std::borrow::Cow;

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
        Db::Pg(..) => &PG,
        Db::Sqlite(..) => &SQLITE,
    }
}

/// Which of this build's migrations count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SchemaCap {
    /// All of them (a normal instance).
    #[default]
    All,
    /// All but the newest: the schema of the release before this one.
    Previous,
    /// Those up to and including this version.
    UpTo(i64),
}

impl std::str::FromStr for SchemaCap {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "all" => Ok(SchemaCap::All),
            "previous" => Ok(SchemaCap::Previous),
            v => v
                .parse()
                .map(SchemaCap::UpTo)
                .map_err(|_| format!("`{s}` is not a migration version (e.g. 20261101000001), `previous` or `all`")),
        }
    }
}

impl SchemaCap {
    /// The newest version that counts, or `None` for all.
    fn limit(self, m: &Migrator) -> Option<i64> {
        match self {
            SchemaCap::All => None,
            SchemaCap::UpTo(v) => Some(v),
            SchemaCap::Previous => {
                let mut versions: Vec<i64> = m.iter().map(|x| x.version).collect();
                versions.sort_unstable();
                versions.pop();
                Some(versions.last().copied().unwrap_or(0))
            }
        }
    }
}

/// Whether an instance capped at `cap` counts on migration `version`.
pub(crate) fn counts(db: &Db, cap: SchemaCap, version: i64) -> bool {
    cap.limit(migrator(db)).is_none_or(|limit| version <= limit)
}

/// Applies every pending migration.
pub async fn up(db: &Db) -> Result<()> {
    up_to(db, SchemaCap::All).await
}

/// Applies the pending migrations that `cap` counts. Migrations the
/// database has applied beyond the cap (a newer release ran) are left alone.
pub async fn up_to(db: &Db, cap: SchemaCap) -> Result<()> {
    let full = migrator(db);
    let capped;
    let m = match cap.limit(full) {
        None => full,
        Some(limit) => {
            capped = Migrator {
                migrations: Cow::Owned(full.iter().filter(|x| x.version <= limit).cloned().collect()),
                ignore_missing: true,
                ..Migrator::DEFAULT
            };
            &capped
        }
    };
    match db {
        Db::Pg(p, _) => m.run(p).await?,
        Db::Sqlite(p, ..) => m.run(p).await?,
    }
    Ok(())
}

/// Reads which migrations the database has applied.
pub async fn status(db: &Db) -> Result<MigrationStatus> {
    status_capped(db, SchemaCap::All).await
}

/// [`status`] against the migrations `cap` counts.
pub async fn status_capped(db: &Db, cap: SchemaCap) -> Result<MigrationStatus> {
    let m = migrator(db);
    let limit = cap.limit(m);
    let expected = m
        .iter()
        .filter(|x| limit.is_none_or(|l| x.version <= l))
        .map(|x| (x.version, x.description.to_string()))
        .collect();
    let mut c = db.acquire().await?;
    let exists_sql = match db {
        Db::Pg(..) => {
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

/// A statement in a migration that breaks the expand/contract rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub version: i64,
    pub description: String,
    pub statement: String,
    pub why: &'static str,
}

/// Statements that would break the release still running against the same
/// database (docs/MIGRATIONS.md): drops, renames, type changes, new NOT NULL
/// constraints. A contraction that is meant (one release later) carries the
/// comment `-- lms:contract` in its statement and is not reported.
pub fn check_sql(version: i64, description: &str, sql: &str) -> Vec<Finding> {
    let rules: [(&str, &'static str); 6] = [
        ("DROP TABLE", "drops a table the running release may read"),
        ("DROP COLUMN", "drops a column the running release may read"),
        ("RENAME", "renames something the running release refers to"),
        ("ALTER COLUMN", "changes a column in place (type, NOT NULL, default)"),
        ("TRUNCATE", "deletes data"),
        ("DROP INDEX", "drops an index the running release may rely on"),
    ];
    sql.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.contains("lms:contract"))
        .filter_map(|stmt| {
            let code: String = stmt.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join(" ");
            let upper = code.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
            rules.iter().find(|(pat, _)| upper.contains(pat)).map(|(_, why)| Finding {
                version,
                description: description.to_string(),
                statement: upper.chars().take(120).collect(),
                why,
            })
        })
        .collect()
}

/// Checks every embedded migration of both backends.
pub fn check_embedded() -> Vec<Finding> {
    [&PG, &SQLITE]
        .iter()
        .flat_map(|m| m.iter().flat_map(|mig| check_sql(mig.version, &mig.description, &mig.sql)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_capped_instance_counts_only_the_migrations_under_its_cap() {
        let dir = std::env::temp_dir().join(format!("lms-cap-{}", std::process::id()));
        let url = format!("sqlite://{}/cap.db", dir.display());
        let newest = SQLITE.iter().map(|m| m.version).max().unwrap_or(0);
        let oldest = SQLITE.iter().map(|m| m.version).min().unwrap_or(0);
        let all = Db::connect(&url, &Default::default()).await.expect("open");
        assert!(all.counts(newest) && all.counts(oldest));
        let opts = crate::db::ConnectOptions { schema: SchemaCap::Previous, ..Default::default() };
        let previous = Db::connect(&url, &opts).await.expect("open");
        assert!(!previous.counts(newest), "the newest migration is beyond the cap");
        assert!(previous.counts(oldest));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn embedded_migrations_only_expand() {
        assert_eq!(check_embedded(), Vec::<Finding>::new());
    }

    #[test]
    fn destructive_statements_are_flagged() {
        let sql = "CREATE TABLE a (id INT);\nALTER TABLE employees DROP COLUMN department;\n\
                   ALTER TABLE x RENAME TO y;\n-- a comment mentioning DROP TABLE\nCREATE INDEX i ON a(id);\n\
                   ALTER TABLE leave_types ALTER COLUMN colour TYPE INT;\nDROP TABLE old_stuff -- lms:contract\n";
        let found = check_sql(7, "test", sql);
        let whys: Vec<&str> = found.iter().map(|f| f.why).collect();
        assert_eq!(
            whys,
            vec![
                "drops a column the running release may read",
                "renames something the running release refers to",
                "changes a column in place (type, NOT NULL, default)"
            ]
        );
        assert!(found.iter().all(|f| f.version == 7));
    }
}
