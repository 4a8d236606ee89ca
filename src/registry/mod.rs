//! The filing registry: which serial was given to which record, and the
//! SHA-256 of every output rendered for it.
//!
//! The registry is one SQLite file (WAL mode) shared by every `beian`
//! process that files into it. Serials are allocated inside a
//! `BEGIN IMMEDIATE` transaction that also wraps the render, so a serial is
//! only consumed when the outputs for it exist, numbering is gap-free, and
//! concurrent processes queue on SQLite's write lock instead of racing.
//!
//! README.md ("The registry") documents the schema and the ordering guarantees.
//! The registry is storage only: how filings are listed, exported or named
//! to users is the commands' business.

mod config;
mod error;
mod schema;
mod serial;
mod submission;
#[cfg(test)]
mod tests;

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use config::{CONFIG_FILE_NAME, RegistryConfig};
pub use error::{FileError, RegistryError};
pub use serial::{DEFAULT_ACCOUNT_TEMPLATE, DEFAULT_GROUP_TEMPLATE, SerialFormat, serial_problem};
pub use submission::*;

use crate::record::FormKind;
use schema::{FILING_COLUMNS, filing_from_row, migrate};
use serial::validate_serial;

/// How long a process waits for another one's write transaction (which
/// includes a render) before giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

/// What the caller files: one record, in canonical form.
#[derive(Debug, Clone)]
pub struct FilingRequest<'a> {
    pub form: FormKind,
    /// The record's own serial, if it has one.
    pub serial: Option<&'a str>,
    /// Allow an unknown `serial` (hand-numbered before `beian`).
    pub import: bool,
    /// The record's uuid, if any; a v4 is generated otherwise.
    pub uuid: Option<&'a str>,
    /// 申请单位名称, stored for listing and filtering.
    pub unit: &'a str,
    /// Account or group name, stored for listing.
    pub name: &'a str,
    /// Canonical record text (TOML) without `serial`/`uuid`/`filed_at`
    /// ([`crate::record::Record::to_toml`]). Must be byte-for-byte
    /// deterministic: its SHA-256 is the idempotency key.
    pub content: &'a str,
    /// Wall clock, passed in so tests and callers control it.
    pub now: DateTime<FixedOffset>,
    /// The filing time the record carries (RFC 3339), if any: kept when an
    /// unknown serial is imported (a lost registry rebuilt from the filed
    /// `.toml` files, whose forms must verify again), ignored otherwise.
    pub filed_at: Option<&'a str>,
    /// The version the record carries, if any: kept on import like
    /// `filed_at` (a corrected filing rebuilt from its filed record).
    pub version: Option<u32>,
    /// The keys naming the record's account or group
    /// ([`crate::record::SubjectKey::key`]): a new filing whose key is
    /// already another serial's is refused ([`RegistryError::Duplicate`]).
    pub subjects: &'a [String],
    /// File a new record even if its account or group is another serial's.
    pub allow_duplicate: bool,
    /// Version of the `beian` doing the filing, kept for forensics.
    pub beian_version: &'a str,
    /// [`crate::render::OUTPUT_REVISION`] of the renderer: outputs are
    /// stored per revision.
    pub output_revision: u32,
    /// The exact form specification (its source text) the record is
    /// rendered with; stored once per distinct text.
    pub form_spec: &'a str,
}

/// The filing a render is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filed {
    pub serial: String,
    pub version: u32,
    pub uuid: String,
    /// RFC 3339 with offset, seconds precision.
    pub filed_at: String,
    /// `false` when an existing filing was returned (idempotent re-run).
    pub is_new: bool,
    /// The output revision the filing was made under.
    pub output_revision: u32,
    /// SHA-256 of the form specification it was made with (`None` for
    /// filings older than the registry's record of forms).
    pub form_sha256: Option<String>,
    /// For an existing filing (`is_new` false), the text of that form
    /// specification, so it is rendered again as it was filed.
    pub form_spec: Option<String>,
}

/// One rendered output; its SHA-256 is stored with the filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// e.g. `pdf`, `docx`.
    pub kind: String,
    /// Number of copies printed on the form (part of the output's identity).
    pub copies: u32,
    /// File name the caller will write (informational; not checked).
    pub file_name: String,
    /// The rendered file.
    pub bytes: Vec<u8>,
    /// SHA-256 of the text the output prints: the same text under another
    /// output revision is the same form in other bytes.
    pub text_sha256: String,
}

/// A stored output (hash only; the bytes live in the file system).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputRecord {
    pub kind: String,
    pub copies: u32,
    /// The output revision these bytes were rendered under.
    pub revision: u32,
    pub file_name: String,
    pub sha256: String,
    pub size: u64,
    /// `None` for outputs filed before text digests were kept.
    pub text_sha256: Option<String>,
}

/// A serial reserved for a form filled in by hand and not yet filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reservation {
    pub serial: String,
    pub form: FormKind,
    pub year: i32,
    pub seq: u32,
    /// RFC 3339, when `blank --assign` printed it.
    pub reserved_at: String,
}

/// One version of a filing, with its outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilingRecord {
    pub serial: String,
    pub version: u32,
    pub form: FormKind,
    pub year: i32,
    /// `None` for imported (hand-numbered) serials.
    pub seq: Option<u32>,
    pub uuid: String,
    pub unit: String,
    pub name: String,
    /// The full canonical record (TOML), including serial, uuid, filed_at.
    pub canonical: String,
    pub content_sha256: String,
    pub filed_at: String,
    pub beian_version: String,
    /// The output revision the filing was made under.
    pub output_revision: u32,
    /// The form specification it was made with, see [`Registry::form_spec`].
    pub form_sha256: Option<String>,
    pub outputs: Vec<OutputRecord>,
}

/// Where an output with a given SHA-256 came from (for `beian verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputMatch {
    pub serial: String,
    pub version: u32,
    pub form: FormKind,
    pub kind: String,
    pub copies: u32,
    pub file_name: String,
    /// Latest version of the serial: if greater than `version`, the file is
    /// superseded by a correction.
    pub latest_version: u32,
}

/// Filter for [`Registry::list`]; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub form: Option<FormKind>,
    pub year: Option<i32>,
    /// Substring of the unit name (case-sensitive).
    pub unit: Option<String>,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    let digest = Sha256::digest(bytes.as_ref());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------

/// An open registry database. One per process (or thread); every instance
/// has its own SQLite connection, and they coordinate through file locks.
#[derive(Debug)]
pub struct Registry {
    conn: Connection,
    path: PathBuf,
    config: RegistryConfig,
}

impl Registry {
    /// Opens (creating if needed) the registry at `path`, with the
    /// `beian.toml` found beside it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RegistryError> {
        let path = path.as_ref();
        let config = RegistryConfig::load_beside(path)?;
        Self::open_with_config(path, config)
    }

    /// Opens (creating if needed) the registry at `path` with an explicit
    /// configuration.
    pub fn open_with_config(
        path: impl AsRef<Path>,
        config: RegistryConfig,
    ) -> Result<Self, RegistryError> {
        let path = path.as_ref();
        let created = create_owner_only(path)?;
        match Self::open_created(path, config) {
            Ok(registry) => Ok(registry),
            Err(e) => {
                // A registry this call created and could not set up (a full
                // disk, say) is not left behind as an empty file that later
                // reads as "not a registry".
                if created {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                }
                Err(e)
            }
        }
    }

    fn open_created(path: &Path, config: RegistryConfig) -> Result<Self, RegistryError> {
        // No CREATE flag: the file exists with the right mode by now, and
        // SQLite gives its -wal/-shm files the database file's mode. No URI
        // flag: a path is a path.
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets readers run beside the one writer. The switch is stored in
        // the file, so only the first open of a new registry really does it.
        let mode: String = retry_busy(|| {
            Ok(conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?)
        })?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(RegistryError::Internal(format!(
                "cannot enable wal mode (got {mode})"
            )));
        }
        // WAL's default NORMAL may lose the last commits on power loss; a
        // serial handed out must stay handed out.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        retry_busy(|| migrate(&mut conn))?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            config,
        })
    }

    /// Opens an existing registry for reading only: what `list`, `show`,
    /// `verify`, `regen` and `register` need, on a read-only disk or folder
    /// too. Nothing is created or migrated; a registry of an older schema is
    /// said to need one writing command first.
    pub fn open_read_only(
        path: impl AsRef<Path>,
        config: RegistryConfig,
    ) -> Result<Self, RegistryError> {
        let path = path.as_ref();
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let version = match conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)) {
            Ok(v) => v,
            // A WAL registry on a read-only disk or folder: its -shm cannot
            // be made there. Nobody can be writing to it, so it is read as
            // immutable.
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
                ) =>
            {
                drop(conn);
                // Read as immutable, the filings still in the -wal would be
                // missed: a genuine recent form would look unknown.
                let wal = PathBuf::from(format!("{}-wal", path.display()));
                if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
                    return Err(RegistryError::WalOnReadOnlyDisk);
                }
                let uri = format!("file:{}?immutable=1", uri_path(path));
                let conn = Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)?;
                let version = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
                return Self::read_only_with(conn, version, path, config);
            }
            Err(e) => return Err(e.into()),
        };
        Self::read_only_with(conn, version, path, config)
    }

    fn read_only_with(
        conn: Connection,
        version: i64,
        path: &Path,
        config: RegistryConfig,
    ) -> Result<Self, RegistryError> {
        let supported = i64::try_from(schema::MIGRATIONS.len())
            .map_err(|_| RegistryError::Internal("too many migrations".into()))?;
        if version > supported {
            return Err(RegistryError::SchemaTooNew {
                found: version,
                supported,
            });
        }
        if version < supported {
            return Err(RegistryError::SchemaTooOld { found: version });
        }
        Ok(Self {
            conn,
            path: path.to_owned(),
            config,
        })
    }

    /// An empty registry in memory standing for the one at `path`, which
    /// does not exist yet: what a batch is checked against before that one
    /// is created (a command that is then refused creates none).
    pub fn empty_at(path: &Path, config: RegistryConfig) -> Result<Self, RegistryError> {
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            config,
        })
    }

    /// SQLite's quick check of the database: `false` if it is damaged. Run
    /// before any verdict that a file is not on record, since a damaged
    /// index would make a genuine original look unknown.
    pub fn quick_check(&self) -> Result<bool, RegistryError> {
        let report = self
            .conn
            .prepare("PRAGMA quick_check")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(report == ["ok"])
    }

    /// Copies the registry to `target` with SQLite's online backup: a
    /// consistent copy even while others file. The copy is made beside
    /// `target` and renamed into place, owner-only.
    pub fn backup_to(&self, target: &Path) -> Result<(), RegistryError> {
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".beian-backup-")
            .suffix(".part")
            .tempfile_in(dir)?;
        {
            let mut copy = Connection::open(tmp.path())?;
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut copy)?;
            backup.run_to_completion(256, Duration::from_millis(5), None)?;
        }
        // The copy is a single file, readable on its own (no -wal beside it).
        let copy = Connection::open(tmp.path())?;
        copy.pragma_update(None, "journal_mode", "DELETE")?;
        drop(copy);
        tmp.as_file().sync_all()?;
        tmp.persist(target)
            .map_err(|e| RegistryError::Io(e.error))?;
        Ok(())
    }

    /// Every serial on record (any version), for comparing registries.
    pub fn serials(&self) -> Result<Vec<String>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT serial FROM filing ORDER BY serial")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The next number of each form and year.
    pub fn sequences(&self) -> Result<Vec<(FormKind, i32, u32)>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT form, year, next_seq FROM sequence")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Raises each form's and year's next number to at least the one given:
    /// numbers handed out before a restore are not handed out again.
    pub fn raise_sequences(&mut self, seqs: &[(FormKind, i32, u32)]) -> Result<(), RegistryError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (form, year, next) in seqs {
            tx.execute(
                "INSERT INTO sequence (form, year, next_seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (form, year) DO UPDATE SET next_seq = max(next_seq, excluded.next_seq)",
                params![form, year, next],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces this registry's contents with `source`'s (SQLite's backup
    /// API, into this connection: its journal and locks stay consistent).
    pub fn restore_from(&mut self, source: &Registry) -> Result<(), RegistryError> {
        let backup = rusqlite::backup::Backup::new(&source.conn, &mut self.conn)?;
        backup.run_to_completion(256, Duration::from_millis(5), None)?;
        Ok(())
    }

    /// The database file this registry was opened on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The configuration serials are formatted with.
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// Files a record, calling `render(&Filed)` inside the same write
    /// transaction (`BEGIN IMMEDIATE`) to produce the outputs, whose SHA-256
    /// are stored with the filing. See [`Registry::file_all`].
    pub fn file<E>(
        &mut self,
        req: &FilingRequest<'_>,
        render: impl FnOnce(&Filed) -> Result<Vec<Output>, E>,
    ) -> Result<(Filed, Vec<Output>), FileError<E>> {
        self.file_then(req, render, |_, _| Ok(()))
    }

    /// [`Registry::file`], with `then` run in the same transaction just
    /// before it commits (see [`Registry::file_all_then`]).
    fn file_then<E>(
        &mut self,
        req: &FilingRequest<'_>,
        render: impl FnOnce(&Filed) -> Result<Vec<Output>, E>,
        then: impl FnOnce(&rusqlite::Transaction<'_>, &[Filed]) -> Result<(), RegistryError>,
    ) -> Result<(Filed, Vec<Output>), FileError<E>> {
        let render_one = |filed: &[Filed]| filed.first().map(render).into_iter().collect();
        let mut filed = self.file_all_then(std::slice::from_ref(req), render_one, then)?;
        filed
            .pop()
            .ok_or_else(|| RegistryError::Internal("filing without outputs".into()).into())
    }

    /// Files records in one write transaction (`BEGIN IMMEDIATE`): each is
    /// stamped in turn (serials in the order given), then `render` is called
    /// once with every stamp, to produce each filing's outputs — so that a
    /// caller can render them on every core — and their SHA-256 are stored.
    ///
    /// Nothing is committed unless `render` succeeds and, for an existing
    /// filing, every output already on record hashes the same (else
    /// [`RegistryError::Drift`]). `render` must therefore be deterministic
    /// in its `Filed` and the record content (no wall clock, no randomness).
    /// Other processes wait for the render on the write lock, so a caller
    /// files a big batch a few dozen records at a time.
    pub fn file_all<E>(
        &mut self,
        reqs: &[FilingRequest<'_>],
        render: impl FnOnce(&[Filed]) -> Result<Vec<Vec<Output>>, E>,
    ) -> Result<Vec<(Filed, Vec<Output>)>, FileError<E>> {
        // Filed from the command line: kept in the history too, beside
        // what the service did (who: the account that ran it).
        let user = ["USER", "USERNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok())
            .filter(|u| !u.is_empty());
        let actor = match user {
            Some(u) => format!("命令行（{u}）"),
            None => "命令行".to_owned(),
        };
        self.file_all_then(reqs, render, |tx, filed| {
            for (f, req) in filed.iter().zip(reqs).filter(|(f, _)| f.is_new) {
                let detail = match (req.import, f.version) {
                    (true, _) => format!("按已有编号登记第 {} 版", f.version),
                    (false, 1) => "第 1 版".to_owned(),
                    (false, v) => format!("更正为第 {v} 版"),
                };
                submission::add_event(
                    tx,
                    &f.filed_at,
                    &actor,
                    None,
                    Some(&f.serial),
                    "filed",
                    &detail,
                )?;
            }
            Ok(())
        })
    }

    /// [`Registry::file_all`], with `then` run in the same transaction once
    /// the filings and their outputs are written, just before it commits:
    /// what must change together with a filing (a submission marked filed)
    /// does, and if `then` fails nothing is filed.
    fn file_all_then<E>(
        &mut self,
        reqs: &[FilingRequest<'_>],
        render: impl FnOnce(&[Filed]) -> Result<Vec<Vec<Output>>, E>,
        then: impl FnOnce(&rusqlite::Transaction<'_>, &[Filed]) -> Result<(), RegistryError>,
    ) -> Result<Vec<(Filed, Vec<Output>)>, FileError<E>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut filed = Vec::with_capacity(reqs.len());
        for req in reqs {
            filed.push(stamp_filing(&tx, &self.config, req)?);
        }
        // Dropping `tx` on any early return (or a panic in `render`) rolls
        // back, releasing the serials.
        let outputs = render(&filed).map_err(FileError::Render)?;
        if outputs.len() != filed.len() {
            return Err(
                RegistryError::Internal("outputs for another number of filings".into()).into(),
            );
        }
        for ((filed, outs), req) in filed.iter().zip(&outputs).zip(reqs) {
            for out in outs {
                store_output(&tx, filed, req.output_revision, out)?;
            }
        }
        then(&tx, &filed)?;
        tx.commit()?;
        Ok(filed.into_iter().zip(outputs).collect())
    }

    /// Reserves `count` serials of `form` for forms filled in by hand, in
    /// one write transaction, and calls `print` with them before it commits:
    /// a serial is reserved if and only if it was printed (if `print` fails,
    /// nothing is reserved). They are the next numbers of the year of `now`,
    /// never handed out again, and taken by the record that comes back
    /// with one.
    pub fn reserve<E>(
        &mut self,
        form: FormKind,
        count: usize,
        now: DateTime<FixedOffset>,
        print: impl FnOnce(&[String]) -> Result<(), E>,
    ) -> Result<Vec<String>, FileError<E>> {
        let format = self.config.format_for(form).clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let year = now.year();
        let mut serials = Vec::with_capacity(count);
        for _ in 0..count {
            let (serial, seq) = allocate(&tx, form, &format, year)?;
            tx.prepare_cached(
                "INSERT INTO reservation (serial, form, year, seq, reserved_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![serial, form, year, seq, rfc3339(now)])?;
            serials.push(serial);
        }
        print(&serials).map_err(FileError::Render)?;
        tx.commit()?;
        Ok(serials)
    }

    /// The reservation of `serial`, if it is reserved and not yet filed.
    pub fn reservation(&self, serial: &str) -> Result<Option<Reservation>, RegistryError> {
        reservation_row(&self.conn, serial)
    }

    /// Serials reserved and not yet filed, of `form` and `year` if given,
    /// in order.
    pub fn reservations(
        &self,
        form: Option<FormKind>,
        year: Option<i32>,
    ) -> Result<Vec<Reservation>, RegistryError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT serial, form, year, seq, reserved_at FROM reservation
              WHERE (?1 IS NULL OR form = ?1) AND (?2 IS NULL OR year = ?2)
              ORDER BY form, year, seq",
        )?;
        let rows = stmt.query_map(params![form, year], reservation_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest version of `serial`, with its outputs.
    pub fn latest(&self, serial: &str) -> Result<Option<FilingRecord>, RegistryError> {
        latest_row(&self.conn, serial)?
            .map(|r| self.with_outputs(r))
            .transpose()
    }

    /// The serial under which a record of `form` with exactly this canonical
    /// content is filed (in any version), if any.
    pub fn serial_of_content(
        &self,
        form: FormKind,
        content: &str,
    ) -> Result<Option<String>, RegistryError> {
        Ok(same_content_row(&self.conn, form, &sha256_hex(content))?.map(|r| r.serial))
    }

    /// The serial a record identity (uuid) was filed under, if any.
    pub fn serial_of_uuid(&self, uuid: &str) -> Result<Option<String>, RegistryError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT serial FROM filing WHERE uuid = ?1 ORDER BY version DESC LIMIT 1",
        )?;
        let mut rows = stmt.query([uuid])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }

    /// One specific version of `serial`, with its outputs.
    pub fn version(
        &self,
        serial: &str,
        version: u32,
    ) -> Result<Option<FilingRecord>, RegistryError> {
        let sql = format!("SELECT {FILING_COLUMNS} FROM filing WHERE serial = ?1 AND version = ?2");
        self.conn
            .prepare_cached(&sql)?
            .query_row(params![serial, version], filing_from_row)
            .optional()?
            .map(|r| self.with_outputs(r))
            .transpose()
    }

    /// Every version of `serial`, oldest first (empty if unknown).
    pub fn history(&self, serial: &str) -> Result<Vec<FilingRecord>, RegistryError> {
        let sql = format!("SELECT {FILING_COLUMNS} FROM filing WHERE serial = ?1 ORDER BY version");
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map([serial], filing_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(|r| self.with_outputs(r)).collect()
    }

    /// Every stored output whose SHA-256 is `sha_hex` (any case).
    pub fn find_output_by_sha256(&self, sha_hex: &str) -> Result<Vec<OutputMatch>, RegistryError> {
        let sha = sha_hex.trim().to_ascii_lowercase();
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.serial, o.version, f.form, o.kind, o.copies, o.file_name,
                    (SELECT max(version) FROM filing g WHERE g.serial = o.serial)
               FROM output o JOIN filing f USING (serial, version)
              WHERE o.sha256 = ?1
              ORDER BY o.serial, o.version, o.kind, o.copies",
        )?;
        let rows = stmt
            .query_map([sha], |r| {
                Ok(OutputMatch {
                    serial: r.get(0)?,
                    version: r.get(1)?,
                    form: r.get(2)?,
                    kind: r.get(3)?,
                    copies: r.get(4)?,
                    file_name: r.get(5)?,
                    latest_version: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The latest version of each serial matching `filter`, ordered by form,
    /// year, seq (imported serials, which have none, first), serial.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<FilingRecord>, RegistryError> {
        let sql = format!(
            "SELECT {FILING_COLUMNS} FROM filing f
              WHERE f.version = (SELECT max(version) FROM filing g WHERE g.serial = f.serial)
                AND (?1 IS NULL OR f.form = ?1)
                AND (?2 IS NULL OR f.year = ?2)
                AND (?3 IS NULL OR instr(f.unit, ?3) > 0)
              ORDER BY f.form, f.year, f.seq, f.serial"
        );
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map(
                params![filter.form, filter.year, filter.unit],
                filing_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(|r| self.with_outputs(r)).collect()
    }

    /// `PRAGMA integrity_check` (and `foreign_key_check`): `true` if sound.
    pub fn integrity_check(&self) -> Result<bool, RegistryError> {
        let report = self
            .conn
            .prepare("PRAGMA integrity_check")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let fk_violation = self
            .conn
            .prepare("PRAGMA foreign_key_check")?
            .query([])?
            .next()?
            .is_some();
        Ok(report == ["ok"] && !fk_violation)
    }

    /// The text of a stored form specification.
    pub fn form_spec(&self, sha256: &str) -> Result<Option<String>, RegistryError> {
        form_spec_text(&self.conn, sha256)
    }

    fn with_outputs(&self, mut record: FilingRecord) -> Result<FilingRecord, RegistryError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, copies, revision, file_name, sha256, size, text_sha256 FROM output
              WHERE serial = ?1 AND version = ?2 ORDER BY kind, copies, revision",
        )?;
        record.outputs = stmt
            .query_map(params![record.serial, record.version], |r| {
                Ok(OutputRecord {
                    kind: r.get(0)?,
                    copies: r.get(1)?,
                    revision: r.get(2)?,
                    file_name: r.get(3)?,
                    sha256: r.get(4)?,
                    size: r.get(5)?,
                    text_sha256: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(record)
    }
}

/// The text of a stored form specification.
fn form_spec_text(conn: &Connection, sha256: &str) -> Result<Option<String>, RegistryError> {
    Ok(conn
        .prepare_cached("SELECT text FROM form_spec WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?)
}

/// Creates the database file readable by its owner only, before SQLite
/// writes anything into it. An existing file is left as it is.
/// `path` for an SQLite URI: `?`, `#` and `%` percent-encoded.
fn uri_path(path: &Path) -> String {
    path.to_string_lossy()
        .chars()
        .map(|c| match c {
            '?' | '#' | '%' => format!("%{:02X}", u32::from(c)),
            c => c.to_string(),
        })
        .collect()
}

/// Creates `path` owner-only if it does not exist; `true` if it created it.
fn create_owner_only(path: &Path) -> io::Result<bool> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(file) => {
            // The umask may have stripped bits from 0600; set it exactly.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            drop(file);
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Retries `op` while SQLite says BUSY, until [`BUSY_TIMEOUT`].
///
/// The busy handler covers ordinary lock waits, but SQLite fails at once,
/// without waiting, where waiting could deadlock: several connections that
/// each hold a read lock and all want to switch a new file to WAL. Backing
/// off (with jitter, so they do not collide again) and retrying resolves it.
fn retry_busy<T>(mut op: impl FnMut() -> Result<T, RegistryError>) -> Result<T, RegistryError> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(2);
    loop {
        match op() {
            Err(RegistryError::Sqlite(e))
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && Instant::now() < deadline =>
            {
                let jitter = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos() % 2_000_000);
                std::thread::sleep(pause + Duration::from_nanos(u64::from(jitter)));
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// Stamps one filing inside `tx`: the original filing if the content is on
/// record, a correction (next version) of a known serial, a new serial, or
/// an imported hand-written one.
fn stamp_filing(
    tx: &Connection,
    config: &RegistryConfig,
    req: &FilingRequest<'_>,
) -> Result<Filed, RegistryError> {
    let form = req.form;
    let request_uuid = req.uuid.map(normalize_uuid).transpose()?;
    let content_sha = sha256_hex(req.content);
    let form_sha = sha256_hex(req.form_spec);
    let format = config.format_for(form).clone();
    let existing = match req.serial {
        Some(serial) => latest_row(tx, serial)?,
        None => same_content_row(tx, form, &content_sha)?,
    };

    let filed = match (req.serial, existing) {
        (_, Some(row)) if row.form != form => {
            return Err(RegistryError::WrongForm {
                serial: row.serial,
                form: row.form,
            });
        }
        // Same content as on record: hand back the original filing.
        (_, Some(row)) if row.content_sha256 == content_sha => Filed {
            serial: row.serial,
            version: row.version,
            uuid: row.uuid,
            filed_at: row.filed_at,
            is_new: false,
            output_revision: row.output_revision,
            form_spec: match &row.form_sha256 {
                Some(sha) => form_spec_text(tx, sha)?,
                None => None,
            },
            form_sha256: row.form_sha256,
        },
        // A correction: same serial (and uuid, year, seq), next version.
        (Some(_), Some(row)) => {
            let version = row
                .version
                .checked_add(1)
                .ok_or_else(|| RegistryError::Internal("version overflow".into()))?;
            let filed = new_filed(
                row.serial,
                version,
                row.uuid,
                rfc3339(req.now),
                req,
                &form_sha,
            );
            insert_filing(tx, &filed, form, row.year, row.seq, req, &content_sha)?;
            filed
        }
        (None, _) => {
            if !req.allow_duplicate
                && let Some(serial) = subject_serial(tx, req.subjects)?
            {
                return Err(RegistryError::Duplicate { serial });
            }
            let year = req.now.year();
            let (serial, seq) = allocate(tx, form, &format, year)?;
            let filed = new_filed(
                serial,
                1,
                request_uuid.unwrap_or_else(new_uuid),
                rfc3339(req.now),
                req,
                &form_sha,
            );
            insert_filing(tx, &filed, form, year, Some(seq), req, &content_sha)?;
            filed
        }
        // A serial printed on a blank form (`blank --assign`): the record
        // filled in on it takes the reserved number.
        (Some(serial), None) if reservation_row(tx, serial)?.is_some() => {
            let Some(reserved) = reservation_row(tx, serial)? else {
                return Err(RegistryError::UnknownSerial(serial.into()));
            };
            if reserved.form != form {
                return Err(RegistryError::WrongForm {
                    serial: reserved.serial,
                    form: reserved.form,
                });
            }
            let filed = new_filed(
                reserved.serial,
                1,
                request_uuid.unwrap_or_else(new_uuid),
                rfc3339(req.now),
                req,
                &form_sha,
            );
            tx.prepare_cached("DELETE FROM reservation WHERE serial = ?1")?
                .execute([&filed.serial])?;
            insert_filing(
                tx,
                &filed,
                form,
                reserved.year,
                Some(reserved.seq),
                req,
                &content_sha,
            )?;
            filed
        }
        (Some(serial), None) if !req.import => {
            return Err(RegistryError::UnknownSerial(serial.into()));
        }
        (Some(serial), None) => {
            validate_serial(serial)?;
            let year = format
                .parse_serial(serial)
                .and_then(|(year, _)| year)
                .unwrap_or_else(|| req.now.year());
            let filed = new_filed(
                serial.into(),
                req.version.unwrap_or(1),
                request_uuid.unwrap_or_else(new_uuid),
                req.filed_at
                    .map(str::to_owned)
                    .unwrap_or_else(|| rfc3339(req.now)),
                req,
                &form_sha,
            );
            insert_filing(tx, &filed, form, year, None, req, &content_sha)?;
            filed
        }
    };

    Ok(filed)
}

/// The reservation of `serial`, if any.
fn reservation_row(conn: &Connection, serial: &str) -> Result<Option<Reservation>, RegistryError> {
    Ok(conn
        .prepare_cached(
            "SELECT serial, form, year, seq, reserved_at FROM reservation WHERE serial = ?1",
        )?
        .query_row([serial], reservation_from_row)
        .optional()?)
}

fn reservation_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Reservation> {
    Ok(Reservation {
        serial: row.get(0)?,
        form: row.get(1)?,
        year: row.get(2)?,
        seq: row.get(3)?,
        reserved_at: row.get(4)?,
    })
}

/// A filing this call makes (not one on record): under the renderer's
/// output revision and the form it renders with now.
fn new_filed(
    serial: String,
    version: u32,
    uuid: String,
    filed_at: String,
    req: &FilingRequest<'_>,
    form_sha: &str,
) -> Filed {
    Filed {
        serial,
        version,
        uuid,
        filed_at,
        is_new: true,
        output_revision: req.output_revision,
        form_sha256: Some(form_sha.to_owned()),
        form_spec: None,
    }
}

/// Latest version of `serial` (no outputs).
fn latest_row(conn: &Connection, serial: &str) -> Result<Option<FilingRecord>, RegistryError> {
    let sql = format!(
        "SELECT {FILING_COLUMNS} FROM filing WHERE serial = ?1 ORDER BY version DESC LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([serial], filing_from_row)
        .optional()?)
}

/// The most recently filed row of `form` with this content, if any. This is
/// the exact version that holds the content, which may be older than the
/// serial's latest version (its content then was corrected away).
fn same_content_row(
    conn: &Connection,
    form: FormKind,
    content_sha: &str,
) -> Result<Option<FilingRecord>, RegistryError> {
    let sql = format!(
        "SELECT {FILING_COLUMNS} FROM filing WHERE form = ?1 AND content_sha256 = ?2
          ORDER BY rowid DESC LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![form, content_sha], filing_from_row)
        .optional()?)
}

/// Takes the next number of (`form`, `year`) and formats it. Must run in the
/// write transaction: the read-increment-write is atomic only under its lock,
/// and a rollback gives the number back.
fn allocate(
    conn: &Connection,
    form: FormKind,
    format: &SerialFormat,
    year: i32,
) -> Result<(String, u32), RegistryError> {
    // Without {year} in the template, one sequence runs forever (key 0), or
    // serials would repeat.
    let key_year = if format.has_year() { year } else { 0 };
    let mut seq: u32 = conn
        .prepare_cached("SELECT next_seq FROM sequence WHERE form = ?1 AND year = ?2")?
        .query_row(params![form, key_year], |r| r.get(0))
        .optional()?
        .unwrap_or(1);
    // Skip numbers whose serial is already taken (an imported hand-numbered
    // one, or one from an earlier, overlapping template) or whose (year,
    // seq) is (the template changed from or to one without {year}).
    let serial = loop {
        let serial = format.format(year, seq);
        let taken = conn
            .prepare_cached(
                "SELECT 1 FROM filing
                  WHERE serial = ?1 OR (form = ?2 AND year = ?3 AND seq = ?4 AND version = 1)
                 UNION ALL
                 SELECT 1 FROM reservation
                  WHERE serial = ?1 OR (form = ?2 AND year = ?3 AND seq = ?4)",
            )?
            .exists(params![serial, form, year, seq])?;
        if !taken {
            break serial;
        }
        seq = seq
            .checked_add(1)
            .ok_or_else(|| RegistryError::Internal("sequence exhausted".into()))?;
    };
    let next = seq
        .checked_add(1)
        .ok_or_else(|| RegistryError::Internal("sequence exhausted".into()))?;
    conn.prepare_cached(
        "INSERT INTO sequence (form, year, next_seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (form, year) DO UPDATE SET next_seq = excluded.next_seq",
    )?
    .execute(params![form, key_year, next])?;
    Ok((serial, seq))
}

fn insert_filing(
    conn: &Connection,
    filed: &Filed,
    form: FormKind,
    year: i32,
    seq: Option<u32>,
    req: &FilingRequest<'_>,
    content_sha: &str,
) -> Result<(), RegistryError> {
    let canonical = compose_canonical(filed, req.content)?;
    conn.prepare_cached(
        "INSERT INTO form_spec (sha256, form, text) VALUES (?1, ?2, ?3)
         ON CONFLICT (sha256) DO NOTHING",
    )?
    .execute(params![filed.form_sha256, form, req.form_spec])?;
    conn.prepare_cached(&format!(
        "INSERT INTO filing ({FILING_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    ))?
    .execute(params![
        filed.serial,
        filed.version,
        form,
        year,
        seq,
        filed.uuid,
        req.unit,
        req.name,
        canonical,
        content_sha,
        filed.filed_at,
        req.beian_version,
        filed.output_revision,
        filed.form_sha256,
    ])?;
    for key in req.subjects {
        conn.prepare_cached("INSERT OR IGNORE INTO subject (key, serial) VALUES (?1, ?2)")?
            .execute(params![key, filed.serial])?;
    }
    Ok(())
}

/// The serial filed under one of `keys`, if any.
fn subject_serial(conn: &Connection, keys: &[String]) -> Result<Option<String>, RegistryError> {
    for key in keys {
        let found = conn
            .prepare_cached("SELECT serial FROM subject WHERE key = ?1 LIMIT 1")?
            .query_row([key], |r| r.get::<_, String>(0))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Stores an output's hash under the renderer's revision, or checks it
/// against the one already stored for that revision: one revision renders
/// one filing to one set of bytes, always.
fn store_output(
    conn: &Connection,
    filed: &Filed,
    revision: u32,
    out: &Output,
) -> Result<(), RegistryError> {
    let sha = sha256_hex(&out.bytes);
    let stored: Option<String> = conn
        .prepare_cached(
            "SELECT sha256 FROM output
              WHERE serial = ?1 AND version = ?2 AND kind = ?3 AND copies = ?4 AND revision = ?5",
        )?
        .query_row(
            params![filed.serial, filed.version, out.kind, out.copies, revision],
            |r| r.get(0),
        )
        .optional()?;
    match stored {
        Some(stored) if stored == sha => Ok(()),
        Some(_) => Err(RegistryError::Drift {
            serial: filed.serial.clone(),
            version: filed.version,
            kind: out.kind.clone(),
            copies: out.copies,
        }),
        None => {
            let size = i64::try_from(out.bytes.len())
                .map_err(|_| RegistryError::Internal("output too large".into()))?;
            conn.prepare_cached(
                "INSERT INTO output
                   (serial, version, kind, copies, revision, file_name, sha256, size, text_sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                filed.serial,
                filed.version,
                out.kind,
                out.copies,
                revision,
                out.file_name,
                sha,
                size,
                out.text_sha256
            ])?;
            Ok(())
        }
    }
}

/// The canonical record: the registry's keys (root-level TOML, so they may
/// precede any table) followed by the content, verbatim.
fn compose_canonical(filed: &Filed, content: &str) -> Result<String, RegistryError> {
    #[derive(Serialize)]
    struct Head<'a> {
        serial: &'a str,
        uuid: &'a str,
        filed_at: &'a str,
    }
    let head = toml::to_string(&Head {
        serial: &filed.serial,
        uuid: &filed.uuid,
        filed_at: &filed.filed_at,
    })
    .map_err(|e| RegistryError::Internal(e.to_string()))?;
    Ok(format!("{head}\n{content}"))
}

fn normalize_uuid(s: &str) -> Result<String, RegistryError> {
    uuid::Uuid::parse_str(s.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| RegistryError::BadUuid(s.into()))
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

fn rfc3339(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}
