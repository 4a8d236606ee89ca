//! Files in and out: where a record's text comes from ([`Source`]) and how
//! outputs reach the disk (atomic writes).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Violation};
use crate::record::Syntax;

/// A record is a page of text; anything much larger is not a record.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// Where a record comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Stdin,
}

impl Source {
    pub fn parse(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::File(PathBuf::from(arg))
        }
    }

    /// How messages name the source.
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Stdin => "<标准输入>".to_owned(),
        }
    }

    /// The file stem, for naming outputs of a record without a serial.
    pub fn stem(&self) -> Option<String> {
        match self {
            Source::File(p) => p.file_stem().map(|s| s.to_string_lossy().into_owned()),
            Source::Stdin => None,
        }
    }

    /// The syntax: as asked, else by extension, else sniffed.
    pub fn syntax(&self, asked: Option<Syntax>, text: &str) -> Syntax {
        if let Some(s) = asked {
            return s;
        }
        match self {
            Source::File(p) => match p.extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("json") => Syntax::Json,
                Some(e) if e.eq_ignore_ascii_case("toml") => Syntax::Toml,
                _ => Syntax::sniff(text),
            },
            Source::Stdin => Syntax::sniff(text),
        }
    }

    /// Reads the text of the source (at most [`MAX_RECORD_BYTES`]).
    pub fn read(&self) -> Result<String, Error> {
        let mut bytes = Vec::new();
        let limit = MAX_RECORD_BYTES as u64 + 1;
        match self {
            Source::File(p) => std::fs::File::open(p)
                .and_then(|f| f.take(limit).read_to_end(&mut bytes))
                .map_err(|e| Error::io(p, "读取", e))?,
            Source::Stdin => std::io::stdin()
                .take(limit)
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io("<标准输入>", "读取", e))?,
        };
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(Error::Rejected {
                source: self.name(),
                violations: vec![Violation {
                    path: String::new(),
                    label: String::new(),
                    message: format!(
                        "文件太大（超过 {} KB）：一份记录只填一个帐号或一个群，通常不到 2 KB",
                        MAX_RECORD_BYTES / 1024
                    ),
                }],
            });
        }
        String::from_utf8(bytes).map_err(|_| Error::Rejected {
            source: self.name(),
            violations: vec![Violation {
                path: String::new(),
                label: String::new(),
                message: "文件不是 UTF-8 编码；请用记事本「另存为」并选择 UTF-8 编码".into(),
            }],
        })
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, flushed to disk, then renamed over the target. A reader (or a
/// crash) never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Hidden, and not ending in .pdf/.docx: never mistaken for an output.
    let tmp = dir.join(format!(".beian-tmp-{}-{name}.part", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, "写入", e)
    })
}

/// Removes temporary files that a killed beian left in `dir` (their process
/// is gone). Where processes cannot be looked up, leaves them alone.
pub fn clean_stale_temporaries(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".beian-tmp-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
