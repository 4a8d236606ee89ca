//! The office's print job: many forms in one PDF, printed in one go — fonts
//! embedded once for the whole file, a bookmark per form, with `duplex` a
//! blank back after every page so that each copy stays on its own sheet of
//! a two-sided printer, and viewer preferences asking for one-sided printing
//! at actual size (fitting to the page would shrink the 45 mm seal areas).

use krilla::Document;
use krilla::SerializeSettings;
use krilla::destination::XyzDestination;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;

use std::borrow::Cow;

use super::pdf::{FontCache, PdfError, draw_pages};
use crate::layout::Layout;

/// The start of a print job's document title, by which `verify` knows one.
const JOB_TITLE: &str = "备案表打印";

/// Whether a PDF document title is a print job's: a print job is never
/// filed, so `verify` says what it is instead of calling it "not an
/// original".
pub fn is_print_job_title(title: &str) -> bool {
    title.starts_with(&format!("{JOB_TITLE}（"))
}

/// One form of the job and its bookmark (「XMT-2026-0007 信息工程系学生会」).
pub struct JobForm<'a> {
    pub layout: Cow<'a, Layout>,
    pub bookmark: String,
}

/// The print job: the PDF and how many pages it has.
pub struct PrintJob {
    pub bytes: Vec<u8>,
    pub pages: usize,
}

/// Writes the forms, in the order given, as one PDF. Pure: the same forms
/// give the same bytes. The forms are taken one at a time, so a caller can
/// make each layout as it is needed: a thousand forms never sit in memory
/// at once (the PDF holds each page compressed, about 2 KB).
pub fn render_job<'a>(
    forms: impl IntoIterator<Item = Result<JobForm<'a>, PdfError>>,
    duplex: bool,
) -> Result<PrintJob, PdfError> {
    let settings = SerializeSettings {
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let mut fonts = FontCache::default();
    let mut outline = Outline::new();
    let mut pages = 0usize;
    let mut count = 0usize;
    for form in forms {
        let form = form?;
        count += 1;
        outline.push_child(OutlineNode::new(
            form.bookmark.clone(),
            XyzDestination::new(pages, Point::from_xy(0.0, 0.0)),
        ));
        let mut error = None;
        draw_pages(&mut document, &mut fonts, &form.layout, |document| {
            pages += 1;
            if duplex {
                // The back of the sheet stays blank.
                let size = form.layout.pages.first().map(|p| (p.width, p.height));
                match size.and_then(|(w, h)| PageSettings::from_wh(w, h)) {
                    Some(settings) => document.start_page_with(settings).finish(),
                    None => error = Some(PdfError::Export("bad page size".into())),
                }
                pages += 1;
            }
        })?;
        if let Some(e) = error {
            return Err(e);
        }
    }
    document.set_outline(outline);
    document.set_metadata(
        Metadata::new()
            .title(format!("{JOB_TITLE}（{count} 份表格）"))
            .language("zh-CN".into())
            .creator(format!("beian {}", env!("CARGO_PKG_VERSION"))),
    );
    let bytes = document
        .finish()
        .map_err(|e| PdfError::Export(format!("{e:?}")))?;
    Ok(PrintJob {
        bytes: with_viewer_preferences(bytes)?,
        pages,
    })
}

/// The PDF with `/ViewerPreferences << /Duplex /Simplex /PrintScaling /None >>`
/// in its catalog, added as an incremental update (krilla has no setting
/// for them): the catalog object again, a cross-reference section for it,
/// and a trailer pointing back at the original one.
fn with_viewer_preferences(mut pdf: Vec<u8>) -> Result<Vec<u8>, PdfError> {
    let bad = |what: &str| PdfError::Export(format!("viewer preferences: {what}"));
    // The trailer is at the end: read the last kilobyte as text, not the
    // whole file (a thousand forms make megabytes).
    let tail_at = pdf.len().saturating_sub(1024);
    let tail = pdf.get(tail_at..).ok_or_else(|| bad("tail"))?;
    let text = std::str::from_utf8(tail).map_err(|_| bad("tail is not text"))?;
    let trailer_at = text.rfind("trailer").ok_or_else(|| bad("no trailer"))?;
    let startxref_at = text.rfind("startxref").ok_or_else(|| bad("no startxref"))?;
    let trailer = text
        .get(trailer_at + "trailer".len()..startxref_at)
        .ok_or_else(|| bad("trailer"))?
        .trim()
        .to_owned();
    let prev: usize = text
        .get(startxref_at + "startxref".len()..)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("startxref"))?;
    let root: usize = trailer
        .split("/Root")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("no /Root"))?;
    let head = format!("\n{root} 0 obj");
    let start = pdf
        .windows(head.len())
        .rposition(|w| w == head.as_bytes())
        .ok_or_else(|| bad("no catalog"))?
        + head.len();
    let end = start
        + pdf
            .get(start..)
            .ok_or_else(|| bad("catalog"))?
            .windows(b"endobj".len())
            .position(|w| w == b"endobj")
            .ok_or_else(|| bad("catalog"))?;
    let catalog = pdf.get(start..end).ok_or_else(|| bad("catalog"))?;
    let catalog = std::str::from_utf8(catalog)
        .map_err(|_| bad("catalog is not text"))?
        .trim();
    let inner = catalog
        .strip_prefix("<<")
        .and_then(|c| c.strip_suffix(">>"))
        .ok_or_else(|| bad("catalog is no dictionary"))?
        .to_owned();
    let object_at = pdf.len() + 1;
    let object = format!(
        "\n{root} 0 obj\n<<{inner}/ViewerPreferences<</Duplex/Simplex/PrintScaling/None>>>>\nendobj\n"
    );
    pdf.extend(object.as_bytes());
    let xref_at = pdf.len();
    // The trailer as it was, pointing back at the original section.
    let dict = trailer
        .strip_prefix("<<")
        .and_then(|t| t.strip_suffix(">>"))
        .ok_or_else(|| bad("trailer is no dictionary"))?;
    let update = format!(
        "xref\n{root} 1\n{object_at:010} 00000 n \ntrailer\n<<{dict}/Prev {prev}>>\nstartxref\n{xref_at}\n%%EOF\n"
    );
    pdf.extend(update.as_bytes());
    Ok(pdf)
}
