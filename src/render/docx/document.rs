//! `word/document.xml`: the layout's pages as paragraphs and one Word table per copy.

use std::collections::{BTreeMap, BTreeSet};

use super::fonts::{shipped_family, tagged};
use super::xml::{NS_A, NS_MC, NS_PIC, NS_R, NS_W, NS_W14, NS_WP, Xml};
use crate::fonts;
use crate::form::{Align, VAlign};
use crate::layout::{
    Block, Cell, Font, ItemKind, Layout, Page, Para, Placement, QrMark, Slot, Span, Table,
};

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

/// The Latin font Chinese offices pair with 宋体, as Word describes it.
pub(super) const LATIN_FONT: &str = "Times New Roman";
/// The checkbox glyphs ☐ ☑: a font every Windows since 7 has.
pub(super) const SYMBOL_FONT: &str = "Segoe UI Symbol";
const UNCHECKED: char = '\u{2610}';
const CHECKED: char = '\u{2611}';
/// No-break space: pads a filled blank; Word underlines it even at a line end.
const NBSP: char = '\u{A0}';
/// Width of a no-break space in the Latin font, in em.
const NBSP_EM: f32 = 0.25;

/// The document body being written, and what it used.
#[derive(Default)]
pub(super) struct Body {
    xml: Option<Xml>,
    /// Embedding fonts: runs name the shipped fonts, as tagged for this
    /// document's subsets, rather than the office fonts.
    tag: Option<String>,
    /// Next content-control id.
    next_id: u32,
    /// Office font names in order of first use.
    pub(super) office: Vec<String>,
    /// The office's Latin fonts the runs name, in order of first use.
    pub(super) latin: Vec<String>,
    /// Shipped font file → how it is used.
    pub(super) used: BTreeMap<String, Used>,
    /// The first paragraph's run style, for the document defaults.
    pub(super) first_style: Option<RunStyle>,
    /// A copy's QR code, anchored in the next paragraph written.
    pending_qr: Option<QrMark>,
    /// Whether any copy has a QR code (the package then holds its picture).
    pub(super) has_qr: bool,
}

/// The relationship id of the QR code's picture (`word/media/qr.png`).
pub(super) const QR_REL: &str = "rId4";
/// EMU per point.
const EMU_PER_PT: f32 = 12_700.0;

/// How a shipped font file is used.
pub(super) struct Used {
    pub(super) bold: bool,
    /// The office font standing for it.
    pub(super) office: String,
    /// Characters set in it.
    pub(super) chars: BTreeSet<char>,
}

/// Where a paragraph stands.
#[derive(Clone, Copy, Default)]
struct ParaPlace {
    page_break: bool,
    /// Absolutely placed on the page, out of the flow (x, y in points).
    frame: Option<(f32, f32)>,
}

impl Body {
    /// A body whose runs name the office fonts, or with `tag` the shipped
    /// fonts tagged for this document's subsets.
    pub(super) fn new(tag: Option<String>) -> Body {
        Body {
            tag,
            ..Body::default()
        }
    }

    fn x(&mut self) -> &mut Xml {
        self.xml.get_or_insert_with(Xml::new)
    }

    pub(super) fn document(&mut self, layout: &Layout) -> String {
        self.xml = Some(Xml::new());
        // The drawing namespaces only where a QR code is drawn: a draft's
        // document stays as it was, byte for byte.
        let drawing = layout.pages.iter().any(|p| p.qr.is_some());
        let mut attrs: Vec<(&str, &dyn std::fmt::Display)> = vec![
            ("xmlns:mc", &NS_MC),
            ("xmlns:w", &NS_W),
            ("xmlns:w14", &NS_W14),
        ];
        if drawing {
            attrs.extend([
                ("xmlns:r", &NS_R as &dyn std::fmt::Display),
                ("xmlns:wp", &NS_WP),
                ("xmlns:a", &NS_A),
                ("xmlns:pic", &NS_PIC),
            ]);
        }
        attrs.push(("mc:Ignorable", &"w14"));
        self.x().open("w:document", &attrs);
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

    /// One copy: the paragraphs the layout puts in the page margin as
    /// frames, then the blocks in the flow in order; the first block in the
    /// flow starts a new page after the first copy.
    fn page(&mut self, page: &Page, page_break: bool) {
        // The QR code of a filed form: a picture anchored to the page, in the
        // first paragraph of the copy (it takes no room in the flow).
        if let Some(qr) = &page.qr {
            self.has_qr = true;
            self.pending_qr = Some(qr.clone());
        }
        let in_margin = |b: &Block| matches!(b, Block::Para(p) if p.place == Placement::Margin);
        let frames: Vec<&Para> = page
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Para(p) if p.place == Placement::Margin => Some(p),
                Block::Para(_) | Block::Table(_) => None,
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
        if !self.latin.contains(&font.office_latin) {
            self.latin.push(font.office_latin.clone());
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
        if let Some(qr) = self.pending_qr.take() {
            self.next_id += 1;
            let id = self.next_id;
            qr_drawing(self.x(), &qr, id);
        }
        if p.seal {
            // A clear area: no text.
        } else if let Some(lines) = kept_lines(p) {
            // A value keeps the breaks layout chose for it.
            self.note_text(&p.font, &lines);
            text_run(self.x(), &style, RunKind::Text, &lines);
        } else {
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
        // A span reaching past the last column stops there (`cols` has one per column).
        let span_width = |c: usize, n: usize| -> i64 { cols.iter().skip(c).take(n).sum() };
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
                    Some(&Slot::Merged { parent }) => {
                        let (pr, pc) = t.position(parent);
                        // Below a cell that spans rows: Word's vertical
                        // continuation, as wide as the cell. Slots to the
                        // right of a cell's first column are covered by its
                        // `w:gridSpan`.
                        if let Some(Slot::Cell(origin)) = t.slots.get(parent)
                            && pr < r
                            && pc == c
                        {
                            continuation(self.x(), origin, span_width(c, origin.colspan));
                        }
                    }
                    Some(Slot::Empty) => empty_cell(self.x(), span_width(c, 1)),
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
pub(super) struct RunStyle {
    /// Font of Latin text (w:ascii, w:hAnsi, w:cs).
    pub(super) latin: String,
    /// Font of Chinese text (w:eastAsia).
    pub(super) east_asia: String,
    pub(super) bold: bool,
    /// Half-points.
    pub(super) size: i64,
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
        } else {
            (p.font.office_latin.clone(), p.font.office.clone())
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

/// A value set on several lines, as one text with a line break between
/// lines; `None` for anything else.
fn kept_lines(p: &Para) -> Option<String> {
    if !p.keep_lines || p.lines.len() < 2 || !p.spans.iter().all(|s| matches!(s, Span::Text(_))) {
        return None;
    }
    let lines: Vec<String> = p
        .lines
        .iter()
        .map(|l| {
            l.items
                .iter()
                .filter_map(|i| match &i.kind {
                    ItemKind::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    Some(lines.join("\n"))
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

/// A QR code as a picture anchored to the page at the layout's place, in
/// front of the text, taking no room (`wrapNone`).
fn qr_drawing(x: &mut Xml, qr: &QrMark, id: u32) {
    let emu = |pt: f32| (pt * EMU_PER_PT).round() as i64;
    let side = emu(qr.module * qr.size as f32);
    let id = id.to_string();
    let name = format!("QR {id}");
    x.open("w:r", &[]);
    x.open("w:drawing", &[]);
    x.open(
        "wp:anchor",
        &[
            ("distT", &0),
            ("distB", &0),
            ("distL", &0),
            ("distR", &0),
            ("simplePos", &0),
            ("relativeHeight", &1),
            ("behindDoc", &0),
            ("locked", &1),
            ("layoutInCell", &0),
            ("allowOverlap", &1),
        ],
    );
    x.empty("wp:simplePos", &[("x", &0), ("y", &0)]);
    x.open("wp:positionH", &[("relativeFrom", &"page")]);
    x.leaf("wp:posOffset", &[], &emu(qr.x).to_string());
    x.close("wp:positionH");
    x.open("wp:positionV", &[("relativeFrom", &"page")]);
    x.leaf("wp:posOffset", &[], &emu(qr.y).to_string());
    x.close("wp:positionV");
    x.empty("wp:extent", &[("cx", &side), ("cy", &side)]);
    x.empty(
        "wp:effectExtent",
        &[("l", &0), ("t", &0), ("r", &0), ("b", &0)],
    );
    x.empty("wp:wrapNone", &[]);
    x.empty(
        "wp:docPr",
        &[("id", &id), ("name", &name), ("descr", &qr.text)],
    );
    x.empty("wp:cNvGraphicFramePr", &[]);
    x.open("a:graphic", &[]);
    x.open(
        "a:graphicData",
        &[(
            "uri",
            &"http://schemas.openxmlformats.org/drawingml/2006/picture",
        )],
    );
    x.open("pic:pic", &[]);
    x.open("pic:nvPicPr", &[]);
    x.empty("pic:cNvPr", &[("id", &0), ("name", &"qr.png")]);
    x.empty("pic:cNvPicPr", &[]);
    x.close("pic:nvPicPr");
    x.open("pic:blipFill", &[]);
    x.empty("a:blip", &[("r:embed", &QR_REL)]);
    x.open("a:stretch", &[]);
    x.empty("a:fillRect", &[]);
    x.close("a:stretch");
    x.close("pic:blipFill");
    x.open("pic:spPr", &[]);
    x.open("a:xfrm", &[]);
    x.empty("a:off", &[("x", &0), ("y", &0)]);
    x.empty("a:ext", &[("cx", &side), ("cy", &side)]);
    x.close("a:xfrm");
    x.open("a:prstGeom", &[("prst", &"rect")]);
    x.empty("a:avLst", &[]);
    x.close("a:prstGeom");
    x.close("pic:spPr");
    x.close("pic:pic");
    x.close("a:graphicData");
    x.close("a:graphic");
    x.close("wp:anchor");
    x.close("w:drawing");
    x.close("w:r");
}

/// The QR code's picture: 8 pixels a module, black on white, no quiet
/// zone (the page around it is white). PNG, so that it stays sharp.
pub(super) fn qr_png(qr: &QrMark) -> Option<Vec<u8>> {
    const PX: u32 = 8;
    let size = u32::try_from(qr.size).ok()?;
    let img = image::GrayImage::from_fn(size * PX, size * PX, |x, y| {
        let (c, r) = ((x / PX) as usize, (y / PX) as usize);
        let dark = qr.dark.get(r * qr.size + c).copied().unwrap_or(false);
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .ok()?;
    Some(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_edges_are_rounded_not_widths() {
        let cols = [10.33, 10.33, 10.33];
        let w = twips_edges(&cols);
        assert_eq!(w.iter().sum::<i64>(), twips(30.99));
        assert!(w.iter().all(|v| (206..=208).contains(v)));
    }

    #[test]
    fn a_filled_blank_is_padded_to_about_its_width() {
        let font = Font {
            file: "NotoSerifCJKsc-Regular.otf".into(),
            office: "宋体".into(),
            office_latin: LATIN_FONT.into(),
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

    #[test]
    fn a_paragraph_with_a_fill_has_a_right_tab_at_its_edge() {
        // A form whose 签名 line pushes its date to the right with {→}.
        let built_in = &crate::form::FormSpec::get(crate::record::FormKind::Account).source;
        let edited = built_in.replacen(
            "text = \"新媒体负责人签名：\"",
            "text = \"新媒体负责人签名：{→}年    月    日\"",
            1,
        );
        assert_ne!(&edited, built_in);
        let spec: &'static crate::form::FormSpec = Box::leak(Box::new(
            crate::form::FormSpec::parse(&edited).expect("parses"),
        ));
        let text = include_str!("../../../examples/account.toml");
        let node = crate::record::Node::parse(text, crate::record::Syntax::Toml).expect("toml");
        let record = crate::record::validate::check(&node).record.expect("valid");
        let layout = crate::layout::build_with(
            spec,
            &record,
            &crate::record::Stamp::default(),
            crate::layout::LayoutOptions {
                copies: 2,
                ..Default::default()
            },
        )
        .expect("lays out");
        let xml = Body::new(None).document(&layout);
        // One per copy.
        assert_eq!(xml.matches("<w:tab w:val=\"right\" w:pos=").count(), 2);
        assert_eq!(xml.matches("<w:tab/>").count(), 2);
    }
}
