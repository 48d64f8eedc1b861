//! Backup and restore drill, on PostgreSQL and SQLite: a backup taken by the
//! cutover's own driver (`LocalDatabase::backup`) while two writers keep
//! committing restores (`LocalDatabase::restore_into`) into a new database
//! that holds exactly the source's data as of one moment:
//!
//! - the same tables, columns and indexes;
//! - every table the writers never touched: the same rows (count and
//!   SHA-256 over the rows in key order);
//! - the two tables the writers append to (`ledger_entries`,
//!   `audit_events`): every restored row equals the source row with the
//!   same id, and the restore is a prefix by id of the source (on SQLite,
//!   where writers commit one at a time, exactly; on PostgreSQL, ids below
//!   the newest restored one may be missing only for writers' transactions
//!   still open at the snapshot: at most one per other writer);
//! - every adjustment acknowledged before the backup started is in the
//!   restore, none begun after it returned is; every drill ledger line has
//!   its audit event and every audit event its ledger line (the snapshot is
//!   transactionally consistent);
//! - the restored database accepts writes (sequences restored).
//!
//! It prints the figures recorded in docs/PERFORMANCE.md ("Backup and
//! restore drill"): `cargo test -p lms-cutover --test backup_drill -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Datelike, Utc};
use lms_core::{LeaveAmount, LedgerKind};
use lms_cutover::drivers::DatabaseDriver;
use lms_cutover::local::database::LocalDatabase;
use lms_cutover::plan::DatabaseKind;
use lms_store::audit::{self, AuditContext, Change};
use lms_store::db::ConnectOptions;
use lms_store::ledger::{self, NewEntry};
use lms_store::{Backend, Db};
use sha2::Digest;
use sqlx::Row;

/// Concurrent writers.
const WRITERS: usize = 2;
/// Commits acknowledged before the backup starts.
const COMMITS_BEFORE_BACKUP: u64 = 200;
/// The reason of every drill ledger line.
const DRILL_REASON: &str = "backup drill";
/// The request id prefix of every drill audit event.
const DRILL_REQUEST: &str = "backup-drill-";
/// The tables the writers append to, with what marks a drill row in its
/// text.
const APPENDED: [(&str, &str); 2] = [("ledger_entries", DRILL_REASON), ("audit_events", DRILL_REQUEST)];

fn small() -> ConnectOptions {
    ConnectOptions { max_connections: 4, acquire_timeout: Duration::from_secs(10), ..Default::default() }
}

// ---------------------------------------------------------------- cleanup

/// Removes the drill's directory (backups, the SQLite restore), also when an
/// assertion fails. The databases have lms-store's `testing::Cleanup`.
struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let d = std::env::temp_dir().join(format!("lms-drill-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

// ---------------------------------------------------------------- writers

#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    commits: u64,
    /// Commits of transactions begun after the backup returned.
    after_backup: u64,
    /// A writer failed (its error comes back from its task).
    failed: bool,
}

#[derive(Debug, Clone, Copy)]
struct Committed {
    /// 1-based order in which commits were acknowledged.
    seq: u64,
    ledger_id: i64,
    began_after_backup: bool,
}

struct Shared {
    stop: AtomicBool,
    backup_returned: AtomicBool,
    progress: tokio::sync::watch::Sender<Progress>,
    committed: Mutex<Vec<Committed>>,
}

impl Shared {
    fn acknowledge(&self, ledger_id: i64, began_after_backup: bool) {
        let mut list = self.committed.lock().expect("committed");
        self.progress.send_modify(|p| {
            p.commits += 1;
            if began_after_backup {
                p.after_backup += 1;
            }
            list.push(Committed { seq: p.commits, ledger_id, began_after_backup });
        });
    }
}

struct Target {
    employee_id: i64,
    leave_type_id: i64,
    year: i32,
}

/// One adjustment line and its audit event per transaction, until told to
/// stop.
async fn write_loop(db: Db, k: usize, t: Target, shared: Arc<Shared>) -> lms_store::Result<u64> {
    let mut n: u64 = 0;
    while !shared.stop.load(Ordering::SeqCst) {
        let began_after_backup = shared.backup_returned.load(Ordering::SeqCst);
        let mut tx = db.begin().await?;
        let reason = format!("{DRILL_REASON} w{k} #{n}");
        let amount = LeaveAmount::from_millidays(if n % 2 == 0 { 500 } else { -500 });
        let now = Utc::now();
        let id = {
            let mut c = tx.conn();
            let entry = NewEntry {
                employee_id: t.employee_id,
                leave_type_id: t.leave_type_id,
                year: t.year,
                kind: LedgerKind::Adjustment,
                amount,
                reason: &reason,
                created_by: None,
            };
            let id = ledger::add(&mut c, &entry, now).await?;
            let ctx = AuditContext {
                actor_id: None,
                request_id: format!("{DRILL_REQUEST}{k}-{n}"),
                client_addr: "127.0.0.1".into(),
            };
            let change = Change {
                action: "ledger.adjustment",
                entity_type: "ledger_entry",
                entity_id: id.to_string(),
                before: None,
                after: Some(serde_json::json!({ "amount": amount.millidays(), "reason": reason })),
            };
            audit::record(&mut c, &ctx, change, now).await?;
            id
        };
        tx.commit().await?;
        shared.acknowledge(id, began_after_backup);
        n += 1;
    }
    Ok(n)
}

// ---------------------------------------------------------------- reading

/// Reads a database of either engine through the catalogue.
enum Reader {
    Pg(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

/// One table's rows, each rendered as text, in key order.
struct TableRows {
    /// `id` of each row, for tables with an integer `id` key.
    ids: Vec<Option<i64>>,
    rows: Vec<String>,
}

fn checksum<'a>(rows: impl IntoIterator<Item = &'a String>) -> String {
    let mut h = sha2::Sha256::new();
    for r in rows {
        h.update(r.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Reader {
    fn of(db: &Db) -> Reader {
        match db {
            Db::Pg(p, _) => Reader::Pg(p.clone()),
            Db::Sqlite(p, ..) => Reader::Sqlite(p.clone()),
        }
    }

    async fn strings(&self, sql: &str, bind: Option<&str>) -> Vec<String> {
        let r = match self {
            Reader::Pg(p) => {
                let mut q = sqlx::query(sql);
                if let Some(b) = bind {
                    q = q.bind(b.to_string());
                }
                q.fetch_all(p).await.map(|rows| rows.iter().map(|r| r.get::<String, _>(0)).collect())
            }
            Reader::Sqlite(p) => {
                let mut q = sqlx::query(sql);
                if let Some(b) = bind {
                    q = q.bind(b.to_string());
                }
                q.fetch_all(p).await.map(|rows| rows.iter().map(|r| r.get::<String, _>(0)).collect())
            }
        };
        r.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn count(&self, sql: &str) -> i64 {
        let r = match self {
            Reader::Pg(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await,
            Reader::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await,
        };
        r.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Every table, from the catalogue.
    async fn tables(&self) -> Vec<String> {
        match self {
            Reader::Pg(_) => {
                self.strings(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
                    None,
                )
                .await
            }
            Reader::Sqlite(_) => {
                self.strings("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", None).await
            }
        }
    }

    /// The schema as text: columns with types, nullability and defaults,
    /// and indexes (PostgreSQL), or every `sqlite_master` entry (SQLite).
    async fn schema(&self) -> Vec<String> {
        match self {
            Reader::Pg(_) => {
                let mut v = self
                    .strings(
                        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
                         || ' ' || coalesce(column_default, '') FROM information_schema.columns \
                         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
                        None,
                    )
                    .await;
                v.extend(
                    self.strings(
                        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
                        None,
                    )
                    .await,
                );
                v
            }
            Reader::Sqlite(_) => {
                self.strings(
                    "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') \
                     FROM sqlite_master ORDER BY type, name",
                    None,
                )
                .await
            }
        }
    }

    async fn primary_key(&self, table: &str) -> Vec<String> {
        match self {
            Reader::Pg(_) => {
                self.strings(
                    "SELECT k.column_name::text FROM information_schema.table_constraints c \
                     JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name \
                       AND k.table_schema = c.table_schema AND k.table_name = c.table_name \
                     WHERE c.table_schema = 'public' AND c.table_name = $1 AND c.constraint_type = 'PRIMARY KEY' \
                     ORDER BY k.ordinal_position",
                    Some(table),
                )
                .await
            }
            Reader::Sqlite(_) => {
                self.strings("SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk", Some(table)).await
            }
        }
    }

    /// The rows of `table` rendered as text, ordered by its primary key
    /// (by the whole row where it has none).
    async fn rows(&self, table: &str) -> TableRows {
        let pk = self.primary_key(table).await;
        let with_id = pk == ["id"];
        let t = ident(table);
        match self {
            Reader::Pg(p) => {
                let order = if pk.is_empty() {
                    "r::text".to_string()
                } else {
                    pk.iter().map(|c| format!("r.{}", ident(c))).collect::<Vec<_>>().join(", ")
                };
                let id = if with_id { "r.id" } else { "NULL::bigint" };
                let sql = format!("SELECT {id}, r::text FROM {t} r ORDER BY {order}");
                let rows = sqlx::query(&sql).fetch_all(p).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
                TableRows {
                    ids: rows.iter().map(|r| r.get::<Option<i64>, _>(0)).collect(),
                    rows: rows.iter().map(|r| r.get::<String, _>(1)).collect(),
                }
            }
            Reader::Sqlite(p) => {
                let cols = self.strings("SELECT name FROM pragma_table_info($1) ORDER BY cid", Some(table)).await;
                assert!(!cols.is_empty(), "{table} has no columns");
                let text = cols.iter().map(|c| format!("quote({})", ident(c))).collect::<Vec<_>>().join(" || '|' || ");
                let order = if pk.is_empty() {
                    text.clone()
                } else {
                    pk.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
                };
                let id = if with_id { "id" } else { "NULL" };
                let sql = format!("SELECT {id}, {text} FROM {t} ORDER BY {order}");
                let rows = sqlx::query(&sql).fetch_all(p).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
                TableRows {
                    ids: rows.iter().map(|r| r.get::<Option<i64>, _>(0)).collect(),
                    rows: rows.iter().map(|r| r.get::<String, _>(1)).collect(),
                }
            }
        }
    }
}

// ---------------------------------------------------------------- the drill

/// The URL of a new, empty target for the restore.
async fn new_target(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("restored.db").display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = lms_store::testing::pg_admin_url();
            // `lms_t_<pid>_…`: lms-store's test helpers drop it if this
            // process dies before it does.
            let name = format!("lms_t_{}_drill_restore", std::process::id());
            let mut c = sqlx::PgConnection::connect(&admin).await.expect("admin connection");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await.expect("drop");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.expect("create");
            let _ = c.close().await;
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
            format!("{base}/{name}")
        }
    }
}

async fn drill(backend: Backend) {
    let dir = scratch(backend.as_str());
    let _dir = RemoveDir(dir.clone());

    // 1. A fresh LMS database with the real schema and the demo organisation.
    let url = lms_store::testing::fresh_url(backend).await.expect("fresh database");
    let _source = lms_store::testing::Cleanup::new(&url);
    let db = Db::connect(&url, &small()).await.expect("connect");
    lms_store::migrations::up(&db).await.expect("migrate");
    let hash = {
        use argon2::password_hash::PasswordHasher;
        argon2::Argon2::default().hash_password(b"drill password").expect("hash").to_string()
    };
    let now = Utc::now();
    lms_store::demo::seed(&db, |_| hash.clone(), now).await.expect("seed").expect("an empty database");
    let source = Reader::of(&db);
    let employees: Vec<i64> = source
        .strings("SELECT CAST(id AS TEXT) FROM employees ORDER BY id", None)
        .await
        .iter()
        .map(|s| s.parse().expect("id"))
        .collect();
    let annual: i64 = source.count("SELECT id FROM leave_types WHERE code = 'annual'").await;
    assert!(employees.len() >= 2 + WRITERS, "the demo organisation has {} people", employees.len());

    // 2. Writers, each committing one ledger line and its audit event per
    //    transaction.
    let (progress, mut watch) = tokio::sync::watch::channel(Progress::default());
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        backup_returned: AtomicBool::new(false),
        progress,
        committed: Mutex::new(Vec::new()),
    });
    let mut writers = Vec::new();
    for (k, &employee_id) in employees.iter().skip(2).take(WRITERS).enumerate() {
        let (db, shared) = (db.clone(), shared.clone());
        let t = Target { employee_id, leave_type_id: annual, year: now.year() };
        writers.push(tokio::spawn(async move {
            let r = write_loop(db, k, t, shared.clone()).await;
            if r.is_err() {
                shared.progress.send_modify(|p| p.failed = true);
            }
            r
        }));
    }
    let stop_and_join = |shared: Arc<Shared>, writers: Vec<tokio::task::JoinHandle<lms_store::Result<u64>>>| async move {
        shared.stop.store(true, Ordering::SeqCst);
        let mut total = 0;
        for w in writers {
            total += w.await.expect("writer task").expect("writer");
        }
        total
    };
    let ready = *watch.wait_for(|p| p.failed || p.commits >= COMMITS_BEFORE_BACKUP).await.expect("progress");
    if ready.failed {
        stop_and_join(shared, writers).await;
        unreachable!("a writer failed");
    }

    // 3. Back up with the cutover's driver while the writers go on.
    let driver = LocalDatabase {
        kind: match backend {
            Backend::Postgres => DatabaseKind::Postgres,
            Backend::Sqlite => DatabaseKind::Sqlite,
        },
        url: url.clone(),
        backup_dir: dir.join("backups"),
        min_size_ratio: None,
        migrate: Vec::new(),
        migrate_status: Vec::new(),
    };
    let before_backup = watch.borrow().commits;
    let started = Instant::now();
    let backup = driver.backup().await;
    let backup_took = started.elapsed();
    shared.backup_returned.store(true, Ordering::SeqCst);
    let after_backup = watch.borrow().commits;
    let backup = backup.expect("backup");
    // Stop only once a transaction begun after the backup returned has
    // committed.
    let last = *watch.wait_for(|p| p.failed || p.after_backup >= 1).await.expect("progress");
    let total = stop_and_join(shared.clone(), writers).await;
    assert!(!last.failed);
    let during = after_backup - before_backup;
    assert!(during >= 1, "no commit landed while the backup ran ({backup_took:?}): the drill proves nothing");

    // 4. Restore into a new database.
    let target = new_target(backend, &dir).await;
    let _target = lms_store::testing::Cleanup::new(&target);
    let started = Instant::now();
    let verification = driver.restore_into(std::path::Path::new(&backup.artifact), &target).await.expect("restore");
    let restore_took = started.elapsed();
    if backend == Backend::Sqlite {
        use std::os::unix::fs::PermissionsExt;
        let file = target.trim_start_matches("sqlite://");
        let mode = std::fs::metadata(file).expect("restored file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the restored file is readable by its owner only: {mode:o}");
    }
    // A second restore into the same target is refused: it is no longer new.
    let again = driver.restore_into(std::path::Path::new(&backup.artifact), &target).await;
    assert!(again.is_err(), "a restore into a database that is not new must be refused");
    let restored_db = Db::connect(&target, &ConnectOptions { max_connections: 2, ..small() }).await.expect("restore");
    let restored = Reader::of(&restored_db);

    // 5. Compare, table by table.
    assert_eq!(restored.schema().await, source.schema().await, "the restored schema differs");
    let tables = source.tables().await;
    assert_eq!(restored.tables().await, tables);
    assert!(tables.iter().any(|t| t == "ledger_entries") && tables.iter().any(|t| t == "audit_events"));
    let mut figures: Vec<(String, usize, usize, bool)> = Vec::new();
    let mut restored_max: BTreeMap<String, i64> = BTreeMap::new();
    let mut gaps = 0usize;
    for (table, marker) in APPENDED {
        let src = source.rows(table).await;
        let rst = restored.rows(table).await;
        let by_id: BTreeMap<i64, &String> =
            src.ids.iter().zip(&src.rows).map(|(id, r)| (id.expect("an id"), r)).collect();
        let rst_ids: BTreeSet<i64> = rst.ids.iter().map(|id| id.expect("an id")).collect();
        for (id, row) in rst.ids.iter().zip(&rst.rows) {
            let id = id.expect("an id");
            assert_eq!(by_id.get(&id).copied(), Some(row), "{table} row {id} differs from the source's");
        }
        let max = rst_ids.last().copied().unwrap_or(0);
        restored_max.insert(table.to_string(), max);
        let missing: Vec<(i64, &String)> =
            by_id.range(..=max).filter(|(id, _)| !rst_ids.contains(id)).map(|(id, r)| (*id, *r)).collect();
        for (id, row) in &missing {
            assert!(row.contains(marker), "{table} row {id} is not a drill row, yet missing from the restore: {row}");
        }
        match backend {
            // One writer at a time: ids are taken in commit order.
            Backend::Sqlite => assert!(missing.is_empty(), "{table}: gaps in the restore below id {max}: {missing:?}"),
            // At most one open transaction per writer other than the one
            // that wrote the newest restored row.
            Backend::Postgres => assert!(
                missing.len() < WRITERS,
                "{table}: {} rows below id {max} missing from the restore: {missing:?}",
                missing.len()
            ),
        }
        gaps += missing.len();
        let same: Vec<&String> = rst.ids.iter().map(|id| by_id[&id.expect("an id")]).collect();
        assert_eq!(checksum(rst.rows.iter()), checksum(same), "{table}: checksum over the restored ids");
        assert!(rst.rows.len() < src.rows.len(), "{table}: writes after the snapshot must be missing from the restore");
        figures.push((table.to_string(), src.rows.len(), rst.rows.len(), true));
    }
    for table in tables.iter().filter(|t| !APPENDED.iter().any(|(a, _)| a == t)) {
        let src = source.rows(table).await;
        let rst = restored.rows(table).await;
        if table == "sqlite_sequence" {
            // SQLite's AUTOINCREMENT counters: the appended tables' counters
            // stand at their newest restored id, the others as in the source.
            let name = |r: &String| r.split('|').next().unwrap_or_default().trim_matches('\'').to_string();
            let src_by: BTreeMap<String, &String> = src.rows.iter().map(|r| (name(r), r)).collect();
            assert_eq!(rst.rows.len(), src.rows.len(), "sqlite_sequence entries");
            for r in &rst.rows {
                let n = name(r);
                match restored_max.get(&n) {
                    Some(max) => assert_eq!(r, &format!("'{n}'|{max}"), "the {n} counter in the restore"),
                    None => assert_eq!(Some(&r), src_by.get(&n), "the {n} counter in the restore"),
                }
            }
            figures.push((table.clone(), src.rows.len(), rst.rows.len(), false));
            continue;
        }
        assert_eq!(rst.rows.len(), src.rows.len(), "{table}: row count");
        assert_eq!(checksum(&rst.rows), checksum(&src.rows), "{table}: checksum");
        figures.push((table.clone(), src.rows.len(), rst.rows.len(), false));
    }
    assert!(figures.iter().any(|(t, n, _, _)| t == "employees" && *n == lms_store::demo::ACCOUNTS));

    // 6. The snapshot is one moment: commits acknowledged before the
    //    backup started are in it, transactions begun after it returned are
    //    not, and every drill ledger line has its audit event and back.
    let drill_lines: BTreeSet<i64> = restored
        .strings("SELECT CAST(id AS TEXT) FROM ledger_entries WHERE reason LIKE 'backup drill%'", None)
        .await
        .iter()
        .map(|s| s.parse().expect("id"))
        .collect();
    let committed = shared.committed.lock().expect("committed").clone();
    assert_eq!(committed.len() as u64, total);
    for c in &committed {
        if c.seq <= before_backup {
            assert!(drill_lines.contains(&c.ledger_id), "line {} was acknowledged before the backup", c.ledger_id);
        }
        if c.began_after_backup {
            assert!(!drill_lines.contains(&c.ledger_id), "line {} began after the backup returned", c.ledger_id);
        }
    }
    let orphan_lines = restored
        .count(
            "SELECT COUNT(*) FROM ledger_entries l WHERE l.reason LIKE 'backup drill%' AND NOT EXISTS \
             (SELECT 1 FROM audit_events a WHERE a.entity_type = 'ledger_entry' AND a.entity_id = CAST(l.id AS TEXT))",
        )
        .await;
    let orphan_events = restored
        .count(
            "SELECT COUNT(*) FROM audit_events a WHERE a.entity_type = 'ledger_entry' AND NOT EXISTS \
             (SELECT 1 FROM ledger_entries l WHERE CAST(l.id AS TEXT) = a.entity_id)",
        )
        .await;
    assert_eq!((orphan_lines, orphan_events), (0, 0), "ledger lines without audit event, audit events without line");
    let events = restored.count("SELECT COUNT(*) FROM audit_events WHERE entity_type = 'ledger_entry'").await;
    assert_eq!(events as usize, drill_lines.len());

    // 7. The restore takes writes: ids continue after the restored ones.
    let new_id = {
        let mut tx = restored_db.begin().await.expect("begin on the restore");
        let id = ledger::add(
            &mut tx.conn(),
            &NewEntry {
                employee_id: employees[2],
                leave_type_id: annual,
                year: now.year(),
                kind: LedgerKind::Adjustment,
                amount: LeaveAmount::days(1),
                reason: "after the restore",
                created_by: None,
            },
            Utc::now(),
        )
        .await
        .expect("a write on the restore");
        tx.commit().await.expect("commit on the restore");
        id
    };
    assert!(new_id > restored_max["ledger_entries"], "a new line on the restore got id {new_id}");
    restored_db.close().await;
    db.close().await;

    // The figures.
    println!("backup and restore drill, {}:", backend.as_str());
    println!("  {:<20} {:>8} {:>8}", "table", "source", "restore");
    for (t, s, r, appended) in &figures {
        println!("  {t:<20} {s:>8} {r:>8}{}", if *appended { "  (written during the drill)" } else { "" });
    }
    println!(
        "  backup: {} bytes, {:.0} ms ({}); restore: {:.0} ms ({verification})",
        backup.size_bytes,
        backup_took.as_secs_f64() * 1000.0,
        backup.verification,
        restore_took.as_secs_f64() * 1000.0
    );
    println!(
        "  commits: {before_backup} before the backup, {during} while it ran, {} after; {} drill lines restored; \
         {gaps} rows missing below the newest restored id (transactions open at the snapshot)",
        total - after_backup,
        drill_lines.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_taken_under_writes_restores_to_a_consistent_copy() {
    drill(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_taken_under_writes_restores_to_a_consistent_copy() {
    drill(Backend::Sqlite).await;
}
