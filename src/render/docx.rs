//! DOCX output: the form as a real Word table that a unit secretary can open
//! in Word or WPS, correct and print.
//!
//! [`render`] is a pure function of a finished [`Layout`], like
//! [`crate::render::pdf::render`]: the same layout gives the same bytes, in
//! any process, at any time (zip entries dated 1980-01-01, parts in a fixed
//! order, ids counted from 1, document dates only from the filing time).
//!
//! # What the layout becomes
//!
//! - Each layout page (one copy) becomes one run of paragraphs and **one Word
//!   table**; copies after the first start with `w:pageBreakBefore`.
//! - The grid: `w:tblGrid` in twips from [`Table::columns`], fixed layout,
//!   `w:gridSpan` for horizontal merges, `w:vMerge` for vertical ones, row
//!   heights `w:hRule="atLeast"` the PDF's, cell vertical alignment, single
//!   black borders as wide as the PDF's rules, the PDF's cell padding.
//! - Paragraphs keep alignment, first-line and right indents, space before and
//!   after, and their line pitch as exact line spacing, so Word sets the same
//!   number of lines in the same height. A paragraph the layout puts in the
//!   top margin (the 第一联/第二联 mark) becomes a frame (`w:framePr`) at the
//!   same place, so it takes no room from the form and each copy stays one page.
//! - [`Span::Fill`] is a right tab stop at the paragraph's right edge and a
//!   `w:tab`; an empty [`Span::Blank`] is its underscores; a filled one is the
//!   value underlined, padded with no-break spaces (which Word underlines even
//!   at a line end) to about the blank's width; a seal paragraph is an empty
//!   paragraph as high as the clear area.
//! - [`Span::Check`] is a Word content-control checkbox (`w14:checkbox` in a
//!   `w:sdt`), ticked as the record says, which Word and WPS let the user
//!   toggle; its run is ☑/☐ in Segoe UI Symbol (on every Windows since 7), so
//!   it still shows where content controls are not understood.
//! - Every run states its size after any shrinking to fit (half-points) and
//!   its fonts: by default the font a Chinese office has (`w:eastAsia`, e.g.
//!   宋体, bold as `w:b`; Latin in Times New Roman). The font table describes
//!   them as Word does (panose, GB2312 charset 0x86, `w:altName` SimSun) and
//!   also lists the font beian ships, Noto Serif CJK SC.
//! - With [`DocxOptions::embed_fonts`] the shipped fonts are embedded
//!   (`word/fonts/*.odttf`, `w:embedRegular`/`w:embedBold` with a
//!   `w:fontKey`, `w:embedTrueTypeFonts`), subset to the characters used
//!   (and the digits), obfuscated as ECMA-376 Part 1 §17.8.1 prescribes.
//!   Runs then name the shipped font for all text, as the PDF sets it, and
//!   the font table gives the office font as its `w:altName`. (A word
//!   processor uses an embedded font only where a run names it: LibreOffice,
//!   given runs in 宋体 on a machine without 宋体, falls back to its own
//!   substitutes and never to the embedded font — tested in
//!   `.ci/docx-check.sh`.)
//!
//! # Why WordprocessingML written by hand
//!
//! docx-rs (the library the developer guide first named) writes some run and
//! paragraph properties out of schema order, always writes its own fixed font
//! table, cannot embed fonts and has no checkbox content controls; fixing that
//! means rewriting its output afterwards, i.e. parsing XML again. The subset
//! of WordprocessingML this form needs is small, so it is written directly:
//! a ~40-line escaping writer ([`Xml`]) and one function per element, each
//! emitting its children in the order the schema's sequence gives (CT_PPr,
//! CT_RPr, CT_TblPr, CT_TcPr, CT_Settings, CT_Font), and the `zip` crate for
//! the package. No XML is parsed and nothing is post-processed.
//!
//! # Font subsetting
//!
//! The shipped fonts are CID-keyed CFF OpenType files of 64k glyphs. The
//! `subsetter` crate krilla uses keeps no `cmap` (fine in a PDF, useless to a
//! word processor); fontations' subsetter (klippa) is unpublished and has no
//! CFF support. `allsorts` (YesLogic, the engine of Prince) subsets CID-keyed
//! CFF and writes a Unicode `cmap`, `name`, `OS/2` and `post`: about 12 µs
//! per glyph, 2–4 ms for a form's ≈ 250 glyphs, 30–60 KB per face.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Display, Write as _};
use std::io::Write as _;

use skrifa::raw::TableProvider;
use skrifa::{MetadataProvider, string::StringId};

use crate::fonts;
use crate::form::{Align, VAlign};
use crate::layout::{Block, Cell, Font, Layout, Page, Para, Slot, Span, Table};

/// How to write the DOCX.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocxOptions {
    /// Embed the shipped fonts, subset to the characters used, so that the
    /// form looks the same where no Chinese font is installed.
    pub embed_fonts: bool,
}

/// Why a DOCX could not be written. A bug or a broken font, never the user's input.
#[derive(Debug)]
pub enum DocxError {
    /// A font the layout names is not shipped, or could not be subset.
    Font(String),
    /// Writing the zip package failed.
    Package(String),
}

impl Display for DocxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocxError::Font(why) => write!(f, "docx font: {why}"),
            DocxError::Package(why) => write!(f, "docx package: {why}"),
        }
    }
}

impl std::error::Error for DocxError {}

/// Writes a layout as a DOCX: one Word table per layout page (copy).
pub fn render(layout: &Layout, options: &DocxOptions) -> Result<Vec<u8>, DocxError> {
    let tag = options.embed_fonts.then(|| subset_tag(layout));
    let mut body = Body {
        tag: tag.clone(),
        ..Body::default()
    };
    let document = body.document(layout);
    let embedded = match &tag {
        Some(tag) => embed(&body.used, tag)?,
        None => Vec::new(),
    };
    let office = body.office.clone();
    let defaults = body.first_style.take().unwrap_or_else(|| RunStyle {
        latin: LATIN_FONT.into(),
        east_asia: "宋体".into(),
        bold: false,
        size: 21,
    });

    let mut parts: Vec<(String, Vec<u8>)> = vec![
        (
            "[Content_Types].xml".into(),
            content_types(!embedded.is_empty()).into(),
        ),
        ("_rels/.rels".into(), ROOT_RELS.into()),
        ("docProps/app.xml".into(), app(layout).into()),
        ("docProps/core.xml".into(), core(layout).into()),
        ("word/document.xml".into(), document.into()),
        ("word/_rels/document.xml.rels".into(), DOCUMENT_RELS.into()),
        ("word/styles.xml".into(), styles(&defaults).into()),
        (
            "word/settings.xml".into(),
            settings(!embedded.is_empty()).into(),
        ),
        (
            "word/fontTable.xml".into(),
            font_table(&office, &body.used, &embedded, tag.as_deref())?.into(),
        ),
    ];
    if !embedded.is_empty() {
        parts.push((
            "word/_rels/fontTable.xml.rels".into(),
            font_rels(&embedded).into(),
        ));
        for font in embedded {
            parts.push((format!("word/{}", font.part), font.data));
        }
    }
    package(&parts)
}

// ---------------------------------------------------------------------------
// XML writing

/// A minimal XML writer: elements, attributes and text, escaped. Callers emit
/// children in schema order; the writer only guarantees well-formedness of
/// what it is given.
struct Xml(String);

/// An attribute value: anything displayable, escaped when written.
type Attr<'a> = (&'a str, &'a dyn Display);

impl Xml {
    fn new() -> Xml {
        Xml(String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
        ))
    }

    fn start(&mut self, name: &str, attrs: &[Attr<'_>]) {
        self.0.push('<');
        self.0.push_str(name);
        for (key, value) in attrs {
            self.0.push(' ');
            self.0.push_str(key);
            self.0.push_str("=\"");
            // Writing into a String cannot fail.
            let _ = write!(Escape(&mut self.0), "{value}");
            self.0.push('"');
        }
    }

    /// `<name attrs>`
    fn open(&mut self, name: &str, attrs: &[Attr<'_>]) {
        self.start(name, attrs);
        self.0.push('>');
    }

    /// `<name attrs/>`
    fn empty(&mut self, name: &str, attrs: &[Attr<'_>]) {
        self.start(name, attrs);
        self.0.push_str("/>");
    }

    /// `</name>`
    fn close(&mut self, name: &str) {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
    }

    /// Escaped character data.
    fn text(&mut self, text: &str) {
        let _ = Escape(&mut self.0).write_str(text);
    }

    /// `<name attrs>text</name>`
    fn leaf(&mut self, name: &str, attrs: &[Attr<'_>], text: &str) {
        self.open(name, attrs);
        self.text(text);
        self.close(name);
    }

    /// `<name w:val="value"/>`, the commonest WordprocessingML element.
    fn val(&mut self, name: &str, value: &dyn Display) {
        self.empty(name, &[("w:val", value)]);
    }

    fn finish(self) -> String {
        self.0
    }
}

/// Escapes what is written through it for text and attribute values alike,
/// and drops the characters XML 1.0 cannot carry at all.
struct Escape<'a>(&'a mut String);

impl fmt::Write for Escape<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for ch in s.chars() {
            match ch {
                '&' => self.0.push_str("&amp;"),
                '<' => self.0.push_str("&lt;"),
                '>' => self.0.push_str("&gt;"),
                '"' => self.0.push_str("&quot;"),
                '\t' => self.0.push_str("&#9;"),
                '\n' => self.0.push_str("&#10;"),
                '\r' => self.0.push_str("&#13;"),
                c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
                c => self.0.push(c),
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Units

/// Points to twentieths of a point, rounded.
fn twips(pt: f32) -> i64 {
    (pt * 20.0).round() as i64
}

/// Points to half-points (run font size), rounded.
fn half_points(pt: f32) -> i64 {
    (pt * 2.0).round() as i64
}

/// Widths of consecutive intervals in twips whose sum is the rounded total:
/// the edges are rounded, not the widths.
fn twips_edges(sizes: &[f32]) -> Vec<i64> {
    let mut at = 0.0;
    let mut prev = 0;
    sizes
        .iter()
        .map(|s| {
            at += s;
            let edge = twips(at);
            let w = edge - prev;
            prev = edge;
            w
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The document part

const NS_W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const NS_W14: &str = "http://schemas.microsoft.com/office/word/2010/wordml";
const NS_MC: &str = "http://schemas.openxmlformats.org/markup-compatibility/2006";
const NS_R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// Latin text goes in the font Chinese offices pair with 宋体.
const LATIN_FONT: &str = "Times New Roman";
/// The checkbox glyphs ☐ ☑: a font every Windows since 7 has.
const SYMBOL_FONT: &str = "Segoe UI Symbol";
const UNCHECKED: char = '\u{2610}';
const CHECKED: char = '\u{2611}';
/// No-break space: pads a filled blank; Word underlines it even at a line end.
const NBSP: char = '\u{A0}';
/// Width of a no-break space in the Latin font, in em.
const NBSP_EM: f32 = 0.25;

/// The document body being written, and what it used.
#[derive(Default)]
struct Body {
    xml: Option<Xml>,
    /// Embedding fonts: runs name the shipped fonts, as tagged for this
    /// document's subsets, rather than the office fonts.
    tag: Option<String>,
    /// Next content-control id.
    next_id: u32,
    /// Office font names in order of first use.
    office: Vec<String>,
    /// Shipped font file → how it is used.
    used: BTreeMap<String, Used>,
    /// The first paragraph's run style, for the document defaults.
    first_style: Option<RunStyle>,
}

/// How a shipped font file is used.
struct Used {
    bold: bool,
    /// The office font standing for it.
    office: String,
    /// Characters set in it.
    chars: BTreeSet<char>,
}

/// Where a paragraph stands.
#[derive(Clone, Copy, Default)]
struct ParaPlace {
    page_break: bool,
    /// Absolutely placed on the page, out of the flow (x, y in points).
    frame: Option<(f32, f32)>,
}

impl Body {
    fn x(&mut self) -> &mut Xml {
        self.xml.get_or_insert_with(Xml::new)
    }

    fn document(&mut self, layout: &Layout) -> String {
        self.xml = Some(Xml::new());
        self.x().open(
            "w:document",
            &[
                ("xmlns:mc", &NS_MC),
                ("xmlns:w", &NS_W),
                ("xmlns:w14", &NS_W14),
                ("mc:Ignorable", &"w14"),
            ],
        );
        self.x().open("w:body", &[]);
        for (i, page) in layout.pages.iter().enumerate() {
            self.page(page, i > 0);
        }
        if let Some(page) = layout.pages.first() {
            section(self.x(), page);
        }
        self.x().close("w:body");
        self.x().close("w:document");
        self.xml.take().map(Xml::finish).unwrap_or_default()
    }

    /// One copy: paragraphs in the top margin as frames, then the blocks in
    /// order; the first block in the flow starts a new page after the first copy.
    fn page(&mut self, page: &Page, page_break: bool) {
        let in_margin =
            |b: &Block| matches!(b, Block::Para(p) if p.y + p.height <= page.margins[0] + 0.01);
        let frames: Vec<&Para> = page
            .blocks
            .iter()
            .filter(|b| in_margin(b))
            .filter_map(|b| match b {
                Block::Para(p) => Some(p),
                Block::Table(_) => None,
            })
            .collect();
        let mut first = true;
        for block in page.blocks.iter().filter(|b| !in_margin(b)) {
            let brk = page_break && first;
            match block {
                Block::Para(p) => self.para(
                    p,
                    ParaPlace {
                        page_break: brk,
                        frame: None,
                    },
                ),
                Block::Table(t) => {
                    if brk {
                        self.page_break_para();
                    }
                    self.table(t, page);
                }
            }
            if first {
                // After the paragraph that breaks the page, so that the frames
                // land on this copy's page whatever Word anchors them to.
                for p in &frames {
                    self.para(
                        p,
                        ParaPlace {
                            page_break: false,
                            frame: Some((p.x, p.y)),
                        },
                    );
                }
            }
            first = false;
        }
    }

    /// An empty paragraph starting a page (when a copy starts with its table).
    fn page_break_para(&mut self) {
        let x = self.x();
        x.open("w:p", &[]);
        x.open("w:pPr", &[]);
        x.empty("w:pageBreakBefore", &[]);
        x.empty(
            "w:spacing",
            &[
                ("w:before", &0),
                ("w:after", &0),
                ("w:line", &20),
                ("w:lineRule", &"exact"),
            ],
        );
        x.close("w:pPr");
        x.close("w:p");
    }

    fn note_font(&mut self, font: &Font) {
        if !self.office.contains(&font.office) {
            self.office.push(font.office.clone());
        }
        self.used.entry(font.file.clone()).or_insert_with(|| Used {
            bold: font.bold,
            office: font.office.clone(),
            chars: BTreeSet::new(),
        });
    }

    /// Characters set in a shipped font, for embedding.
    fn note_text(&mut self, font: &Font, text: &str) {
        if let Some(used) = self.used.get_mut(&font.file) {
            used.chars.extend(text.chars());
        }
    }

    fn para(&mut self, p: &Para, place: ParaPlace) {
        self.note_font(&p.font);
        let style = RunStyle::of(p, self.tag.as_deref());
        if self.first_style.is_none() {
            self.first_style = Some(RunStyle::of(p, self.tag.as_deref()));
        }
        let x = self.x();
        x.open("w:p", &[]);
        x.open("w:pPr", &[]);
        if place.page_break {
            x.empty("w:pageBreakBefore", &[]);
        }
        if let Some((fx, fy)) = place.frame {
            x.empty(
                "w:framePr",
                &[
                    ("w:w", &twips(p.width + p.indent_right)),
                    ("w:wrap", &"around"),
                    ("w:hAnchor", &"page"),
                    ("w:vAnchor", &"page"),
                    ("w:x", &twips(fx)),
                    ("w:y", &twips(fy)),
                ],
            );
        }
        if p.spans.iter().any(|s| matches!(s, Span::Fill)) {
            // A right tab at the paragraph's right edge (tab positions count
            // from the cell's or page's text edge); a hair inside it so that
            // rounding never puts it past the right indent.
            x.open("w:tabs", &[]);
            x.empty(
                "w:tab",
                &[
                    ("w:val", &"right"),
                    ("w:pos", &((p.width * 20.0).floor() as i64 - 2)),
                ],
            );
            x.close("w:tabs");
        }
        // No extra space between Chinese and Latin text or digits: the PDF
        // has none (Word and WPS add it by default).
        x.val("w:autoSpaceDE", &0);
        x.val("w:autoSpaceDN", &0);
        let line = if p.seal { p.height } else { p.line_height };
        x.empty(
            "w:spacing",
            &[
                ("w:before", &twips(p.space_before)),
                ("w:after", &twips(p.space_after)),
                ("w:line", &twips(line).max(20)),
                ("w:lineRule", &"exact"),
            ],
        );
        if p.indent != 0.0 || p.indent_right != 0.0 {
            x.empty(
                "w:ind",
                &[
                    ("w:left", &0),
                    ("w:right", &twips(p.indent_right)),
                    ("w:firstLine", &twips(p.indent)),
                ],
            );
        }
        x.val(
            "w:jc",
            &match p.align {
                Align::Left => "left",
                Align::Center => "center",
                Align::Right => "right",
            },
        );
        style.write(x, RunKind::Text);
        x.close("w:pPr");
        if !p.seal {
            for span in &p.spans {
                self.span(p, &style, span);
            }
        }
        self.x().close("w:p");
    }

    fn span(&mut self, p: &Para, style: &RunStyle, span: &Span) {
        match span {
            Span::Text(text) => {
                self.note_text(&p.font, text);
                text_run(self.x(), style, RunKind::Text, text);
            }
            Span::Fill => {
                let x = self.x();
                x.open("w:r", &[]);
                style.write(x, RunKind::Text);
                x.empty("w:tab", &[]);
                x.close("w:r");
            }
            Span::Blank { text, width } if text.is_empty() => {
                let underscores = "_".repeat(*width);
                self.note_text(&p.font, &underscores);
                text_run(self.x(), style, RunKind::Text, &underscores);
            }
            Span::Blank { text, width } => {
                let padded = pad_blank(&p.font, text, *width);
                self.note_text(&p.font, &padded);
                text_run(self.x(), style, RunKind::Underlined, &padded);
            }
            Span::Check { checked } => {
                self.next_id += 1;
                let id = self.next_id;
                checkbox(self.x(), style, id, *checked);
            }
        }
    }

    fn table(&mut self, t: &Table, page: &Page) {
        let cols = twips_edges(&t.columns);
        let total: i64 = cols.iter().sum();
        let border = ((t.border * 8.0).round() as i64).clamp(2, 96);
        let x = self.x();
        x.open("w:tbl", &[]);
        x.open("w:tblPr", &[]);
        x.empty("w:tblW", &[("w:w", &total), ("w:type", &"dxa")]);
        x.empty(
            "w:tblInd",
            &[("w:w", &twips(t.x - page.margins[3])), ("w:type", &"dxa")],
        );
        x.open("w:tblBorders", &[]);
        for side in [
            "w:top",
            "w:left",
            "w:bottom",
            "w:right",
            "w:insideH",
            "w:insideV",
        ] {
            x.empty(
                side,
                &[
                    ("w:val", &"single"),
                    ("w:sz", &border),
                    ("w:space", &0),
                    ("w:color", &"000000"),
                ],
            );
        }
        x.close("w:tblBorders");
        x.empty("w:tblLayout", &[("w:type", &"fixed")]);
        x.open("w:tblCellMar", &[]);
        let [pad_x, pad_y] = t.padding.map(twips);
        for (side, w) in [
            ("w:top", pad_y),
            ("w:left", pad_x),
            ("w:bottom", pad_y),
            ("w:right", pad_x),
        ] {
            x.empty(side, &[("w:w", &w), ("w:type", &"dxa")]);
        }
        x.close("w:tblCellMar");
        x.close("w:tblPr");
        x.open("w:tblGrid", &[]);
        for w in &cols {
            x.empty("w:gridCol", &[("w:w", w)]);
        }
        x.close("w:tblGrid");
        let ncols = t.columns.len();
        let span_width = |c: usize, n: usize| -> i64 { cols[c..(c + n).min(ncols)].iter().sum() };
        for (r, height) in t.rows.iter().enumerate() {
            let x = self.x();
            x.open("w:tr", &[]);
            x.open("w:trPr", &[]);
            x.empty("w:cantSplit", &[]);
            x.empty(
                "w:trHeight",
                &[
                    // At least the PDF's row: rounded up.
                    ("w:val", &((height * 20.0).ceil() as i64)),
                    ("w:hRule", &"atLeast"),
                ],
            );
            x.close("w:trPr");
            for c in 0..ncols {
                match t.slot(r, c) {
                    Some(Slot::Cell(cell)) => self.cell(cell, span_width(c, cell.colspan)),
                    Some(Slot::Merged { parent }) => {
                        let (pr, pc) = *parent;
                        match t.slot(pr, pc) {
                            // Below a cell that spans rows: Word's vertical
                            // continuation, as wide as the cell.
                            Some(Slot::Cell(origin)) if pr < r && pc == c => {
                                continuation(self.x(), origin, span_width(c, origin.colspan))
                            }
                            // Covered by a span already written.
                            Some(Slot::Cell(_)) => {}
                            // A slot no cell claims: an empty cell of its own.
                            _ => empty_cell(self.x(), span_width(c, 1)),
                        }
                    }
                    None => {}
                }
            }
            self.x().close("w:tr");
        }
        self.x().close("w:tbl");
    }

    fn cell(&mut self, cell: &Cell, width: i64) {
        let x = self.x();
        x.open("w:tc", &[]);
        x.open("w:tcPr", &[]);
        x.empty("w:tcW", &[("w:w", &width), ("w:type", &"dxa")]);
        if cell.colspan > 1 {
            x.val("w:gridSpan", &cell.colspan);
        }
        if cell.rowspan > 1 {
            x.val("w:vMerge", &"restart");
        }
        x.val("w:vAlign", &valign(cell.valign));
        x.close("w:tcPr");
        if cell.paras.is_empty() {
            self.x().empty("w:p", &[]);
        }
        for p in &cell.paras {
            self.para(p, ParaPlace::default());
        }
        self.x().close("w:tc");
    }
}

fn valign(v: VAlign) -> &'static str {
    match v {
        VAlign::Top => "top",
        VAlign::Middle => "center",
        VAlign::Bottom => "bottom",
    }
}

/// The continuation of a vertically merged cell in a later row.
fn continuation(x: &mut Xml, origin: &Cell, width: i64) {
    x.open("w:tc", &[]);
    x.open("w:tcPr", &[]);
    x.empty("w:tcW", &[("w:w", &width), ("w:type", &"dxa")]);
    if origin.colspan > 1 {
        x.val("w:gridSpan", &origin.colspan);
    }
    x.empty("w:vMerge", &[]);
    x.val("w:vAlign", &valign(origin.valign));
    x.close("w:tcPr");
    x.empty("w:p", &[]);
    x.close("w:tc");
}

fn empty_cell(x: &mut Xml, width: i64) {
    x.open("w:tc", &[]);
    x.open("w:tcPr", &[]);
    x.empty("w:tcW", &[("w:w", &width), ("w:type", &"dxa")]);
    x.close("w:tcPr");
    x.empty("w:p", &[]);
    x.close("w:tc");
}

/// The section: page size and margins of the (first) page.
fn section(x: &mut Xml, page: &Page) {
    let [top, right, bottom, left] = page.margins.map(twips);
    x.open("w:sectPr", &[]);
    x.empty(
        "w:pgSz",
        &[("w:w", &twips(page.width)), ("w:h", &twips(page.height))],
    );
    x.empty(
        "w:pgMar",
        &[
            ("w:top", &top),
            ("w:right", &right),
            ("w:bottom", &bottom),
            ("w:left", &left),
            ("w:header", &(top / 2)),
            ("w:footer", &(bottom / 2)),
            ("w:gutter", &0),
        ],
    );
    x.close("w:sectPr");
}

/// A filled blank: the value with no-break spaces either side, to about the
/// width the PDF gives it (the blank's underscores, or the value plus half an
/// em, whichever is wider), measured in the shipped face as the layout does.
fn pad_blank(font: &Font, text: &str, width: usize) -> String {
    let (blank, value) = match fonts::face(&font.file) {
        Some(face) => {
            let underscore = face.glyph('_').map_or(0.5, |g| g.advance);
            (width as f32 * underscore, face.width(text))
        }
        None => (width as f32 * 0.5, text.chars().count() as f32),
    };
    let pad = (blank - value).max(0.5);
    let n = (pad / NBSP_EM).round() as usize;
    let left = n / 2;
    let mut s = String::with_capacity(text.len() + 2 * n);
    s.extend(std::iter::repeat_n(NBSP, left));
    s.push_str(text);
    s.extend(std::iter::repeat_n(NBSP, n - left));
    s
}

/// Run properties of a paragraph's text.
struct RunStyle {
    /// Font of Latin text (w:ascii, w:hAnsi, w:cs).
    latin: String,
    /// Font of Chinese text (w:eastAsia).
    east_asia: String,
    bold: bool,
    /// Half-points.
    size: i64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RunKind {
    Text,
    Underlined,
    Symbol,
}

impl RunStyle {
    /// The paragraph's font: the office font (Latin in Times New Roman), or
    /// with embedded fonts (`tag`) the shipped font for all text, as in the PDF.
    fn of(p: &Para, tag: Option<&str>) -> RunStyle {
        let (latin, east_asia) = if let Some(tag) = tag {
            let family = tagged(&shipped_family(&p.font.file), tag);
            (family.clone(), family)
        } else if p.font.office.is_empty() {
            (LATIN_FONT.to_owned(), "宋体".to_owned())
        } else {
            (LATIN_FONT.to_owned(), p.font.office.clone())
        };
        RunStyle {
            latin,
            east_asia,
            bold: p.font.bold,
            size: half_points(p.size),
        }
    }

    /// `w:rPr`, children in CT_RPr order: rFonts, b, bCs, sz, szCs, u.
    fn write(&self, x: &mut Xml, kind: RunKind) {
        x.open("w:rPr", &[]);
        if kind == RunKind::Symbol {
            x.empty(
                "w:rFonts",
                &[
                    ("w:ascii", &SYMBOL_FONT),
                    ("w:eastAsia", &SYMBOL_FONT),
                    ("w:hAnsi", &SYMBOL_FONT),
                    ("w:cs", &SYMBOL_FONT),
                ],
            );
        } else {
            x.empty(
                "w:rFonts",
                &[
                    ("w:ascii", &self.latin.as_str()),
                    ("w:eastAsia", &self.east_asia.as_str()),
                    ("w:hAnsi", &self.latin.as_str()),
                    ("w:cs", &self.latin.as_str()),
                    ("w:hint", &"eastAsia"),
                ],
            );
        }
        if self.bold && kind != RunKind::Symbol {
            x.empty("w:b", &[]);
            x.empty("w:bCs", &[]);
        }
        x.val("w:sz", &self.size);
        x.val("w:szCs", &self.size);
        if kind == RunKind::Underlined {
            x.val("w:u", &"single");
        }
        x.close("w:rPr");
    }
}

/// A run of text; tabs and line breaks in it become `w:tab` and `w:br`.
fn text_run(x: &mut Xml, style: &RunStyle, kind: RunKind, text: &str) {
    x.open("w:r", &[]);
    style.write(x, kind);
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\t', '\n']).unwrap_or(rest.len());
        if end > 0 {
            x.leaf("w:t", &[("xml:space", &"preserve")], &rest[..end]);
        }
        match rest[end..].chars().next() {
            Some('\t') => x.empty("w:tab", &[]),
            Some(_) => x.empty("w:br", &[]),
            None => {}
        }
        rest = &rest[(end + 1).min(rest.len())..];
    }
    x.close("w:r");
}

/// A checkbox content control (Word 2010+, WPS), ticked or not; its run shows
/// ☑/☐ wherever content controls are not understood.
fn checkbox(x: &mut Xml, style: &RunStyle, id: u32, checked: bool) {
    x.open("w:sdt", &[]);
    x.open("w:sdtPr", &[]);
    style.write(x, RunKind::Symbol);
    x.val("w:id", &id);
    x.open("w14:checkbox", &[]);
    x.empty("w14:checked", &[("w14:val", &u8::from(checked))]);
    x.empty(
        "w14:checkedState",
        &[
            ("w14:val", &format_args!("{:04X}", CHECKED as u32)),
            ("w14:font", &SYMBOL_FONT),
        ],
    );
    x.empty(
        "w14:uncheckedState",
        &[
            ("w14:val", &format_args!("{:04X}", UNCHECKED as u32)),
            ("w14:font", &SYMBOL_FONT),
        ],
    );
    x.close("w14:checkbox");
    x.close("w:sdtPr");
    x.open("w:sdtContent", &[]);
    let glyph = if checked { CHECKED } else { UNCHECKED };
    text_run(x, style, RunKind::Symbol, glyph.encode_utf8(&mut [0; 4]));
    x.close("w:sdtContent");
    x.close("w:sdt");
}

// ---------------------------------------------------------------------------
// Styles, settings, fonts

/// Document defaults in the first paragraph's fonts, and the three default
/// styles Word expects.
fn styles(defaults: &RunStyle) -> String {
    let mut x = Xml::new();
    x.open("w:styles", &[("xmlns:w", &NS_W)]);
    x.open("w:docDefaults", &[]);
    x.open("w:rPrDefault", &[]);
    x.open("w:rPr", &[]);
    x.empty(
        "w:rFonts",
        &[
            ("w:ascii", &defaults.latin.as_str()),
            ("w:eastAsia", &defaults.east_asia.as_str()),
            ("w:hAnsi", &defaults.latin.as_str()),
            ("w:cs", &defaults.latin.as_str()),
        ],
    );
    x.val("w:kern", &0);
    x.val("w:sz", &defaults.size);
    x.val("w:szCs", &defaults.size);
    x.empty(
        "w:lang",
        &[
            ("w:val", &"en-US"),
            ("w:eastAsia", &"zh-CN"),
            ("w:bidi", &"ar-SA"),
        ],
    );
    x.close("w:rPr");
    x.close("w:rPrDefault");
    x.open("w:pPrDefault", &[]);
    x.open("w:pPr", &[]);
    // No extra space between Chinese and Latin text: the PDF has none.
    x.val("w:autoSpaceDE", &0);
    x.val("w:autoSpaceDN", &0);
    x.empty(
        "w:spacing",
        &[("w:after", &0), ("w:line", &240), ("w:lineRule", &"auto")],
    );
    x.close("w:pPr");
    x.close("w:pPrDefault");
    x.close("w:docDefaults");

    x.open(
        "w:style",
        &[
            ("w:type", &"paragraph"),
            ("w:default", &1),
            ("w:styleId", &"Normal"),
        ],
    );
    x.val("w:name", &"Normal");
    x.empty("w:qFormat", &[]);
    x.close("w:style");

    x.open(
        "w:style",
        &[
            ("w:type", &"character"),
            ("w:default", &1),
            ("w:styleId", &"DefaultParagraphFont"),
        ],
    );
    x.val("w:name", &"Default Paragraph Font");
    x.val("w:uiPriority", &1);
    x.empty("w:semiHidden", &[]);
    x.empty("w:unhideWhenUsed", &[]);
    x.close("w:style");

    x.open(
        "w:style",
        &[
            ("w:type", &"table"),
            ("w:default", &1),
            ("w:styleId", &"TableNormal"),
        ],
    );
    x.val("w:name", &"Normal Table");
    x.val("w:uiPriority", &99);
    x.empty("w:semiHidden", &[]);
    x.empty("w:unhideWhenUsed", &[]);
    x.open("w:tblPr", &[]);
    x.empty("w:tblInd", &[("w:w", &0), ("w:type", &"dxa")]);
    x.open("w:tblCellMar", &[]);
    for (side, w) in [
        ("w:top", 0),
        ("w:left", 108),
        ("w:bottom", 0),
        ("w:right", 108),
    ] {
        x.empty(side, &[("w:w", &w), ("w:type", &"dxa")]);
    }
    x.close("w:tblCellMar");
    x.close("w:tblPr");
    x.close("w:style");
    x.close("w:styles");
    x.finish()
}

/// CT_Settings, children in schema order.
fn settings(embedded: bool) -> String {
    let mut x = Xml::new();
    x.open("w:settings", &[("xmlns:w", &NS_W)]);
    x.empty("w:zoom", &[("w:percent", &100)]);
    if embedded {
        x.empty("w:embedTrueTypeFonts", &[]);
        x.empty("w:saveSubsetFonts", &[]);
    }
    x.val("w:defaultTabStop", &420);
    // Full-width punctuation keeps its full width, as in the PDF.
    x.val("w:characterSpacingControl", &"doNotCompress");
    x.open("w:compat", &[]);
    x.empty(
        "w:compatSetting",
        &[
            ("w:name", &"compatibilityMode"),
            ("w:uri", &"http://schemas.microsoft.com/office/word"),
            ("w:val", &15),
        ],
    );
    x.close("w:compat");
    x.empty(
        "w:themeFontLang",
        &[("w:val", &"en-US"), ("w:eastAsia", &"zh-CN")],
    );
    x.val("w:decimalSymbol", &".");
    x.val("w:listSeparator", &",");
    x.close("w:settings");
    x.finish()
}

/// How the font table describes a font (CT_Font).
struct FontInfo {
    name: String,
    alt: Option<String>,
    panose: String,
    charset: &'static str,
    family: &'static str,
    pitch: &'static str,
    /// usb0..usb3, csb0, csb1
    sig: Option<[u32; 6]>,
}

/// The font table's description of an office font. 宋体 as Word writes it;
/// the other common Chinese office fonts by their Windows names.
fn office_info(name: &str) -> FontInfo {
    let known: &[(&str, &str, &str, &str, &str)] = &[
        ("宋体", "SimSun", "02010600030101010101", "auto", "variable"),
        ("黑体", "SimHei", "02010609060101010101", "modern", "fixed"),
        (
            "仿宋",
            "FangSong",
            "02010609060101010101",
            "modern",
            "fixed",
        ),
        ("楷体", "KaiTi", "02010609060101010101", "modern", "fixed"),
    ];
    let found = known.iter().find(|k| k.0 == name);
    FontInfo {
        name: name.to_owned(),
        alt: found.map(|k| k.1.to_owned()),
        panose: found.map_or("02010600030101010101", |k| k.2).to_owned(),
        charset: "86",
        family: found.map_or("auto", |k| k.3),
        pitch: found.map_or("variable", |k| k.4),
        sig: (name == "宋体").then_some([0x0000_0003, 0x288F_0000, 0x0000_0016, 0, 0x0004_0001, 0]),
    }
}

/// The font table's description of a shipped font, from its own tables;
/// `alt` names the office font to locate where it is missing.
fn shipped_info(file: &str, alt: Option<String>, tag: Option<&str>) -> Result<FontInfo, DocxError> {
    let face =
        fonts::face(file).ok_or_else(|| DocxError::Font(format!("{file} is not shipped")))?;
    let font =
        skrifa::FontRef::new(face.data).map_err(|e| DocxError::Font(format!("{file}: {e}")))?;
    let name = family_name(&font).unwrap_or_else(|| file.to_owned());
    let name = match tag {
        Some(tag) => tagged(&name, tag),
        None => name,
    };
    let os2 = font.os2().ok();
    let panose = os2
        .as_ref()
        .map(|o| o.panose_10().iter().map(|b| format!("{b:02X}")).collect())
        .unwrap_or_else(|| "02020400000000000000".to_owned());
    let sig = os2.as_ref().map(|o| {
        [
            o.ul_unicode_range_1(),
            o.ul_unicode_range_2(),
            o.ul_unicode_range_3(),
            o.ul_unicode_range_4(),
            o.ul_code_page_range_1().unwrap_or(0),
            o.ul_code_page_range_2().unwrap_or(0),
        ]
    });
    Ok(FontInfo {
        name,
        alt,
        panose,
        charset: "86",
        family: "roman",
        pitch: "variable",
        sig,
    })
}

fn family_name(font: &skrifa::FontRef<'_>) -> Option<String> {
    font.localized_strings(StringId::FAMILY_NAME)
        .english_or_first()
        .map(|s| s.to_string())
}

/// The family name of a shipped font file (its `name` table's, read once
/// per process), or the file's stem if it cannot be read.
fn shipped_family(file: &str) -> String {
    static FAMILIES: std::sync::OnceLock<Vec<(&'static str, Option<String>)>> =
        std::sync::OnceLock::new();
    FAMILIES
        .get_or_init(|| {
            fonts::shipped()
                .iter()
                .map(|face| {
                    let family = skrifa::FontRef::new(face.data)
                        .ok()
                        .and_then(|font| family_name(&font));
                    (face.file, family)
                })
                .collect()
        })
        .iter()
        .find(|(f, _)| *f == file)
        .and_then(|(_, family)| family.clone())
        .unwrap_or_else(|| file.trim_end_matches(".otf").to_owned())
}

fn latin_info() -> FontInfo {
    FontInfo {
        name: LATIN_FONT.into(),
        alt: None,
        panose: "02020603050405020304".into(),
        charset: "00",
        family: "roman",
        pitch: "variable",
        sig: Some([0xE000_2EFF, 0xC000_785B, 0x0000_0009, 0, 0x0000_01FF, 0]),
    }
}

fn symbol_info() -> FontInfo {
    FontInfo {
        name: SYMBOL_FONT.into(),
        alt: None,
        panose: "020B0502040204020203".into(),
        charset: "00",
        family: "swiss",
        pitch: "variable",
        sig: None,
    }
}

/// An embedded font part.
struct Embedded {
    /// Family name, as the font table names it.
    family: String,
    bold: bool,
    rel_id: String,
    key: String,
    part: String,
    data: Vec<u8>,
}

/// The font table: office fonts, Times New Roman, the symbol font and the
/// shipped fonts (with their embedded subsets, if any). CT_Font children in
/// order: altName, panose1, charset, family, pitch, sig, embedRegular, embedBold.
fn font_table(
    office: &[String],
    used: &BTreeMap<String, Used>,
    embedded: &[Embedded],
    tag: Option<&str>,
) -> Result<String, DocxError> {
    let mut infos: Vec<FontInfo> = office.iter().map(|o| office_info(o)).collect();
    infos.push(latin_info());
    infos.push(symbol_info());
    // A family is described by its regular face.
    let mut files: Vec<(&String, &Used)> = used.iter().collect();
    files.sort_by_key(|(_, u)| u.bold);
    for (file, u) in files {
        // Embedded, the shipped font is what runs name: the office font is
        // its alternative where the embedded font cannot be used.
        let alt = tag.map(|_| u.office.clone());
        let info = shipped_info(file, alt, tag)?;
        if !infos.iter().any(|i| i.name == info.name) {
            infos.push(info);
        }
    }
    let mut x = Xml::new();
    x.open("w:fonts", &[("xmlns:r", &NS_R), ("xmlns:w", &NS_W)]);
    for info in &infos {
        x.open("w:font", &[("w:name", &info.name.as_str())]);
        if let Some(alt) = &info.alt {
            x.val("w:altName", &alt.as_str());
        }
        x.val("w:panose1", &info.panose.as_str());
        x.val("w:charset", &info.charset);
        x.val("w:family", &info.family);
        x.val("w:pitch", &info.pitch);
        if let Some([u0, u1, u2, u3, c0, c1]) = info.sig {
            x.empty(
                "w:sig",
                &[
                    ("w:usb0", &format_args!("{u0:08X}")),
                    ("w:usb1", &format_args!("{u1:08X}")),
                    ("w:usb2", &format_args!("{u2:08X}")),
                    ("w:usb3", &format_args!("{u3:08X}")),
                    ("w:csb0", &format_args!("{c0:08X}")),
                    ("w:csb1", &format_args!("{c1:08X}")),
                ],
            );
        }
        for bold in [false, true] {
            if let Some(e) = embedded
                .iter()
                .find(|e| e.family == info.name && e.bold == bold)
            {
                x.empty(
                    if bold {
                        "w:embedBold"
                    } else {
                        "w:embedRegular"
                    },
                    &[
                        ("r:id", &e.rel_id.as_str()),
                        ("w:fontKey", &e.key.as_str()),
                        ("w:subsetted", &1),
                    ],
                );
            }
        }
        x.close("w:font");
    }
    x.close("w:fonts");
    Ok(x.finish())
}

fn font_rels(embedded: &[Embedded]) -> String {
    let mut x = Xml::new();
    x.open("Relationships", &[("xmlns", &NS_PKG_RELS)]);
    for e in embedded {
        let target = e.part.trim_start_matches("word/");
        x.empty(
            "Relationship",
            &[
                ("Id", &e.rel_id.as_str()),
                (
                    "Type",
                    &"http://schemas.openxmlformats.org/officeDocument/2006/relationships/font",
                ),
                ("Target", &target),
            ],
        );
    }
    x.close("Relationships");
    x.finish()
}

/// Subsets and obfuscates each shipped font used.
fn embed(used: &BTreeMap<String, Used>, tag: &str) -> Result<Vec<Embedded>, DocxError> {
    let mut out: Vec<Embedded> = Vec::new();
    for (n, (file, u)) in used.iter().enumerate() {
        let face =
            fonts::face(file).ok_or_else(|| DocxError::Font(format!("{file} is not shipped")))?;
        let original = shipped_family(file);
        let family = tagged(&original, tag);
        // One regular and one bold face per family in the font table.
        if out.iter().any(|e| e.family == family && e.bold == u.bold) {
            continue;
        }
        let mut wanted = u.chars.clone();
        // The digits too in the faces values are set in, so that a
        // corrected phone number or date still has its glyphs.
        if !u.bold {
            wanted.extend('0'..='9');
        }
        let key = font_key(format!("{file}\n{}", wanted.iter().collect::<String>()).as_bytes());
        let font = renamed(&subset(face, &wanted)?, &original, &family, tag)
            .ok_or_else(|| DocxError::Font(format!("{file}: cannot rename the subset")))?;
        let data = obfuscate(font, &key)?;
        out.push(Embedded {
            family,
            bold: u.bold,
            rel_id: format!("rId{}", n + 1),
            key,
            part: format!("fonts/font{}.odttf", n + 1),
            data,
        });
    }
    Ok(out)
}

/// Six capital letters naming this document's subsets, from its text: as a
/// PDF tags its subset fonts (`ABCDEF+Font`), so that two documents' subsets
/// are two fonts. (LibreOffice keeps the first embedded font of a name for
/// the whole session: a second form open at the same time would otherwise be
/// drawn with the first one's glyphs, its other characters missing.)
fn subset_tag(layout: &Layout) -> String {
    let mut text = String::new();
    for page in &layout.pages {
        for p in page.paras() {
            text.push_str(&p.font.file);
            text.push('\u{0}');
            text.push_str(&p.plain_text());
            text.push('\n');
        }
    }
    let key = font_key(text.as_bytes());
    key.bytes()
        .filter(u8::is_ascii_hexdigit)
        .take(6)
        .map(|b| char::from(b'A' + (b % 26)))
        .collect()
}

/// A family name with a subset tag: `Noto Serif CJK SC ABCDEF`.
fn tagged(family: &str, tag: &str) -> String {
    format!("{family} {tag}")
}

/// The font with its `name` table saying it is the tagged family: family
/// and full names, unique id and PostScript name (`ABCDEF+…`). Copyright,
/// licence and the other names are kept; Macintosh-platform names (not
/// UTF-16) are dropped. `None` if the font or its `name` table is malformed.
fn renamed(font: &[u8], old: &str, new: &str, tag: &str) -> Option<Vec<u8>> {
    let (version, tables) = sfnt_tables(font)?;
    let mut tables: Vec<([u8; 4], Vec<u8>)> =
        tables.into_iter().map(|(t, d)| (t, d.to_vec())).collect();
    let name = tables.iter_mut().find(|(t, _)| t == b"name")?;
    name.1 = rename_table(&name.1, old, new, tag)?;
    sfnt_build(version, tables)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// An OpenType table: its tag and its bytes.
type SfntTable<'a> = ([u8; 4], &'a [u8]);

/// The sfnt version and the tables of an OpenType font, in directory order.
fn sfnt_tables(font: &[u8]) -> Option<(u32, Vec<SfntTable<'_>>)> {
    let version = be32(font, 0)?;
    let count = usize::from(be16(font, 4)?);
    let mut tables = Vec::with_capacity(count);
    for i in 0..count {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let offset = usize::try_from(be32(font, rec + 8)?).ok()?;
        let length = usize::try_from(be32(font, rec + 12)?).ok()?;
        tables.push((tag, font.get(offset..offset.checked_add(length)?)?));
    }
    Some((version, tables))
}

fn sfnt_checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

/// An OpenType font from its tables: directory sorted by tag, tables 4-byte
/// aligned, checksums and `head.checkSumAdjustment` computed.
fn sfnt_build(version: u32, mut tables: Vec<([u8; 4], Vec<u8>)>) -> Option<Vec<u8>> {
    tables.sort_by_key(|t| t.0);
    let count = u16::try_from(tables.len()).ok()?;
    let log2 = 15 - count.max(1).leading_zeros() as u16;
    let search_range = 16u16.checked_shl(u32::from(log2))?;
    let mut out = Vec::new();
    out.extend(version.to_be_bytes());
    let range_shift = count.checked_mul(16)?.checked_sub(search_range)?;
    for v in [count, search_range, log2, range_shift] {
        out.extend(v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, data) in &mut tables {
        if tag == b"head" {
            // checkSumAdjustment is zero while checksums are computed.
            data.get_mut(8..12)?.fill(0);
            head_at = Some(offset);
        }
        out.extend(*tag);
        out.extend(sfnt_checksum(data).to_be_bytes());
        out.extend(u32::try_from(offset).ok()?.to_be_bytes());
        out.extend(u32::try_from(data.len()).ok()?.to_be_bytes());
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &tables {
        out.extend(data);
        out.resize(out.len().div_ceil(4) * 4, 0);
    }
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(sfnt_checksum(&out));
    let at = head_at? + 8;
    out.get_mut(at..at + 4)?
        .copy_from_slice(&adjustment.to_be_bytes());
    Some(out)
}

/// A `name` table (format 0) with the family renamed, see [`renamed`].
fn rename_table(name: &[u8], old: &str, new: &str, tag: &str) -> Option<Vec<u8>> {
    let count = usize::from(be16(name, 2)?);
    let storage = usize::from(be16(name, 4)?);
    let mut records: Vec<([u16; 4], String)> = Vec::new();
    for i in 0..count {
        let rec = 6 + 12 * i;
        let ids = [
            be16(name, rec)?,
            be16(name, rec + 2)?,
            be16(name, rec + 4)?,
            be16(name, rec + 6)?,
        ];
        if ids[0] != 0 && ids[0] != 3 {
            continue; // not UTF-16BE
        }
        let len = usize::from(be16(name, rec + 8)?);
        let at = storage + usize::from(be16(name, rec + 10)?);
        let units: Vec<u16> = name
            .get(at..at + len)?
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        let text = String::from_utf16(&units).ok()?;
        let text = match ids[3] {
            1 | 16 | 21 => new.to_owned(),
            4 | 18 => text.replacen(old, new, 1),
            3 => format!("{tag};{text}"),
            6 => format!("{tag}+{text}"),
            _ => text,
        };
        records.push((ids, text));
    }
    records.sort();
    let count = u16::try_from(records.len()).ok()?;
    let mut out = Vec::new();
    let mut strings: Vec<u8> = Vec::new();
    out.extend(0u16.to_be_bytes());
    out.extend(count.to_be_bytes());
    out.extend(count.checked_mul(12)?.checked_add(6)?.to_be_bytes());
    for (ids, text) in &records {
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for v in ids {
            out.extend(v.to_be_bytes());
        }
        out.extend(u16::try_from(bytes.len()).ok()?.to_be_bytes());
        out.extend(u16::try_from(strings.len()).ok()?.to_be_bytes());
        strings.extend(bytes);
    }
    out.extend(strings);
    Some(out)
}

/// The face subset to the glyphs of `chars`, keeping a Unicode cmap.
fn subset(face: &fonts::Face, chars: &BTreeSet<char>) -> Result<Vec<u8>, DocxError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile};

    let err = |e: &dyn Display| DocxError::Font(format!("{}: {e}", face.file));
    let mut gids: Vec<u16> = chars
        .iter()
        .filter_map(|&c| face.glyph(c))
        .filter_map(|g| u16::try_from(g.id).ok())
        .filter(|&g| g != 0)
        .collect();
    gids.sort_unstable();
    gids.dedup();
    gids.insert(0, 0);
    let data = ReadScope::new(face.data)
        .read::<FontData<'_>>()
        .map_err(|e| err(&e))?;
    let provider = data.table_provider(0).map_err(|e| err(&e))?;
    allsorts::subset::subset(
        &provider,
        &gids,
        &SubsetProfile::Minimal,
        CmapTarget::Unicode,
    )
    .map_err(|e| err(&e))
}

/// A GUID derived from what identifies a subset (its font file and its
/// characters): deterministic, and different for different subsets.
/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`.
fn font_key(data: &[u8]) -> String {
    let fnv = |seed: u64| {
        data.iter().fold(seed, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    };
    let (a, b) = (fnv(0xCBF2_9CE4_8422_2325), fnv(0x6C62_272E_07BB_0142));
    let hex = format!("{a:016X}{b:016X}");
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// ECMA-376 Part 1 §17.8.1: the first 32 bytes of the font XORed with the
/// key's 16 bytes taken from the GUID's last hex pair to its first, twice.
fn obfuscate(mut data: Vec<u8>, key: &str) -> Result<Vec<u8>, DocxError> {
    let hex: Vec<u8> = key.bytes().filter(u8::is_ascii_hexdigit).collect();
    if hex.len() != 32 || data.len() < 32 {
        return Err(DocxError::Font(format!("bad font key {key}")));
    }
    let nibble = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    let guid: Vec<u8> = hex
        .chunks(2)
        .map(|p| (nibble(p[0]) << 4) | nibble(p[1]))
        .collect();
    for i in 0..32 {
        data[i] ^= guid[15 - (i % 16)];
    }
    Ok(data)
}

// ---------------------------------------------------------------------------
// Package parts

const NS_PKG_RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

const ROOT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>",
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>",
    "</Relationships>"
);

const DOCUMENT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>",
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>",
    "</Relationships>"
);

fn content_types(fonts: bool) -> String {
    const WML: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml";
    let mut x = Xml::new();
    x.open(
        "Types",
        &[(
            "xmlns",
            &"http://schemas.openxmlformats.org/package/2006/content-types",
        )],
    );
    let mut default = |ext: &str, ty: &str| {
        x.empty("Default", &[("Extension", &ext), ("ContentType", &ty)]);
    };
    default(
        "rels",
        "application/vnd.openxmlformats-package.relationships+xml",
    );
    default("xml", "application/xml");
    if fonts {
        default(
            "odttf",
            "application/vnd.openxmlformats-officedocument.obfuscatedFont",
        );
    }
    for (part, ty) in [
        ("/word/document.xml", format!("{WML}.document.main+xml")),
        ("/word/styles.xml", format!("{WML}.styles+xml")),
        ("/word/settings.xml", format!("{WML}.settings+xml")),
        ("/word/fontTable.xml", format!("{WML}.fontTable+xml")),
        (
            "/docProps/core.xml",
            "application/vnd.openxmlformats-package.core-properties+xml".into(),
        ),
        (
            "/docProps/app.xml",
            "application/vnd.openxmlformats-officedocument.extended-properties+xml".into(),
        ),
    ] {
        x.empty(
            "Override",
            &[("PartName", &part), ("ContentType", &ty.as_str())],
        );
    }
    x.close("Types");
    x.finish()
}

/// Core properties from the layout's metadata; dates only from the filing.
fn core(layout: &Layout) -> String {
    let meta = &layout.meta;
    let mut x = Xml::new();
    x.open(
        "cp:coreProperties",
        &[
            (
                "xmlns:cp",
                &"http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
            ),
            ("xmlns:dc", &"http://purl.org/dc/elements/1.1/"),
            ("xmlns:dcterms", &"http://purl.org/dc/terms/"),
            ("xmlns:dcmitype", &"http://purl.org/dc/dcmitype/"),
            ("xmlns:xsi", &"http://www.w3.org/2001/XMLSchema-instance"),
        ],
    );
    x.leaf("dc:title", &[], &meta.title);
    x.leaf("dc:subject", &[], &meta.subject);
    x.leaf("dc:creator", &[], &meta.author);
    x.leaf("cp:keywords", &[], &meta.keywords.join(", "));
    x.leaf("dc:language", &[], &meta.language);
    if let Some(date) = meta.date.as_deref().and_then(w3cdtf) {
        for tag in ["dcterms:created", "dcterms:modified"] {
            x.leaf(tag, &[("xsi:type", &"dcterms:W3CDTF")], &date);
        }
    }
    x.close("cp:coreProperties");
    x.finish()
}

/// An RFC 3339 time in UTC, as W3CDTF.
fn w3cdtf(rfc3339: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(
        t.with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    )
}

fn app(layout: &Layout) -> String {
    let mut x = Xml::new();
    x.open(
        "Properties",
        &[
            (
                "xmlns",
                &"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
            ),
            (
                "xmlns:vt",
                &"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
            ),
        ],
    );
    x.leaf(
        "Application",
        &[],
        concat!("beian ", env!("CARGO_PKG_VERSION")),
    );
    x.leaf("Pages", &[], &layout.pages.len().to_string());
    x.leaf("DocSecurity", &[], "0");
    x.close("Properties");
    x.finish()
}

/// The zip package: parts in the given order, deflated, dated 1980-01-01.
/// Fonts are deflated at the fastest level: within 4 % as small, five times
/// faster.
fn package(parts: &[(String, Vec<u8>)]) -> Result<Vec<u8>, DocxError> {
    use zip::write::SimpleFileOptions;
    let err = |e: &dyn Display| DocxError::Package(e.to_string());
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        let options = if name.ends_with(".odttf") {
            options.compression_level(Some(1))
        } else {
            options
        };
        zip.start_file(name.as_str(), options)
            .map_err(|e| err(&e))?;
        zip.write_all(bytes).map_err(|e| err(&e))?;
    }
    Ok(zip.finish().map_err(|e| err(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Source;
    use crate::layout::LayoutOptions;
    use crate::pipeline::prepare_text;

    fn layout(copies: usize) -> Layout {
        let text = include_str!("../../examples/douyin.json");
        prepare_text(
            &Source::File("douyin.json".into()),
            text,
            None,
            LayoutOptions { copies },
        )
        .map(|(_, l)| l)
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn document(embed: bool) -> String {
        let mut body = Body {
            tag: embed.then(|| "ABCDEF".to_owned()),
            ..Body::default()
        };
        body.document(&layout(2))
    }

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut x = Xml::new();
        x.leaf("a", &[("v", &"<\"&'>")], "a&b<c>\"d\u{1}\u{FFFF}\te");
        let out = x.finish();
        assert!(out.ends_with("<a v=\"&lt;&quot;&amp;'&gt;\">a&amp;b&lt;c&gt;&quot;d&#9;e</a>"));
    }

    #[test]
    fn grid_edges_are_rounded_not_widths() {
        let cols = [10.33, 10.33, 10.33];
        let w = twips_edges(&cols);
        assert_eq!(w.iter().sum::<i64>(), twips(30.99));
        assert!(w.iter().all(|v| (206..=208).contains(v)));
    }

    #[test]
    fn obfuscation_keys_by_the_guid_read_backwards() {
        // ECMA-376 Part 1 §17.8.1; LibreOffice reads the key the same way.
        let key = "{62E79491-959F-41E9-B76B-6B32631DEA5C}";
        let out = obfuscate(vec![0; 40], key).expect("obfuscate");
        let expected: [u8; 16] = [
            0x5C, 0xEA, 0x1D, 0x63, 0x32, 0x6B, 0x6B, 0xB7, 0xE9, 0x41, 0x9F, 0x95, 0x91, 0x94,
            0xE7, 0x62,
        ];
        assert_eq!(out[..16], expected);
        assert_eq!(out[16..32], expected);
        assert_eq!(out[32..], [0; 8]);
        // XOR twice restores the font.
        let font = b"OTTO and then the rest of a font file....".to_vec();
        let twice = obfuscate(obfuscate(font.clone(), key).expect("1"), key).expect("2");
        assert_eq!(twice, font);
    }

    #[test]
    fn font_keys_are_guids() {
        let key = font_key(b"some font bytes");
        assert_eq!(key.len(), 38);
        assert!(key.starts_with('{') && key.ends_with('}'));
        let dashes: Vec<usize> = key.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [9, 14, 19, 24]);
        assert!(
            key[1..37]
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_ne!(key, font_key(b"other font bytes"));
    }

    #[test]
    fn a_subset_keeps_a_unicode_cmap_and_is_small() {
        let face = fonts::face("NotoSerifCJKsc-Regular.otf").expect("face");
        let chars: BTreeSet<char> = "安徽商贸职业技术学院A1@".chars().collect();
        let data = subset(face, &chars).expect("subset");
        assert_eq!(&data[..4], b"OTTO");
        assert!(data.len() < 100_000, "{} bytes", data.len());
        let font = skrifa::FontRef::new(&data).expect("parses");
        let cmap = font.charmap();
        for c in chars {
            assert!(cmap.map(c).is_some_and(|g| g.to_u32() != 0), "{c}");
        }
        assert!(cmap.map('中').is_none());
        assert_eq!(family_name(&font).as_deref(), Some("Noto Serif CJK SC"));
    }

    #[test]
    fn a_renamed_subset_is_a_sound_font_of_the_tagged_family() {
        let face = fonts::face("NotoSerifCJKsc-Bold.otf").expect("face");
        let chars: BTreeSet<char> = "安徽商贸".chars().collect();
        let data = subset(face, &chars).expect("subset");
        let font = renamed(
            &data,
            "Noto Serif CJK SC",
            "Noto Serif CJK SC QWERTY",
            "QWERTY",
        )
        .expect("renamed");
        // The whole font sums to the magic number once head is adjusted.
        assert_eq!(sfnt_checksum(&font), 0xB1B0_AFBA);
        // Each table's checksum is right.
        let (_, tables) = sfnt_tables(&font).expect("tables");
        for (i, (tag, data)) in tables.iter().enumerate() {
            let stored = be32(&font, 12 + 16 * i + 4).expect("checksum");
            if tag != b"head" {
                assert_eq!(
                    stored,
                    sfnt_checksum(data),
                    "{}",
                    String::from_utf8_lossy(tag)
                );
            }
        }
        let f = skrifa::FontRef::new(&font).expect("parses");
        assert_eq!(family_name(&f).as_deref(), Some("Noto Serif CJK SC QWERTY"));
        let name = |id: StringId| {
            f.localized_strings(id)
                .english_or_first()
                .map(|s| s.to_string())
                .unwrap_or_default()
        };
        assert_eq!(name(StringId::FULL_NAME), "Noto Serif CJK SC QWERTY Bold");
        assert_eq!(
            name(StringId::POSTSCRIPT_NAME),
            "QWERTY+NotoSerifCJKsc-Bold"
        );
        assert!(name(StringId::COPYRIGHT_NOTICE).contains("Adobe"));
        assert!(name(StringId::LICENSE_DESCRIPTION).contains("Open Font License"));
        // No other name of the family is left (e.g. a Chinese-locale one).
        for s in f.localized_strings(StringId::FAMILY_NAME) {
            assert_eq!(s.to_string(), "Noto Serif CJK SC QWERTY");
        }
        for c in chars {
            assert!(f.charmap().map(c).is_some(), "{c}");
        }
    }

    #[test]
    fn subset_tags_are_six_capitals_that_follow_the_text() {
        let a = subset_tag(&layout(2));
        assert_eq!(a.len(), 6);
        assert!(a.chars().all(|c| c.is_ascii_uppercase()));
        assert_eq!(a, subset_tag(&layout(2)));
        assert_ne!(a, subset_tag(&layout(1)));
    }

    #[test]
    fn a_filled_blank_is_padded_to_about_its_width() {
        let font = Font {
            file: "NotoSerifCJKsc-Regular.otf".into(),
            office: "宋体".into(),
            bold: false,
        };
        let padded = pad_blank(&font, "抖音", 11);
        assert!(padded.contains("抖音"));
        let pads = padded.chars().filter(|&c| c == NBSP).count();
        // 11 underscores ≈ 6.2 em; the value 2 em: about 4 em of padding.
        assert!((14..=19).contains(&pads), "{pads}");
        assert!(padded.starts_with(NBSP) && padded.ends_with(NBSP));
        // A value longer than the blank still gets half an em.
        let long = pad_blank(&font, "一二三四五六七八九十", 4);
        assert_eq!(long.chars().filter(|&c| c == NBSP).count(), 2);
    }

    /// Names of the child elements of every `<parent>` element, in order.
    fn children(xml: &str, parent: &str) -> Vec<Vec<String>> {
        let open = format!("<{parent}");
        let close = format!("</{parent}>");
        let mut out = Vec::new();
        let mut rest = xml;
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            if !after.starts_with(['>', ' ']) {
                rest = after;
                continue;
            }
            let inner_start = i + open.len() + after.find('>').expect("tag end") + 1;
            let end = rest[inner_start..].find(&close).expect("closed") + inner_start;
            let inner = &rest[inner_start..end];
            let mut names = Vec::new();
            let mut depth = 0;
            let mut s = inner;
            while let Some(j) = s.find('<') {
                let tag_end = s[j..].find('>').expect("tag") + j;
                let tag = &s[j + 1..tag_end];
                if let Some(_closing) = tag.strip_prefix('/') {
                    depth -= 1;
                } else {
                    if depth == 0 {
                        names.push(tag.split([' ', '/']).next().unwrap_or("").to_owned());
                    }
                    if !tag.ends_with('/') {
                        depth += 1;
                    }
                }
                s = &s[tag_end + 1..];
            }
            out.push(names);
            rest = &rest[end + close.len()..];
        }
        out
    }

    /// Asserts that every `<parent>` lists its children in `order`.
    fn in_schema_order(xml: &str, parent: &str, order: &[&str]) {
        let lists = children(xml, parent);
        assert!(!lists.is_empty(), "no {parent}");
        for names in lists {
            let at: Vec<usize> = names
                .iter()
                .map(|n| {
                    order
                        .iter()
                        .position(|o| o == n)
                        .unwrap_or_else(|| panic!("{n} not expected in {parent}"))
                })
                .collect();
            assert!(at.windows(2).all(|w| w[0] < w[1]), "{parent}: {names:?}");
        }
    }

    #[test]
    fn properties_are_in_schema_order() {
        for embed in [false, true] {
            let xml = document(embed);
            // CT_RPr (the elements beian writes among them, in sequence order).
            in_schema_order(
                &xml,
                "w:rPr",
                &[
                    "w:rStyle",
                    "w:rFonts",
                    "w:b",
                    "w:bCs",
                    "w:i",
                    "w:iCs",
                    "w:color",
                    "w:kern",
                    "w:sz",
                    "w:szCs",
                    "w:highlight",
                    "w:u",
                    "w:lang",
                ],
            );
            // CT_PPr
            in_schema_order(
                &xml,
                "w:pPr",
                &[
                    "w:pStyle",
                    "w:keepNext",
                    "w:keepLines",
                    "w:pageBreakBefore",
                    "w:framePr",
                    "w:widowControl",
                    "w:tabs",
                    "w:autoSpaceDE",
                    "w:autoSpaceDN",
                    "w:spacing",
                    "w:ind",
                    "w:jc",
                    "w:rPr",
                ],
            );
            // CT_TblPr
            in_schema_order(
                &xml,
                "w:tblPr",
                &[
                    "w:tblStyle",
                    "w:tblW",
                    "w:jc",
                    "w:tblInd",
                    "w:tblBorders",
                    "w:tblLayout",
                    "w:tblCellMar",
                ],
            );
            in_schema_order(
                &xml,
                "w:tblBorders",
                &[
                    "w:top",
                    "w:left",
                    "w:bottom",
                    "w:right",
                    "w:insideH",
                    "w:insideV",
                ],
            );
            in_schema_order(
                &xml,
                "w:tblCellMar",
                &["w:top", "w:left", "w:bottom", "w:right"],
            );
            // CT_TcPr
            in_schema_order(
                &xml,
                "w:tcPr",
                &["w:tcW", "w:gridSpan", "w:vMerge", "w:vAlign"],
            );
            in_schema_order(&xml, "w:trPr", &["w:cantSplit", "w:trHeight"]);
            // CT_SdtPr: rPr, id, then the w14 extension.
            in_schema_order(&xml, "w:sdtPr", &["w:rPr", "w:id", "w14:checkbox"]);
            in_schema_order(
                &xml,
                "w14:checkbox",
                &["w14:checked", "w14:checkedState", "w14:uncheckedState"],
            );
            in_schema_order(&xml, "w:sectPr", &["w:pgSz", "w:pgMar"]);
        }
        in_schema_order(
            &settings(true),
            "w:settings",
            &[
                "w:zoom",
                "w:embedTrueTypeFonts",
                "w:saveSubsetFonts",
                "w:defaultTabStop",
                "w:characterSpacingControl",
                "w:compat",
                "w:themeFontLang",
                "w:decimalSymbol",
                "w:listSeparator",
            ],
        );
    }

    #[test]
    fn font_table_entries_are_in_schema_order() {
        let used: BTreeMap<String, Used> = [
            ("NotoSerifCJKsc-Regular.otf", false),
            ("NotoSerifCJKsc-Bold.otf", true),
        ]
        .into_iter()
        .map(|(f, bold)| {
            (
                f.to_owned(),
                Used {
                    bold,
                    office: "宋体".into(),
                    chars: "安徽".chars().collect(),
                },
            )
        })
        .collect();
        let embedded = embed(&used, "ABCDEF").expect("embed");
        let xml =
            font_table(&["宋体".into()], &used, &embedded, Some("ABCDEF")).expect("font table");
        let noto = xml
            .split("<w:font w:name=")
            .find(|f| f.starts_with("\"Noto Serif CJK SC ABCDEF\">"))
            .expect("Noto entry")
            .replacen("\"Noto Serif CJK SC ABCDEF\">", "<w:font>", 1);
        in_schema_order(
            &noto,
            "w:font",
            &[
                "w:altName",
                "w:panose1",
                "w:charset",
                "w:family",
                "w:pitch",
                "w:sig",
                "w:embedRegular",
                "w:embedBold",
            ],
        );
        // The family is described by its regular face.
        assert!(xml.contains("<w:panose1 w:val=\"02020400000000000000\"/>"));
        assert!(xml.contains("w:subsetted=\"1\""));
    }

    #[test]
    fn a_paragraph_with_a_fill_has_a_right_tab_at_its_edge() {
        let xml = document(false);
        let tabs = xml.matches("<w:tab w:val=\"right\" w:pos=").count();
        // 新媒体负责人签名, 单位负责人签字, 签名（公章）: per copy.
        assert_eq!(tabs, 6);
        assert_eq!(xml.matches("<w:tab/>").count(), 6);
    }
}
