//! The layout model: one finished, backend-neutral description of the printed
//! pages — page size and margins, paragraphs, a grid with merged cells, text
//! runs, checkboxes and lines, all positioned in points from the top-left
//! corner. [`crate::render::pdf`] draws the placed lines; [`crate::render::docx`]
//! rebuilds a Word table from the same grid, paragraphs and spans.

mod build;
mod text;

pub use build::{LayoutOptions, Overflow, build};

use crate::form::{Align, VAlign};
use crate::record::FormKind;

/// Points per millimetre.
pub const PT_PER_MM: f32 = 72.0 / 25.4;

/// Millimetres to points.
pub fn mm(v: f32) -> f32 {
    v * PT_PER_MM
}

/// Finished pages of one record: one page per copy.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub form: FormKind,
    pub meta: Meta,
    pub pages: Vec<Page>,
}

/// Document metadata, all from the record and the registry: no wall clock.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub title: String,
    pub subject: String,
    pub author: String,
    pub keywords: Vec<String>,
    /// When the form was filed (RFC 3339), if it was.
    pub date: Option<String>,
    pub language: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    /// Top, right, bottom, left.
    pub margins: [f32; 4],
    pub blocks: Vec<Block>,
}

/// A block of the page, top to bottom.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Para(Para),
    Table(Table),
}

/// The font a paragraph is set in.
#[derive(Clone, Debug, PartialEq)]
pub struct Font {
    /// The shipped file, see [`crate::fonts::face`].
    pub file: String,
    /// The font a Chinese office has, for editable outputs.
    pub office: String,
    pub bold: bool,
}

/// A paragraph in one font and size, with its content both as written
/// (`spans`) and as set into lines (`lines`).
#[derive(Clone, Debug, PartialEq)]
pub struct Para {
    /// Box of the paragraph, space before/after excluded.
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub align: Align,
    /// First-line indent.
    pub indent: f32,
    /// Room kept free at the right end of each line.
    pub indent_right: f32,
    pub space_before: f32,
    pub space_after: f32,
    pub font: Font,
    /// Font size, after any shrinking to fit.
    pub size: f32,
    /// Line pitch.
    pub line_height: f32,
    pub spans: Vec<Span>,
    /// The record fields the paragraph shows, by path.
    pub fields: Vec<String>,
    pub lines: Vec<Line>,
    /// A clear area kept free for a seal; such a paragraph has no spans.
    pub seal: bool,
}

/// Paragraph content as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Span {
    Text(String),
    /// A drawn checkbox.
    Check {
        checked: bool,
    },
    /// A blank line `width` underscores wide with `text` (maybe empty) on it.
    Blank {
        text: String,
        width: usize,
    },
    /// What follows goes to the right edge (a right tab stop in Word).
    Fill,
}

/// A set line.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub baseline: f32,
    pub items: Vec<Item>,
}

/// Something placed on a line, `x` from the page's left edge.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub x: f32,
    pub width: f32,
    pub kind: ItemKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    Text(String),
    /// A square of side `size` standing on the baseline, ticked or not.
    Check {
        checked: bool,
        size: f32,
    },
    /// A rule under the baseline, for a filled-in blank.
    Underline,
}

/// A table on a grid. `slots` is row-major, `rows.len() * columns.len()`.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub x: f32,
    pub y: f32,
    /// Column widths.
    pub columns: Vec<f32>,
    /// Row heights.
    pub rows: Vec<f32>,
    /// Minimum row heights the form asks for (the DOCX keeps them as "at least").
    pub min_rows: Vec<f32>,
    /// Border line width.
    pub border: f32,
    /// Cell padding left/right and top/bottom.
    pub padding: [f32; 2],
    pub slots: Vec<Slot>,
}

/// A grid slot: a cell's origin, or a slot merged into the cell at `parent`.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot {
    Cell(Cell),
    Merged { parent: (usize, usize) },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub row: usize,
    pub col: usize,
    pub colspan: usize,
    pub rowspan: usize,
    pub valign: VAlign,
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub paras: Vec<Para>,
}

impl Table {
    /// The cells, in reading order.
    pub fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Cell(c) => Some(c),
            Slot::Merged { .. } => None,
        })
    }

    pub fn slot(&self, row: usize, col: usize) -> Option<&Slot> {
        self.slots.get(row * self.columns.len() + col)
    }
}

impl Page {
    /// Every paragraph on the page, in reading order.
    pub fn paras(&self) -> impl Iterator<Item = &Para> {
        self.blocks
            .iter()
            .flat_map(|b| -> Box<dyn Iterator<Item = &Para>> {
                match b {
                    Block::Para(p) => Box::new(std::iter::once(p)),
                    Block::Table(t) => Box::new(t.cells().flat_map(|c| c.paras.iter())),
                }
            })
    }

    pub fn table(&self) -> Option<&Table> {
        self.blocks.iter().find_map(|b| match b {
            Block::Table(t) => Some(t),
            Block::Para(_) => None,
        })
    }
}

impl Para {
    /// The paragraph's text as printed, checkboxes as ☐/☑.
    pub fn plain_text(&self) -> String {
        self.spans
            .iter()
            .map(|s| match s {
                Span::Text(t) => t.clone(),
                Span::Check { checked: true } => "☑".into(),
                Span::Check { checked: false } => "☐".into(),
                Span::Blank { text, width } if text.is_empty() => "_".repeat(*width),
                Span::Blank { text, .. } => text.clone(),
                Span::Fill => "\t".into(),
            })
            .collect()
    }
}

impl Layout {
    /// A readable outline of the layout — grid, spans, sizes, positions in
    /// mm — for snapshot tests and for looking at a layout without drawing it.
    pub fn outline(&self) -> String {
        use std::fmt::Write;
        let r = |v: f32| (v / PT_PER_MM * 10.0).round() / 10.0;
        let mut out = String::new();
        let _ = writeln!(out, "form: {:?}", self.form);
        let _ = writeln!(out, "title: {}", self.meta.title);
        let _ = writeln!(out, "subject: {}", self.meta.subject);
        let _ = writeln!(out, "date: {:?}", self.meta.date);
        let para = |out: &mut String, indent: &str, p: &Para| {
            let what = if p.seal {
                format!("seal {}mm", r(p.height))
            } else {
                format!("{:?}", p.plain_text())
            };
            let _ = writeln!(
                out,
                "{indent}para y={} h={} size={} lines={} {:?} {what}",
                r(p.y),
                r(p.height),
                p.size,
                p.lines.len(),
                p.align
            );
        };
        for (i, page) in self.pages.iter().enumerate() {
            let _ = writeln!(out, "page {} {}x{}mm", i + 1, r(page.width), r(page.height));
            for block in &page.blocks {
                match block {
                    Block::Para(p) => para(&mut out, "  ", p),
                    Block::Table(t) => {
                        let cols: Vec<f32> = t.columns.iter().map(|c| r(*c)).collect();
                        let rows: Vec<f32> = t.rows.iter().map(|c| r(*c)).collect();
                        let _ =
                            writeln!(out, "  table y={} columns={cols:?} rows={rows:?}", r(t.y));
                        for c in t.cells() {
                            let _ = writeln!(
                                out,
                                "    cell r{} c{} span {}x{} {:?}",
                                c.row, c.col, c.rowspan, c.colspan, c.valign
                            );
                            for p in &c.paras {
                                para(&mut out, "      ", p);
                            }
                        }
                    }
                }
            }
            let bottom = page
                .blocks
                .iter()
                .map(|b| match b {
                    Block::Para(p) => p.y + p.height + p.space_after,
                    Block::Table(t) => t.y + t.rows.iter().sum::<f32>(),
                })
                .fold(0.0, f32::max);
            let _ = writeln!(
                out,
                "  bottom={} limit={}",
                r(bottom),
                r(page.height - page.margins[2])
            );
        }
        out
    }
}
