//! The database driver: backup and verification (PostgreSQL: `pg_dump -Fc`
//! then `pg_restore --list`; SQLite: `VACUUM INTO` an online copy, then
//! `PRAGMA integrity_check` on the copy), size compared with the previous
//! backup in the same directory, restore of such a backup into a new
//! database ([`LocalDatabase::restore_into`]), and migrations through the
//! green artifact's own `migrate up` then `migrate status` (exit 3 =
//! pending).
//!
//! It never links the LMS's store: the migrations belong to the version
//! being deployed.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use async_trait::async_trait;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

use crate::drivers::DatabaseDriver;
use crate::error::Result;
use crate::local::err;
use crate::observe::{BackupReport, MigrationReport};
use crate::plan::model::DatabaseKind;
use crate::units::Percent;

/// A database reached by URL, migrated by commands.
#[derive(Debug, Clone)]
pub struct LocalDatabase {
    /// Engine.
    pub kind: DatabaseKind,
    /// Connection URL.
    pub url: String,
    /// Backups go here.
    pub backup_dir: PathBuf,
    /// A backup smaller than this share of the previous one fails.
    pub min_size_ratio: Option<Percent>,
    /// `migrate up` argv.
    pub migrate: Vec<String>,
    /// `migrate status` argv.
    pub migrate_status: Vec<String>,
}

fn quote_sql(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The newest regular file in `dir` with the extension, and its size.
fn previous_backup(dir: &Path, ext: &str) -> Option<(PathBuf, u64)> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == ext))
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((m.modified().ok()?, e.path(), m.len()))
        })
        .max_by_key(|(t, _, _)| *t)
        .map(|(_, p, n)| (p, n))
}

async fn run_cmd(driver: &'static str, argv: &[String]) -> Result<(i32, String)> {
    let (program, args) = argv.split_first().ok_or_else(|| err(driver, "empty command"))?;
    let out = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| err(driver, format!("cannot run {program}: {e}")))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.code().unwrap_or(-1), text.trim().to_string()))
}

impl LocalDatabase {
    fn sqlite_options(&self) -> Result<SqliteConnectOptions> {
        SqliteConnectOptions::from_str(&self.url).map_err(|e| err("database", format!("{}: {e}", self.url)))
    }

    async fn backup_sqlite(&self, file: &Path) -> Result<String> {
        let mut conn = self.sqlite_options()?.connect().await.map_err(|e| err("database", e.to_string()))?;
        let path = file.to_str().ok_or_else(|| err("database", "backup path is not UTF-8"))?;
        sqlx::query(&format!("VACUUM INTO {}", quote_sql(path)))
            .execute(&mut conn)
            .await
            .map_err(|e| err("database", format!("VACUUM INTO: {e}")))?;
        let _ = conn.close().await;
        let opts = SqliteConnectOptions::new().filename(file).read_only(true);
        let mut copy = opts.connect().await.map_err(|e| err("database", format!("opening the backup: {e}")))?;
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&mut copy)
            .await
            .map_err(|e| err("database", format!("integrity_check: {e}")))?;
        let results: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String, _>(0).ok()).collect();
        let tables: i64 = sqlx::query("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
            .fetch_one(&mut copy)
            .await
            .and_then(|r| r.try_get(0))
            .unwrap_or(0);
        let _ = copy.close().await;
        if results != ["ok"] {
            return Err(err("database", format!("integrity_check on the backup: {}", results.join("; "))));
        }
        Ok(format!("PRAGMA integrity_check: ok; {tables} tables"))
    }

    async fn backup_postgres(&self, file: &Path) -> Result<String> {
        let path = file.display().to_string();
        let dump = vec!["pg_dump".into(), "-Fc".into(), "-d".into(), self.url.clone(), "-f".into(), path.clone()];
        let (code, out) = run_cmd("database", &dump).await?;
        if code != 0 {
            return Err(err("database", format!("pg_dump exited {code}: {out}")));
        }
        let (code, out) = run_cmd("database", &["pg_restore".into(), "--list".into(), path]).await?;
        if code != 0 {
            return Err(err("database", format!("pg_restore --list exited {code}: {out}")));
        }
        let entries = out.lines().filter(|l| !l.trim().is_empty() && !l.starts_with(';')).count();
        if entries == 0 {
            return Err(err("database", "pg_restore --list shows no entries"));
        }
        Ok(format!("pg_restore --list: {entries} entries"))
    }

    /// Dumps into `file` and verifies it: the engine's own check, not
    /// empty, not much smaller than the previous backup. Returns the
    /// verification summary, the size and the SHA-256 of the file.
    async fn write_and_check(&self, file: &Path, previous: Option<u64>) -> Result<(String, u64, String)> {
        let verification = match self.kind {
            DatabaseKind::Sqlite => self.backup_sqlite(file).await?,
            DatabaseKind::Postgres => self.backup_postgres(file).await?,
        };
        let bytes = std::fs::read(file).map_err(|e| err("database", format!("{}: {e}", file.display())))?;
        let size = bytes.len() as u64;
        if size == 0 {
            return Err(err("database", "the backup is empty"));
        }
        if let (Some(prev), Some(ratio)) = (previous, self.min_size_ratio) {
            let share = size as f64 * 100.0 / prev.max(1) as f64;
            if share < ratio.value() {
                return Err(err(
                    "database",
                    format!("backup is {size} bytes, {share:.0}% of the previous {prev} bytes (minimum {ratio})"),
                ));
            }
        }
        use sha2::Digest;
        Ok((verification, size, hex::encode(sha2::Sha256::digest(&bytes))))
    }

    /// Restores a backup this driver wrote into a new database and
    /// verifies the result; returns the verification summary.
    ///
    /// PostgreSQL: `target_url` names an existing database with no tables
    /// (e.g. just made with `CREATE DATABASE`); anything else is refused.
    /// `pg_restore --no-owner --single-transaction --exit-on-error` loads
    /// the dump: on any error nothing is restored. SQLite: `target_url`
    /// names a file that does not exist yet; the backup is copied to
    /// `<file>.partial` (mode 0600), checked with `PRAGMA integrity_check`
    /// and only then renamed into place.
    ///
    /// The source database (`self.url`) is never touched.
    pub async fn restore_into(&self, artifact: &Path, target_url: &str) -> Result<String> {
        if !artifact.is_file() {
            return Err(err("database", format!("no backup at {}", artifact.display())));
        }
        match self.kind {
            DatabaseKind::Postgres => Self::restore_postgres(artifact, target_url).await,
            DatabaseKind::Sqlite => Self::restore_sqlite(artifact, target_url).await,
        }
    }

    async fn pg_user_tables(url: &str) -> Result<i64> {
        let mut conn = sqlx::PgConnection::connect(url).await.map_err(|e| err("database", format!("{url}: {e}")))?;
        let n: i64 = sqlx::query(
            "SELECT count(*) FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
        )
        .fetch_one(&mut conn)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| err("database", format!("listing the tables of the target: {e}")))?;
        let _ = conn.close().await;
        Ok(n)
    }

    async fn restore_postgres(artifact: &Path, target_url: &str) -> Result<String> {
        let before = Self::pg_user_tables(target_url).await?;
        if before > 0 {
            return Err(err(
                "database",
                format!("the target database already has {before} tables: restore only into a new, empty database"),
            ));
        }
        let argv: Vec<String> = vec![
            "pg_restore".into(),
            "--no-owner".into(),
            "--single-transaction".into(),
            "--exit-on-error".into(),
            "-d".into(),
            target_url.into(),
            artifact.display().to_string(),
        ];
        let (code, out) = run_cmd("database", &argv).await?;
        if code != 0 {
            return Err(err("database", format!("pg_restore exited {code}: {out}")));
        }
        let tables = Self::pg_user_tables(target_url).await?;
        if tables == 0 {
            return Err(err("database", "pg_restore restored no tables"));
        }
        Ok(format!("pg_restore: {tables} tables"))
    }

    async fn restore_sqlite(artifact: &Path, target_url: &str) -> Result<String> {
        let opts =
            SqliteConnectOptions::from_str(target_url).map_err(|e| err("database", format!("{target_url}: {e}")))?;
        let target = opts.get_filename().to_path_buf();
        let partial = PathBuf::from(format!("{}.partial", target.display()));
        for suffix in ["", "-wal", "-shm"] {
            let f = PathBuf::from(format!("{}{suffix}", target.display()));
            if f.exists() {
                return Err(err("database", format!("{} exists: restore only into a new file", f.display())));
            }
        }
        let copied = async {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let io = |e: std::io::Error| err("database", format!("{}: {e}", partial.display()));
            let bytes = std::fs::read(artifact).map_err(|e| err("database", format!("{}: {e}", artifact.display())))?;
            let mut f =
                std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&partial).map_err(io)?;
            f.write_all(&bytes).map_err(io)?;
            f.sync_all().map_err(io)?;
            drop(f);
            let mut conn = SqliteConnectOptions::new()
                .filename(&partial)
                .read_only(true)
                .connect()
                .await
                .map_err(|e| err("database", format!("opening the restored file: {e}")))?;
            let rows = sqlx::query("PRAGMA integrity_check")
                .fetch_all(&mut conn)
                .await
                .map_err(|e| err("database", format!("integrity_check: {e}")))?;
            let results: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String, _>(0).ok()).collect();
            let tables: i64 = sqlx::query("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
                .fetch_one(&mut conn)
                .await
                .and_then(|r| r.try_get(0))
                .unwrap_or(0);
            let _ = conn.close().await;
            if results != ["ok"] {
                return Err(err("database", format!("integrity_check on the restore: {}", results.join("; "))));
            }
            Ok(tables)
        }
        .await;
        let tables = match copied {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, &target).map_err(|e| err("database", format!("{}: {e}", target.display())))?;
        Ok(format!("PRAGMA integrity_check: ok; {tables} tables"))
    }

    fn parse_status(code: i32, out: &str) -> Result<Vec<String>> {
        match code {
            0 | 3 => Ok(out
                .lines()
                .filter(|l| l.contains("PENDING"))
                .map(|l| l.split_whitespace().next().unwrap_or("?").to_string())
                .collect()),
            _ => Err(err("database", format!("migrate status exited {code}: {out}"))),
        }
    }
}

#[async_trait]
impl DatabaseDriver for LocalDatabase {
    fn name(&self) -> &str {
        match self.kind {
            DatabaseKind::Postgres => "postgres",
            DatabaseKind::Sqlite => "sqlite",
        }
    }

    async fn backup(&self) -> Result<BackupReport> {
        std::fs::create_dir_all(&self.backup_dir)
            .map_err(|e| err("database", format!("{}: {e}", self.backup_dir.display())))?;
        let ext = match self.kind {
            DatabaseKind::Postgres => "dump",
            DatabaseKind::Sqlite => "db",
        };
        let previous = previous_backup(&self.backup_dir, ext);
        let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S%3f");
        let file = self.backup_dir.join(format!("backup_{stamp}.{ext}"));
        // Written under a `.partial` name and renamed only once verified:
        // a failed or killed dump never looks like a backup, and is removed.
        let partial = self.backup_dir.join(format!("backup_{stamp}.{ext}.partial"));
        let checked = self.write_and_check(&partial, previous.as_ref().map(|(_, n)| *n)).await;
        let (verification, size, sha256) = match checked {
            Ok(v) => v,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        // A backup holds every person's data: readable by its owner only.
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600));
        }
        crate::local::stall_point("backup:written").await;
        std::fs::rename(&partial, &file).map_err(|e| err("database", format!("{}: {e}", file.display())))?;
        Ok(BackupReport {
            artifact: file.display().to_string(),
            size_bytes: size,
            previous_size_bytes: previous.map(|(_, n)| n),
            verification,
            sha256: Some(sha256),
        })
    }

    async fn migrate(&self) -> Result<MigrationReport> {
        let before = self.migration_status().await?;
        let (code, out) = run_cmd("database", &self.migrate).await?;
        if code != 0 {
            return Err(err("database", format!("migrate exited {code}: {out}")));
        }
        let after = self.migration_status().await?;
        let applied = before.pending.iter().filter(|v| !after.pending.contains(v)).cloned().collect();
        Ok(MigrationReport { applied, pending: after.pending, detail: format!("{out}\n{}", after.detail) })
    }

    async fn migration_status(&self) -> Result<MigrationReport> {
        let (code, out) = run_cmd("database", &self.migrate_status).await?;
        let pending = Self::parse_status(code, &out)?;
        let summary = out.lines().last().unwrap_or("").to_string();
        Ok(MigrationReport { applied: Vec::new(), pending, detail: summary })
    }
}
