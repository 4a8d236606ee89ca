//! The registry's tables and their migrations.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, Row, TransactionBehavior};

use super::{FilingRecord, RegistryError};
use crate::record::FormKind;

/// A form is stored as its record key, `account` or `group`.
impl ToSql for FormKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.key()))
    }
}

impl FromSql for FormKind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let key = value.as_str()?;
        FormKind::from_key(key)
            .ok_or_else(|| FromSqlError::Other(format!("unknown form {key:?}").into()))
    }
}

/// Schema migrations; migration `i` (0-based) brings `user_version` from `i`
/// to `i + 1`. Never edit a released entry: append a new one.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: everything.
    "
    CREATE TABLE filing (
        serial         TEXT    NOT NULL,
        version        INTEGER NOT NULL CHECK (version >= 1),
        form           TEXT    NOT NULL CHECK (form IN ('account', 'group')),
        year           INTEGER NOT NULL,
        seq            INTEGER CHECK (seq IS NULL OR seq >= 1),
        uuid           TEXT    NOT NULL,
        unit           TEXT    NOT NULL,
        name           TEXT    NOT NULL,
        canonical      TEXT    NOT NULL,
        content_sha256 TEXT    NOT NULL CHECK (length(content_sha256) = 64),
        filed_at       TEXT    NOT NULL,
        beian_version  TEXT    NOT NULL,
        PRIMARY KEY (serial, version)
    ) STRICT;
    CREATE INDEX filing_content ON filing (form, content_sha256);
    -- Guard: an allocated number is never handed out twice.
    CREATE UNIQUE INDEX filing_seq ON filing (form, year, seq)
        WHERE seq IS NOT NULL AND version = 1;

    CREATE TABLE output (
        serial    TEXT    NOT NULL,
        version   INTEGER NOT NULL,
        kind      TEXT    NOT NULL,
        copies    INTEGER NOT NULL CHECK (copies >= 0),
        file_name TEXT    NOT NULL,
        sha256    TEXT    NOT NULL CHECK (length(sha256) = 64),
        size      INTEGER NOT NULL CHECK (size >= 0),
        PRIMARY KEY (serial, version, kind, copies),
        FOREIGN KEY (serial, version) REFERENCES filing (serial, version)
    ) STRICT;
    CREATE INDEX output_sha256 ON output (sha256);

    CREATE TABLE sequence (
        form     TEXT    NOT NULL CHECK (form IN ('account', 'group')),
        year     INTEGER NOT NULL,
        next_seq INTEGER NOT NULL CHECK (next_seq >= 1),
        PRIMARY KEY (form, year)
    ) STRICT;
    ",
    // 2: the form specification each filing was rendered with (stored once
    // per distinct text), the output revision it was filed under, and
    // outputs kept per revision with a digest of their printed text, so a
    // regeneration under a later revision can tell "same text, new bytes".
    "
    CREATE TABLE form_spec (
        sha256 TEXT NOT NULL PRIMARY KEY CHECK (length(sha256) = 64),
        form   TEXT NOT NULL CHECK (form IN ('account', 'group')),
        text   TEXT NOT NULL
    ) STRICT;
    ALTER TABLE filing ADD COLUMN output_revision INTEGER NOT NULL DEFAULT 1
        CHECK (output_revision >= 1);
    ALTER TABLE filing ADD COLUMN form_sha256 TEXT REFERENCES form_spec (sha256);

    CREATE TABLE output_by_revision (
        serial      TEXT    NOT NULL,
        version     INTEGER NOT NULL,
        kind        TEXT    NOT NULL,
        copies      INTEGER NOT NULL CHECK (copies >= 0),
        revision    INTEGER NOT NULL CHECK (revision >= 1),
        file_name   TEXT    NOT NULL,
        sha256      TEXT    NOT NULL CHECK (length(sha256) = 64),
        size        INTEGER NOT NULL CHECK (size >= 0),
        text_sha256 TEXT    CHECK (text_sha256 IS NULL OR length(text_sha256) = 64),
        PRIMARY KEY (serial, version, kind, copies, revision),
        FOREIGN KEY (serial, version) REFERENCES filing (serial, version)
    ) STRICT;
    INSERT INTO output_by_revision
           (serial, version, kind, copies, revision, file_name, sha256, size)
    SELECT serial, version, kind, copies, 1, file_name, sha256, size FROM output;
    DROP TABLE output;
    ALTER TABLE output_by_revision RENAME TO output;
    CREATE INDEX output_sha256 ON output (sha256);
    ",
    // 3: serials reserved for forms filled in by hand (`blank --assign`):
    // printed on blank forms, never handed out again, and taken by the
    // record that later comes back with one (the row is then deleted: the
    // filing holds the number).
    "
    CREATE TABLE reservation (
        serial      TEXT    NOT NULL PRIMARY KEY,
        form        TEXT    NOT NULL CHECK (form IN ('account', 'group')),
        year        INTEGER NOT NULL,
        seq         INTEGER NOT NULL CHECK (seq >= 1),
        reserved_at TEXT    NOT NULL,
        UNIQUE (form, year, seq)
    ) STRICT;
    ",
    // 4: the keys that name each filing's account or group (账号id, 群号,
    // platform and name), so that two processes filing one account at once
    // cannot both give it a serial: checked inside the write transaction.
    "
    CREATE TABLE subject (
        key    TEXT NOT NULL,
        serial TEXT NOT NULL,
        PRIMARY KEY (key, serial)
    ) STRICT;
    ",
    // 5: the filing service (`beian serve`). Units submit records under a
    // receipt code (only its SHA-256 is kept: the table must not hand out
    // what lets one read and resubmit); the office corrects, returns or
    // approves them (approval files them, see `approve_submission`). Office
    // users sign in with an argon2id password hash. Every step is an event,
    // so a filing's history says who did what and when.
    "
    CREATE TABLE submission (
        id             INTEGER PRIMARY KEY,
        receipt_sha256 TEXT    NOT NULL CHECK (length(receipt_sha256) = 64),
        seq            INTEGER NOT NULL CHECK (seq >= 1),
        form           TEXT    NOT NULL CHECK (form IN ('account', 'group')),
        unit           TEXT    NOT NULL,
        name           TEXT    NOT NULL,
        record         TEXT    NOT NULL,
        origin         TEXT    NOT NULL,
        status         TEXT    NOT NULL CHECK (status IN ('pending', 'filed', 'returned')),
        reason         TEXT,
        serial         TEXT,
        version        INTEGER CHECK (version IS NULL OR version >= 1),
        submitted_at   TEXT    NOT NULL,
        updated_at     TEXT    NOT NULL,
        -- A filed submission says which filing it became.
        CHECK (status <> 'filed' OR (serial IS NOT NULL AND version IS NOT NULL))
    ) STRICT;
    CREATE UNIQUE INDEX submission_receipt ON submission (receipt_sha256, seq);
    CREATE INDEX submission_status ON submission (status);

    CREATE TABLE office_user (
        name          TEXT NOT NULL PRIMARY KEY,
        -- Never a password itself: only what argon2id made of it.
        password_hash TEXT NOT NULL CHECK (substr(password_hash, 1, 10) = '$argon2id$'),
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    ) STRICT;

    CREATE TABLE event (
        id         INTEGER PRIMARY KEY,
        at         TEXT    NOT NULL,
        actor      TEXT    NOT NULL,
        submission INTEGER REFERENCES submission (id),
        serial     TEXT,
        action     TEXT    NOT NULL CHECK (action IN ('submitted', 'corrected', 'returned',
                                                      'approved', 'resubmitted', 'password',
                                                      'filed')),
        detail     TEXT    NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX event_serial ON event (serial);
    CREATE INDEX event_submission ON event (submission);
    ",
];

pub(super) const FILING_COLUMNS: &str = "serial, version, form, year, seq, uuid, unit, name, \
                              canonical, content_sha256, filed_at, beian_version, \
                              output_revision, form_sha256";

pub(super) fn filing_from_row(row: &Row<'_>) -> rusqlite::Result<FilingRecord> {
    Ok(FilingRecord {
        serial: row.get(0)?,
        version: row.get(1)?,
        form: row.get(2)?,
        year: row.get(3)?,
        seq: row.get(4)?,
        uuid: row.get(5)?,
        unit: row.get(6)?,
        name: row.get(7)?,
        canonical: row.get(8)?,
        content_sha256: row.get(9)?,
        filed_at: row.get(10)?,
        beian_version: row.get(11)?,
        output_revision: row.get(12)?,
        form_sha256: row.get(13)?,
        outputs: Vec::new(),
    })
}

/// Applies pending migrations, each with its `user_version` bump, in one
/// write transaction so concurrent openers migrate exactly once.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), RegistryError> {
    let supported = i64::try_from(MIGRATIONS.len())
        .map_err(|_| RegistryError::Internal("too many migrations".into()))?;
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current == supported {
        return Ok(()); // The common case: no write lock needed.
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read under the lock: another process may have migrated meanwhile.
    let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > supported || current < 0 {
        return Err(RegistryError::SchemaTooNew {
            found: current,
            supported,
        });
    }
    let pending = MIGRATIONS
        .iter()
        .skip(usize::try_from(current).unwrap_or(0));
    for (done, sql) in (current..).zip(pending) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", done + 1)?;
    }
    tx.commit()?;
    Ok(())
}
