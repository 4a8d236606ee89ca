//! What the registry can fail with.

use std::fmt;
use std::io;

use crate::record::FormKind;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Everything the registry can fail with.
///
/// `UnknownSerial`, `WrongForm`, `Drift`, `BadTemplate`, `BadSerial`,
/// `BadUuid`, `Config` and `SchemaTooNew` are user-facing (the CLI translates
/// them); the rest are internal and carry short English messages, except
/// the filing service's (`UnknownSubmission`, `NotPending`,
/// `SubmissionChanged`), which a web page shows as they are: in Chinese.
#[derive(Debug)]
pub enum RegistryError {
    /// A serial was given that the registry has never filed, without `import`.
    UnknownSerial(String),
    /// The serial is filed under the other form (`form` is the form it belongs to).
    WrongForm { serial: String, form: FormKind },
    /// Re-rendering an already filed version gave bytes whose SHA-256 differs
    /// from the one stored when it was first filed.
    Drift {
        serial: String,
        version: u32,
        kind: String,
        copies: u32,
    },
    /// A serial template that cannot be used (message says why).
    BadTemplate(String),
    /// An imported serial that cannot safely be used as a file name.
    BadSerial(String),
    /// A record's uuid that is not a UUID.
    BadUuid(String),
    /// `beian.toml` could not be parsed.
    Config(String),
    /// A new filing names an account or group already filed under `serial`.
    Duplicate { serial: String },
    /// The database was migrated by a newer `beian` than this one.
    SchemaTooNew { found: i64, supported: i64 },
    /// Opened read-only, the database has an older schema than this `beian`
    /// reads (a writing command migrates it).
    SchemaTooOld { found: i64 },
    /// On a read-only disk, with commits still in its `-wal` that cannot be
    /// read without writing: reading it would miss recent filings.
    WalOnReadOnlyDisk,
    /// No submission has this id.
    UnknownSubmission(i64),
    /// The submission is no longer pending (another office user approved or
    /// returned it meanwhile): `status` is its status key now.
    NotPending { id: i64, status: String },
    /// The submission's record changed since the office read it (see
    /// `Registry::approve_as_reviewed`).
    SubmissionChanged { id: i64 },
    /// An internal limit or invariant failed (overflow, WAL unavailable).
    Internal(String),
    /// SQLite failed; see [`RegistryError::is_busy`] for lock timeouts.
    Sqlite(rusqlite::Error),
    /// Creating the database file or reading `beian.toml` failed.
    Io(io::Error),
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownSerial(s) => write!(f, "unknown serial {s}"),
            Self::WrongForm { serial, form } => {
                write!(f, "serial {serial} belongs to the {} form", form.key())
            }
            Self::Drift {
                serial,
                version,
                kind,
                copies,
            } => write!(
                f,
                "{kind} (copies {copies}) of {serial} version {version} differs from the filed one"
            ),
            Self::BadTemplate(m) => write!(f, "invalid serial template {m}"),
            Self::BadSerial(m) => write!(f, "invalid serial {m}"),
            Self::BadUuid(s) => write!(f, "invalid uuid {s:?}"),
            Self::Config(m) => write!(f, "invalid configuration: {m}"),
            Self::SchemaTooNew { found, supported } => write!(
                f,
                "registry schema version {found} is newer than supported ({supported})"
            ),
            Self::Duplicate { serial } => write!(f, "already filed as {serial}"),
            Self::WalOnReadOnlyDisk => write!(f, "registry on a read-only disk with a pending wal"),
            Self::SchemaTooOld { found } => {
                write!(f, "registry schema version {found} needs migrating")
            }
            Self::UnknownSubmission(id) => write!(f, "没有第{id}号申请"),
            Self::NotPending { id, status } => write!(
                f,
                "该申请（第{id}号）已不是待审核状态（{}）",
                status_label(status)
            ),
            Self::SubmissionChanged { id } => {
                write!(f, "该申请（第{id}号）刚刚被修改过，请重新查看后再批准")
            }
            Self::Internal(m) => write!(f, "internal error: {m}"),
            Self::Sqlite(e) => write!(f, "database error: {e}"),
            Self::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

/// A submission status key as the unit and the office read it.
fn status_label(key: &str) -> &str {
    match super::SubmissionStatus::from_key(key) {
        Some(status) => status.label(),
        None => key,
    }
}

impl RegistryError {
    /// Whether another process held the registry longer than the busy
    /// timeout (worth a "try again" message rather than a bug report).
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Sqlite(e)
            if matches!(e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)))
    }
}

impl std::error::Error for RegistryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Sqlite(e) => Some(e),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for RegistryError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

impl From<io::Error> for RegistryError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Error of [`Registry::file`]: either the registry failed, or the caller's
/// render did (in which case nothing was filed).
#[derive(Debug)]
pub enum FileError<E> {
    /// The registry refused or failed; the transaction was rolled back.
    Registry(RegistryError),
    /// `render` failed; the transaction was rolled back.
    Render(E),
}

impl<E: fmt::Display> fmt::Display for FileError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Registry(e) => e.fmt(f),
            Self::Render(e) => e.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for FileError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Registry(e) => e.source(),
            Self::Render(e) => e.source(),
        }
    }
}

impl<E> From<RegistryError> for FileError<E> {
    fn from(e: RegistryError) -> Self {
        Self::Registry(e)
    }
}

impl<E> From<rusqlite::Error> for FileError<E> {
    fn from(e: rusqlite::Error) -> Self {
        Self::Registry(RegistryError::Sqlite(e))
    }
}
