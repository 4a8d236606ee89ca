//! PDF output, with krilla.
//!
//! [`render`] is a pure function of a finished [`Layout`]: the same layout gives
//! the same bytes, in any process, at any time. Fonts are embedded as CID fonts
//! subset to the glyphs used (krilla always subsets), and every text carries its
//! Unicode so that the form's text can be extracted and searched.

use std::collections::BTreeMap;

use krilla::Document;
use krilla::SerializeSettings;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point};
use krilla::graphic::Graphic;
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{LineCap, LineJoin, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};

use crate::fonts;
use crate::layout::{Block, ItemKind, Layout, Para, QrMark, Table};

/// How to write the PDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdfOptions {
    /// Compress content streams. Off only to read the PDF as text (tests).
    pub compress: bool,
    /// Write PDF/A-2b, the archival profile, when the layout has a document
    /// date (PDF/A requires one, and beian never makes one up: it comes
    /// from the filing).
    pub archival: bool,
}

impl Default for PdfOptions {
    fn default() -> Self {
        PdfOptions {
            compress: true,
            archival: true,
        }
    }
}

/// Why a PDF could not be written. A bug or a broken font, never the user's input.
#[derive(Debug)]
pub enum PdfError {
    /// A font the layout names is not shipped or cannot be read.
    Font(String),
    /// krilla refused the document.
    Export(String),
}

impl std::fmt::Display for PdfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PdfError::Font(name) => write!(f, "font {name} is unavailable"),
            PdfError::Export(why) => write!(f, "pdf export failed: {why}"),
        }
    }
}

impl std::error::Error for PdfError {}

/// Line widths (pt) of drawn marks.
const CHECK_LINE: f32 = 0.6;
const UNDERLINE: f32 = 0.5;

/// Writes a layout as a PDF: one page per layout page.
pub fn render(layout: &Layout, options: &PdfOptions) -> Result<Vec<u8>, PdfError> {
    let mut settings = SerializeSettings {
        compress_content_streams: options.compress,
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    if options.archival && layout.meta.date.is_some() {
        settings.configuration = ConfigurationBuilder::new()
            .with_archival_validator(Archival::A2_B)
            .finish()
            .map_err(|e| PdfError::Export(format!("{e:?}")))?;
    }
    let mut document = Document::new_with(settings);
    let mut fonts = FontCache::default();
    draw_pages(&mut document, &mut fonts, layout, |_| {})?;
    document.set_metadata(metadata(layout));
    document
        .finish()
        .map_err(|e| PdfError::Export(format!("{e:?}")))
}

/// Draws a layout's pages into `document`, calling `after_page` after each
/// (the print job puts a blank back there for duplex printers).
pub(super) fn draw_pages(
    document: &mut Document,
    fonts: &mut FontCache,
    layout: &Layout,
    mut after_page: impl FnMut(&mut Document),
) -> Result<(), PdfError> {
    // What every copy shares (all but its mark) is drawn once, as a form
    // XObject, and placed on each page: a second copy costs only its mark.
    let shared = shared_blocks(layout);
    // The QR code is the same on every copy too: drawn in the shared part.
    let qr_shared = layout.pages.len() > 1
        && shared.iter().any(|s| *s)
        && layout
            .pages
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.qr == b.qr));
    let mut graphic: Option<Graphic> = None;
    for page in &layout.pages {
        let Some(settings) = PageSettings::from_wh(page.width, page.height) else {
            return Err(PdfError::Export("bad page size".into()));
        };
        let mut pdf_page = document.start_page_with(settings);
        let mut surface = pdf_page.surface();
        if shared.iter().any(|s| *s) {
            if graphic.is_none() {
                let mut builder = surface.stream_builder();
                let mut inner = builder.surface();
                for (block, _) in page.blocks.iter().zip(&shared).filter(|(_, s)| **s) {
                    draw_block(&mut inner, block, fonts)?;
                }
                if let (true, Some(qr)) = (qr_shared, &page.qr) {
                    draw_qr(&mut inner, qr);
                }
                inner.finish();
                graphic = Some(Graphic::new(builder.finish(), false));
            }
            if let Some(g) = &graphic {
                surface.draw_graphic(g.clone());
            }
        }
        for (block, _) in page.blocks.iter().zip(&shared).filter(|(_, s)| !**s) {
            draw_block(&mut surface, block, fonts)?;
        }
        if let (false, Some(qr)) = (qr_shared, &page.qr) {
            draw_qr(&mut surface, qr);
        }
        surface.finish();
        pdf_page.finish();
        after_page(document);
    }
    Ok(())
}

/// Which blocks (by index) are the same on every page; none for one page.
fn shared_blocks(layout: &Layout) -> Vec<bool> {
    let Some(first) = layout.pages.first() else {
        return Vec::new();
    };
    if layout.pages.len() < 2
        || layout
            .pages
            .iter()
            .any(|p| p.blocks.len() != first.blocks.len())
    {
        return vec![false; first.blocks.len()];
    }
    first
        .blocks
        .iter()
        .enumerate()
        .map(|(i, block)| layout.pages.iter().all(|p| p.blocks.get(i) == Some(block)))
        .collect()
}

fn draw_block(surface: &mut Surface, block: &Block, fonts: &mut FontCache) -> Result<(), PdfError> {
    match block {
        Block::Para(p) => draw_para(surface, p, fonts),
        Block::Table(t) => {
            draw_grid(surface, t);
            for (_, cell) in t.cells() {
                for p in &cell.paras {
                    draw_para(surface, p, fonts)?;
                }
            }
            Ok(())
        }
    }
}

/// Title (with the serial), author (the unit), language, creator and the
/// filing date. Subject and keywords are left out: they repeat the title,
/// and under PDF/A keywords cost an extension schema in the XMP (≈ 0.7 KB).
fn metadata(layout: &Layout) -> Metadata {
    let meta = &layout.meta;
    let mut m = Metadata::new()
        .title(meta.title.clone())
        .authors(vec![meta.author.clone()])
        .language(meta.language.clone())
        .creator(format!("beian {}", env!("CARGO_PKG_VERSION")));
    if let Some(date) = meta.date.as_deref().and_then(pdf_date) {
        m = m.creation_date(date);
    }
    m
}

/// An RFC 3339 time as a PDF date.
fn pdf_date(rfc3339: &str) -> Option<DateTime> {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    let offset = t.offset().local_minus_utc();
    Some(
        DateTime::new(u16::try_from(t.year()).ok()?)
            .month(u8::try_from(t.month()).ok()?)
            .day(u8::try_from(t.day()).ok()?)
            .hour(u8::try_from(t.hour()).ok()?)
            .minute(u8::try_from(t.minute()).ok()?)
            .second(u8::try_from(t.second()).ok()?)
            .utc_offset_hour(i8::try_from(offset / 3600).ok()?)
            .utc_offset_minute(u8::try_from((offset.abs() % 3600) / 60).ok()?),
    )
}

/// krilla fonts of this document, one per shipped file.
#[derive(Default)]
pub(super) struct FontCache(BTreeMap<String, Font>);

impl FontCache {
    fn get(&mut self, file: &str) -> Result<(Font, &'static fonts::Face), PdfError> {
        let face = fonts::face(file).ok_or_else(|| PdfError::Font(file.to_owned()))?;
        if let Some(font) = self.0.get(file) {
            return Ok((font.clone(), face));
        }
        let font = Font::new(face.data.into(), 0).ok_or_else(|| PdfError::Font(file.to_owned()))?;
        self.0.insert(file.to_owned(), font.clone());
        Ok((font, face))
    }
}

fn draw_para(surface: &mut Surface, para: &Para, fonts: &mut FontCache) -> Result<(), PdfError> {
    let (font, face) = fonts.get(&para.font.file)?;
    for line in &para.lines {
        for item in &line.items {
            match &item.kind {
                ItemKind::Text(text) => {
                    let glyphs: Vec<KrillaGlyph> = text
                        .char_indices()
                        .map(|(i, ch)| {
                            let g = face.glyph(ch).unwrap_or(fonts::Glyph {
                                id: 0,
                                advance: 1.0,
                            });
                            KrillaGlyph::new(
                                GlyphId::new(g.id),
                                g.advance,
                                0.0,
                                0.0,
                                0.0,
                                i..i + ch.len_utf8(),
                                None,
                            )
                        })
                        .collect();
                    surface.draw_glyphs(
                        Point::from_xy(item.x, line.baseline),
                        &glyphs,
                        font.clone(),
                        text,
                        para.size,
                        false,
                    );
                }
                ItemKind::Check { checked, size } => {
                    draw_checkbox(surface, item.x, line.baseline, para.size, *size, *checked);
                }
                ItemKind::Underline => {
                    let y = line.baseline + 0.12 * para.size;
                    stroke_line(surface, item.x, y, item.x + item.width, y, UNDERLINE);
                }
            }
        }
    }
    Ok(())
}

/// A square of side `s` centred on the em box of the line, with a tick if checked.
fn draw_checkbox(
    surface: &mut Surface,
    x: f32,
    baseline: f32,
    font_size: f32,
    s: f32,
    checked: bool,
) {
    // The CJK em box spans 0.88 em above the baseline to 0.12 em below it.
    let top = baseline - 0.38 * font_size - s / 2.0;
    let mut pb = PathBuilder::new();
    pb.move_to(x, top);
    pb.line_to(x + s, top);
    pb.line_to(x + s, top + s);
    pb.line_to(x, top + s);
    pb.close();
    if checked {
        pb.move_to(x + 0.2 * s, top + 0.52 * s);
        pb.line_to(x + 0.42 * s, top + 0.76 * s);
        pb.line_to(x + 0.82 * s, top + 0.24 * s);
    }
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: if checked {
                CHECK_LINE * 1.6
            } else {
                CHECK_LINE
            },
            line_cap: LineCap::Round,
            line_join: LineJoin::Round,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
    }
}

fn stroke_line(surface: &mut Surface, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
    let mut pb = PathBuilder::new();
    pb.move_to(x1, y1);
    pb.line_to(x2, y2);
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width,
            line_cap: LineCap::Square,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
    }
}

/// The table's rules: every cell edge once, so shared edges are not doubled.
/// A QR code: one filled path of rectangles, each a run of dark modules
/// in a row grown down over the rows below that have the same run (fewer
/// shapes: a smaller file, and crisper print).
fn draw_qr(surface: &mut Surface, qr: &QrMark) {
    let size = qr.size.max(1);
    let dark = |r: usize, c: usize| qr.dark.get(r * size + c).copied().unwrap_or(false);
    let mut used = vec![false; size * size];
    let mut pb = PathBuilder::new();
    for r in 0..size {
        let mut c = 0;
        while c < size {
            if !dark(r, c) || used.get(r * size + c).copied().unwrap_or(true) {
                c += 1;
                continue;
            }
            let start = c;
            while c < size && dark(r, c) && !used.get(r * size + c).copied().unwrap_or(true) {
                c += 1;
            }
            // Grow down while the whole run is dark and free below.
            let mut rows = 1;
            while r + rows < size
                && (start..c).all(|k| {
                    dark(r + rows, k) && !used.get((r + rows) * size + k).copied().unwrap_or(true)
                })
            {
                rows += 1;
            }
            for rr in r..r + rows {
                for k in start..c {
                    if let Some(u) = used.get_mut(rr * size + k) {
                        *u = true;
                    }
                }
            }
            let x = qr.x + start as f32 * qr.module;
            let y = qr.y + r as f32 * qr.module;
            let (w, h) = ((c - start) as f32 * qr.module, rows as f32 * qr.module);
            if let Some(rect) = krilla::geom::Rect::from_xywh(x, y, w, h) {
                pb.push_rect(rect);
            }
        }
    }
    if let Some(path) = pb.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
        surface.draw_path(&path);
    }
}

fn draw_grid(surface: &mut Surface, table: &Table) {
    let mut edges: Vec<[i64; 4]> = Vec::new();
    let q = |v: f32| (v * 100.0).round() as i64;
    for (c, _) in table.cells() {
        let (l, t, r, b) = (q(c.x), q(c.y), q(c.x + c.width), q(c.y + c.height));
        edges.extend([[l, t, r, t], [l, b, r, b], [l, t, l, b], [r, t, r, b]]);
    }
    edges.sort_unstable();
    edges.dedup();
    let mut pb = PathBuilder::new();
    for [x1, y1, x2, y2] in edges {
        pb.move_to(x1 as f32 / 100.0, y1 as f32 / 100.0);
        pb.line_to(x2 as f32 / 100.0, y2 as f32 / 100.0);
    }
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: table.border,
            line_cap: LineCap::Square,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
    }
}
