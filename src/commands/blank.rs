//! `beian blank`: forms to fill in by hand — every printed text, empty value
//! cells, no box ticked, lines to write on; with `--assign`, each numbered
//! with a serial reserved in the registry.

use std::path::PathBuf;

use super::{Say, open, registry_error};
use crate::error::Error;
use crate::form::FormSpec;
use crate::io;
use crate::layout::{self, LayoutOptions};
use crate::record::{FormKind, Person, Record, Stamp};
use crate::registry::FileError;
use crate::render::Format;
use crate::render::print_job::{JobForm, render_job};
use crate::settings::Settings;

/// What `blank` is asked for.
#[derive(Debug)]
pub struct BlankJob {
    pub form: FormKind,
    pub output: PathBuf,
    pub copies: usize,
    /// How many forms (each of `copies` pages) in the PDF.
    pub count: usize,
    pub formats: Vec<Format>,
    /// Reserve `count` serials in the registry and print one on each form,
    /// so that forms filled in by hand are numbered and registered too.
    pub assign: bool,
}

/// A record with nothing filled in: every value empty, no choice made.
fn empty(form: FormKind) -> Record {
    Record {
        form,
        unit: String::new(),
        account: None,
        group: None,
        principal: Person::default(),
        admin: Person::default(),
    }
}

/// Writes the blank forms.
pub fn blank(job: BlankJob, settings: &Settings, say: Say<'_>) -> Result<(), Error> {
    if job.assign {
        return assigned(job, settings, say);
    }
    let spec = FormSpec::get(job.form);
    let options = LayoutOptions {
        copies: job.copies,
        ..Default::default()
    };
    let layout = layout::build(&empty(job.form), &Stamp::default(), options)
        .map_err(|_| Error::Internal("the blank form does not fit its page".into()))?;
    std::fs::create_dir_all(&job.output).map_err(|e| Error::io(&job.output, "创建目录", e))?;
    for format in &job.formats {
        let name = format!("{}空白表.{}", spec.name, format.ext());
        let path = job.output.join(&name);
        let bytes = match (format, job.count) {
            (Format::Pdf, 2..) => {
                let forms = (1..=job.count).map(|n| {
                    Ok(JobForm {
                        layout: std::borrow::Cow::Borrowed(&layout),
                        bookmark: format!("空白表 {n}"),
                    })
                });
                print_job(forms)?
            }
            _ => format.render(&layout)?,
        };
        io::write_atomic(&path, &bytes)?;
        let forms = if *format == Format::Pdf { job.count } else { 1 };
        say(&format!(
            "已生成 {}（{forms} 份空白表，每份 {} 页，手工填写）",
            path.display(),
            job.copies
        ));
    }
    Ok(())
}

/// Blank forms numbered with serials reserved in the registry: one PDF,
/// a form (its copies) per serial. The serials are reserved if and only if
/// the PDF was written.
fn assigned(job: BlankJob, settings: &Settings, say: Say<'_>) -> Result<(), Error> {
    if job.formats != [Format::Pdf] {
        return Err(Error::Usage(
            "--assign 只生成 PDF：编号印在表上，手工填写后按编号登记（请去掉 -f docx）".into(),
        ));
    }
    let spec = FormSpec::get(job.form);
    let options = LayoutOptions {
        copies: job.copies,
        ..Default::default()
    };
    let record = empty(job.form);
    std::fs::create_dir_all(&job.output).map_err(|e| Error::io(&job.output, "创建目录", e))?;
    let mut registry = open(settings)?;
    say(&settings.registry_line());
    let now = chrono::Local::now().fixed_offset();
    let mut written = None;
    let serials = registry
        .reserve(job.form, job.count, now, |serials| -> Result<(), Error> {
            let (Some(first), Some(last)) = (serials.first(), serials.last()) else {
                return Err(Error::Internal("no serial reserved".into()));
            };
            let name = match serials.len() {
                1 => format!("{first} {}空白表.pdf", spec.name),
                _ => format!("{first}～{last} {}空白表.pdf", spec.name),
            };
            let forms = serials.iter().map(|serial| {
                let stamp = Stamp {
                    serial: Some(serial.clone()),
                    ..Stamp::default()
                };
                layout::build(&record, &stamp, options)
                    .map(|layout| JobForm {
                        layout: std::borrow::Cow::Owned(layout),
                        bookmark: format!("{serial} 空白表"),
                    })
                    .map_err(|_| crate::render::pdf::PdfError::Export("空白表排不下编号".into()))
            });
            let path = job.output.join(name);
            io::write_atomic(&path, &print_job(forms)?)?;
            written = Some(path);
            Ok(())
        })
        .map_err(|e| match e {
            FileError::Registry(e) => registry_error(registry.path(), e),
            FileError::Render(e) => e,
        });
    // Written, but the reservation was not committed: numbers that are not
    // reserved must not reach paper.
    let serials = match serials {
        Ok(serials) => serials,
        Err(e) => {
            if let Some(path) = &written {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    };
    let range = match serials.as_slice() {
        [one] => one.clone(),
        [first, .., last] => format!("{first}～{last}"),
        [] => String::new(),
    };
    if let Some(path) = written {
        say(&format!(
            "已生成 {}（{} 份空白表，每份 {} 页，编号 {range} 已在登记簿中预留；填好后按表上的编号登记：beian render 记录 —— 记录里写 serial = \"编号\"）",
            path.display(),
            serials.len(),
            job.copies
        ));
    }
    Ok(())
}

/// Forms as one PDF (the print job's writer: fonts embedded once).
fn print_job<'a>(
    forms: impl IntoIterator<Item = Result<JobForm<'a>, crate::render::pdf::PdfError>>,
) -> Result<Vec<u8>, Error> {
    render_job(forms, false).map(|job| job.bytes).map_err(|e| {
        Error::Render(crate::render::RenderError {
            format: Format::Pdf,
            message: e.to_string(),
        })
    })
}
