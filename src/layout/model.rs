//! The layout model's types: pages, paragraphs, set lines, the table grid, and a readable outline.

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
    /// The QR code of a filed form (see [`crate::layout::add_qr`]); none on
    /// a draft. Drawn by the PDF; the editable DOCX leaves it out.
    pub qr: Option<QrMark>,
}

/// A QR code placed on the page: `size` × `size` modules, row by row,
/// `dark` where a module is printed; its top-left corner at (`x`, `y`).
#[derive(Clone, Debug, PartialEq)]
pub struct QrMark {
    pub x: f32,
    pub y: f32,
    /// Side of one module, in points.
    pub module: f32,
    pub size: usize,
    pub dark: Vec<bool>,
    /// What it encodes.
    pub text: String,
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
    /// The font that office sets Latin text in.
    pub office_latin: String,
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
    /// In the flow of the page, or out of it in the page margin.
    pub place: Placement,
    /// The lines were chosen with care (a record's value, broken where a
    /// word ends): an editable output keeps these breaks rather than let a
    /// word processor break the value again.
    pub keep_lines: bool,
}

/// Where a paragraph stands on its page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// In the flow, with the form: Word sets it after what precedes it.
    #[default]
    Flow,
    /// In the page margin, outside the form (the copy mark 第一联): it takes
    /// no room from the form.
    Margin,
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

/// A table on a grid. `slots` is row-major, `rows.len() * columns.len()`;
/// a slot's row and column, and a cell's box on the page, follow from its
/// index and the column widths and row heights (see [`Table::area`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub x: f32,
    pub y: f32,
    /// Column widths.
    pub columns: Vec<f32>,
    /// Row heights: the form's minimum, grown to fit the content.
    pub rows: Vec<f32>,
    /// Border line width.
    pub border: f32,
    /// Cell padding left/right and top/bottom.
    pub padding: [f32; 2],
    pub slots: Vec<Slot>,
}

/// A grid slot.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot {
    /// The top-left slot of a cell.
    Cell(Cell),
    /// A slot covered by the cell whose top-left slot is at index `parent`.
    Merged { parent: usize },
    /// A slot no cell of the form claims: an empty cell of its own.
    Empty,
}

/// A cell, stored at its top-left slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub colspan: usize,
    pub rowspan: usize,
    pub valign: VAlign,
    pub paras: Vec<Para>,
}

/// Where a cell is: its top-left slot's row and column, and its box on the
/// page (borders on the box's edges).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub row: usize,
    pub col: usize,
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Table {
    /// The cells with where they are, in reading order.
    pub fn cells(&self) -> impl Iterator<Item = (Area, &Cell)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| match s {
            Slot::Cell(c) => {
                let (row, col) = self.position(i);
                Some((self.area(row, col, c.rowspan, c.colspan), c))
            }
            Slot::Merged { .. } | Slot::Empty => None,
        })
    }

    pub fn slot(&self, row: usize, col: usize) -> Option<&Slot> {
        self.slots.get(row * self.columns.len() + col)
    }

    /// Row and column of the slot at `index`.
    pub fn position(&self, index: usize) -> (usize, usize) {
        let ncols = self.columns.len().max(1);
        (index / ncols, index % ncols)
    }

    /// The box of `rowspan` × `colspan` slots from (`row`, `col`): edges are
    /// sums of the widths and heights before them, added left to right.
    pub fn area(&self, row: usize, col: usize, rowspan: usize, colspan: usize) -> Area {
        let edge = |start: f32, sizes: &[f32], n: usize| {
            sizes.iter().take(n).fold(start, |at, size| at + size)
        };
        let extent =
            |sizes: &[f32], from: usize, n: usize| -> f32 { sizes.iter().skip(from).take(n).sum() };
        Area {
            row,
            col,
            x: edge(self.x, &self.columns, col),
            y: edge(self.y, &self.rows, row),
            width: extent(&self.columns, col, colspan),
            height: extent(&self.rows, row, rowspan),
        }
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
                    Block::Table(t) => Box::new(t.cells().flat_map(|(_, c)| c.paras.iter())),
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
                        for (at, c) in t.cells() {
                            let _ = writeln!(
                                out,
                                "    cell r{} c{} span {}x{} {:?}",
                                at.row, at.col, c.rowspan, c.colspan, c.valign
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
