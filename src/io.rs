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
    /// A command-line argument: `-` is standard input, anything else a path
    /// (any bytes: a file name need not be UTF-8).
    pub fn parse(arg: impl Into<std::ffi::OsString>) -> Source {
        let arg = arg.into();
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
        decode_text(&bytes).ok_or_else(|| Error::Rejected {
            source: self.name(),
            violations: vec![Violation {
                path: String::new(),
                label: String::new(),
                message: NOT_TEXT.into(),
            }],
        })
    }
}

/// `text` safe to print on a terminal: control characters (an escape
/// sequence stored in a registry, quoted from a bad record) and the bidi
/// overrides that reorder what a reader sees are shown as `\u{1b}`, never
/// sent raw. Line breaks and tabs stay.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t' && c != '\r')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    // A carriage return passes only as the CR of a CRLF (CSV for Excel);
    // alone it would move the cursor back over what was printed.
    let lone_cr = |(i, c): (usize, char)| {
        c == '\r' && !text.get(i + 1..).is_some_and(|rest| rest.starts_with('\n'))
    };
    let clean = !text.contains(unsafe_char) && !text.char_indices().any(lone_cr);
    match clean {
        true => std::borrow::Cow::Borrowed(text),
        false => std::borrow::Cow::Owned(
            text.char_indices()
                .map(|(i, c)| match unsafe_char(c) || lone_cr((i, c)) {
                    true => c.escape_unicode().to_string(),
                    false => c.to_string(),
                })
                .collect(),
        ),
    }
}

/// Said of a file that is no text in any encoding beian reads.
pub const NOT_TEXT: &str = "文件不是文字（不是 UTF-8、UTF-16 或 GBK/GB18030 编码的文本）；请用记事本打开，「另存为」并选择 UTF-8 编码";

/// The text of a file as Chinese Windows programs save it: UTF-8 with or
/// without a BOM, UTF-16 with its BOM (PowerShell's `>`, Notepad's
/// "Unicode"), else GB18030 (GBK: Notepad's "ANSI" on Chinese Windows).
/// `None` if it is none of them cleanly — a binary file, say.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling_and_without_replacement(bytes.get(bom..)?)
            .map(|t| t.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text.to_owned()),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|t| t.into_owned())
            // A NUL is no character of a record: a binary file.
            .filter(|t| !t.contains('\0')),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, flushed to disk, then renamed over the target. A reader (or a
/// crash) never sees half a file.
///
/// The temporary file is created new (`O_EXCL`: a symlink planted under its
/// name is never followed, the create fails instead), under a random name,
/// readable by its owner only (0600): outputs hold names, phones and
/// e-mails. The rename replaces `path` itself, never what a symlink there
/// points to.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Hidden, and not ending in .pdf/.docx: never mistaken for an output;
    // the pid lets a later run clear what a killed one left.
    let result = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(".part")
        .tempfile_in(dir)
        .and_then(|mut tmp| {
            tmp.write_all(bytes)?;
            tmp.as_file().sync_data()?;
            tmp.persist(path).map(|_| ()).map_err(|e| e.error)
        });
    result.map_err(|e| Error::io(path, "写入", e))
}

/// How beian's temporary files start.
const TEMP_PREFIX: &str = ".beian-tmp-";

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
        let Some(rest) = name.strip_prefix(TEMP_PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A local user who plants symlinks under the temporary names beian
    /// used to use (pid and file name, predictable) does not make it write
    /// through them; nor does a symlink at the output's own name: it is
    /// replaced by the file, and what it pointed to is untouched.
    #[test]
    fn planted_symlinks_are_never_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep").expect("victim");
        let out = dir.path().join("XMT-2026-0001.pdf");
        let planted = dir.path().join(format!(
            ".beian-tmp-{}-XMT-2026-0001.pdf.part",
            std::process::id()
        ));
        std::os::unix::fs::symlink(&victim, &planted).expect("plant");
        write_atomic(&out, b"%PDF-1.7 form").expect("write");
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep");

        let link = dir.path().join("XMT-2026-0002.pdf");
        std::os::unix::fs::symlink(&victim, &link).expect("plant");
        write_atomic(&link, b"%PDF-1.7 second").expect("write");
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep");
        let meta = std::fs::symlink_metadata(&link).expect("meta");
        assert!(meta.file_type().is_file());
        assert_eq!(std::fs::read(&link).expect("read"), b"%PDF-1.7 second");
    }

    /// Escape sequences and bidi overrides are shown, never sent raw;
    /// Chinese, line breaks and tabs pass.
    #[test]
    fn printing_never_sends_control_characters() {
        assert_eq!(printable("学生会\n\t编号"), "学生会\n\t编号");
        assert_eq!(printable("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(printable("x\u{202E}y\u{9b}"), "x\\u{202e}y\\u{9b}");
        assert_eq!(printable("a,b\r\nc\rd"), "a,b\r\nc\\u{d}d");
    }

    /// Outputs hold names, phones and e-mails: readable by their owner only.
    #[test]
    fn outputs_are_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("a.pdf");
        write_atomic(&out, b"x").expect("write");
        let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        // No temporary file is left.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, [std::ffi::OsString::from("a.pdf")]);
    }
}
