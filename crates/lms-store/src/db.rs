//! The connection to PostgreSQL or SQLite, chosen by URL, and the
//! backend-neutral handles (`Conn`, `Tx`, `PoolConn`) that [`q!`] runs on.

use crate::migrations::SchemaCap;
use crate::{Result, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

/// Which database engine a `Db` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// A pool of connections to one database.
///
/// SQLite allows one writer at a time. Its own busy handler waits by
/// sleeping with back-off, which under load wastes most of the time it
/// waits; so writers of this process queue on an async lock (`WriteLock`)
/// in arrival order, and the busy timeout only arbitrates between processes
/// (e.g. blue and green on one file).
#[derive(Debug, Clone)]
pub enum Db {
    Pg(PgPool, SchemaCap),
    Sqlite(SqlitePool, WriteLock, SchemaCap),
}

/// The in-process queue of SQLite writers.
pub type WriteLock = Arc<tokio::sync::Mutex<()>>;

/// One connection, borrowed from a pool or a transaction.
pub enum Conn<'c> {
    Pg(&'c mut PgConnection),
    Sqlite(&'c mut SqliteConnection),
}

/// A transaction; dropped without `commit` it rolls back.
pub enum Tx {
    Pg(Transaction<'static, Postgres>),
    /// A write transaction holds the writer lock until it ends (fields drop
    /// in order: the transaction first, then the lock).
    Sqlite(Transaction<'static, Sqlite>, Option<OwnedMutexGuard<()>>),
}

/// A connection checked out of the pool, outside any transaction.
pub enum PoolConn {
    Pg(PoolConnection<Postgres>),
    Sqlite(PoolConnection<Sqlite>),
}

/// Options for opening a database.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// Which of this build's migrations the instance counts on: all, or
    /// (standing in for the release before) all but the newest. A feature
    /// whose migration is beyond the cap stays off ([`Db::counts`]).
    pub schema: SchemaCap,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions { max_connections: 16, acquire_timeout: Duration::from_secs(3), schema: SchemaCap::All }
    }
}

/// The default embedded database, relative to the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://lms-data/lms.db";

/// An open SQLite connection keeps working on a deleted file; every use of
/// the pool first checks that the file is still where it was opened.
fn file_present(pool: &SqlitePool) -> Result<()> {
    let path = pool.connect_options().get_filename().to_path_buf();
    if path.exists() {
        Ok(())
    } else {
        Err(StoreError::FileGone(path.display().to_string()))
    }
}

impl Db {
    /// Opens `url`: `postgres://…`/`postgresql://…`, or `sqlite:///abs/path.db` /
    /// `sqlite://relative.db` (the file and its directory are created when missing).
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let co = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
            // No ping before handing out a connection: sqlx already tests
            // each one when it comes back to the pool, and a connection that
            // broke in between fails its query (503, and it is dropped), so
            // the extra round trip on every acquire buys nothing.
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(false)
                .connect_with(co)
                .await?;
            Ok(Db::Pg(pool, opts.schema))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() || path == ":memory:" {
                return Err(StoreError::BadUrl(format!(
                    "{url}: give a file, e.g. sqlite://lms-data/lms.db or sqlite:///var/lib/lms/lms.db"
                )));
            }
            if let Some(dir) = Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)?;
                }
            }
            // A new database file is readable by its owner only (SQLite gives
            // its -wal and -shm files the same permissions).
            if !Path::new(path).exists() {
                use std::os::unix::fs::OpenOptionsExt;
                let _ = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
            }
            let co = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(false)
                .connect_with(co)
                .await?;
            Ok(Db::Sqlite(pool, WriteLock::default(), opts.schema))
        } else {
            Err(StoreError::BadUrl(format!(
                "{url}: use postgres://user@host/db, sqlite:///absolute/path.db or sqlite://relative/path.db"
            )))
        }
    }

    /// Whether this instance counts on migration `version` (a feature
    /// that needs it stays off when it does not: docs/MIGRATIONS.md).
    pub fn counts(&self, version: i64) -> bool {
        let cap = match self {
            Db::Pg(_, cap) | Db::Sqlite(_, _, cap) => *cap,
        };
        crate::migrations::counts(self, cap, version)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Pg(..) => Backend::Postgres,
            Db::Sqlite(..) => Backend::Sqlite,
        }
    }

    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Pg(p, _) => Tx::Pg(p.begin().await?),
            // IMMEDIATE takes SQLite's write lock up front (waiting on the busy
            // timeout), so a transaction that reads and then writes can never
            // fail with a stale snapshot when another one committed in between.
            Db::Sqlite(p, lock, _) => {
                file_present(p)?;
                let guard = lock.clone().lock_owned().await;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, Some(guard))
            }
        })
    }

    pub async fn acquire(&self) -> Result<PoolConn> {
        Ok(match self {
            Db::Pg(p, _) => PoolConn::Pg(p.acquire().await?),
            Db::Sqlite(p, ..) => {
                file_present(p)?;
                PoolConn::Sqlite(p.acquire().await?)
            }
        })
    }

    /// `SELECT 1`: whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut c = self.acquire().await?;
        q!(scalar & mut c.conn(), i32, "SELECT 1")?;
        Ok(())
    }

    /// Pool size and idle connections, for metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Pg(p, _) => (p.size(), p.num_idle()),
            Db::Sqlite(p, ..) => (p.size(), p.num_idle()),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Pg(p, _) => p.close().await,
            Db::Sqlite(p, ..) => p.close().await,
        }
    }
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Pg(t) => Conn::Pg(&mut *t),
            Tx::Sqlite(t, _) => Conn::Sqlite(&mut *t),
        }
    }
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Pg(t) => t.commit().await?,
            Tx::Sqlite(t, _guard) => t.commit().await?,
        }
        Ok(())
    }
}

impl PoolConn {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            PoolConn::Pg(c) => Conn::Pg(&mut *c),
            PoolConn::Sqlite(c) => Conn::Sqlite(&mut *c),
        }
    }
}
