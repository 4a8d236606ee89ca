//! `beian regen`: rebuilds the files of a filing from the register and checks
//! them, byte for byte, against the SHA-256 stored when it was filed.

use std::path::{Path, PathBuf};

use super::render::filed_source;
use super::{Say, registry_error};
use crate::error::Error;
use crate::io;
use crate::layout::{self, LayoutOptions};
use crate::record::validate::{self, overflow_violation};
use crate::record::{Node, Record, Stamp, Syntax};
use crate::registry::{self, FilingRecord, Registry};
use crate::render::Format;

/// Rebuilds every registered output of the latest version of each serial
/// (or of `version`), checks each against its stored hash, and writes them
/// only if all match.
pub fn regen(
    registry: &Registry,
    serials: &[String],
    version: Option<u32>,
    out_dir: &Path,
    say: Say<'_>,
) -> Result<(), Error> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for serial in serials {
        let filing = match version {
            Some(v) => registry.version(serial, v),
            None => registry.latest(serial),
        }
        .map_err(|e| registry_error(registry.path(), e))?;
        let Some(filing) = filing else {
            problems.push(not_found(registry, serial, version)?);
            continue;
        };
        let (record, stamp) = stored_record(&filing)?;
        for out in &filing.outputs {
            // Outputs of one kind in several copy counts were all written
            // under one name; regenerated, each gets its own.
            let shared = filing
                .outputs
                .iter()
                .filter(|o| o.file_name == out.file_name)
                .count();
            let file_name = match (shared, out.file_name.rsplit_once('.')) {
                (2.., Some((stem, ext))) => format!("{stem}（{}份）.{ext}", out.copies),
                _ => out.file_name.clone(),
            };
            let Some(format) = Format::from_kind(&out.kind) else {
                problems.push(Error::Usage(format!(
                    "{serial} 的 {} 文件是本版本 beian 不会生成的格式",
                    out.kind
                )));
                continue;
            };
            let options = LayoutOptions {
                copies: out.copies as usize,
            };
            let layout = layout::build(&record, &stamp, options).map_err(|o| Error::Rejected {
                source: serial.clone(),
                violations: o
                    .iter()
                    .map(|o| overflow_violation(record.form, o))
                    .collect(),
            })?;
            let bytes = format.render(&layout)?;
            if registry::sha256_hex(&bytes) != out.sha256 {
                problems.push(Error::Drift {
                    serial: serial.clone(),
                    version: filing.version,
                    file: out.file_name.clone(),
                    copies: out.copies,
                    filed_sha256: out.sha256.clone(),
                    filed_by: filing.beian_version.clone(),
                });
                continue;
            }
            lines.push(format!(
                "已重新生成 {}（{} 第 {} 版，{} 份，与备案时逐字节一致）",
                out_dir.join(&file_name).display(),
                serial,
                filing.version,
                out.copies
            ));
            files.push((out_dir.join(&file_name), bytes));
        }
        files.push((
            out_dir.join(format!("{serial}.toml")),
            filed_source(&stamp, &record.to_toml()).into_bytes(),
        ));
    }
    match problems.len() {
        0 => {}
        1 => return Err(problems.remove(0)),
        _ => return Err(Error::Many(problems)),
    }
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, "创建目录", e))?;
    for (path, bytes) in &files {
        io::write_atomic(path, bytes)?;
    }
    for line in &lines {
        say(line);
    }
    Ok(())
}

/// A filing's record and stamp, read back from the registry's canonical text.
pub fn stored_record(f: &FilingRecord) -> Result<(Record, Stamp), Error> {
    let damaged = |why: String| {
        Error::Registry(format!(
            "登记簿中 {} 第 {} 版的记录无法读取（{why}）：它可能由另一版本的 beian 写入，或登记簿已损坏",
            f.serial, f.version
        ))
    };
    let node = Node::parse(&f.canonical, Syntax::Toml).map_err(|e| damaged(e.message))?;
    let checked = validate::check(&node);
    match (checked.record, checked.violations.is_empty()) {
        (Some(r), true) => Ok((r, checked.stamp)),
        _ => Err(damaged(
            checked
                .violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("；"),
        )),
    }
}

/// The error for a serial (or one of its versions) the register lacks.
pub fn not_found(registry: &Registry, serial: &str, version: Option<u32>) -> Result<Error, Error> {
    let latest = registry
        .latest(serial)
        .map_err(|e| registry_error(registry.path(), e))?;
    Ok(Error::Negative(match (latest, version) {
        (Some(f), Some(v)) => format!(
            "编号 {serial} 没有第 {v} 版（现有第 1 至第 {} 版）",
            f.version
        ),
        _ => format!(
            "登记簿「{}」中没有编号「{serial}」（beian list 可列出全部编号）",
            registry.path().display()
        ),
    }))
}
