//! The local database driver's backups: a verified backup carries its
//! checksum and is the only file it leaves; a failed dump leaves nothing
//! that could pass for a backup.

use lms_cutover::drivers::DatabaseDriver;
use lms_cutover::local::database::LocalDatabase;
use lms_cutover::plan::DatabaseKind;

fn scratch(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let d = std::env::temp_dir().join(format!("lms-backup-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn driver(kind: DatabaseKind, url: String, backups: std::path::PathBuf) -> LocalDatabase {
    LocalDatabase {
        kind,
        url,
        backup_dir: backups,
        min_size_ratio: None,
        migrate: Vec::new(),
        migrate_status: Vec::new(),
    }
}

#[tokio::test]
async fn a_verified_sqlite_backup_records_its_checksum_and_leaves_one_file() {
    let dir = scratch("sqlite");
    let db = dir.join("lms.db");
    let conn = sqlx::sqlite::SqliteConnectOptions::new().filename(&db).create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(conn).await.expect("sqlite");
    sqlx::query("CREATE TABLE t (x INTEGER)").execute(&pool).await.expect("create");
    pool.close().await;
    let backups = dir.join("backups");
    let r = driver(DatabaseKind::Sqlite, format!("sqlite://{}", db.display()), backups.clone())
        .backup()
        .await
        .expect("backup");
    let bytes = std::fs::read(&r.artifact).expect("the backup file");
    use sha2::Digest;
    assert_eq!(r.sha256.as_deref(), Some(hex::encode(sha2::Sha256::digest(&bytes)).as_str()));
    assert_eq!(r.size_bytes, bytes.len() as u64);
    let names = files(&backups);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].ends_with(".db"), "{names:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&r.artifact).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a backup is readable by its owner only: {mode:o}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_failed_pg_dump_leaves_no_file_behind() {
    let dir = scratch("pg");
    let backups = dir.join("backups");
    // A database that does not exist: pg_dump starts, writes its output
    // file, and fails.
    let url = "postgres://postgres@127.0.0.1:5432/lms_no_such_database_for_backup_test".to_string();
    let e = driver(DatabaseKind::Postgres, url, backups.clone()).backup().await.expect_err("must fail");
    assert!(e.to_string().contains("pg_dump") || e.to_string().contains("cannot run"), "{e}");
    assert_eq!(files(&backups), Vec::<String>::new(), "a failed dump leaves nothing");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `.partial` file (a dump killed half-way) is never the "automated
/// backup younger than 4 h" of pre-check 5.2#4: the age is the newest
/// complete file's.
#[tokio::test]
async fn the_backup_age_check_ignores_partial_files() {
    use lms_cutover::drivers::CheckDriver;
    use lms_cutover::local::checks::LocalChecks;
    use lms_cutover::units::PlanDuration;
    let dir = scratch("age");
    let checks = LocalChecks::new("sqlite://unused.db", "test");
    let four_hours = "4h".parse::<PlanDuration>().ok();
    std::fs::write(dir.join("backup_1.dump.partial"), b"half a dump").expect("partial");
    let only_partial = checks.file(&dir.display().to_string(), four_hours).await.expect("probe");
    assert!(!only_partial.ok, "{}", only_partial.detail);
    let old = std::fs::File::create(dir.join("backup_0.dump")).expect("old backup");
    old.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(5 * 3600)).expect("mtime");
    let stale = checks.file(&dir.display().to_string(), four_hours).await.expect("probe");
    assert!(!stale.ok, "the complete backup is 5 h old: {}", stale.detail);
    assert!(stale.detail.contains("backup_0.dump"), "names the file it judged: {}", stale.detail);
    let _ = std::fs::remove_dir_all(&dir);
}
