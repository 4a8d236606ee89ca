//! Tests of the database file: its mode, migrations, concurrency.

use super::*;

#[cfg(unix)]
#[test]
fn database_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.sqlite");
    let mut reg = Registry::open(&path).expect("open");
    let c = content(1);
    file(&mut reg, &request(&c, at(2026, 3, 1)));
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        let mode = std::fs::metadata(&p)
            .expect("file exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", p.display());
    }
}

#[test]
fn migrations_are_versioned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.sqlite");
    {
        let mut reg = Registry::open(&path).expect("open");
        let c = content(1);
        file(&mut reg, &request(&c, at(2026, 3, 1)));
    }
    let reg = Registry::open(&path).expect("reopen");
    assert!(reg.latest("XMT-2026-0001").expect("query").is_some());
    let version: i64 = reg
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, schema::MIGRATIONS.len() as i64);
    let mode: String = reg
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
    reg.conn
        .pragma_update(None, "user_version", 99)
        .expect("set user_version");
    drop(reg);
    assert!(matches!(
        Registry::open(&path),
        Err(RegistryError::SchemaTooNew {
            found: 99,
            supported: 5
        })
    ));
}

#[test]
fn a_first_schema_registry_migrates_keeping_its_filings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.sqlite");
    {
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(schema::MIGRATIONS[0]).expect("schema 1");
        conn.execute_batch(&format!(
            "INSERT INTO filing VALUES ('XMT-2026-0001', 1, 'account', 2026, 1, \
               '6f1c8a52-1d3e-4a8b-9a31-0c2f1b5e7d44', '信息学院', '公众号', 'form = \"account\"', \
               '{sha}', '2026-03-01T09:30:15+08:00', '0.1.0');
             INSERT INTO output VALUES ('XMT-2026-0001', 1, 'pdf', 2, 'XMT-2026-0001.pdf', '{sha}', 3);
             PRAGMA user_version = 1;",
            sha = sha256_hex("x")
        ))
        .expect("a filing of schema 1");
    }
    let reg = Registry::open(&path).expect("migrates");
    let f = reg.latest("XMT-2026-0001").expect("query").expect("kept");
    assert_eq!((f.output_revision, f.form_sha256.as_deref()), (1, None));
    assert_eq!(f.outputs.len(), 1);
    assert_eq!(f.outputs[0].revision, 1);
    assert_eq!(f.outputs[0].text_sha256, None);
    assert_eq!(f.outputs[0].sha256, sha256_hex("x"));
    assert!(reg.integrity_check().expect("check"));
}

#[test]
fn concurrent_filings_are_gap_free() {
    const THREADS: usize = 8;
    const EACH: usize = 25;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.sqlite");
    let barrier = std::sync::Barrier::new(THREADS);
    let serials: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (path, barrier) = (&path, &barrier);
                s.spawn(move || {
                    barrier.wait(); // Open at once too: races creation and migration.
                    let mut reg = Registry::open(path).expect("open");
                    (0..EACH)
                        .map(|i| {
                            let c = content(t * EACH + i);
                            file(&mut reg, &request(&c, at(2026, 3, 1))).serial
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread ok"))
            .collect()
    });
    let mut sorted = serials.clone();
    sorted.sort();
    sorted.dedup();
    let expected: Vec<String> = (1..=200).map(|n| format!("XMT-2026-{n:04}")).collect();
    assert_eq!(sorted, expected);
    assert_eq!(serials.len(), 200);
    let reg = Registry::open(&path).expect("open");
    assert_eq!(reg.list(&ListFilter::default()).expect("list").len(), 200);
    assert!(reg.integrity_check().expect("check"));
}

/// Regression: racing opens of a new file used to fail with an
/// immediate SQLITE_BUSY from the switch to WAL.
#[test]
fn racing_opens_of_a_new_registry_all_succeed() {
    const OPENERS: usize = 16;
    for _ in 0..20 {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("registry.sqlite");
        let barrier = std::sync::Barrier::new(OPENERS);
        let failures: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..OPENERS)
                .map(|_| {
                    let (path, barrier) = (&path, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        Registry::open(path).err().map(|e| e.to_string())
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().expect("thread ok"))
                .collect()
        });
        assert!(failures.is_empty(), "{failures:?}");
    }
}
