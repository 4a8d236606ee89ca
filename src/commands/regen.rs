//! `beian regen`: rebuilds the files of a filing from the register and checks
//! them, byte for byte, against the SHA-256 stored when it was filed.

use std::path::{Path, PathBuf};

use super::render::{filed_source, text_sha256};
use super::{Say, filing_spec, registry_error};
use crate::error::Error;
use crate::form::{Forms, current};
use crate::io;
use crate::layout::{self, LayoutOptions};
use crate::record::validate::{self, overflow_violation};
use crate::record::{Node, Record, Stamp, Syntax};
use crate::registry::{self, FilingRecord, OutputRecord, Registry};
use crate::render::{Format, OUTPUT_REVISION};

/// Rebuilds every registered output of the latest version of each serial
/// (or of `version`), checks each against its stored hash, and writes them
/// only if all match. An output filed under another output revision cannot
/// match byte for byte: it is rebuilt if its printed text is the same, and
/// said so; `exact` refuses it instead.
pub fn regen(
    registry: &Registry,
    serials: &[String],
    version: Option<u32>,
    exact: bool,
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
        // Every file name comes from the serial: a row whose serial is not
        // one beian writes (`../../x`) was not written by beian, and nothing
        // is written for it.
        if let Some(why) = registry::serial_problem(&filing.serial) {
            problems.push(Error::Registry(format!(
                "登记簿（{}）中的编号「{}」{why}：这一行不是 beian 写入的，可能被改动过；没有生成任何文件。请用备份核对登记簿",
                registry.path().display(),
                filing.serial.escape_debug()
            )));
            continue;
        }
        let serial = &filing.serial;
        let older = registry
            .latest(serial)
            .map_err(|e| registry_error(registry.path(), e))?
            .is_some_and(|l| l.version > filing.version);
        // A registry row asking for absurd copies (edited by hand) would
        // make pages without end: refused like a bad serial.
        if let Some(out) = filing
            .outputs
            .iter()
            .find(|o| !(1..=10).contains(&o.copies))
        {
            problems.push(Error::Registry(format!(
                "登记簿（{}）中 {serial} 第 {} 版的份数是 {}：这一行不是 beian 写入的，可能被改动过；没有生成任何文件",
                registry.path().display(),
                filing.version,
                out.copies
            )));
            continue;
        }
        let spec = filed_spec(registry, &filing)?;
        let (record, stamp) = stored_record(&filing, &current().with(spec))?;
        // Per kind and copy count, the output of the newest revision on
        // record (the current one if this beian filed or re-filed it).
        let mut newest: Vec<&OutputRecord> = Vec::new();
        for out in &filing.outputs {
            match newest
                .iter_mut()
                .find(|o| o.kind == out.kind && o.copies == out.copies)
            {
                Some(o) if o.revision < out.revision => *o = out,
                Some(_) => {}
                None => newest.push(out),
            }
        }
        for out in newest {
            // Outputs of one kind in several copy counts were all written
            // under one name; regenerated, each gets its own.
            let shared = filing
                .outputs
                .iter()
                .filter(|o| o.file_name == out.file_name && o.revision == out.revision)
                .count();
            let Some(format) = Format::from_kind(&out.kind) else {
                problems.push(Error::Usage(format!(
                    "{serial} 的 {} 文件是本版本 beian 不会生成的格式",
                    out.kind
                )));
                continue;
            };
            // Named by the serial and the format, never by the name on
            // record (it is data, and could hold a path).
            // An older version is named as such: it never replaces the
            // current version's files in the same folder.
            let stem = match older {
                true => format!("{serial} 第{}版", filing.version),
                false => serial.to_string(),
            };
            let file_name = match shared {
                2.. => format!("{stem}（{}份）.{}", out.copies, format.ext()),
                _ => format!("{stem}.{}", format.ext()),
            };
            let options = LayoutOptions {
                copies: out.copies as usize,
                ..Default::default()
            };
            let mut layout = layout::build_with(spec, &record, &stamp, options).map_err(|o| {
                Error::Rejected {
                    source: serial.clone(),
                    violations: o
                        .iter()
                        .map(|o| overflow_violation(record.form, o))
                        .collect(),
                }
            })?;
            layout::add_qr(&mut layout, &record, &stamp, filing.version);
            let bytes = format.render(&layout)?;
            let path = out_dir.join(&file_name);
            let what = format!("{} 第 {} 版，{} 份", serial, filing.version, out.copies);
            let same_bytes = registry::sha256_hex(&bytes) == out.sha256;
            // The same bytes are the filed file, whatever revision it was
            // filed under (most changes of revision leave most outputs alone).
            if same_bytes || out.revision == OUTPUT_REVISION {
                if !same_bytes {
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
                    "已重新生成 {}（{what}，与备案时逐字节一致）",
                    path.display()
                ));
            } else {
                // Filed under another output revision: these bytes cannot
                // be the filed ones; the printed text still must be.
                let revisions = format!("版式修订 {} → {OUTPUT_REVISION}", out.revision);
                let text_same = out
                    .text_sha256
                    .as_deref()
                    .map(|t| t == text_sha256(&layout));
                if exact {
                    problems.push(Error::Negative(format!(
                        "{serial} 第 {} 版的 {} 备案于版式修订 {}，本程序是版式修订 {OUTPUT_REVISION}，无法逐字节重现（--exact）；\
                         请用当初的 beian {} 重新生成，或去掉 --exact 按现在的版式生成",
                        filing.version, out.file_name, out.revision, filing.beian_version
                    )));
                    continue;
                }
                match text_same {
                    Some(false) => {
                        problems.push(Error::Negative(format!(
                            "{serial} 第 {} 版的 {}：{revisions}，重新生成的文字与备案时不一致，没有生成；\
                             请用当初的 beian {} 重新生成",
                            filing.version, out.file_name, filing.beian_version
                        )));
                        continue;
                    }
                    Some(true) => lines.push(format!(
                        "已重新生成 {}（{what}；内容一致；{revisions}，文件字节不同）",
                        path.display()
                    )),
                    None => lines.push(format!(
                        "已重新生成 {}（{what}；{revisions}，文件字节不同；备案时未记录文字摘要，无法核对文字）",
                        path.display()
                    )),
                }
            }
            files.push((path, bytes));
        }
        files.push((
            out_dir.join(match older {
                true => format!("{serial} 第{}版.toml", filing.version),
                false => format!("{serial}.toml"),
            }),
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

/// The form a filing was made with: the text the registry kept.
pub fn filed_spec(
    registry: &Registry,
    filing: &FilingRecord,
) -> Result<&'static crate::form::FormSpec, Error> {
    let stored = match &filing.form_sha256 {
        Some(sha) => registry
            .form_spec(sha)
            .map_err(|e| registry_error(registry.path(), e))?,
        None => None,
    };
    match &filing.form_sha256 {
        Some(_) => filing_spec(stored.as_deref(), filing.form),
        // Filed before the registry kept forms: the built-in ones are the
        // nearest to what it was filed with, an office's edited copy never is.
        None => Ok(crate::form::Forms::built_in().get(filing.form)),
    }
}

/// A filing's record and stamp, read back from the registry's canonical text.
pub fn stored_record(f: &FilingRecord, forms: &Forms) -> Result<(Record, Stamp), Error> {
    let damaged = |why: String| {
        Error::Registry(format!(
            "登记簿中 {} 第 {} 版的记录无法读取（{why}）：它可能由另一版本的 beian 写入，或登记簿已损坏",
            f.serial, f.version
        ))
    };
    let node = Node::parse(&f.canonical, Syntax::Toml).map_err(|e| damaged(e.message))?;
    let checked = validate::check_with(&node, forms);
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
