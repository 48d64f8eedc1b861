//! Fresh databases for tests (feature `testing`): a new SQLite file in a temp
//! directory, or a new PostgreSQL database named after this process, with a
//! small pool ([`TEST_POOL`]) so that many tests in parallel stay within
//! PostgreSQL's connection limit. A [`Cleanup`] drops the database when the
//! test is done; stale test databases of processes that no longer run are
//! dropped on first use.

use crate::db::ConnectOptions;
use crate::{migrations, Backend, Db, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::OnceCell;

static COUNTER: AtomicU64 = AtomicU64::new(0);
static CLEANED: OnceCell<()> = OnceCell::const_new();

/// The PostgreSQL server used by tests: `LMS_TEST_PG_URL`, or the local one.
pub fn pg_admin_url() -> String {
    std::env::var("LMS_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// Connections of a test database's pool.
pub const TEST_POOL: u32 = 6;

/// A fresh, migrated, empty database; returns it with its URL.
pub async fn fresh(backend: Backend) -> Result<(Db, String)> {
    let url = fresh_url(backend).await?;
    let db = Db::connect(&url, &ConnectOptions { max_connections: TEST_POOL, ..Default::default() }).await?;
    migrations::up(&db).await?;
    Ok((db, url))
}

/// The URL of a fresh, empty, unmigrated database.
pub async fn fresh_url(backend: Backend) -> Result<String> {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id();
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("lms-test-{pid}"));
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("db-{n}.db"));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            Ok(format!("sqlite://{}", path.display()))
        }
        Backend::Postgres => {
            let admin_url = pg_admin_url();
            let admin = Db::connect(&admin_url, &ConnectOptions { max_connections: 2, ..Default::default() }).await?;
            CLEANED.get_or_try_init(|| drop_stale(&admin)).await?;
            let name = format!("lms_t_{pid}_{n}");
            let mut c = admin.acquire().await?;
            q!(exec & mut c.conn(), &format!("CREATE DATABASE {name}"))?;
            drop(c);
            admin.close().await;
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin_url);
            Ok(format!("{base}/{name}"))
        }
    }
}

/// Drops the test database at `url` when dropped: PostgreSQL's with
/// `DROP DATABASE … WITH (FORCE)` (from a thread of its own, so it works
/// inside or outside an async runtime), SQLite's file with its -wal and -shm.
pub struct Cleanup {
    url: String,
}

impl Cleanup {
    pub fn new(url: &str) -> Cleanup {
        Cleanup { url: url.to_string() }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(path) = self.url.strip_prefix("sqlite://") {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            return;
        }
        let url = self.url.clone();
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(drop_pg_database(&url)).map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("test database {} was not dropped: {dropped:?}", self.url);
        }
    }
}

async fn drop_stale(admin: &Db) -> Result<()> {
    let mut c = admin.acquire().await?;
    let names = q!(all & mut c.conn(), (String,), "SELECT datname FROM pg_database WHERE datname LIKE 'lms_t_%'")?;
    for (name,) in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = q!(exec & mut c.conn(), &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
    Ok(())
}

/// Rows in `table` (tests prove with it that a refused request wrote nothing).
pub async fn count_rows(db: &Db, table: &str) -> Result<i64> {
    let mut c = db.acquire().await?;
    Ok(q!(scalar & mut c.conn(), i64, &format!("SELECT COUNT(*) FROM {table}"))?)
}

/// Distinct non-null values of `column` in `table`.
pub async fn count_distinct(db: &Db, table: &str, column: &str) -> Result<i64> {
    let mut c = db.acquire().await?;
    Ok(q!(scalar & mut c.conn(), i64, &format!("SELECT COUNT(DISTINCT {column}) FROM {table}"))?)
}

/// Makes every session and every API token that has an expiry expire a
/// minute ago (tests of expired credentials).
pub async fn expire_credentials(db: &Db) -> Result<()> {
    let mut c = db.acquire().await?;
    let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    q!(exec & mut c.conn(), "UPDATE sessions SET expires_at = $1", past)?;
    q!(exec & mut c.conn(), "UPDATE api_tokens SET expires_at = $1 WHERE expires_at IS NOT NULL", past)?;
    Ok(())
}

/// Makes every begun single sign-on expire a minute ago (as if the person
/// had stayed at the provider too long).
pub async fn expire_sso_logins(db: &Db) -> Result<()> {
    let mut c = db.acquire().await?;
    let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    q!(exec & mut c.conn(), "UPDATE sso_logins SET expires_at = $1", past)?;
    Ok(())
}

/// Moves every recorded login attempt `by` into the past, as if that much
/// time had gone by (tests of the login limiter's delays and window).
pub async fn age_login_attempts(db: &Db, by: chrono::TimeDelta) -> Result<()> {
    let mut c = db.acquire().await?;
    let rows = q!(all & mut c.conn(), (i64, chrono::DateTime<chrono::Utc>), "SELECT id, at FROM login_attempts")?;
    for (id, at) in rows {
        q!(exec & mut c.conn(), "UPDATE login_attempts SET at = $1 WHERE id = $2", at - by, id)?;
    }
    Ok(())
}

/// Drops the PostgreSQL database behind `url`, cutting its connections
/// (to test behaviour when the database goes away).
pub async fn drop_pg_database(url: &str) -> Result<()> {
    let name = url.rsplit('/').next().unwrap_or_default().to_string();
    let admin = Db::connect(&pg_admin_url(), &ConnectOptions { max_connections: 1, ..Default::default() }).await?;
    let mut c = admin.acquire().await?;
    q!(exec & mut c.conn(), &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    Ok(())
}

/// PostgreSQL sessions of this database waiting for a lock.
pub async fn pg_lock_waiters(db: &Db) -> Result<i64> {
    let mut c = db.acquire().await?;
    Ok(q!(scalar & mut c.conn(), i64,
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")?)
}
