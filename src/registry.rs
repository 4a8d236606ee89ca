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

use std::borrow::Cow;
use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name of the optional configuration file looked up next to the registry.
pub const CONFIG_FILE_NAME: &str = "beian.toml";

/// Default serial template for the new-media account form.
pub const DEFAULT_ACCOUNT_TEMPLATE: &str = "XMT-{year}-{seq:04}";

/// Default serial template for the QQ/Weibo group form.
pub const DEFAULT_GROUP_TEMPLATE: &str = "QUN-{year}-{seq:04}";

/// How long a process waits for another one's write transaction (which
/// includes a render) before giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest serial accepted on import; serials become file names.
const MAX_SERIAL_CHARS: usize = 64;

/// Widest `{seq:0N}` padding accepted; wider is surely a typo.
const MAX_SEQ_WIDTH: usize = 12;

/// Record keys the registry owns; `content` must not contain them because
/// they are prepended to it to form the canonical record.
const REGISTRY_KEYS: [&str; 3] = ["serial", "uuid", "filed_at"];

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Everything the registry can fail with.
///
/// `UnknownSerial`, `WrongForm`, `Drift`, `BadTemplate`, `BadSerial`,
/// `BadUuid`, `Config` and `SchemaTooNew` are user-facing (the CLI translates
/// them); the rest are internal and carry short English messages.
#[derive(Debug)]
pub enum RegistryError {
    /// A serial was given that the registry has never filed, without `import`.
    UnknownSerial(String),
    /// The serial is filed under the other form (`form` is the form it belongs to).
    WrongForm { serial: String, form: String },
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
    /// `form` is neither `account` nor `group` (a caller bug).
    UnknownForm(String),
    /// The record content is not a TOML table, or holds registry-owned keys
    /// (a caller bug).
    BadContent(String),
    /// `beian.toml` could not be parsed.
    Config(String),
    /// The database was migrated by a newer `beian` than this one.
    SchemaTooNew { found: i64, supported: i64 },
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
                write!(f, "serial {serial} belongs to the {form} form")
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
            Self::UnknownForm(s) => write!(f, "unknown form {s:?}"),
            Self::BadContent(m) => write!(f, "invalid record content: {m}"),
            Self::Config(m) => write!(f, "invalid configuration: {m}"),
            Self::SchemaTooNew { found, supported } => write!(
                f,
                "registry schema version {found} is newer than supported ({supported})"
            ),
            Self::Internal(m) => write!(f, "internal error: {m}"),
            Self::Sqlite(e) => write!(f, "database error: {e}"),
            Self::Io(e) => write!(f, "i/o error: {e}"),
        }
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

// ---------------------------------------------------------------------------
// Forms
// ---------------------------------------------------------------------------

/// The two forms `beian` files. Stored as `account` / `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// 新媒体账号 (serials `XMT-…` by default).
    Account,
    /// QQ/微博群 (serials `QUN-…` by default).
    Group,
}

impl Form {
    /// `account` / `group`, exactly as stored.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "account" => Some(Self::Account),
            "group" => Some(Self::Group),
            _ => None,
        }
    }

    /// The stored name, inverse of [`parse`](Self::parse).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Group => "group",
        }
    }

    /// Label used in the CSV export.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Account => "新媒体账号",
            Self::Group => "QQ/微博群",
        }
    }
}

// ---------------------------------------------------------------------------
// Serial format
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Year,
    /// `width` 0 means no padding (`{seq}`).
    Seq {
        width: usize,
    },
}

/// A serial template such as `XMT-{year}-{seq:04}`.
///
/// `{year}` is the 4-digit filing year, `{seq}` / `{seq:0N}` the sequence
/// number (zero-padded to N digits, wider if it outgrows them). Literal text
/// is restricted to `[A-Za-z0-9_.-]` and CJK ideographs because serials are
/// used as file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialFormat {
    template: String,
    parts: Vec<Part>,
}

impl SerialFormat {
    /// Parses a template; [`RegistryError::BadTemplate`] says what is wrong.
    pub fn parse(template: &str) -> Result<Self, RegistryError> {
        let bad = |why: &str| RegistryError::BadTemplate(format!("{template:?}: {why}"));
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = template;
        while let Some(c) = rest.chars().next() {
            match c {
                '{' => {
                    let end = rest.find('}').ok_or_else(|| bad("unclosed `{`"))?;
                    let name = &rest[1..end];
                    let part = match name {
                        "year" => Part::Year,
                        "seq" => Part::Seq { width: 0 },
                        _ => match name.strip_prefix("seq:0") {
                            Some(w) if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) => {
                                match w.parse::<usize>() {
                                    Ok(width) if (1..=MAX_SEQ_WIDTH).contains(&width) => {
                                        Part::Seq { width }
                                    }
                                    _ => return Err(bad("sequence width must be 1 to 12")),
                                }
                            }
                            _ => {
                                return Err(bad(&format!("unknown placeholder {{{name}}}")));
                            }
                        },
                    };
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(part);
                    rest = &rest[end + 1..];
                }
                '}' => return Err(bad("unmatched `}`")),
                c if is_serial_char(c) => {
                    literal.push(c);
                    rest = &rest[c.len_utf8()..];
                }
                c => return Err(bad(&format!("character {c:?} is not allowed"))),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        let seqs = parts
            .iter()
            .filter(|p| matches!(p, Part::Seq { .. }))
            .count();
        let years = parts.iter().filter(|p| matches!(p, Part::Year)).count();
        if seqs != 1 {
            return Err(bad("needs exactly one {seq}"));
        }
        if years > 1 {
            return Err(bad("{year} may appear only once"));
        }
        let format = Self {
            template: template.to_owned(),
            parts,
        };
        // Catch leading `-`/`.`, trailing `.` and device names via a sample.
        validate_serial(&format.format(2026, 1)).map_err(|_| bad("makes unusable file names"))?;
        Ok(format)
    }

    /// The template text this format was parsed from.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Whether the template contains `{year}`. Without it the sequence never
    /// restarts (it would repeat serials).
    pub fn has_year(&self) -> bool {
        self.parts.contains(&Part::Year)
    }

    /// The serial for `seq` in `year`.
    pub fn format(&self, year: i32, seq: u32) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Year => out.push_str(&format!("{year:04}")),
                Part::Seq { width } => out.push_str(&format!("{seq:0width$}")),
            }
        }
        out
    }

    /// Inverse of [`format`](Self::format): `(year, seq)` if `serial` is
    /// exactly what this format produces for them (year is `None` when the
    /// template has no `{year}`).
    pub fn parse_serial(&self, serial: &str) -> Option<(Option<i32>, u32)> {
        self.match_parts(&self.parts, serial, serial, None, None)
    }

    /// Backtracking match (placeholders may be adjacent, literals may hold
    /// digits); a candidate counts only if formatting it gives `whole` back,
    /// which rejects wrong padding such as `XMT-2026-1` for `{seq:04}`.
    fn match_parts(
        &self,
        parts: &[Part],
        rest: &str,
        whole: &str,
        year: Option<i32>,
        seq: Option<u32>,
    ) -> Option<(Option<i32>, u32)> {
        let Some((part, parts)) = parts.split_first() else {
            let seq = seq.filter(|&n| n >= 1)?;
            let round_trips = rest.is_empty() && self.format(year.unwrap_or(0), seq) == whole;
            return round_trips.then_some((year, seq));
        };
        match part {
            Part::Literal(l) => {
                self.match_parts(parts, rest.strip_prefix(l.as_str())?, whole, year, seq)
            }
            Part::Year => {
                let digits = rest
                    .get(..4)
                    .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
                let y = digits.parse().ok()?;
                self.match_parts(parts, &rest[4..], whole, Some(y), seq)
            }
            Part::Seq { .. } => {
                let n = rest.bytes().take_while(u8::is_ascii_digit).count();
                (1..=n).find_map(|len| {
                    let value = rest[..len].parse().ok()?;
                    self.match_parts(parts, &rest[len..], whole, year, Some(value))
                })
            }
        }
    }
}

impl fmt::Display for SerialFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.template)
    }
}

/// Characters allowed in serials: portable in file names on every OS.
fn is_serial_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') || is_cjk_ideograph(c)
}

/// CJK unified and compatibility ideographs (all extensions).
fn is_cjk_ideograph(c: char) -> bool {
    matches!(
        u32::from(c),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x30000..=0x323AF
    )
}

/// Checks that a serial can be used as (the stem of) a file name anywhere.
/// The rules are [`serial_problem`]'s, shared with record validation.
fn validate_serial(serial: &str) -> Result<(), RegistryError> {
    match serial_problem(serial) {
        Some(why) => Err(RegistryError::BadSerial(format!("「{serial}」{why}"))),
        None => Ok(()),
    }
}

/// Why a serial cannot be a file name, in Chinese; `None` if it can.
pub fn serial_problem(serial: &str) -> Option<&'static str> {
    if serial.is_empty() {
        return Some("是空的");
    }
    if serial.chars().count() > MAX_SERIAL_CHARS {
        return Some("太长（最多64个字符）");
    }
    if serial.chars().any(|c| !is_serial_char(c)) {
        return Some("只能由字母、数字、汉字和 - _ . 组成（编号也是文件名）");
    }
    if serial.starts_with(['-', '.']) || serial.ends_with('.') {
        return Some("不能以 - 或 . 开头，也不能以 . 结尾（编号也是文件名）");
    }
    // Windows device names stay reserved even with an extension (`NUL.pdf`).
    let stem = serial
        .split('.')
        .next()
        .unwrap_or(serial)
        .to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes().get(3).is_some_and(u8::is_ascii_digit));
    reserved.then_some("是 Windows 保留的设备名，不能作文件名")
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// Settings from the optional `beian.toml` beside the registry file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// `[serial] account`, default [`DEFAULT_ACCOUNT_TEMPLATE`].
    pub account: SerialFormat,
    /// `[serial] group`, default [`DEFAULT_GROUP_TEMPLATE`].
    pub group: SerialFormat,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    serial: SerialSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SerialSection {
    account: Option<String>,
    group: Option<String>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        // The defaults are constants known to parse; fall back to a
        // hand-built format rather than panicking if that ever changes.
        let fallback = |prefix: &str| SerialFormat {
            template: format!("{prefix}-{{year}}-{{seq:04}}"),
            parts: vec![
                Part::Literal(format!("{prefix}-")),
                Part::Year,
                Part::Literal("-".into()),
                Part::Seq { width: 4 },
            ],
        };
        Self {
            account: SerialFormat::parse(DEFAULT_ACCOUNT_TEMPLATE)
                .unwrap_or_else(|_| fallback("XMT")),
            group: SerialFormat::parse(DEFAULT_GROUP_TEMPLATE).unwrap_or_else(|_| fallback("QUN")),
        }
    }
}

impl RegistryConfig {
    /// Parses the text of a `beian.toml`.
    pub fn from_toml(text: &str) -> Result<Self, RegistryError> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| RegistryError::Config(e.to_string()))?;
        let defaults = Self::default();
        Ok(Self {
            account: match file.serial.account {
                Some(t) => SerialFormat::parse(&t)?,
                None => defaults.account,
            },
            group: match file.serial.group {
                Some(t) => SerialFormat::parse(&t)?,
                None => defaults.group,
            },
        })
    }

    /// Loads `beian.toml` from the directory of `registry_path`; a missing
    /// file means the defaults.
    pub fn load_beside(registry_path: &Path) -> Result<Self, RegistryError> {
        let path = Self::path_beside(registry_path);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_toml(&text).map_err(|e| match e {
                RegistryError::Config(m) => {
                    RegistryError::Config(format!("{}: {m}", path.display()))
                }
                other => other,
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(RegistryError::Io(e)),
        }
    }

    /// Where [`load_beside`](Self::load_beside) looks.
    pub fn path_beside(registry_path: &Path) -> PathBuf {
        registry_path
            .parent()
            .unwrap_or_else(|| Path::new(""))
            .join(CONFIG_FILE_NAME)
    }

    /// The serial format of `form`.
    pub fn format_for(&self, form: Form) -> &SerialFormat {
        match form {
            Form::Account => &self.account,
            Form::Group => &self.group,
        }
    }
}

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

/// What the caller files: one record, in canonical form.
#[derive(Debug, Clone)]
pub struct FilingRequest<'a> {
    /// `"account"` or `"group"`.
    pub form: &'a str,
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
    /// Canonical record text (TOML) without `serial`/`uuid`/`filed_at`.
    /// Must be byte-for-byte deterministic: its SHA-256 is the idempotency key.
    pub content: &'a str,
    /// Wall clock, passed in so tests and callers control it.
    pub now: DateTime<FixedOffset>,
    /// Version of the `beian` doing the filing, kept for forensics.
    pub beian_version: &'a str,
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
}

/// A stored output (hash only; the bytes live in the file system).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputRecord {
    pub kind: String,
    pub copies: u32,
    pub file_name: String,
    pub sha256: String,
    pub size: u64,
}

/// One version of a filing, with its outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilingRecord {
    pub serial: String,
    pub version: u32,
    pub form: String,
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
    pub outputs: Vec<OutputRecord>,
}

/// Where an output with a given SHA-256 came from (for `beian verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputMatch {
    pub serial: String,
    pub version: u32,
    pub form: String,
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
    pub form: Option<String>,
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
// Schema
// ---------------------------------------------------------------------------

/// Schema migrations; migration `i` (0-based) brings `user_version` from `i`
/// to `i + 1`. Never edit a released entry: append a new one.
const MIGRATIONS: &[&str] = &[
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
];

const FILING_COLUMNS: &str = "serial, version, form, year, seq, uuid, unit, name, \
                              canonical, content_sha256, filed_at, beian_version";

fn filing_from_row(row: &Row<'_>) -> rusqlite::Result<FilingRecord> {
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
        outputs: Vec::new(),
    })
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
        create_owner_only(path)?;
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
    /// are stored with the filing.
    ///
    /// Nothing is committed unless `render` succeeds and, for an existing
    /// filing, every output already on record hashes the same (else
    /// [`RegistryError::Drift`]). `render` must therefore be deterministic
    /// in its `Filed` and the record content (no wall clock, no randomness).
    /// Other processes wait for the render on the write lock.
    pub fn file<E>(
        &mut self,
        req: &FilingRequest<'_>,
        render: impl FnOnce(&Filed) -> Result<Vec<Output>, E>,
    ) -> Result<(Filed, Vec<Output>), FileError<E>> {
        let form =
            Form::parse(req.form).ok_or_else(|| RegistryError::UnknownForm(req.form.into()))?;
        check_content(req.content)?;
        let request_uuid = req.uuid.map(normalize_uuid).transpose()?;
        let content_sha = sha256_hex(req.content);
        let format = self.config.format_for(form).clone();

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;

        let existing = match req.serial {
            Some(serial) => latest_row(&tx, serial)?,
            None => same_content_row(&tx, form, &content_sha)?,
        };

        let filed = match (req.serial, existing) {
            (_, Some(row)) if row.form != form.as_str() => {
                return Err(RegistryError::WrongForm {
                    serial: row.serial,
                    form: row.form,
                }
                .into());
            }
            // Same content as on record: hand back the original filing.
            (_, Some(row)) if row.content_sha256 == content_sha => Filed {
                serial: row.serial,
                version: row.version,
                uuid: row.uuid,
                filed_at: row.filed_at,
                is_new: false,
            },
            // A correction: same serial (and uuid, year, seq), next version.
            (Some(_), Some(row)) => {
                let version = row
                    .version
                    .checked_add(1)
                    .ok_or_else(|| RegistryError::Internal("version overflow".into()))?;
                let filed = Filed {
                    serial: row.serial,
                    version,
                    uuid: row.uuid,
                    filed_at: rfc3339(req.now),
                    is_new: true,
                };
                insert_filing(&tx, &filed, form, row.year, row.seq, req, &content_sha)?;
                filed
            }
            (None, _) => {
                let year = req.now.year();
                let (serial, seq) = allocate(&tx, form, &format, year)?;
                let filed = Filed {
                    serial,
                    version: 1,
                    uuid: request_uuid.unwrap_or_else(new_uuid),
                    filed_at: rfc3339(req.now),
                    is_new: true,
                };
                insert_filing(&tx, &filed, form, year, Some(seq), req, &content_sha)?;
                filed
            }
            (Some(serial), None) if !req.import => {
                return Err(RegistryError::UnknownSerial(serial.into()).into());
            }
            (Some(serial), None) => {
                validate_serial(serial)?;
                let year = format
                    .parse_serial(serial)
                    .and_then(|(year, _)| year)
                    .unwrap_or_else(|| req.now.year());
                let filed = Filed {
                    serial: serial.into(),
                    version: 1,
                    uuid: request_uuid.unwrap_or_else(new_uuid),
                    filed_at: rfc3339(req.now),
                    is_new: true,
                };
                insert_filing(&tx, &filed, form, year, None, req, &content_sha)?;
                filed
            }
        };

        // Dropping `tx` on any early return (or a panic in `render`) rolls
        // back, releasing the serial.
        let outputs = render(&filed).map_err(FileError::Render)?;
        for out in &outputs {
            store_output(&tx, &filed, out)?;
        }
        tx.commit()?;
        Ok((filed, outputs))
    }

    /// The latest version of `serial`, with its outputs.
    pub fn latest(&self, serial: &str) -> Result<Option<FilingRecord>, RegistryError> {
        latest_row(&self.conn, serial)?
            .map(|r| self.with_outputs(r))
            .transpose()
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

    fn with_outputs(&self, mut record: FilingRecord) -> Result<FilingRecord, RegistryError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, copies, file_name, sha256, size FROM output
              WHERE serial = ?1 AND version = ?2 ORDER BY kind, copies",
        )?;
        record.outputs = stmt
            .query_map(params![record.serial, record.version], |r| {
                Ok(OutputRecord {
                    kind: r.get(0)?,
                    copies: r.get(1)?,
                    file_name: r.get(2)?,
                    sha256: r.get(3)?,
                    size: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(record)
    }
}

/// Creates the database file readable by its owner only, before SQLite
/// writes anything into it. An existing file is left as it is.
fn create_owner_only(path: &Path) -> io::Result<()> {
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
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
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

/// Applies pending migrations, each with its `user_version` bump, in one
/// write transaction so concurrent openers migrate exactly once.
fn migrate(conn: &mut Connection) -> Result<(), RegistryError> {
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
    form: Form,
    content_sha: &str,
) -> Result<Option<FilingRecord>, RegistryError> {
    let sql = format!(
        "SELECT {FILING_COLUMNS} FROM filing WHERE form = ?1 AND content_sha256 = ?2
          ORDER BY rowid DESC LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![form.as_str(), content_sha], filing_from_row)
        .optional()?)
}

/// Takes the next number of (`form`, `year`) and formats it. Must run in the
/// write transaction: the read-increment-write is atomic only under its lock,
/// and a rollback gives the number back.
fn allocate(
    conn: &Connection,
    form: Form,
    format: &SerialFormat,
    year: i32,
) -> Result<(String, u32), RegistryError> {
    // Without {year} in the template, one sequence runs forever (key 0), or
    // serials would repeat.
    let key_year = if format.has_year() { year } else { 0 };
    let mut seq: u32 = conn
        .prepare_cached("SELECT next_seq FROM sequence WHERE form = ?1 AND year = ?2")?
        .query_row(params![form.as_str(), key_year], |r| r.get(0))
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
                  WHERE serial = ?1 OR (form = ?2 AND year = ?3 AND seq = ?4 AND version = 1)",
            )?
            .exists(params![serial, form.as_str(), year, seq])?;
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
    .execute(params![form.as_str(), key_year, next])?;
    Ok((serial, seq))
}

fn insert_filing(
    conn: &Connection,
    filed: &Filed,
    form: Form,
    year: i32,
    seq: Option<u32>,
    req: &FilingRequest<'_>,
    content_sha: &str,
) -> Result<(), RegistryError> {
    let canonical = compose_canonical(filed, req.content)?;
    conn.prepare_cached(&format!(
        "INSERT INTO filing ({FILING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    ))?
    .execute(params![
        filed.serial,
        filed.version,
        form.as_str(),
        year,
        seq,
        filed.uuid,
        req.unit,
        req.name,
        canonical,
        content_sha,
        filed.filed_at,
        req.beian_version,
    ])?;
    Ok(())
}

/// Stores an output's hash, or checks it against the one already stored.
fn store_output(conn: &Connection, filed: &Filed, out: &Output) -> Result<(), RegistryError> {
    let sha = sha256_hex(&out.bytes);
    let stored: Option<String> = conn
        .prepare_cached(
            "SELECT sha256 FROM output
              WHERE serial = ?1 AND version = ?2 AND kind = ?3 AND copies = ?4",
        )?
        .query_row(
            params![filed.serial, filed.version, out.kind, out.copies],
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
                "INSERT INTO output (serial, version, kind, copies, file_name, sha256, size)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                filed.serial,
                filed.version,
                out.kind,
                out.copies,
                out.file_name,
                sha,
                size
            ])?;
            Ok(())
        }
    }
}

/// The content must be a TOML table without the keys the registry adds.
fn check_content(content: &str) -> Result<(), RegistryError> {
    let table: toml::Table =
        toml::from_str(content).map_err(|e| RegistryError::BadContent(e.to_string()))?;
    match REGISTRY_KEYS.iter().find(|k| table.contains_key(**k)) {
        Some(key) => Err(RegistryError::BadContent(format!(
            "top-level key {key} is set by the registry"
        ))),
        None => Ok(()),
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
    .map_err(|e| RegistryError::BadContent(e.to_string()))?;
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

// ---------------------------------------------------------------------------
// CSV export
// ---------------------------------------------------------------------------

/// CSV of `records` that Excel opens as UTF-8: BOM, CRLF, RFC 4180 quoting,
/// Chinese header. Free-text cells (unit, name) starting with a formula
/// trigger get a `'` prefix so Excel shows them as text instead of running
/// them (CSV injection).
pub fn list_csv(records: &[FilingRecord]) -> String {
    let mut out = String::from("\u{FEFF}");
    let header = [
        "编号",
        "版本",
        "表格",
        "申请单位名称",
        "名称",
        "备案时间",
        "uuid",
    ];
    push_csv_row(&mut out, header.map(Cow::Borrowed));
    for r in records {
        let form = Form::parse(&r.form).map_or(r.form.as_str(), |f| f.label_zh());
        push_csv_row(
            &mut out,
            [
                Cow::Borrowed(r.serial.as_str()),
                Cow::Owned(r.version.to_string()),
                Cow::Borrowed(form),
                defuse_formula(&r.unit),
                defuse_formula(&r.name),
                Cow::Borrowed(r.filed_at.as_str()),
                Cow::Borrowed(r.uuid.as_str()),
            ],
        );
    }
    out
}

fn push_csv_row<const N: usize>(out: &mut String, cells: [Cow<'_, str>; N]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push_str("\r\n");
}

/// OWASP's list of characters that make a spreadsheet cell a formula.
fn defuse_formula(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::convert::Infallible;

    fn at(year: i32, month: u32, day: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(8 * 3600)
            .and_then(|tz| tz.with_ymd_and_hms(year, month, day, 9, 30, 15).single())
            .expect("valid test date")
    }

    fn content(n: usize) -> String {
        format!("[account]\nname = \"公众号{n}\"\n")
    }

    fn request<'a>(content: &'a str, now: DateTime<FixedOffset>) -> FilingRequest<'a> {
        FilingRequest {
            form: "account",
            serial: None,
            import: false,
            uuid: None,
            unit: "信息学院",
            name: "学院公众号",
            content,
            now,
            beian_version: "0.1.0",
        }
    }

    fn pdf(filed: &Filed) -> Result<Vec<Output>, Infallible> {
        Ok(vec![Output {
            kind: "pdf".into(),
            copies: 1,
            file_name: format!("{}.pdf", filed.serial),
            bytes: format!("%PDF {} v{}", filed.serial, filed.version).into_bytes(),
        }])
    }

    fn open(dir: &tempfile::TempDir) -> Registry {
        Registry::open(dir.path().join("registry.sqlite")).expect("open registry")
    }

    fn file(reg: &mut Registry, req: &FilingRequest<'_>) -> Filed {
        reg.file(req, pdf).expect("filing succeeds").0
    }

    // --- serial format -----------------------------------------------------

    #[test]
    fn formats_serials() {
        let f = SerialFormat::parse(DEFAULT_ACCOUNT_TEMPLATE).expect("default parses");
        assert_eq!(f.format(2026, 1), "XMT-2026-0001");
        assert_eq!(f.format(2026, 200), "XMT-2026-0200");
        assert_eq!(f.format(2026, 12345), "XMT-2026-12345");
        let g = SerialFormat::parse("群{year}_{seq}").expect("cjk literal parses");
        assert_eq!(g.format(2027, 7), "群2027_7");
        let h = SerialFormat::parse("{year}{seq:03}").expect("adjacent placeholders");
        assert_eq!(h.format(2026, 5), "2026005");
        assert!(
            !SerialFormat::parse("A{seq:02}")
                .expect("no year")
                .has_year()
        );
    }

    #[test]
    fn parses_serials_back() {
        let f = SerialFormat::parse(DEFAULT_ACCOUNT_TEMPLATE).expect("default parses");
        assert_eq!(f.parse_serial("XMT-2026-0001"), Some((Some(2026), 1)));
        assert_eq!(f.parse_serial("XMT-2026-12345"), Some((Some(2026), 12345)));
        assert_eq!(f.parse_serial("XMT-2026-1"), None, "padding missing");
        assert_eq!(f.parse_serial("XMT-2026-00012"), None, "over-padded");
        assert_eq!(f.parse_serial("XMT-2026-0000"), None, "seq 0");
        assert_eq!(f.parse_serial("QUN-2026-0001"), None);
        assert_eq!(f.parse_serial("XMT-2026-0001x"), None);
        let h = SerialFormat::parse("{year}{seq:03}").expect("parses");
        assert_eq!(h.parse_serial("2026005"), Some((Some(2026), 5)));
        let n = SerialFormat::parse("A{seq}").expect("parses");
        assert_eq!(n.parse_serial("A42"), Some((None, 42)));
    }

    #[test]
    fn rejects_bad_templates() {
        for bad in [
            "",
            "XMT-{year}",
            "{seq}{seq}",
            "{year}{year}{seq}",
            "XMT-{foo}-{seq}",
            "XMT-{seq:4}",
            "XMT-{seq:00}",
            "XMT-{seq:099}",
            "XMT {seq}",
            "XMT/{seq}",
            "XMT-{seq",
            "XMT}-{seq}",
            "-{seq}",
            ".{seq}",
            "{seq}.",
            "LPT{seq}",
            "备案：{seq}",
        ] {
            assert!(
                matches!(SerialFormat::parse(bad), Err(RegistryError::BadTemplate(_))),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn config_beside_registry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("registry.sqlite");
        let config = RegistryConfig::load_beside(&db).expect("missing file is fine");
        assert_eq!(config, RegistryConfig::default());
        assert_eq!(config.group.format(2026, 3), "QUN-2026-0003");

        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "[serial]\naccount = \"新媒体-{year}-{seq:03}\"\n",
        )
        .expect("write config");
        let config = RegistryConfig::load_beside(&db).expect("valid config");
        assert_eq!(config.account.format(2026, 3), "新媒体-2026-003");
        assert_eq!(config.group.template(), DEFAULT_GROUP_TEMPLATE);

        let mut reg = Registry::open(&db).expect("open");
        let c = content(1);
        assert_eq!(
            file(&mut reg, &request(&c, at(2026, 3, 1))).serial,
            "新媒体-2026-001"
        );

        for (text, unknown) in [
            ("[serial]\naccount = \"X{seq}\"\ncolour = \"red\"\n", true),
            ("[serials]\naccount = \"X{seq}\"\n", true),
            ("[serial]\naccount = \"X{nope}\"\n", false),
        ] {
            std::fs::write(dir.path().join(CONFIG_FILE_NAME), text).expect("write config");
            let err = RegistryConfig::load_beside(&db).expect_err("must fail");
            if unknown {
                assert!(matches!(err, RegistryError::Config(_)), "{err}");
            } else {
                assert!(matches!(err, RegistryError::BadTemplate(_)), "{err}");
            }
        }
    }

    // --- filing ------------------------------------------------------------

    #[test]
    fn new_filings_count_up_and_restart_each_year() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let texts: Vec<String> = (0..5).map(content).collect();
        let serial = |reg: &mut Registry, i: usize, now| file(reg, &request(&texts[i], now)).serial;
        assert_eq!(serial(&mut reg, 0, at(2026, 1, 5)), "XMT-2026-0001");
        assert_eq!(serial(&mut reg, 1, at(2026, 12, 31)), "XMT-2026-0002");
        assert_eq!(serial(&mut reg, 2, at(2027, 1, 1)), "XMT-2027-0001");
        // A late filing dated in the old year continues that year's count.
        assert_eq!(serial(&mut reg, 3, at(2026, 12, 31)), "XMT-2026-0003");
        // The group form has its own sequence.
        let c = content(4);
        let mut req = request(&c, at(2026, 6, 1));
        req.form = "group";
        assert_eq!(file(&mut reg, &req).serial, "QUN-2026-0001");

        let rec = reg.latest("XMT-2027-0001").expect("query").expect("exists");
        assert_eq!((rec.year, rec.seq, rec.version), (2027, Some(1), 1));
        assert_eq!(rec.filed_at, "2027-01-01T09:30:15+08:00");
        assert!(rec.canonical.starts_with("serial = \"XMT-2027-0001\"\n"));
        assert!(rec.canonical.ends_with(&texts[2]));
        assert_eq!(rec.content_sha256, sha256_hex(&texts[2]));
        assert_eq!(rec.outputs.len(), 1);
        assert_eq!(rec.outputs[0].sha256, sha256_hex(b"%PDF XMT-2027-0001 v1"));
        assert!(reg.integrity_check().expect("check"));
    }

    #[test]
    fn template_changes_never_reuse_numbers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("registry.sqlite");
        let with = |account: &str| RegistryConfig {
            account: SerialFormat::parse(account).expect("template parses"),
            ..RegistryConfig::default()
        };
        let texts: Vec<String> = (0..4).map(content).collect();
        let mut serials = Vec::new();
        for (i, template) in [
            DEFAULT_ACCOUNT_TEMPLATE,
            "ACC-{year}-{seq:04}", // same sequence, new prefix
            "X{seq:05}",           // no {year}: one running sequence
            DEFAULT_ACCOUNT_TEMPLATE,
        ]
        .into_iter()
        .enumerate()
        {
            let mut reg = Registry::open_with_config(&path, with(template)).expect("open");
            serials.push(file(&mut reg, &request(&texts[i], at(2026, 3, 1))).serial);
        }
        // X00001 and X00002 would repeat (account, 2026, seq 1 and 2), and
        // back on the yearly sequence, number 3 is X00003's: both skipped.
        assert_eq!(
            serials,
            ["XMT-2026-0001", "ACC-2026-0002", "X00003", "XMT-2026-0004"]
        );
        let reg = Registry::open(&path).expect("open");
        let mut seqs: Vec<_> = reg
            .list(&ListFilter::default())
            .expect("list")
            .into_iter()
            .map(|r| r.seq)
            .collect();
        seqs.sort();
        assert_eq!(seqs, [Some(1), Some(2), Some(3), Some(4)]);
        assert!(reg.integrity_check().expect("check"));
    }

    #[test]
    fn waits_for_a_writer_then_reports_busy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("registry.sqlite");
        let mut reg = Registry::open(&path).expect("open");
        let mut blocker = Connection::open(&path).expect("second connection");
        let tx = blocker
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("take the write lock");
        reg.conn
            .busy_timeout(Duration::from_millis(200))
            .expect("shorten timeout");
        let c = content(1);
        let started = Instant::now();
        let err = match reg.file(&request(&c, at(2026, 3, 1)), pdf) {
            Err(FileError::Registry(e)) => e,
            other => panic!("expected busy, got {other:?}"),
        };
        assert!(err.is_busy(), "{err}");
        assert!(started.elapsed() >= Duration::from_millis(150), "it waited");
        drop(tx);
        assert_eq!(
            file(&mut reg, &request(&c, at(2026, 3, 1))).serial,
            "XMT-2026-0001"
        );
    }

    #[test]
    fn same_content_twice_is_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let c = content(1);
        let first = file(&mut reg, &request(&c, at(2026, 3, 1)));
        assert!(first.is_new);
        // Later, and from a record that carries a uuid of its own.
        let mut again = request(&c, at(2026, 4, 1));
        again.uuid = Some("6f1c8a52-1d3e-4a8b-9a31-0c2f1b5e7d44");
        let second = file(&mut reg, &again);
        assert!(!second.is_new);
        assert_eq!(second.serial, first.serial);
        assert_eq!(second.version, 1);
        assert_eq!(second.uuid, first.uuid);
        assert_eq!(second.filed_at, first.filed_at);
        assert_eq!(reg.history(&first.serial).expect("history").len(), 1);
        // The number was not consumed twice.
        let c2 = content(2);
        assert_eq!(
            file(&mut reg, &request(&c2, at(2026, 4, 1))).serial,
            "XMT-2026-0002"
        );
    }

    #[test]
    fn correction_keeps_serial_and_uuid_and_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let (c1, c2) = (content(1), content(2));
        let v1 = file(&mut reg, &request(&c1, at(2026, 3, 1)));

        let mut fix = request(&c2, at(2026, 3, 9));
        fix.serial = Some(&v1.serial);
        fix.unit = "信息工程学院";
        let v2 = file(&mut reg, &fix);
        assert!(v2.is_new);
        assert_eq!((v2.serial.as_str(), v2.version), (v1.serial.as_str(), 2));
        assert_eq!(v2.uuid, v1.uuid);
        assert_eq!(v2.filed_at, "2026-03-09T09:30:15+08:00");

        let history = reg.history(&v1.serial).expect("history");
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].content_sha256, sha256_hex(&c1));
        assert_eq!(history[1].content_sha256, sha256_hex(&c2));
        assert_eq!(history[1].unit, "信息工程学院");
        assert_eq!(history[1].seq, Some(1));
        let latest = reg.latest(&v1.serial).expect("query").expect("exists");
        assert_eq!(latest.version, 2);
        let old = reg.version(&v1.serial, 1).expect("query").expect("exists");
        assert_eq!(old.unit, "信息学院");
        assert!(reg.version(&v1.serial, 3).expect("query").is_none());

        // Re-filing the corrected record is idempotent on version 2 …
        assert!(!file(&mut reg, &fix).is_new);
        // … and the list shows the latest version only.
        let listed = reg.list(&ListFilter::default()).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].version, 2);
    }

    #[test]
    fn unknown_serial_needs_import() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let c = content(1);
        let mut req = request(&c, at(2026, 3, 1));
        req.serial = Some("XMT-2026-0001");
        match reg.file(&req, pdf) {
            Err(FileError::Registry(RegistryError::UnknownSerial(s))) => {
                assert_eq!(s, "XMT-2026-0001");
            }
            other => panic!("expected UnknownSerial, got {other:?}"),
        }
        assert!(reg.latest("XMT-2026-0001").expect("query").is_none());

        req.import = true;
        let filed = file(&mut reg, &req);
        assert_eq!((filed.serial.as_str(), filed.version), ("XMT-2026-0001", 1));
        let rec = reg.latest("XMT-2026-0001").expect("query").expect("stored");
        assert_eq!(rec.seq, None);
        assert_eq!(rec.year, 2026);

        // A hand-numbered serial in another scheme takes the filing's year.
        let c2 = content(2);
        let mut other = request(&c2, at(2025, 11, 2));
        other.serial = Some("院办备字2025第3号");
        other.import = true;
        file(&mut reg, &other);
        let rec = reg
            .latest("院办备字2025第3号")
            .expect("query")
            .expect("stored");
        assert_eq!((rec.year, rec.seq), (2025, None));

        // Allocation skips the number the import already took.
        let c3 = content(3);
        assert_eq!(
            file(&mut reg, &request(&c3, at(2026, 3, 2))).serial,
            "XMT-2026-0002"
        );

        // Imported serials must be usable as file names.
        let c4 = content(4);
        let mut evil = request(&c4, at(2026, 3, 2));
        evil.import = true;
        for serial in ["../x", "a b", "", "NUL", "x\u{0}"] {
            evil.serial = Some(serial);
            assert!(
                matches!(
                    reg.file(&evil, pdf),
                    Err(FileError::Registry(RegistryError::BadSerial(_)))
                ),
                "{serial:?}"
            );
        }
    }

    #[test]
    fn serial_of_the_other_form_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let c = content(1);
        let filed = file(&mut reg, &request(&c, at(2026, 3, 1)));
        let c2 = content(2);
        let mut req = request(&c2, at(2026, 3, 2));
        req.form = "group";
        req.serial = Some(&filed.serial);
        req.import = true;
        match reg.file(&req, pdf) {
            Err(FileError::Registry(RegistryError::WrongForm { serial, form })) => {
                assert_eq!(
                    (serial.as_str(), form.as_str()),
                    ("XMT-2026-0001", "account")
                );
            }
            other => panic!("expected WrongForm, got {other:?}"),
        }
        // Same content under the other form is not "the same filing".
        let mut group = request(&c, at(2026, 3, 2));
        group.form = "group";
        assert_eq!(file(&mut reg, &group).serial, "QUN-2026-0001");
    }

    #[test]
    fn render_error_rolls_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let c = content(1);
        let req = request(&c, at(2026, 3, 1));
        let mut seen = None;
        let result = reg.file(&req, |f| {
            seen = Some(f.serial.clone());
            Err::<Vec<Output>, _>("font missing")
        });
        assert!(matches!(result, Err(FileError::Render("font missing"))));
        assert_eq!(seen.as_deref(), Some("XMT-2026-0001"));
        assert!(reg.latest("XMT-2026-0001").expect("query").is_none());
        assert!(reg.list(&ListFilter::default()).expect("list").is_empty());

        let c2 = content(2);
        assert_eq!(
            file(&mut reg, &request(&c2, at(2026, 3, 1))).serial,
            "XMT-2026-0001"
        );
        // And the failed content files normally afterwards.
        assert_eq!(file(&mut reg, &req).serial, "XMT-2026-0002");
    }

    #[test]
    fn drift_is_detected_and_nothing_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let c = content(1);
        let req = request(&c, at(2026, 3, 1));
        let out = |kind: &str, bytes: &[u8]| Output {
            kind: kind.into(),
            copies: 2,
            file_name: format!("XMT-2026-0001.{kind}"),
            bytes: bytes.to_vec(),
        };
        reg.file(&req, |_| Ok::<_, Infallible>(vec![out("pdf", b"one")]))
            .expect("first filing");

        // Same bytes again, plus a new kind: accepted, docx hash added.
        let (filed, _) = reg
            .file(&req, |_| {
                Ok::<_, Infallible>(vec![out("pdf", b"one"), out("docx", b"two")])
            })
            .expect("idempotent re-render");
        assert!(!filed.is_new);

        // Different pdf bytes for the same version: drift, rolled back.
        let result = reg.file(&req, |_| {
            Ok::<_, Infallible>(vec![out("html", b"new"), out("pdf", b"changed")])
        });
        match result {
            Err(FileError::Registry(RegistryError::Drift {
                serial,
                version,
                kind,
                copies,
            })) => {
                assert_eq!((serial.as_str(), version), ("XMT-2026-0001", 1));
                assert_eq!((kind.as_str(), copies), ("pdf", 2));
            }
            other => panic!("expected Drift, got {other:?}"),
        }
        let rec = reg.latest("XMT-2026-0001").expect("query").expect("exists");
        let kinds: Vec<_> = rec.outputs.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["docx", "pdf"],
            "the html of the failed run is rolled back"
        );
        assert_eq!(rec.outputs[1].sha256, sha256_hex(b"one"));
        assert_eq!(rec.outputs[1].size, 3);
    }

    #[test]
    fn finds_outputs_by_hash() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let (c1, c2) = (content(1), content(2));
        let v1 = file(&mut reg, &request(&c1, at(2026, 3, 1)));
        let mut fix = request(&c2, at(2026, 3, 2));
        fix.serial = Some(&v1.serial);
        file(&mut reg, &fix);

        let sha = sha256_hex(b"%PDF XMT-2026-0001 v1").to_ascii_uppercase();
        let found = reg.find_output_by_sha256(&sha).expect("query");
        assert_eq!(found.len(), 1);
        let m = &found[0];
        assert_eq!(
            (m.serial.as_str(), m.version, m.latest_version),
            ("XMT-2026-0001", 1, 2)
        );
        assert_eq!(
            (m.kind.as_str(), m.copies, m.file_name.as_str()),
            ("pdf", 1, "XMT-2026-0001.pdf")
        );
        assert!(
            reg.find_output_by_sha256(&sha256_hex(b"nope"))
                .expect("query")
                .is_empty()
        );
    }

    #[test]
    fn lists_with_filters_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let texts: Vec<String> = (0..4).map(content).collect();
        let mut a = request(&texts[0], at(2027, 1, 2));
        a.unit = "外语学院";
        file(&mut reg, &a);
        file(&mut reg, &request(&texts[1], at(2026, 5, 1)));
        let mut g = request(&texts[2], at(2026, 5, 1));
        g.form = "group";
        file(&mut reg, &g);
        file(&mut reg, &request(&texts[3], at(2026, 5, 2)));

        let all: Vec<_> = reg
            .list(&ListFilter::default())
            .expect("list")
            .into_iter()
            .map(|r| r.serial)
            .collect();
        assert_eq!(
            all,
            [
                "XMT-2026-0001",
                "XMT-2026-0002",
                "XMT-2027-0001",
                "QUN-2026-0001"
            ]
        );

        let serials = |f: ListFilter| -> Vec<String> {
            reg.list(&f)
                .expect("list")
                .into_iter()
                .map(|r| r.serial)
                .collect()
        };
        assert_eq!(
            serials(ListFilter {
                form: Some("group".into()),
                ..ListFilter::default()
            }),
            ["QUN-2026-0001"]
        );
        assert_eq!(
            serials(ListFilter {
                year: Some(2027),
                ..ListFilter::default()
            }),
            ["XMT-2027-0001"]
        );
        assert_eq!(
            serials(ListFilter {
                unit: Some("外语".into()),
                ..ListFilter::default()
            }),
            ["XMT-2027-0001"]
        );
    }

    #[test]
    fn rejects_bad_requests() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let c = content(1);
        let mut req = request(&c, at(2026, 3, 1));
        req.form = "website";
        assert!(matches!(
            reg.file(&req, pdf),
            Err(FileError::Registry(RegistryError::UnknownForm(_)))
        ));
        let mut req = request(&c, at(2026, 3, 1));
        req.uuid = Some("not-a-uuid");
        assert!(matches!(
            reg.file(&req, pdf),
            Err(FileError::Registry(RegistryError::BadUuid(_)))
        ));
        for bad in ["serial = \"X\"\n", "not toml ="] {
            let req = request(bad, at(2026, 3, 1));
            assert!(matches!(
                reg.file(&req, pdf),
                Err(FileError::Registry(RegistryError::BadContent(_)))
            ));
        }
        // A given uuid is kept (normalised).
        let mut req = request(&c, at(2026, 3, 1));
        req.uuid = Some("6F1C8A52-1D3E-4A8B-9A31-0C2F1B5E7D44");
        assert_eq!(
            file(&mut reg, &req).uuid,
            "6f1c8a52-1d3e-4a8b-9a31-0c2f1b5e7d44"
        );
    }

    // --- database file -----------------------------------------------------

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
        assert_eq!(version, 1);
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
                supported: 1
            })
        ));
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

    // --- CSV ---------------------------------------------------------------

    #[test]
    fn csv_is_excel_friendly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = open(&dir);
        let c = content(1);
        let mut req = request(&c, at(2026, 3, 1));
        req.unit = "信息学院, \"新媒体\"中心";
        req.name = "=HYPERLINK(\"http://x\")";
        file(&mut reg, &req);
        let csv = list_csv(&reg.list(&ListFilter::default()).expect("list"));

        assert!(csv.starts_with("\u{FEFF}编号,版本,表格,申请单位名称,名称,备案时间,uuid\r\n"));
        assert!(csv.ends_with("\r\n"));
        assert!(!csv.replace("\r\n", "").contains('\n'));
        let row = csv.lines().nth(1).expect("one data row");
        assert!(row.starts_with("XMT-2026-0001,1,新媒体账号,"), "{row}");
        assert!(row.contains(",\"信息学院, \"\"新媒体\"\"中心\","), "{row}");
        assert!(row.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","), "{row}");
        assert!(row.contains(",2026-03-01T09:30:15+08:00,"), "{row}");
    }

    #[test]
    fn sha256_hex_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
