//! What the command line names, as records: a record file or standard
//! input, every record file below a folder, a JSON array or JSON Lines of
//! records, a CSV roster with one record per row.
//!
//! Each record keeps its [`Origin`], so that every message names it as the
//! office sees it: 「名单.csv 第 7 行（2023级电子商务3班）」. Records come in the
//! order given — a roster's rows in their order — which is the order serials
//! are assigned in.

mod columns;
pub mod roster;
mod workbook;
pub mod xlsx;

use std::path::{Path, PathBuf};

use crate::error::{Error, Violation};
use crate::io::Source;
use crate::record::{Node, Syntax};

pub use columns::column_path;
pub use workbook::{fill_in_workbook, table_workbook};

/// A roster or a list of records is larger than one record, but not
/// without bound: a department's forms for a year fit in far less.
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;

/// Where a record comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A whole record file, or standard input.
    Whole(Source),
    /// The `index`-th (1-based) record of a JSON array.
    Item { file: PathBuf, index: usize },
    /// A line of a JSON Lines file.
    Line { file: PathBuf, line: usize },
    /// A roster's row, numbered as the spreadsheet numbers it (the header
    /// is row 1), with the account or group name it gives.
    Row {
        file: PathBuf,
        /// The worksheet of a workbook.
        sheet: Option<String>,
        row: usize,
        name: Option<String>,
    },
}

impl Origin {
    /// How messages name it.
    pub fn name(&self) -> String {
        match self {
            Origin::Whole(source) => source.name(),
            Origin::Item { file, index } => format!("{} 第 {index} 项", file.display()),
            Origin::Line { file, line } => format!("{} 第 {line} 行", file.display()),
            Origin::Row {
                file,
                sheet,
                row,
                name,
            } => {
                let at = match sheet {
                    Some(s) => format!("{}「{s}」第 {row} 行", file.display()),
                    None => format!("{} 第 {row} 行", file.display()),
                };
                match name {
                    Some(name) => format!("{at}（{name}）"),
                    None => at,
                }
            }
        }
    }

    /// A file name for a draft of a record without a serial.
    pub fn stem(&self) -> Option<String> {
        let stem = |f: &Path| f.file_stem().map(|s| s.to_string_lossy().into_owned());
        match self {
            Origin::Whole(source) => source.stem(),
            Origin::Row {
                file,
                sheet: Some(sheet),
                row,
                ..
            } => stem(file).map(|s| format!("{s}-{sheet}-{row}")),
            Origin::Item { file, index: n }
            | Origin::Line { file, line: n }
            | Origin::Row { file, row: n, .. } => stem(file).map(|s| format!("{s}-{n}")),
        }
    }
}

/// A record as read, before it is checked: its text (to parse) or its tree.
pub enum Entry {
    Text {
        origin: Origin,
        text: String,
        syntax: Option<Syntax>,
    },
    Tree {
        origin: Origin,
        node: Node,
    },
}

/// What a source holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Record,
    JsonLines,
    Roster,
    Workbook,
}

fn kind_of(path: &Path) -> Kind {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jsonl" | "ndjson") => Kind::JsonLines,
        Some("csv" | "tsv" | "txt") => Kind::Roster,
        Some("xlsx") => Kind::Workbook,
        _ => Kind::Record,
    }
}

/// The records the sources hold, in order. A source that cannot be read
/// is an error in its place, so every other one is still checked.
pub fn expand(sources: Vec<Source>, syntax: Option<Syntax>) -> Vec<Result<Entry, Error>> {
    let mut out = Vec::new();
    for source in sources {
        match &source {
            Source::File(dir) if dir.is_dir() => match files_below(dir) {
                Ok(files) if files.is_empty() => out.push(Err(Error::Usage(format!(
                    "文件夹「{}」中没有记录文件（.toml、.json、.jsonl、.csv、.xlsx）",
                    dir.display()
                )))),
                Ok(files) => {
                    for file in files {
                        expand_file(file, syntax, &mut out);
                    }
                }
                Err(e) => out.push(Err(e)),
            },
            Source::File(file) => expand_file(file.clone(), syntax, &mut out),
            Source::Stdin => out.push(source.read().map(|text| Entry::Text {
                origin: Origin::Whole(Source::Stdin),
                text,
                syntax,
            })),
        }
    }
    out
}

fn expand_file(file: PathBuf, syntax: Option<Syntax>, out: &mut Vec<Result<Entry, Error>>) {
    let old_excel = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xls") || e.eq_ignore_ascii_case("et"));
    if old_excel {
        return out.extend(roster::rejected(
            &file,
            "这是旧版 Excel（.xls）或 WPS（.et）文件，beian 读不了；请「另存为」.xlsx 或 CSV"
                .into(),
        ));
    }
    let kind = kind_of(&file);
    if kind == Kind::Record && syntax != Some(Syntax::Json) && !is_json(&file) {
        let source = Source::File(file);
        out.push(source.read().map(|text| Entry::Text {
            origin: Origin::Whole(source),
            text,
            syntax,
        }));
        return;
    }
    let bytes = match read_batch(&file) {
        Ok(b) => b,
        Err(e) => return out.push(Err(e)),
    };
    match kind {
        Kind::Roster => out.extend(roster::rows(&file, &bytes)),
        Kind::Workbook => out.extend(xlsx::rows(&file, &bytes)),
        Kind::JsonLines => json_lines(&file, &bytes, out),
        Kind::Record => json_file(&file, &bytes, syntax, out),
    }
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// A JSON file: one record, or an array of records.
fn json_file(
    file: &Path,
    bytes: &[u8],
    syntax: Option<Syntax>,
    out: &mut Vec<Result<Entry, Error>>,
) {
    let whole = Origin::Whole(Source::File(file.to_owned()));
    let Some(text) = utf8(file, bytes, out) else {
        return;
    };
    let starts_array = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('[');
    if !starts_array {
        if text.len() > crate::io::MAX_RECORD_BYTES {
            return out.push(
                Source::File(file.to_owned())
                    .read()
                    .map(|text| Entry::Text {
                        origin: whole,
                        text,
                        syntax,
                    }),
            );
        }
        return out.push(Ok(Entry::Text {
            origin: whole,
            text,
            syntax,
        }));
    }
    match Node::parse(&text, Syntax::Json) {
        Ok(Node::Array(items)) if items.is_empty() => out.push(Err(Error::Rejected {
            source: file.display().to_string(),
            violations: vec![Violation {
                path: String::new(),
                label: String::new(),
                message: "这是一个空的列表 []，其中没有记录；一份记录是一个 { … }".into(),
            }],
        })),
        Ok(Node::Array(items)) => {
            for (i, node) in items.into_iter().enumerate() {
                out.push(Ok(Entry::Tree {
                    origin: Origin::Item {
                        file: file.to_owned(),
                        index: i + 1,
                    },
                    node,
                }));
            }
        }
        Ok(node) => out.push(Ok(Entry::Tree {
            origin: whole,
            node,
        })),
        Err(e) => out.push(Err(Error::Syntax {
            source: file.display().to_string(),
            line: e.line,
            column: e.column,
            message: e.message,
        })),
    }
}

/// JSON Lines: one record a line; blank lines are skipped.
fn json_lines(file: &Path, bytes: &[u8], out: &mut Vec<Result<Entry, Error>>) {
    let Some(text) = utf8(file, bytes, out) else {
        return;
    };
    for (i, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(Ok(Entry::Text {
            origin: Origin::Line {
                file: file.to_owned(),
                line: i + 1,
            },
            text: line.to_owned(),
            syntax: Some(Syntax::Json),
        }));
    }
}

fn utf8(file: &Path, bytes: &[u8], out: &mut Vec<Result<Entry, Error>>) -> Option<String> {
    match String::from_utf8(bytes.to_vec()) {
        Ok(t) => Some(t),
        Err(_) => {
            out.push(Err(Error::Rejected {
                source: file.display().to_string(),
                violations: vec![Violation {
                    path: String::new(),
                    label: String::new(),
                    message: "文件不是 UTF-8 编码；请用记事本「另存为」并选择 UTF-8 编码".into(),
                }],
            }));
            None
        }
    }
}

/// Reads a roster or list of records, at most [`MAX_BATCH_BYTES`].
fn read_batch(file: &Path) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_BATCH_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(file, "读取", e))?;
    if bytes.len() > MAX_BATCH_BYTES {
        return Err(Error::Rejected {
            source: file.display().to_string(),
            violations: vec![Violation {
                path: String::new(),
                label: String::new(),
                message: format!(
                    "文件太大（超过 {} MB）：一份名单通常不到 1 MB；请分成几个文件",
                    MAX_BATCH_BYTES / 1024 / 1024
                ),
            }],
        });
    }
    Ok(bytes)
}

/// Every record file below `dir`, in path order (sub-folders included;
/// hidden files and folders left out).
fn files_below(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| Error::io(&d, "读取文件夹", e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&d, "读取文件夹", e))?;
            let path = entry.path();
            // Hidden files, and the lock files Excel and WPS keep beside an
            // open workbook (~$名单.xlsx), are no records.
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.starts_with("~$") {
                continue;
            }
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .is_some_and(|e| {
                    matches!(
                        e.as_str(),
                        "toml" | "json" | "jsonl" | "ndjson" | "csv" | "xlsx"
                    )
                });
            if is_dir {
                pending.push(path);
            } else if wanted {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
