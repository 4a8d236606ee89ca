//! Filing: the registry side of the commands. `render` files each record
//! (assigning its 编号), renders it under that serial and writes the files;
//! `regen` rebuilds the files of a filing byte for byte; `verify` says whether
//! a file is a registered output; `list` and `show` print the register.
//!
//! Order of work for one record, so that a crash at any moment leaves the
//! registry and the output directory consistent: the filing and the hashes of
//! its outputs are committed in one transaction with the render inside it;
//! then each file is written to a temporary name and renamed. Re-running the
//! same record after a crash is idempotent and writes the same files.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use crate::error::{Error, Violation};
use crate::layout::{self, Layout, LayoutOptions};
use crate::pipeline::{self, Prepared};
use crate::record::{Node, Record, Syntax};
use crate::registry::{
    self, FileError, FilingRecord, FilingRequest, ListFilter, Output, Registry, RegistryError,
};
use crate::validate;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Pdf,
    /// Word; `embed_fonts` embeds the shipped fonts' used glyphs.
    Docx {
        embed_fonts: bool,
    },
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx { .. } => "docx",
        }
    }

    /// How the registry records the format: enough to regenerate the bytes.
    pub fn kind(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx { embed_fonts: false } => "docx",
            Format::Docx { embed_fonts: true } => "docx+fonts",
        }
    }

    fn from_kind(kind: &str) -> Option<Format> {
        match kind {
            "pdf" => Some(Format::Pdf),
            "docx" => Some(Format::Docx { embed_fonts: false }),
            "docx+fonts" => Some(Format::Docx { embed_fonts: true }),
            _ => None,
        }
    }
}

/// How to render.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub layout: LayoutOptions,
    pub formats: Vec<Format>,
}

/// The bytes of a layout in a format. Pure: same layout, same bytes.
pub fn render_format(layout: &Layout, format: Format) -> Result<Vec<u8>, Error> {
    match format {
        Format::Pdf => pipeline::render_pdf(layout),
        Format::Docx { embed_fonts } => pipeline::render_docx(layout, embed_fonts),
    }
}

/// Where the registry lives: `--registry`, else `BEIAN_REGISTRY`, else `./beian.db`.
pub fn registry_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("BEIAN_REGISTRY").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("beian.db"))
}

pub fn open(path: &Path) -> Result<Registry, Error> {
    Registry::open(path).map_err(|e| registry_error(path, e))
}

/// A registry error, in Chinese for what a user can act on.
pub fn registry_error(path: &Path, e: RegistryError) -> Error {
    let shown = path.display();
    match e {
        RegistryError::UnknownSerial(s) => Error::Rejected {
            source: format!("编号 {s}"),
            violations: vec![violation(
                "serial",
                format!("「{s}」不在登记簿（{shown}）中；手工编号的旧表请加 --import 登记"),
            )],
        },
        RegistryError::WrongForm { serial, form } => Error::Rejected {
            source: format!("编号 {serial}"),
            violations: vec![violation(
                "serial",
                format!("「{serial}」是{}的编号，不能用于另一种表格", form_zh(&form)),
            )],
        },
        RegistryError::BadSerial(m) => Error::Rejected {
            source: "编号".into(),
            violations: vec![violation("serial", format!("编号不可用：{m}"))],
        },
        RegistryError::Drift {
            serial,
            version,
            kind,
            ..
        } => Error::Internal(format!(
            "{serial} 第 {version} 版的 {kind} 与备案时登记的不一致：本版本的 beian 生成的文件与当初不同；\
             请用当初的 beian 版本重新生成，或把记录作为更正重新备案"
        )),
        RegistryError::BadTemplate(m) | RegistryError::Config(m) => Error::Usage(format!(
            "编号格式配置有误（{}）：{m}",
            registry::RegistryConfig::path_beside(path).display()
        )),
        RegistryError::SchemaTooNew { found, supported } => Error::Usage(format!(
            "登记簿「{shown}」由更新版本的 beian 写入（结构版本 {found}，本程序支持 {supported}）；请升级 beian"
        )),
        RegistryError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if matches!(
                f.code,
                rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::CannotOpen
            ) =>
        {
            Error::Usage(format!(
                "「{shown}」不是 beian 的登记簿（SQLite 数据库），或无法打开；请检查 --registry 指向的文件"
            ))
        }
        e if e.is_busy() => Error::Usage(format!(
            "登记簿「{shown}」正被其他程序长时间占用，请稍后再试"
        )),
        RegistryError::Io(io) => Error::io(path, "打开登记簿", io),
        other => Error::Internal(format!("registry {shown}: {other}")),
    }
}

fn violation(path: &str, message: String) -> Violation {
    Violation {
        path: path.into(),
        label: "编号".into(),
        message,
    }
}

fn form_zh(form: &str) -> &'static str {
    match form {
        "account" => "新媒体帐号（附件1）",
        _ => "QQ群、微博群（附件2）",
    }
}

/// Files and renders prepared records, then writes their files: each
/// record's outputs, plus `<serial>.toml`, the filed record, a self-contained
/// source for regeneration. What was done is added to `report` as it is
/// done, so that a failure part way still tells what was filed.
pub fn render_filed(
    registry: &mut Registry,
    prepared: &[Prepared],
    out_dir: &Path,
    options: &RenderOptions,
    import: bool,
    now: DateTime<FixedOffset>,
    report: &mut Vec<String>,
) -> Result<(), Error> {
    // Registry-side problems of every record first, so that a batch is
    // either refused whole or filed whole (barring I/O failures).
    let mut problems = Vec::new();
    let mut serials: Vec<Option<String>> = Vec::new();
    for p in prepared {
        let reject = |message: String| Error::Rejected {
            source: p.source.name(),
            violations: vec![violation("serial", message)],
        };
        // A record that carries the uuid of a filing is that filing.
        let mut serial = p.record.serial.clone();
        if serial.is_none()
            && let Some(uuid) = &p.record.uuid
        {
            serial = registry
                .serial_of_uuid(uuid)
                .map_err(|e| registry_error(registry.path(), e))?;
        }
        if let Some(s) = &serial {
            let known = registry
                .latest(s)
                .map_err(|e| registry_error(registry.path(), e))?;
            match known {
                None if !import => problems.push(reject(format!(
                    "「{s}」不在登记簿（{}）中；beian 之前手工编号的表格请加 --import 登记",
                    registry.path().display()
                ))),
                Some(f) if f.form != p.record.form.key() => problems.push(reject(format!(
                    "「{s}」是{}的编号，不能用于{}",
                    form_zh(&f.form),
                    form_zh(p.record.form.key())
                ))),
                _ => {}
            }
            if let Some(i) = serials
                .iter()
                .position(|o| o.as_deref() == Some(s.as_str()))
            {
                problems.push(reject(format!(
                    "「{s}」在这一批中出现了两次（另一份是 {}）；一个编号只对应一个帐号或群",
                    prepared[i].source.name()
                )));
            }
        }
        serials.push(serial);
    }
    match problems.len() {
        0 => {}
        1 => return Err(problems.remove(0)),
        _ => return Err(Error::Many(problems)),
    }

    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, "创建目录", e))?;
    pipeline::clean_stale_temporaries(out_dir);
    let copies = options.layout.copies as u32;
    for (p, serial) in prepared.iter().zip(&serials) {
        let content = content_of(&p.record);
        let req = FilingRequest {
            form: p.record.form.key(),
            serial: serial.as_deref(),
            import,
            uuid: p.record.uuid.as_deref(),
            unit: &p.record.unit,
            name: p.record.subject_name(),
            content: &content,
            now,
            beian_version: env!("CARGO_PKG_VERSION"),
        };
        let mut filed_record = None;
        let result = registry.file(&req, |filed| -> Result<Vec<Output>, Error> {
            let record = Record {
                serial: Some(filed.serial.clone()),
                uuid: Some(filed.uuid.clone()),
                filed_at: Some(filed.filed_at.clone()),
                ..p.record.clone()
            };
            let layout =
                layout::build(&record, options.layout).map_err(|violations| Error::Rejected {
                    source: p.source.name(),
                    violations,
                })?;
            let mut outputs = Vec::new();
            for &format in &options.formats {
                outputs.push(Output {
                    kind: format.kind().to_owned(),
                    copies,
                    file_name: format!("{}.{}", filed.serial, format.ext()),
                    bytes: render_format(&layout, format)?,
                });
            }
            filed_record = Some((record, layout.pages.len()));
            Ok(outputs)
        });
        let (filed, outputs) = result.map_err(|e| match e {
            FileError::Registry(e) => registry_error(registry.path(), e),
            FileError::Render(e) => e,
        })?;
        let Some((record, pages)) = filed_record else {
            return Err(Error::Internal("filing returned without rendering".into()));
        };
        report.push(match (filed.is_new, filed.version) {
            (true, 1) => format!("已备案 {}（{}）", filed.serial, p.source.name()),
            (true, v) => format!(
                "已更正 {} —— 第 {v} 版（{}）",
                filed.serial,
                p.source.name()
            ),
            (false, v) => format!(
                "{} 第 {v} 版已备案过，内容相同，照原样重新生成（{}）",
                filed.serial,
                p.source.name()
            ),
        });
        for o in &outputs {
            let path = out_dir.join(&o.file_name);
            pipeline::write_atomic(&path, &o.bytes)?;
            report.push(format!("  已生成 {}（{pages} 页）", path.display()));
        }
        let source = out_dir.join(format!("{}.toml", filed.serial));
        pipeline::write_atomic(&source, filed_source(&record).as_bytes())?;
        report.push(format!("  已生成 {}（备案记录）", source.display()));
    }
    Ok(())
}

/// The canonical text the registry hashes: the record without the fields
/// the registry assigns.
fn content_of(record: &Record) -> String {
    Record {
        serial: None,
        uuid: None,
        filed_at: None,
        ..record.clone()
    }
    .to_toml()
}

/// `<serial>.toml`: the filed record, with a comment saying what it is.
fn filed_source(record: &Record) -> String {
    format!(
        "# 备案记录：{} 的填写内容、编号、记录标识与备案时间。\n# 用它可重新生成表格：beian render {}.toml --draft\n{}",
        record.serial.as_deref().unwrap_or_default(),
        record.serial.as_deref().unwrap_or_default(),
        record.to_toml()
    )
}

/// A filing's record, read back from the registry's canonical text.
fn stored_record(f: &FilingRecord) -> Result<Record, Error> {
    let node = Node::parse(&f.canonical, Syntax::Toml)
        .map_err(|e| Error::Internal(format!("stored record of {}: {}", f.serial, e.message)))?;
    let checked = validate::check(&node);
    match (checked.record, checked.violations.is_empty()) {
        (Some(r), true) => Ok(r),
        _ => Err(Error::Internal(format!(
            "stored record of {} no longer validates: {}",
            f.serial,
            checked
                .violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))),
    }
}

/// Rebuilds every registered output of the latest version of each serial
/// (or of `version`), checks each against its stored hash, and writes them
/// only if all match.
pub fn regen(
    registry: &Registry,
    serials: &[String],
    version: Option<u32>,
    out_dir: &Path,
) -> Result<Vec<String>, Error> {
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
        let record = stored_record(&filing)?;
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
            let layout = layout::build(
                &record,
                LayoutOptions {
                    copies: out.copies as usize,
                },
            )
            .map_err(|v| Error::Rejected {
                source: serial.clone(),
                violations: v,
            })?;
            let bytes = render_format(&layout, format)?;
            if registry::sha256_hex(&bytes) != out.sha256 {
                problems.push(Error::Internal(format!(
                    "{serial} 第 {} 版的 {}（{} 份）重新生成后与备案时的文件不一致（登记的 SHA-256 为 {}）；\
                     备案时使用的是 beian {}，本程序是 {}",
                    filing.version,
                    out.file_name,
                    out.copies,
                    out.sha256,
                    filing.beian_version,
                    env!("CARGO_PKG_VERSION")
                )));
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
            filed_source(&record).into_bytes(),
        ));
    }
    match problems.len() {
        0 => {}
        1 => return Err(problems.remove(0)),
        _ => return Err(Error::Many(problems)),
    }
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, "创建目录", e))?;
    for (path, bytes) in &files {
        pipeline::write_atomic(path, bytes)?;
    }
    Ok(lines)
}

/// Whether each file is exactly a registered output. `Err` if any is not.
pub fn verify(registry: &Registry, files: &[PathBuf]) -> Result<Vec<String>, Error> {
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for file in files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                bad.push(Error::io(file, "读取", e).to_string());
                continue;
            }
        };
        let sha = registry::sha256_hex(&bytes);
        let found = registry
            .find_output_by_sha256(&sha)
            .map_err(|e| registry_error(registry.path(), e))?;
        match found.first() {
            Some(m) => {
                let superseded = if m.latest_version > m.version {
                    format!("；注意：该编号已有更正后的第 {} 版", m.latest_version)
                } else {
                    String::new()
                };
                lines.push(format!(
                    "{}：是登记的原件 —— 编号 {} 第 {} 版，{}，{} 份{superseded}",
                    file.display(),
                    m.serial,
                    m.version,
                    match m.kind.as_str() {
                        "pdf" => "PDF",
                        "docx" => "Word 文档",
                        "docx+fonts" => "Word 文档（内嵌字体）",
                        other => other,
                    },
                    m.copies
                ));
            }
            None => bad.push(format!(
                "{}：不是登记的原件 —— 登记簿中没有这个文件（SHA-256 {sha}）；它可能被修改过，或不是由本登记簿备案生成",
                file.display()
            )),
        }
    }
    if bad.is_empty() {
        Ok(lines)
    } else {
        lines.extend(bad);
        Err(Error::Negative(lines.join("\n")))
    }
}

/// The register as an aligned table, or CSV for Excel.
pub fn list(registry: &Registry, filter: &ListFilter, csv: bool) -> Result<String, Error> {
    let rows = registry
        .list(filter)
        .map_err(|e| registry_error(registry.path(), e))?;
    if csv {
        return Ok(registry::list_csv(&rows));
    }
    let mut table = vec![vec![
        "编号".to_owned(),
        "版本".to_owned(),
        "表格".to_owned(),
        "申请单位名称".to_owned(),
        "名称".to_owned(),
        "备案时间".to_owned(),
    ]];
    for r in &rows {
        table.push(vec![
            r.serial.clone(),
            r.version.to_string(),
            match r.form.as_str() {
                "account" => "新媒体".to_owned(),
                _ => "群".to_owned(),
            },
            r.unit.clone(),
            r.name.clone(),
            r.filed_at.clone(),
        ]);
    }
    let mut out = align(&table);
    out.push_str(&format!("共 {} 份备案\n", rows.len()));
    Ok(out)
}

/// The error for a serial (or one of its versions) the register lacks.
fn not_found(registry: &Registry, serial: &str, version: Option<u32>) -> Result<Error, Error> {
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

/// Every version of a filing, its files and its record.
pub fn show(registry: &Registry, serial: &str) -> Result<String, Error> {
    let history = registry
        .history(serial)
        .map_err(|e| registry_error(registry.path(), e))?;
    let Some(latest) = history.last() else {
        return Err(not_found(registry, serial, None)?);
    };
    let mut out = format!(
        "编号 {serial}（{}）  记录标识 {}\n",
        form_zh(&latest.form),
        latest.uuid
    );
    for f in &history {
        out.push_str(&format!(
            "第 {} 版  备案时间 {}  beian {}  {} · {}\n",
            f.version, f.filed_at, f.beian_version, f.unit, f.name
        ));
        for o in &f.outputs {
            out.push_str(&format!(
                "    {}（{} 份，{} 字节）SHA-256 {}\n",
                o.file_name, o.copies, o.size, o.sha256
            ));
        }
    }
    out.push_str(&format!(
        "\n最新记录（第 {} 版）：\n{}",
        latest.version, latest.canonical
    ));
    Ok(out)
}

/// Pads columns to equal display width (a CJK character is two columns).
fn align(rows: &[Vec<String>]) -> String {
    let width = |s: &str| -> usize {
        s.chars()
            .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
            .sum()
    };
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|i| rows.iter().map(|r| width(&r[i])).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - width(c))))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
