//! `beian verify`: is a file exactly a registered output, and which one?
//!
//! A file is read once, in pieces: hashed as it is read (a 2 GiB file needs
//! no 2 GB of memory), and its PDF titles noted on the way, so that a file
//! that is not on record can be said to be a print job, or a changed copy
//! of the form it claims to be.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Say, registry_error};
use crate::error::Error;
use crate::registry::{Registry, serial_problem};
use crate::render::Format;
use crate::render::print_job::is_print_job_title;

/// Says of each file whether it is a registered output. `Err` if any is not
/// (exit 1), or could not be read (exit 2).
pub fn verify(registry: &Registry, files: &[PathBuf], say: Say<'_>) -> Result<(), Error> {
    let mut bad: Vec<String> = Vec::new();
    let mut faults: Vec<Error> = Vec::new();
    // Checked once, before any "not on record": a damaged index would make
    // a genuine original look unknown.
    let mut sound: Option<bool> = None;
    for file in files {
        // A scan or a photo of a printed form: checked by its QR code.
        // (Only a regular file is opened: a pipe would block.)
        if std::fs::metadata(file).is_ok_and(|m| m.is_file())
            && std::fs::File::open(file)
                .and_then(|mut f| {
                    let mut head = [0u8; 8];
                    f.read(&mut head)
                        .map(|n| head.get(..n).is_some_and(super::scan::is_picture))
                })
                .unwrap_or(false)
        {
            if let Some(problem) = super::scan::check(registry, file, say)? {
                bad.push(problem);
            }
            continue;
        }
        let read = match read_file(file) {
            Ok(read) => read,
            Err(e) => {
                faults.push(e);
                continue;
            }
        };
        let found = registry
            .find_output_by_sha256(&read.sha256)
            .map_err(|e| registry_error(registry.path(), e))?;
        if let Some(m) = found.first() {
            let superseded = if m.latest_version > m.version {
                format!("；注意：该编号已有更正后的第 {} 版", m.latest_version)
            } else {
                String::new()
            };
            say(&format!(
                "{}：是登记的原件 —— 编号 {} 第 {} 版，{}，{} 份{superseded}",
                file.display(),
                m.serial,
                m.version,
                Format::from_kind(&m.kind).map_or(m.kind.as_str(), |f| f.label()),
                m.copies
            ));
            continue;
        }
        let ok = match sound {
            Some(ok) => ok,
            None => {
                let ok = registry
                    .quick_check()
                    .map_err(|e| registry_error(registry.path(), e))?;
                sound = Some(ok);
                ok
            }
        };
        if !ok {
            return Err(Error::Registry(format!(
                "登记簿「{}」已损坏，无法判断文件是否为原件（没有下结论）；请用备份恢复：beian restore 备份文件 --registry {}",
                registry.path().display(),
                registry.path().display()
            )));
        }
        let sha = &read.sha256;
        // A PDF beian did not write (no title of its own): a scan saved as
        // PDF, checked by the QR code in its pictures.
        if read.titles.is_empty()
            && read.pdf
            && std::fs::metadata(file).is_ok_and(|m| m.len() <= super::scan::MAX_PICTURE_BYTES)
            && std::fs::read(file).is_ok_and(|b| !super::scan::pdf_pictures(&b).is_empty())
        {
            if let Some(problem) = super::scan::check(registry, file, say)? {
                bad.push(problem);
            }
            continue;
        }
        if read.titles.iter().any(|t| is_print_job_title(t)) {
            bad.push(format!(
                "{}：这是合成的打印文件（beian render --combine），不是单份原件 —— 打印文件不登记；请核验各份的 PDF（如 XMT-2026-0001.pdf），或用 beian regen 编号 重新生成后核对",
                file.display()
            ));
            continue;
        }
        // A form says which serial it is in its title: 「…（XMT-2026-0007）」.
        let claimed = read.titles.iter().find_map(|t| claimed_serial(t));
        let known = match &claimed {
            Some(serial) => registry
                .latest(serial)
                .map_err(|e| registry_error(registry.path(), e))?,
            None => None,
        };
        bad.push(match (claimed, known) {
            (Some(serial), Some(f)) => format!(
                "{}：不是登记的原件 —— 它自称是 {serial}（{}），但与 {serial} 登记的任何一版文件都不一致（SHA-256 {sha}）：它被修改过，或是草稿；原件可用 beian regen {serial} 重新生成后对照",
                file.display(),
                f.name
            ),
            (Some(serial), None) => format!(
                "{}：不是登记的原件 —— 表上写着「{serial}」，但登记簿中没有这个编号（SHA-256 {sha}）；它可能是草稿、来自另一份登记簿，或是伪造的",
                file.display()
            ),
            (None, _) => format!(
                "{}：不是登记的原件 —— 登记簿中没有这个文件（SHA-256 {sha}）；它可能被修改过，或不是由本登记簿备案生成",
                file.display()
            ),
        });
    }
    match (bad.is_empty(), faults.is_empty()) {
        (true, true) => Ok(()),
        (false, true) => Err(Error::Negative(bad.join("\n"))),
        (_, false) => {
            let mut all = faults;
            if !bad.is_empty() {
                all.push(Error::Negative(bad.join("\n")));
            }
            Err(super::many(all).unwrap_or(Error::Internal("no fault".into())))
        }
    }
}

/// What reading a file gave: its SHA-256 and the PDF text-string titles
/// found in it (the document's, and bookmarks').
struct FileRead {
    sha256: String,
    titles: Vec<String>,
    /// It starts as a PDF does.
    pdf: bool,
}

/// Reads a regular file in pieces. A pipe, a device or a folder is refused
/// (a FIFO would block, a device never end).
fn read_file(file: &Path) -> Result<FileRead, Error> {
    let meta = std::fs::metadata(file).map_err(|e| Error::io(file, "读取", e))?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "「{}」不是普通文件（是文件夹、管道或设备），没有核验；请给出要核验的 PDF 或 Word 文件",
            file.display()
        )));
    }
    let mut f = std::fs::File::open(file).map_err(|e| Error::io(file, "读取", e))?;
    let mut hasher = Sha256::new();
    let mut titles = TitleScanner::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut pdf = None;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(file, "读取", e)),
        };
        let Some(piece) = buf.get(..n) else { break };
        hasher.update(piece);
        titles.feed(piece);
        pdf.get_or_insert_with(|| piece.starts_with(b"%PDF"));
    }
    Ok(FileRead {
        sha256: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        titles: titles.found,
        pdf: pdf.unwrap_or(false),
    })
}

/// Finds `/Title<FEFF…>` text strings (UTF-16BE in hex, as krilla writes
/// them) in a stream of pieces, across piece boundaries, keeping at most a
/// few dozen: memory stays small whatever the file.
#[derive(Default)]
struct TitleScanner {
    /// The end of the previous piece, where a title may have begun.
    carry: Vec<u8>,
    found: Vec<String>,
}

const TITLE_START: &[u8] = b"/Title<FEFF";
/// The longest title read (hex digits): 256 characters.
const TITLE_HEX: usize = 256 * 4;
const TITLES_KEPT: usize = 64;

impl TitleScanner {
    fn feed(&mut self, piece: &[u8]) {
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(piece);
        let mut at = 0;
        let mut keep_from = window.len().saturating_sub(TITLE_START.len() + TITLE_HEX);
        while let Some(found) = find(window.get(at..).unwrap_or_default(), TITLE_START) {
            let start = at + found + TITLE_START.len();
            let rest = window.get(start..).unwrap_or_default();
            match rest.iter().take(TITLE_HEX + 1).position(|b| *b == b'>') {
                Some(end) => {
                    if self.found.len() < TITLES_KEPT
                        && let Some(title) = rest.get(..end).and_then(decode_utf16_hex)
                    {
                        self.found.push(title);
                    }
                    at = start + end;
                }
                // Cut off by the piece's end: read again with the next one.
                None if rest.len() <= TITLE_HEX => {
                    keep_from = keep_from.min(at + found);
                    break;
                }
                None => at = start,
            }
        }
        keep_from = keep_from.max(at);
        self.carry = window.get(keep_from..).unwrap_or_default().to_vec();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// UTF-16BE text from hex digits.
fn decode_utf16_hex(hex: &[u8]) -> Option<String> {
    let digits: Vec<u8> = hex
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let units: Option<Vec<u16>> = digits
        .chunks(4)
        .map(|c| u16::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect();
    String::from_utf16(&units?).ok()
}

/// The serial a form's title names: 「新媒体建设备案及审批表（XMT-2026-0007）」.
fn claimed_serial(title: &str) -> Option<String> {
    let inner = title.rsplit_once('（')?.1.strip_suffix('）')?;
    serial_problem(inner).is_none().then(|| inner.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Titles are found whatever the pieces a file is read in.
    #[test]
    fn titles_are_found_across_pieces() {
        let title: String = "新媒体建设备案及审批表（XMT-2026-0007）"
            .encode_utf16()
            .map(|u| format!("{u:04X}"))
            .collect();
        let pdf = format!("%PDF-1.7 junk /Title<FEFF{title}> more /Title<FEFF0041> end");
        for size in [1, 2, 7, 64, 1000] {
            let mut scan = TitleScanner::default();
            for piece in pdf.as_bytes().chunks(size) {
                scan.feed(piece);
            }
            assert_eq!(
                scan.found,
                ["新媒体建设备案及审批表（XMT-2026-0007）", "A"],
                "pieces of {size}"
            );
        }
        assert_eq!(
            claimed_serial("新媒体建设备案及审批表（XMT-2026-0007）").as_deref(),
            Some("XMT-2026-0007")
        );
        assert_eq!(claimed_serial("备案表打印（3 份表格）"), None);
    }
}
