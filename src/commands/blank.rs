//! `beian blank`: forms to fill in by hand — every printed text, empty value
//! cells, no box ticked, lines to write on.

use std::path::PathBuf;

use super::Say;
use crate::error::Error;
use crate::form::FormSpec;
use crate::io;
use crate::layout::{self, LayoutOptions};
use crate::record::{FormKind, Person, Record, Stamp};
use crate::render::Format;
use crate::render::print_job::{JobForm, render_job};

/// What `blank` is asked for.
#[derive(Debug)]
pub struct BlankJob {
    pub form: FormKind,
    pub output: PathBuf,
    pub copies: usize,
    /// How many forms (each of `copies` pages) in the PDF.
    pub count: usize,
    pub formats: Vec<Format>,
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
pub fn blank(job: BlankJob, say: Say<'_>) -> Result<(), Error> {
    let spec = FormSpec::get(job.form);
    let options = LayoutOptions { copies: job.copies };
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
                render_job(forms, false)
                    .map_err(|e| {
                        Error::Render(crate::render::RenderError {
                            format: Format::Pdf,
                            message: e.to_string(),
                        })
                    })?
                    .bytes
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
