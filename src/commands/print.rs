//! The print job of `render --combine`: every form's copies in one PDF, in
//! roster order or by unit.

use std::path::Path;

use super::render::FILE_AT_ONCE;
use super::{Progress, Say, Stage, Tell};
use crate::error::Error;
use crate::form::FormSpec;
use crate::io;
use crate::layout::{self, LayoutOptions};
use crate::record::{Record, Stamp};
use crate::render::Format;
use crate::render::pdf::PdfError;
use crate::render::print_job::{JobForm, render_job};

/// The print job's file must be a PDF that can be written: said before
/// anything is filed.
pub(super) fn check_job_path(path: &Path) -> Result<(), Error> {
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
pub(super) fn write_job(
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
