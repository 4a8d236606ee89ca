//! `beian render`: files each record (assigning its 编号), renders it under
//! that serial and writes the files; with `--draft`, renders without filing.
//!
//! Order of work for one record, so that a crash at any moment leaves the
//! registry and the output directory consistent: the filing and the hashes of
//! its outputs are committed in one transaction with the render inside it;
//! then each file is written to a temporary name and renamed. Re-running the
//! same record after a crash is idempotent and writes the same files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use super::{
    Progress, Say, Stage, Tell, filing_spec, form_name, open, prepare_each, registry_error,
    serial_violation,
};
use crate::error::{Error, Violation};
use crate::form::FormSpec;
use crate::io::{self, Source};
use crate::layout::{self, Layout, LayoutOptions};
use crate::pipeline::Prepared;
use crate::record::validate::overflow_violation;
use crate::record::{FormKind, Record, Stamp, Syntax};
use crate::registry::sha256_hex;
use crate::registry::{FileError, Filed, FilingRequest, Output, Registry};
use crate::render::pdf::PdfError;
use crate::render::print_job::{JobForm, render_job};
use crate::render::{Format, OUTPUT_REVISION};
use crate::settings::Settings;

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

/// The print job's file must be a PDF that can be written: said before
/// anything is filed.
fn check_job_path(path: &Path) -> Result<(), Error> {
    let pdf = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if !pdf || path.is_dir() {
        return Err(Error::Usage(format!(
            "--combine 要写到一个 .pdf 文件（如 打印.pdf），「{}」不是",
            path.display()
        )));
    }
    Ok(())
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

/// Renders without filing: named by serial if the record has one, else by
/// the record file's name.
pub fn render_draft(
    prepared: &[Prepared],
    output: &Path,
    formats: &[Format],
    say: Say<'_>,
    tell: Tell<'_>,
) -> Result<(), Error> {
    // Name every output before writing any, so a clash writes nothing.
    let mut planned: BTreeMap<PathBuf, (usize, Format)> = BTreeMap::new();
    for (i, p) in prepared.iter().enumerate() {
        // A draft of a numbered record is named apart from the filed files
        // (「XMT-2026-0001 草稿.pdf」): it never replaces them.
        let stem = p
            .stamp
            .serial
            .as_ref()
            .map(|serial| format!("{serial} {}", FormSpec::get(p.record.form).copies.draft))
            .or_else(|| {
                // A record file named like a serial (a filed record with its
                // stamp deleted): its draft never takes the filed form's name.
                p.origin.stem().map(|stem| {
                    let config = crate::registry::RegistryConfig::default();
                    let numbered = FormKind::ALL
                        .iter()
                        .any(|f| config.format_for(*f).parse_serial(&stem).is_some());
                    match numbered {
                        true => format!("{stem} {}", FormSpec::get(p.record.form).copies.draft),
                        false => stem,
                    }
                })
            })
            .or_else(|| p.stamp.uuid.clone())
            .unwrap_or_else(|| "record".to_owned());
        for &f in formats {
            let path = output.join(format!("{stem}.{}", f.ext()));
            if let Some((j, _)) = planned.insert(path.clone(), (i, f)) {
                return Err(Error::Usage(format!(
                    "「{}」和「{}」都会写到「{}」；请分开输出目录或给记录编号",
                    prepared.get(j).map(|o| o.origin.name()).unwrap_or_default(),
                    p.origin.name(),
                    path.display()
                )));
            }
        }
    }

    // Every record passed validation and layout, so only a fault of the
    // machine can stop this part way: each file is written as it is made
    // (memory stays flat for a roster of a thousand), and said when written.
    std::fs::create_dir_all(output).map_err(|e| Error::io(output, "创建目录", e))?;
    tell(Progress::Begin {
        stage: Stage::Render,
        total: planned.len(),
    });
    let planned: Vec<(PathBuf, (usize, Format))> = planned.into_iter().collect();
    // Rendered and written on every core, a few dozen at a time so that
    // progress is said as it is made.
    for chunk in planned.chunks(FILE_AT_ONCE) {
        let pages = crate::par::map(chunk, |(path, (i, format))| {
            let p = prepared
                .get(*i)
                .ok_or_else(|| Error::Internal("a planned draft without its record".into()))?;
            let layout = draft_layout(p)?;
            io::write_atomic(path, &format.render(&layout)?)?;
            Ok(layout.pages.len())
        })
        .into_iter()
        .collect::<Result<Vec<usize>, Error>>()?;
        for ((path, _), pages) in chunk.iter().zip(pages) {
            say(&format!("已生成 {}（{pages} 页）", path.display()));
            tell(Progress::Step);
        }
    }
    tell(Progress::End);
    Ok(())
}

/// A record's draft: as laid out when checked, or, for a record that
/// carries a serial, laid out again with 「草稿」 on every copy, so that it
/// cannot pass for the filed form.
fn draft_layout(p: &Prepared) -> Result<std::borrow::Cow<'_, Layout>, Error> {
    if p.stamp.serial.is_none() {
        return p.layout();
    }
    let options = LayoutOptions {
        draft: true,
        ..p.options
    };
    layout::build(&p.record, &p.stamp, options)
        .map(std::borrow::Cow::Owned)
        .map_err(|overflows| Error::Rejected {
            source: p.origin.name(),
            violations: overflows
                .iter()
                .map(|o| overflow_violation(p.record.form, o))
                .collect(),
        })
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
const FILE_AT_ONCE: usize = 32;

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

/// A form for the print job: what lays it out again when it is printed (a
/// department's forms are not all kept laid out in memory), and its bookmark.
pub struct JobLayout {
    pub bookmark: String,
    pub spec: &'static FormSpec,
    pub record: Record,
    pub stamp: Stamp,
    /// A draft of a numbered record: 「草稿」 on every copy.
    pub draft: bool,
    /// A filed form's version: its QR code (drafts have none).
    pub version: Option<u32>,
}

/// The order of the forms in a print job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PrintOrder {
    /// 按名单（记录）的顺序
    Given,
    /// 按申请单位，再按编号
    Unit,
}

/// Writes the print job: every form's copies in one PDF.
fn write_job(
    mut forms: Vec<JobLayout>,
    path: &Path,
    order: PrintOrder,
    duplex: bool,
    options: LayoutOptions,
    say: Say<'_>,
    tell: Tell<'_>,
) -> Result<(), Error> {
    // A record given twice is one filing: printed once.
    let mut seen = std::collections::BTreeSet::new();
    forms.retain(|f| {
        f.stamp
            .serial
            .as_ref()
            .is_none_or(|s| seen.insert(s.clone()))
    });
    if order == PrintOrder::Unit {
        // Units in pinyin order, as a Chinese office sorts them: GB2312's
        // common characters are in pinyin order, so their GB18030 bytes sort
        // 电子商务系 before 会计系 before 信息工程系 (Unicode order does not).
        forms.sort_by_cached_key(|f| {
            (
                encoding_rs::GB18030.encode(&f.record.unit).0.into_owned(),
                f.stamp.serial.clone(),
            )
        });
    }
    tell(Progress::Begin {
        stage: Stage::Print,
        total: forms.len(),
    });
    // Laid out on every core a few dozen at a time, as the PDF takes them.
    // (Laying out on a second thread while this one draws was slower: the
    // allocator's per-thread arenas cost more than the overlap saved.)
    let job = forms.chunks(FILE_AT_ONCE).flat_map(|chunk| {
        let laid_out: Vec<Result<JobForm, PdfError>> = crate::par::map(chunk, |f| {
            let options = LayoutOptions {
                draft: f.draft,
                ..options
            };
            layout::build_with(f.spec, &f.record, &f.stamp, options)
                .map(|mut layout| {
                    if let Some(version) = f.version {
                        layout::add_qr(&mut layout, &f.record, &f.stamp, version);
                    }
                    layout
                })
                .map(|layout| JobForm {
                    layout: std::borrow::Cow::Owned(layout),
                    bookmark: f.bookmark.clone(),
                })
                // It fitted when filed: only a fault of beian can get here.
                .map_err(|o| PdfError::Export(format!("{}：排版失败（{o:?}）", f.bookmark)))
        });
        for _ in chunk {
            tell(Progress::Step);
        }
        laid_out
    });
    let printed = render_job(job, duplex);
    tell(Progress::End);
    let printed = printed.map_err(|e| {
        Error::Render(crate::render::RenderError {
            format: Format::Pdf,
            message: e.to_string(),
        })
    })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "创建目录", e))?;
    }
    io::write_atomic(path, &printed.bytes)?;
    say(&format!(
        "已生成打印文件 {}（{} 份表格，{} 页{}）",
        path.display(),
        forms.len(),
        printed.pages,
        if duplex {
            "，每页背面留白，可双面打印"
        } else {
            ""
        }
    ));
    Ok(())
}

/// The serial each record files under (its own, or that of the filing its
/// uuid names), after checking every record against the registry, so that
/// a batch is either refused whole or filed whole (barring I/O failures).
fn check_serials(
    registry: &Registry,
    prepared: &[Prepared],
    import: bool,
    allow_duplicate: bool,
) -> Result<Vec<Result<Option<String>, Error>>, Error> {
    // The accounts and groups already filed, by every key that names them:
    // read only when the batch has a new record to check.
    let new_records = prepared
        .iter()
        .any(|p| p.stamp.serial.is_none() && p.stamp.uuid.is_none());
    let filed = match new_records && !allow_duplicate {
        true => filed_subjects(registry)?,
        false => HashMap::new(),
    };
    let mut out = Vec::new();
    let mut serials: Vec<Option<String>> = Vec::new();
    for p in prepared {
        let mut problems = Vec::new();
        let reject = |message: String| Error::Rejected {
            source: p.origin.name(),
            violations: vec![serial_violation(message)],
        };
        // A record that carries the uuid of a filing is that filing — if it
        // names the same account or group: a filed record copied as a
        // template keeps its uuid, and would otherwise replace the other
        // account's filing.
        let mut serial = p.stamp.serial.clone();
        if serial.is_none()
            && let Some(uuid) = &p.stamp.uuid
        {
            serial = registry
                .serial_of_uuid(uuid)
                .map_err(|e| registry_error(registry.path(), e))?;
            if let Some(s) = &serial
                && let Some(f) = registry
                    .latest(s)
                    .map_err(|e| registry_error(registry.path(), e))?
                && !same_subject(&f, &p.record)
            {
                out.push(Err(Error::Rejected {
                    source: p.origin.name(),
                    violations: vec![Violation {
                        path: "uuid".into(),
                        label: FormSpec::get(p.record.form).label("uuid").to_owned(),
                        message: format!(
                            "「{uuid}」是 {s}（{}）的记录标识，这份记录却是「{}」：复制备案记录作新记录的模板时，请删去 serial、uuid、filed_at、version 各行；若是给 {s} 改名，请写上 serial = \"{s}\"",
                            f.name,
                            p.record.subject_name()
                        ),
                    }],
                }));
                serials.push(None);
                continue;
            }
        }
        if let Some(s) = &serial {
            let known = registry
                .latest(s)
                .map_err(|e| registry_error(registry.path(), e))?;
            let reserved = match known {
                Some(_) => None,
                None => registry
                    .reservation(s)
                    .map_err(|e| registry_error(registry.path(), e))?,
            };
            match (known, reserved) {
                // Printed on a blank form by `blank --assign`.
                (None, Some(r)) if r.form != p.record.form => problems.push(reject(format!(
                    "「{s}」是预留给{}空白表的编号，不能用于{}",
                    form_name(r.form),
                    form_name(p.record.form)
                ))),
                (None, Some(_)) => {}
                // An imported serial in the other form's numbering
                // (XMT-… on a group) would file the group as an account's
                // number.
                (None, None)
                    if registry
                        .config()
                        .format_for(p.record.form.other())
                        .parse_serial(s)
                        .is_some()
                        && registry
                            .config()
                            .format_for(p.record.form)
                            .parse_serial(s)
                            .is_none() =>
                {
                    problems.push(reject(format!(
                        "「{s}」是{}的编号格式，不能用于{}",
                        form_name(p.record.form.other()),
                        form_name(p.record.form)
                    )))
                }
                (None, None) if !import => problems.push(reject(format!(
                    "「{s}」不在登记簿（{}）中；beian 之前手工编号的表格请加 --import 登记",
                    registry.path().display()
                ))),
                (Some(f), _) if f.form != p.record.form => problems.push(reject(format!(
                    "「{s}」是{}的编号，不能用于{}",
                    form_name(f.form),
                    form_name(p.record.form)
                ))),
                _ => {}
            }
            if let Some(i) = serials
                .iter()
                .position(|o| o.as_deref() == Some(s.as_str()))
            {
                problems.push(reject(format!(
                    "「{s}」在这一批中出现了两次（另一份是 {}）；一个编号只对应一个帐号或群",
                    prepared.get(i).map(|o| o.origin.name()).unwrap_or_default()
                )));
            }
        }
        // A new record's uuid, given twice, would file two serials under
        // one uuid.
        if serial.is_none()
            && let Some(uuid) = &p.stamp.uuid
            && let Some(other) = prepared.iter().take(out.len()).position(|o| {
                o.stamp.serial.is_none()
                    && o.stamp
                        .uuid
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(uuid))
            })
        {
            problems.push(reject(format!(
                "uuid「{uuid}」在这一批中出现了两次（另一份是 {}）；每份记录的 uuid 各不相同，新记录可以不写 uuid",
                prepared.get(other).map(|o| o.origin.name()).unwrap_or_default()
            )));
        }
        // A new record naming an account already filed under another serial
        // would be a second serial for one account.
        if serial.is_none() && p.stamp.uuid.is_none() && !filed.is_empty() {
            let content = p.record.to_toml();
            let same = registry
                .serial_of_content(p.record.form, &content)
                .map_err(|e| registry_error(registry.path(), e))?;
            let hit = p
                .record
                .subject_keys()
                .into_iter()
                .find_map(|k| filed.get(&k.key).map(|f| (k, f)));
            if let (None, Some((key, (other, name)))) = (same, hit) {
                let what = p.record.subject_word();
                problems.push(Error::Rejected {
                    source: p.origin.name(),
                    violations: vec![Violation {
                        path: key.path.to_owned(),
                        label: FormSpec::get(p.record.form).label(key.path).to_owned(),
                        message: format!(
                            "这个{what}（{}）已备案为 {other}（{name}）；要更正它，请在记录里写上 serial = \"{other}\"；确是另一个{what}，请加 --allow-duplicate",
                            key.said
                        ),
                    }],
                });
            }
        }
        serials.push(serial.clone());
        out.push(match problems.len() {
            0 => Ok(serial),
            _ => Err(problems.remove(0)),
        });
    }
    Ok(out)
}

/// Whether a filing and a record name the same account or group: a key in
/// common (账号id or 群号, or platform/type and name). A filing whose record
/// no longer reads is compared by name.
fn same_subject(filing: &crate::registry::FilingRecord, record: &Record) -> bool {
    match super::regen::stored_record(filing, crate::form::current()) {
        Ok((stored, _)) => {
            let keys = stored.subject_keys();
            record
                .subject_keys()
                .iter()
                .any(|k| keys.iter().any(|s| s.key == k.key))
        }
        Err(_) => filing.name == record.subject_name(),
    }
}

/// Every key naming an account or group already filed (latest versions),
/// with its serial and name. A filing whose record no longer reads under
/// the forms in use is left out (it cannot be compared).
fn filed_subjects(registry: &Registry) -> Result<HashMap<String, (String, String)>, Error> {
    let filings = registry
        .list(&crate::registry::ListFilter::default())
        .map_err(|e| registry_error(registry.path(), e))?;
    let mut keys = HashMap::new();
    for f in filings {
        let Ok((record, _)) = super::regen::stored_record(&f, crate::form::current()) else {
            continue;
        };
        for key in record.subject_keys() {
            keys.entry(key.key)
                .or_insert_with(|| (f.serial.clone(), f.name.clone()));
        }
    }
    Ok(keys)
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
