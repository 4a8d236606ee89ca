//! `beian render`: files each record (assigning its 编号), renders it under
//! that serial and writes the files; with `--draft`, renders without filing.
//!
//! Order of work for one record, so that a crash at any moment leaves the
//! registry and the output directory consistent: the filing and the hashes of
//! its outputs are committed in one transaction with the render inside it;
//! then each file is written to a temporary name and renamed. Re-running the
//! same record after a crash is idempotent and writes the same files.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use super::{Progress, Say, Stage, Tell, filing_spec, open, prepare_each, registry_error};
use crate::error::Error;
use crate::form::FormSpec;
use crate::io::{self, Source};
use crate::layout::{self, Layout, LayoutOptions};
use crate::pipeline::Prepared;
use crate::record::validate::overflow_violation;
use crate::record::{Stamp, Syntax};
use crate::registry::sha256_hex;
use crate::registry::{FileError, Filed, FilingRequest, Output, Registry};
use crate::render::{Format, OUTPUT_REVISION};
use crate::settings::Settings;

use super::draft::render_draft;
use super::print::{JobLayout, PrintOrder, check_job_path, write_job};
use super::serials::check_serials;

/// What `render` is asked to do, validated.
#[derive(Debug)]
pub struct RenderJob {
    pub sources: Vec<Source>,
    /// Where each form's files go; `None` only for a draft print job
    /// (`--draft --combine` without `-o`), which writes the print job alone.
    pub output: Option<PathBuf>,
    pub options: LayoutOptions,
    /// Sorted, without repeats.
    pub formats: Vec<Format>,
    pub syntax: Option<Syntax>,
    /// A draft files nothing.
    pub draft: bool,
    /// Accept serials the registry does not know (hand-numbered forms).
    pub import: bool,
    /// File the good records of a batch, and list the bad ones, instead of
    /// filing nothing.
    pub keep_going: bool,
    /// Name filed outputs `<serial> <name>.pdf`, so a department sees which
    /// class got which file.
    pub name_files: bool,
    /// Also write every form's copies into this one PDF, to print in one go.
    pub combine: Option<PathBuf>,
    /// In the combined PDF, a blank back after every page.
    pub duplex: bool,
    pub order: PrintOrder,
    /// File a new record even if its account or group is already filed.
    pub allow_duplicate: bool,
}

/// Runs `render`: prepares every record (all or nothing, or with
/// `--keep-going` the good ones), then drafts or files.
pub fn render(
    job: RenderJob,
    settings: &Settings,
    say: Say<'_>,
    tell: Tell<'_>,
) -> Result<(), Error> {
    if let Some(path) = &job.combine {
        check_job_path(path)?;
    }
    let (prepared, rejected) = prepare_each(job.sources, job.syntax, job.options, tell)?;
    let mut rejected = match (rejected, job.keep_going) {
        (None, _) => Vec::new(),
        (Some(e), false) => return Err(e),
        // The good records go on; the bad ones are listed at the end.
        (Some(e), true) if !prepared.is_empty() => match e {
            Error::Many(all) => all,
            e => vec![e],
        },
        (Some(e), true) => return Err(e),
    };
    let forms = match job.draft {
        true => {
            if let Some(output) = &job.output {
                render_draft(&prepared, output, &job.formats, say, tell)?;
            }
            prepared
                .iter()
                .map(|p| JobLayout {
                    bookmark: match &p.stamp.serial {
                        Some(s) => format!("{s} {}", p.record.subject_name()),
                        None => p.record.subject_name().to_owned(),
                    },
                    spec: FormSpec::get(p.record.form),
                    record: p.record.clone(),
                    draft: p.stamp.serial.is_some(),
                    stamp: p.stamp.clone(),
                    version: None,
                })
                .collect()
        }
        false => {
            let out_dir = job.output.as_deref().unwrap_or(Path::new("."));
            // A registry that does not exist yet is created only for a batch
            // it will file: a batch refused (an unknown serial without
            // --import) leaves none behind.
            let path = settings.registry()?;
            if !path.exists() && !job.keep_going {
                let empty = Registry::empty_at(path, Default::default())
                    .map_err(|e| registry_error(path, e))?;
                let refused: Vec<Error> = check_serials(&empty, &prepared, job.import, true)?
                    .into_iter()
                    .filter_map(Result::err)
                    .collect();
                if let Some(e) = super::many(refused) {
                    return Err(e);
                }
            }
            // Where the files go is checked before anything is filed: a
            // serial handed out for a form that cannot be written is lost.
            check_output_dir(out_dir)?;
            let mut registry = open(settings)?;
            say(&settings.registry_line());
            let now = chrono::Local::now().fixed_offset();
            let naming = match job.name_files {
                true => Naming::SerialAndName,
                false => Naming::Serial,
            };
            let (forms, refused) = render_filed(
                &mut registry,
                &prepared,
                out_dir,
                &Filing {
                    options: job.options,
                    formats: &job.formats,
                    import: job.import,
                    naming,
                    now,
                    keep_going: job.keep_going,
                    allow_duplicate: job.allow_duplicate,
                },
                say,
                tell,
            )?;
            rejected.extend(refused);
            forms
        }
    };
    let done = forms.len();
    if let Some(path) = &job.combine
        && done > 0
    {
        write_job(forms, path, job.order, job.duplex, job.options, say, tell)?;
    }
    match rejected.is_empty() {
        true => Ok(()),
        false => Err(Error::Partial { done, rejected }),
    }
}

/// The output folder can be made and written to: said before anything is
/// filed (and before a registry is created). Nothing is created here: a
/// probe file is made new and removed in the folder, or, if the folder does
/// not exist yet, in the nearest folder above it that does.
fn check_output_dir(dir: &Path) -> Result<(), Error> {
    let Some(existing) = dir
        .ancestors()
        .find(|d| d.as_os_str().is_empty() || d.exists())
    else {
        return Ok(());
    };
    let existing = match existing.as_os_str().is_empty() {
        true => Path::new("."),
        false => existing,
    };
    if !existing.is_dir() {
        return Err(Error::Usage(format!(
            "输出目录「{}」无法创建：「{}」是一个文件，不是文件夹；请用 -o 指定一个文件夹",
            dir.display(),
            existing.display()
        )));
    }
    tempfile::Builder::new()
        .prefix(".beian-probe-")
        .tempfile_in(existing)
        .map(drop)
        .map_err(|e| Error::io(dir, "写入输出目录", e))
}

/// How filed outputs are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// `XMT-2026-0007.pdf`
    Serial,
    /// `XMT-2026-0007 信息工程系学生会.pdf`
    SerialAndName,
}

/// How to file: everything `render_filed` needs besides the records.
#[derive(Clone, Copy)]
pub struct Filing<'a> {
    pub options: LayoutOptions,
    pub formats: &'a [Format],
    pub import: bool,
    pub naming: Naming,
    /// The filing time of new filings (the only wall-clock time in beian).
    pub now: DateTime<FixedOffset>,
    /// Set aside the records the registry refuses, and file the others.
    pub keep_going: bool,
    /// File a new record even if its account or group is already filed
    /// under another serial.
    pub allow_duplicate: bool,
}

/// The file name of an output: the serial, and with `SerialAndName` the
/// account's or group's name, made safe as a file name on every system.
fn output_name(serial: &str, name: &str, naming: Naming, ext: &str) -> String {
    match naming {
        Naming::Serial => format!("{serial}.{ext}"),
        Naming::SerialAndName => {
            let safe: String = name
                .chars()
                .map(|c| match c {
                    '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
                    c if c.is_control() => '_',
                    c => c,
                })
                .take(40)
                .collect();
            let safe = safe.trim().trim_matches('.');
            match safe.is_empty() {
                true => format!("{serial}.{ext}"),
                false => format!("{serial} {safe}.{ext}"),
            }
        }
    }
}

/// Files and renders prepared records, then writes their files: each
/// record's outputs, plus `<serial>.toml`, the filed record, a self-contained
/// source for regeneration. What was done is said as it is done, so that a
/// failure part way still tells what was filed.
pub fn render_filed(
    registry: &mut Registry,
    prepared: &[Prepared],
    out_dir: &Path,
    how: &Filing<'_>,
    say: Say<'_>,
    tell: Tell<'_>,
) -> Result<(Vec<JobLayout>, Vec<Error>), Error> {
    let Filing {
        options,
        formats,
        import,
        naming,
        now,
        keep_going,
        allow_duplicate,
    } = *how;
    // Registry-side problems of every record first, so that a batch is
    // either refused whole or filed whole (barring I/O failures); with
    // --keep-going, the refused records are set aside.
    let mut refused = Vec::new();
    let mut serials = Vec::with_capacity(prepared.len());
    for checked in check_serials(registry, prepared, import, allow_duplicate)? {
        match checked {
            Ok(serial) => serials.push(Some(serial)),
            Err(e) => {
                refused.push(e);
                serials.push(None);
            }
        }
    }
    if !refused.is_empty() && !keep_going {
        return Err(super::many(refused).unwrap_or(Error::Internal("no refusal".into())));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, "创建目录", e))?;
    io::clean_stale_temporaries(out_dir);
    let mut summary = vec![["编号", "名称", "文件"].map(str::to_owned)];
    let mut job = Vec::with_capacity(prepared.len());
    tell(Progress::Begin {
        stage: Stage::Render,
        total: serials.iter().flatten().count(),
    });
    let todo: Vec<(&Prepared, Option<&str>)> = prepared
        .iter()
        .zip(&serials)
        // Refused by the registry: set aside (--keep-going).
        .filter_map(|(p, serial)| serial.as_ref().map(|s| (p, s.as_deref())))
        .collect();
    for chunk in todo.chunks(FILE_AT_ONCE) {
        let contents: Vec<String> = chunk.iter().map(|(p, _)| p.record.to_toml()).collect();
        let subjects: Vec<Vec<String>> = chunk
            .iter()
            .map(|(p, _)| p.record.subject_keys().into_iter().map(|k| k.key).collect())
            .collect();
        let requests: Vec<FilingRequest> = chunk
            .iter()
            .zip(&contents)
            .zip(&subjects)
            .map(|(((p, serial), content), subjects)| FilingRequest {
                form: p.record.form,
                serial: *serial,
                import,
                uuid: p.stamp.uuid.as_deref(),
                unit: &p.record.unit,
                name: p.record.subject_name(),
                content,
                now,
                filed_at: p.stamp.filed_at.as_deref(),
                version: p.stamp.version,
                subjects,
                allow_duplicate,
                beian_version: env!("CARGO_PKG_VERSION"),
                output_revision: OUTPUT_REVISION,
                form_spec: &FormSpec::get(p.record.form).source,
            })
            .collect();
        // Serials are assigned in order inside one transaction; the forms
        // are rendered on every core (each a pure function of its layout, so
        // the bytes are those of rendering one by one), then committed.
        let mut laid_out = Vec::new();
        let result = registry.file_all(&requests, |filed| -> Result<_, Error> {
            let pairs: Vec<(&Filed, &Prepared)> =
                filed.iter().zip(chunk.iter().map(|(p, _)| *p)).collect();
            let rendered: Vec<(Vec<Output>, Made)> = crate::par::map(&pairs, |(filed, p)| {
                render_filing(p, filed, options, formats, naming)
            })
            .into_iter()
            .collect::<Result<_, Error>>()?;
            let (outputs, made): (Vec<_>, Vec<_>) = rendered.into_iter().unzip();
            laid_out = made;
            Ok(outputs)
        });
        let filed = result.map_err(|e| match e {
            FileError::Registry(e) => registry_error(registry.path(), e),
            FileError::Render(e) => e,
        })?;
        // Committed: said before the files are written, so that a failure
        // while writing still tells what was filed.
        for ((filed, _), (p, _)) in filed.iter().zip(chunk) {
            say(&filed_line(filed, &p.origin.name()));
        }
        // An older version's record (the original, after a correction) is
        // that version: its files never replace the newer version's.
        let mut newer: Vec<Option<u32>> = Vec::with_capacity(filed.len());
        for (f, _) in &filed {
            let latest = match f.is_new {
                true => None,
                false => registry
                    .latest(&f.serial)
                    .map_err(|e| registry_error(registry.path(), e))?
                    .map(|l| l.version)
                    .filter(|v| *v > f.version),
            };
            if let Some(v) = latest {
                say(&format!(
                    "  {} 已更正为第 {v} 版：第 {} 版的文件不再生成，以免覆盖第 {v} 版的文件；需要第 {} 版时：beian regen {} --version-of {} -o 目录",
                    f.serial, f.version, f.version, f.serial, f.version
                ));
            }
            newer.push(latest);
        }
        let sources: Vec<(PathBuf, String)> = filed
            .iter()
            .zip(&contents)
            .map(|((filed, _), content)| {
                (
                    out_dir.join(format!("{}.toml", filed.serial)),
                    filed_source(&stamp_of(filed), content),
                )
            })
            .collect();
        let files: Vec<(PathBuf, &[u8])> = filed
            .iter()
            .zip(&sources)
            .zip(&newer)
            .filter(|(_, newer)| newer.is_none())
            .flat_map(|(((_, outputs), (source, text)), _)| {
                let outputs = outputs
                    .iter()
                    .map(|o| (out_dir.join(&o.file_name), o.bytes.as_slice()));
                outputs.chain(std::iter::once((source.clone(), text.as_bytes())))
            })
            .collect();
        // Written (and synced) on every core too, for more than one record.
        match chunk.len() {
            1 => files
                .iter()
                .try_for_each(|(path, bytes)| io::write_atomic(path, bytes))?,
            _ => files
                .par_iter()
                .try_for_each(|(path, bytes)| io::write_atomic(path, bytes))?,
        }
        for ((((filed, outputs), (p, _)), ((stamp, spec, pages), (source, _))), newer) in filed
            .into_iter()
            .zip(chunk)
            .zip(laid_out.into_iter().zip(&sources))
            .zip(&newer)
        {
            if newer.is_some() {
                tell(Progress::Step);
                continue;
            }
            for o in &outputs {
                say(&format!(
                    "  已生成 {}（{pages} 页）",
                    out_dir.join(&o.file_name).display()
                ));
            }
            say(&format!("  已生成 {}（备案记录）", source.display()));
            let files: Vec<&str> = outputs.iter().map(|o| o.file_name.as_str()).collect();
            summary.push([
                filed.serial.clone(),
                p.record.subject_name().to_owned(),
                files.join("、"),
            ]);
            job.push(JobLayout {
                bookmark: format!("{} {}", filed.serial, p.record.subject_name()),
                spec,
                record: p.record.clone(),
                stamp,
                draft: false,
                version: Some(filed.version),
            });
            tell(Progress::Step);
        }
    }
    tell(Progress::End);
    // Which class, which account got which number: for the department.
    if summary.len() > 2 {
        say("");
        for line in super::list::align(&summary) {
            say(&line);
        }
    }
    Ok((job, refused))
}

/// How many records are filed in one transaction: enough to keep every core
/// busy, few enough that another process waits well under a second for the
/// registry, and that a batch's outputs are written as they are made.
pub(super) const FILE_AT_ONCE: usize = 32;

/// What rendering a filing made besides its outputs: its stamp and form
/// (for the print job) and its number of pages (for messages).
type Made = (Stamp, &'static FormSpec, usize);

/// Lays out and renders one filing (inside its transaction): its outputs,
/// and the stamp, form and page count the print job and messages need.
fn render_filing(
    p: &Prepared,
    filed: &Filed,
    options: LayoutOptions,
    formats: &[Format],
    naming: Naming,
) -> Result<(Vec<Output>, Made), Error> {
    let stamp = stamp_of(filed);
    // Filed before: rendered again with the form it was filed with.
    let spec = match (filed.is_new, &filed.form_sha256) {
        // Filed before the registry kept forms: the built-in ones.
        (false, None) => crate::form::Forms::built_in().get(p.record.form),
        _ => filing_spec(filed.form_spec.as_deref(), p.record.form)?,
    };
    let mut layout = stamped_layout(p, &stamp, spec, options)?;
    // Paper that can be checked: serial, version and digest in a QR code.
    layout::add_qr(&mut layout, &p.record, &stamp, filed.version);
    let text_sha256 = text_sha256(&layout);
    let mut outputs = Vec::new();
    for &format in formats {
        outputs.push(Output {
            kind: format.kind().to_owned(),
            copies: options.copies as u32,
            file_name: output_name(&filed.serial, p.record.subject_name(), naming, format.ext()),
            bytes: format.render(&layout)?,
            text_sha256: text_sha256.clone(),
        });
    }
    Ok((outputs, (stamp, spec, layout.pages.len())))
}

/// What the registry did with a record, said once it is committed.
fn filed_line(filed: &Filed, origin: &str) -> String {
    match (filed.is_new, filed.version) {
        (true, 1) => format!("已备案 {}（{origin}）", filed.serial),
        (true, v) => format!("已更正 {} —— 第 {v} 版（{origin}）", filed.serial),
        (false, v) if filed.output_revision == OUTPUT_REVISION => format!(
            "{} 第 {v} 版已备案过，内容相同，照原样重新生成（{origin}）",
            filed.serial
        ),
        (false, v) => format!(
            "{} 第 {v} 版已备案过，内容相同；版式修订 {} → {OUTPUT_REVISION}，按现在的版式重新生成，文件字节与当初不同（当初的文件仍可用 beian verify 核验）（{origin}）",
            filed.serial, filed.output_revision,
        ),
    }
}

/// The registry's stamp on a filing.
pub fn stamp_of(filed: &Filed) -> Stamp {
    Stamp {
        serial: Some(filed.serial.clone()),
        uuid: Some(filed.uuid.clone()),
        filed_at: Some(filed.filed_at.clone()),
        version: Some(filed.version),
    }
}

/// The record's layout under `stamp` on `spec`: the one already made if the
/// record carried that very stamp and the form is the one in use (a filed
/// record rendered again), that one stamped if the form is the one in use (a
/// new filing: the record is laid out once), else laid out anew.
fn stamped_layout(
    p: &Prepared,
    stamp: &Stamp,
    spec: &'static FormSpec,
    options: LayoutOptions,
) -> Result<Layout, Error> {
    let current = std::ptr::eq(spec, FormSpec::get(p.record.form));
    let laid_out = match (current, &p.layout, p.stamp == *stamp) {
        (true, Some(kept), true) => return Ok(kept.clone()),
        // The prepared layout, with only the serial's paragraph set again.
        (true, Some(kept), false) => layout::restamp(spec, kept, &p.record, stamp),
        // A big batch kept no layouts, or another form: laid out anew.
        _ => layout::build_with(spec, &p.record, stamp, options),
    };
    laid_out.map_err(|overflows| Error::Rejected {
        source: p.origin.name(),
        violations: overflows
            .iter()
            .map(|o| overflow_violation(p.record.form, o))
            .collect(),
    })
}

/// `<serial>.toml`: the filed record (stamp, then content), with comments
/// saying what it is, how to regenerate its form, and — on the uuid line —
/// that a copy used as a template must lose its stamp (else it would be
/// taken for this filing).
pub fn filed_source(stamp: &Stamp, content: &str) -> String {
    let serial = stamp.serial.as_deref().unwrap_or_default();
    let head: String = stamp
        .to_toml()
        .lines()
        .map(|line| match line.starts_with("uuid") {
            true => format!(
                "{line}  # 记录标识。复制本文件作新记录的模板时，请删去 serial、uuid、filed_at、version 各行\n"
            ),
            false => format!("{line}\n"),
        })
        .collect();
    format!(
        "# 备案记录：{serial} 的填写内容、编号、记录标识与备案时间。\n# 重新生成并核对原件：beian regen {serial}；登记簿丢失时，用各份备案记录重建：beian render --import 备案记录/*.toml\n{head}\n{content}"
    )
}

/// SHA-256 of the text a layout prints, page by page, paragraph by
/// paragraph: what stays the same when only the bytes of an output change.
pub fn text_sha256(layout: &Layout) -> String {
    let mut text = String::new();
    for page in &layout.pages {
        for para in page.paras() {
            text.push_str(&para.plain_text());
            text.push('\n');
        }
        text.push('\u{c}');
    }
    sha256_hex(text)
}
