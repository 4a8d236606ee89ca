//! Building the layout of a record from its form's spec.

use super::text::{self, Breaking, SetLines};
use super::{
    Block, Cell, Font, Item, Layout, Line, Meta, Page, Para, Placement, Slot, Span, Table, mm,
};
use crate::fonts::Face;
use crate::form::{Align, FormSpec, Grid, Inline, ParaSpec, Placed, StyleSpec, VAlign};
use crate::record::{Record, Stamp};

/// What a layout may vary besides the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutOptions {
    /// Copies, one page each (一式两份: 2).
    pub copies: usize,
    /// A draft of a numbered record: every copy marked 「草稿」 where the
    /// copy mark goes, so it cannot pass for the filed form.
    pub draft: bool,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions {
            copies: 2,
            draft: false,
        }
    }
}

/// What does not fit the form. Validation says it in the user's words
/// ([`crate::record::validate::overflow_violation`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Overflow {
    /// A value too long for its cell even at the smallest size allowed.
    Cell {
        /// Dotted path of the field.
        path: String,
        /// The value as given.
        value: String,
        /// How many of its characters fit.
        fits: usize,
    },
    /// The whole form is longer than its page.
    Page {
        /// By how much, in mm.
        over_mm: f32,
        /// The fields taking more than one line, longest first.
        crowded: Vec<String>,
    },
}

/// Lays out a record, with the registry's stamp, on its form. Values that do
/// not fit their cell even at the smallest size allowed are reported, all of
/// them.
pub fn build(
    record: &Record,
    stamp: &Stamp,
    options: LayoutOptions,
) -> Result<Layout, Vec<Overflow>> {
    build_with(FormSpec::get(record.form), record, stamp, options)
}

/// [`build`] on a given spec of the record's form: the one a filing was
/// made with, say, rather than the one in use now.
pub fn build_with(
    spec: &'static FormSpec,
    record: &Record,
    stamp: &Stamp,
    options: LayoutOptions,
) -> Result<Layout, Vec<Overflow>> {
    let copies = options.copies.max(1);
    let mark = |n: usize| match options.draft {
        true => Some(spec.copies.draft.clone()),
        false => spec.copy_mark(n, copies),
    };
    let mut b = Builder::new(spec, record, stamp);
    // Copies differ only in their mark: the first page decides what fits.
    // Rows grow to fit their values; only if the page then overflows do the
    // values shrink, half a point at a time, down to their style's floor.
    let value = spec.style("value");
    let most = value.size - value.min_size.unwrap_or(value.size);
    let first = loop {
        b.violations.clear();
        let page = b.page(mark(1));
        let over = b
            .violations
            .iter()
            .any(|v| matches!(v, Overflow::Page { .. }));
        if !over || b.shrink + 0.5 > most + 1e-3 {
            break page;
        }
        b.shrink += 0.5;
    };
    if !b.violations.is_empty() {
        b.violations.dedup();
        return Err(b.violations);
    }
    let mut pages = vec![first];
    pages.extend((2..=copies).map(|n| b.page(mark(n))));
    Ok(Layout {
        form: record.form,
        meta: meta(spec, record, stamp),
        pages,
    })
}

/// A record's layout under another stamp (its serial assigned, say): only
/// the header, where the form prints the serial, is set again, so a filing
/// lays its record out once. Where the stamp shows elsewhere, or the header
/// comes out higher or lower, the record is laid out anew; either way the
/// result is exactly [`build_with`]'s.
pub fn restamp(
    spec: &'static FormSpec,
    layout: &Layout,
    record: &Record,
    stamp: &Stamp,
) -> Result<Layout, Vec<Overflow>> {
    let shows_stamp = |p: &ParaSpec| {
        p.markup.iter().any(|i| match i {
            Inline::Field(f)
            | Inline::Check { field: f, .. }
            | Inline::Blank { field: Some(f), .. } => Stamp::default().field(f).is_some(),
            _ => false,
        })
    };
    let elsewhere = spec
        .table
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .flat_map(|c| c.paragraphs())
        .chain(&spec.footer)
        .any(shows_stamp);
    let anew = || {
        let copies = layout.pages.len();
        build_with(
            spec,
            record,
            stamp,
            LayoutOptions {
                copies,
                ..Default::default()
            },
        )
    };
    if elsewhere {
        return anew();
    }
    let mut b = Builder::new(spec, record, stamp);
    let mut pages = Vec::with_capacity(layout.pages.len());
    for page in &layout.pages {
        let (left, text_width) = b.text_block();
        let (header, bottom) = b.header(left, text_width);
        let same_height = page
            .table()
            .is_some_and(|t| t.y.to_bits() == bottom.to_bits());
        if !b.violations.is_empty() || !same_height {
            return anew();
        }
        // The header's paragraphs are the page's first ones in the flow.
        let mut header = header.into_iter();
        let blocks = page
            .blocks
            .iter()
            .map(|block| match block {
                Block::Para(p) if p.place == Placement::Flow => {
                    header.next().map_or_else(|| block.clone(), Block::Para)
                }
                other => other.clone(),
            })
            .collect();
        pages.push(Page {
            blocks,
            ..page.clone()
        });
    }
    Ok(Layout {
        form: record.form,
        meta: meta(spec, record, stamp),
        pages,
    })
}

/// Document metadata, from the record and the stamp: no wall clock.
fn meta(spec: &FormSpec, record: &Record, stamp: &Stamp) -> Meta {
    let name = record.subject_name();
    let ident = stamp.serial.as_deref().unwrap_or(name);
    Meta {
        title: format!("{}（{ident}）", spec.title),
        subject: format!("{} · {name}", record.unit),
        author: record.unit.clone(),
        keywords: [stamp.serial.as_deref(), Some(name), stamp.uuid.as_deref()]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect(),
        date: stamp.filed_at.clone(),
        language: "zh-CN".to_owned(),
    }
}

/// Room (mm) kept free at the foot of every page: a word processor opening
/// the DOCX may set some lines wider or taller than we do (LibreOffice
/// spaces Chinese from Latin text, ignoring `w:autoSpaceDE`), and each copy
/// must stay one page there too.
const WORD_SLACK: f32 = 4.0;

/// What a paragraph is set into: its face and style, the room it has, the
/// most lines it may take, and how its lines are chosen.
#[derive(Clone, Copy)]
struct Measure<'a> {
    face: &'a Face,
    style: &'a StyleSpec,
    width: f32,
    indent: f32,
    max_lines: Option<usize>,
    breaking: Breaking,
}

struct Builder<'a> {
    spec: &'static FormSpec,
    record: &'a Record,
    stamp: &'a Stamp,
    /// How many points values are set smaller than their style, to fit the page.
    shrink: f32,
    violations: Vec<Overflow>,
}

impl<'a> Builder<'a> {
    fn new(spec: &'static FormSpec, record: &'a Record, stamp: &'a Stamp) -> Builder<'a> {
        Builder {
            spec,
            record,
            stamp,
            shrink: 0.0,
            violations: Vec::new(),
        }
    }

    /// The printed value of a field of the record or of the stamp.
    fn value(&self, path: &str) -> String {
        self.record
            .field(path)
            .or_else(|| self.stamp.field(path))
            .unwrap_or_default()
    }

    /// The left edge and width of the text block.
    fn text_block(&self) -> (f32, f32) {
        let [width, _] = self.spec.page.size.map(mm);
        let margins = self.spec.page.margin.map(mm);
        (margins[3], width - margins[1] - margins[3])
    }

    /// The header's paragraphs, from the top margin down, and where they end.
    fn header(&mut self, left: f32, text_width: f32) -> (Vec<Para>, f32) {
        let mut y = mm(self.spec.page.margin[0]);
        let mut paras = Vec::with_capacity(self.spec.header.len());
        for p in &self.spec.header {
            let para = self.para(p, left, y, text_width, Align::Left);
            y += para.space_before + para.height + para.space_after;
            paras.push(para);
        }
        (paras, y)
    }

    fn page(&mut self, mark: Option<String>) -> Page {
        let spec = self.spec;
        let [width, height] = spec.page.size.map(mm);
        let margins = spec.page.margin.map(mm);
        let (left, text_width) = self.text_block();
        let mut blocks = Vec::new();
        if let Some(mark) = mark {
            // In the top margin, outside the form: it is not part of the form.
            let p = ParaSpec {
                align: Some(Align::Right),
                style: Some("mark".into()),
                ..ParaSpec::plain(mark)
            };
            let probe = self.para(&p, left, 0.0, text_width, Align::Right);
            let top = (margins[0] - probe.height - mm(2.0)).max(0.0);
            let mut mark = self.para(&p, left, top, text_width, Align::Right);
            mark.place = Placement::Margin;
            blocks.push(Block::Para(mark));
        }
        let (header, mut y) = self.header(left, text_width);
        blocks.extend(header.into_iter().map(Block::Para));
        // The table may take what the footer leaves of the page.
        let footer: f32 = spec
            .footer
            .iter()
            .map(|p| {
                let para = self.para(p, left, 0.0, text_width, Align::Left);
                para.space_before + para.height + para.space_after
            })
            .sum();
        let room = height - margins[2] - footer - y;
        let table = self.table(left, y, text_width, room);
        y += table.rows.iter().sum::<f32>();
        blocks.push(Block::Table(table));
        for p in &spec.footer {
            let para = self.para(p, left, y, text_width, Align::Left);
            y += para.space_before + para.height + para.space_after;
            blocks.push(Block::Para(para));
        }
        // A value too long for its cell also overflows the page; say only that.
        let limit = height - margins[2] - mm(WORD_SLACK);
        if y > limit + 0.01 && self.violations.is_empty() {
            self.violations.push(Overflow::Page {
                over_mm: (y - limit) / mm(1.0),
                crowded: self.crowded_fields(&blocks),
            });
        }
        Page {
            width,
            height,
            margins,
            blocks,
            qr: None,
        }
    }

    /// The fields whose values take more than one line, longest first: what
    /// to shorten when a page overflows.
    fn crowded_fields(&self, blocks: &[Block]) -> Vec<String> {
        let mut fields: Vec<(usize, String)> = Vec::new();
        let paras = blocks.iter().flat_map(|b| -> Vec<&Para> {
            match b {
                Block::Para(p) => vec![p],
                Block::Table(t) => t.cells().flat_map(|(_, c)| c.paras.iter()).collect(),
            }
        });
        for p in paras.filter(|p| p.lines.len() > 1) {
            for f in &p.fields {
                fields.push((p.lines.len(), f.clone()));
            }
        }
        fields.sort_by_key(|f| std::cmp::Reverse(f.0));
        fields.into_iter().map(|(_, f)| f).collect()
    }

    /// The table at (`x0`, `y0`), `width` wide; rows marked `flex` share
    /// what is left of `room` once every row fits its content.
    fn table(&mut self, x0: f32, y0: f32, width: f32, room: f32) -> Table {
        let spec = &self.spec.table;
        // The form was checked when it loaded: its grid resolves.
        let grid = spec.grid().unwrap_or_else(|_| Grid {
            columns: vec![1.0],
            cells: Vec::new(),
        });
        let total: f32 = grid.columns.iter().sum();
        let columns: Vec<f32> = grid.columns.iter().map(|c| c / total * width).collect();
        let ncols = columns.len();
        let nrows = spec.rows.len();
        let padding = spec.padding.map(mm);
        let mut slots: Vec<Option<Slot>> = vec![None; nrows * ncols];
        let mut placed = Vec::with_capacity(grid.cells.len());
        for Placed {
            row: r,
            col: c,
            colspan,
            rowspan,
            cell,
        } in grid.cells
        {
            for rr in r..r + rowspan {
                for cc in c..(c + colspan).min(ncols) {
                    if let Some(slot) = slots.get_mut(rr * ncols + cc) {
                        *slot = Some(Slot::Merged {
                            parent: r * ncols + c,
                        });
                    }
                }
            }
            placed.push((r, c, colspan, rowspan, cell));
        }

        // Set each cell's content to its width; measure heights.
        let mut cells = Vec::new();
        for (r, c, colspan, rowspan, cell) in placed {
            let w: f32 = columns.iter().skip(c).take(colspan).sum();
            let inner = w - 2.0 * padding[0];
            let paras: Vec<Para> = cell
                .paragraphs()
                .iter()
                .map(|p| self.para(p, 0.0, 0.0, inner, Align::Center))
                .collect();
            let content: f32 = paras
                .iter()
                .map(|p| p.space_before + p.height + p.space_after)
                .sum::<f32>()
                + 2.0 * padding[1];
            cells.push((
                r,
                c,
                colspan,
                rowspan,
                cell.valign.unwrap_or_default(),
                paras,
                content,
            ));
        }

        // Row heights: the form's minimum, grown to fit; a merged cell's
        // extra need goes to its last row.
        let mut rows: Vec<f32> = spec.rows.iter().map(|r| mm(r.height)).collect();
        let mut spans_sorted: Vec<_> = cells.iter().collect();
        spans_sorted.sort_by_key(|c| c.3);
        for (r, _, _, rowspan, _, _, content) in spans_sorted {
            let have: f32 = rows.iter().skip(*r).take(*rowspan).sum();
            let last = (*r + *rowspan).checked_sub(1);
            if let Some(row) = last.and_then(|l| rows.get_mut(l))
                && *content > have
            {
                *row += *content - have;
            }
        }
        // The rows with room to spare (意见, where a seal goes) fill the page,
        // as they do on the original; short of room, they have none to give.
        let flex = spec.rows.iter().filter(|r| r.flex).count();
        let spare = room - mm(WORD_SLACK) - rows.iter().sum::<f32>();
        if spare > 0.0 && flex > 0 {
            let each = spare / flex as f32;
            // `rows` was made from `spec.rows`, one for one.
            for (row, row_spec) in rows.iter_mut().zip(&spec.rows) {
                if row_spec.flex {
                    *row += each;
                }
            }
        }

        let mut table = Table {
            x: x0,
            y: y0,
            columns,
            rows,
            border: spec.border,
            padding,
            slots: Vec::new(),
        };
        for (r, c, colspan, rowspan, valign, paras, content) in cells {
            let area = table.area(r, c, rowspan, colspan);
            let free = area.height - content;
            let mut py = area.y
                + padding[1]
                + match valign {
                    VAlign::Top => 0.0,
                    VAlign::Middle => free / 2.0,
                    VAlign::Bottom => free,
                };
            let paras = paras
                .into_iter()
                .map(|p| {
                    let moved = p.moved(area.x + padding[0], py);
                    py += moved.space_before + moved.height + moved.space_after;
                    moved
                })
                .collect();
            if let Some(slot) = slots.get_mut(r * ncols + c) {
                *slot = Some(Slot::Cell(Cell {
                    colspan,
                    rowspan,
                    valign,
                    paras,
                }));
            }
        }
        // A slot no cell claims is an empty cell of its own.
        table.slots = slots
            .into_iter()
            .map(|s| s.unwrap_or(Slot::Empty))
            .collect();
        table
    }

    /// Sets one paragraph at (x, y), `width` wide, shrinking it to keep within
    /// its `lines` if it has a limit.
    fn para(&mut self, p: &ParaSpec, x: f32, y: f32, width: f32, default_align: Align) -> Para {
        let named = self.spec.style(p.style.as_deref().unwrap_or("body"));
        // Values that take more than a line give up size when the page needs
        // it (see `build_with`); a value on one line keeps its size.
        let wraps = || {
            let spans = self.spans(&p.markup);
            let face = self.spec.face(named);
            let room = width - p.right * named.size;
            let set = text::set(&spans, face, named.size, room, 0.0, true, Breaking::Value);
            set.lines.len() > 1
        };
        let shrunk;
        let style = match p.style.as_deref() {
            Some("value") if self.shrink > 0.0 && wraps() => {
                shrunk = StyleSpec {
                    size: named.size - self.shrink,
                    ..named.clone()
                };
                &shrunk
            }
            _ => named,
        };
        let face = self.spec.face(style);
        let font = match self.spec.fonts.get(&style.font) {
            Some(font_spec) => Font {
                file: font_spec.file.clone(),
                office: font_spec.office.clone(),
                office_latin: font_spec.office_latin.clone(),
                bold: font_spec.bold,
            },
            // `check` made sure the style's font exists; else the face
            // `face` fell back to, as the office's 宋体.
            None => Font {
                file: face.file.to_owned(),
                office: "宋体".to_owned(),
                office_latin: "Times New Roman".to_owned(),
                bold: false,
            },
        };
        let markup = &p.markup;
        let spans = self.spans(markup);
        let indent = p.indent * style.size;
        let indent_right = p.right * style.size;
        let width = width - indent_right;
        let mut para = Para {
            x,
            y: y + mm(p.space_before),
            width,
            height: 0.0,
            align: p.align.unwrap_or(default_align),
            indent,
            indent_right,
            space_before: mm(p.space_before),
            space_after: mm(p.space_after),
            font,
            size: style.size,
            line_height: style.size * style.line_height,
            spans,
            fields: markup
                .iter()
                .filter_map(Inline::value_field)
                .map(str::to_owned)
                .collect(),
            lines: Vec::new(),
            seal: p.seal.is_some(),
            place: Placement::Flow,
            keep_lines: p.style.as_deref() == Some("value"),
        };
        if let Some(seal) = p.seal {
            para.height = mm(seal);
            return para;
        }
        // A record's value is set for its cell; the form's own text as running text.
        let breaking = match p.style.as_deref() {
            Some("value") => Breaking::Value,
            _ => Breaking::Text,
        };
        let measure = Measure {
            face,
            style,
            width,
            indent,
            max_lines: p.lines,
            breaking,
        };
        let (size, set) = match self.fit(&para.spans, &measure) {
            Ok(fit) => fit,
            Err(()) => {
                let measure = Measure {
                    max_lines: Some(p.lines.unwrap_or(1)),
                    ..measure
                };
                self.too_long(markup, &measure);
                let set = text::set(&para.spans, face, style.size, width, indent, true, breaking);
                (style.size, set)
            }
        };
        para.size = size;
        para.line_height = size * style.line_height;
        para.lines = self.lines(&para, face, set);
        para.height = para.lines.len() as f32 * para.line_height;
        para
    }

    /// The largest size, from the style's down to its `min_size` by half
    /// points, at which the spans keep within `max_lines` — first without
    /// breaking inside a word or number (a phone number shrinks rather than
    /// splits), then breaking anywhere the Chinese rules allow.
    fn fit(&self, spans: &[Span], m: &Measure<'_>) -> Result<(f32, SetLines), ()> {
        let Measure {
            face,
            style,
            width,
            indent,
            max_lines,
            breaking,
        } = *m;
        let Some(max) = max_lines else {
            let set = text::set(spans, face, style.size, width, indent, true, breaking);
            return Ok((style.size, set));
        };
        let min = style.min_size.unwrap_or(style.size);
        for emergency in [false, true] {
            let mut size = style.size;
            while size >= min - 1e-3 {
                let set = text::set(spans, face, size, width, indent, emergency, breaking);
                let fits =
                    set.lines.len() <= max
                        && set.lines.iter().enumerate().all(|(i, (_, w))| {
                            *w <= width - if i == 0 { indent } else { 0.0 } + 0.01
                        });
                if fits {
                    return Ok((size, set));
                }
                size -= 0.5;
            }
        }
        Err(())
    }

    /// Reports the value that makes a paragraph too long, with how many
    /// characters of it would fit.
    fn too_long(&mut self, markup: &[Inline], m: &Measure<'_>) {
        // The longest value in the paragraph is the one to shorten.
        let Some(field) = markup
            .iter()
            .filter_map(Inline::value_field)
            .max_by_key(|f| self.value(f).chars().count())
        else {
            return;
        };
        let value = self.value(field);
        let chars: Vec<char> = value.chars().collect();
        let fits_with = |n: usize| {
            let truncated: String = chars.iter().take(n).collect();
            let spans = self.spans_with(markup, field, &truncated);
            self.fit(&spans, m).is_ok()
        };
        let (mut lo, mut hi) = (0, chars.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits_with(mid) {
                lo = mid
            } else {
                hi = mid - 1
            }
        }
        self.violations.push(Overflow::Cell {
            path: field.to_owned(),
            value,
            fits: lo,
        });
    }

    fn spans(&self, markup: &[Inline]) -> Vec<Span> {
        self.spans_with(markup, "", "")
    }

    /// The spans of a paragraph, with `field` replaced by `value` if given.
    fn spans_with(&self, markup: &[Inline], field: &str, value: &str) -> Vec<Span> {
        let get = |f: &str| {
            if f == field {
                value.to_owned()
            } else {
                self.value(f)
            }
        };
        markup
            .iter()
            .map(|i| match i {
                Inline::Text(t) => Span::Text(t.clone()),
                Inline::Field(f) => Span::Text(get(f)),
                Inline::Check { field, when } => Span::Check {
                    checked: get(field) == *when,
                },
                Inline::Blank { field, width } => Span::Blank {
                    text: field.as_deref().map(get).unwrap_or_default(),
                    width: *width,
                },
                Inline::Fill => Span::Fill,
            })
            .filter(|s| !matches!(s, Span::Text(t) if t.is_empty()))
            .collect()
    }

    /// Positions set lines in the paragraph's box (relative to x = 0, y = 0
    /// until the paragraph is moved into place).
    fn lines(&self, para: &Para, face: &Face, set: SetLines) -> Vec<Line> {
        set.lines
            .into_iter()
            .enumerate()
            .map(|(i, (items, natural))| {
                let indent = if i == 0 { para.indent } else { 0.0 };
                let free = para.width - indent - natural;
                let dx = para.x
                    + indent
                    + match para.align {
                        Align::Left => 0.0,
                        Align::Center => free / 2.0,
                        Align::Right => free,
                    };
                // The em box sits centred in the line pitch.
                let baseline = para.y
                    + i as f32 * para.line_height
                    + (para.line_height - para.size) / 2.0
                    + face.ascent * para.size;
                Line {
                    baseline,
                    items: items
                        .into_iter()
                        .map(|it| Item { x: it.x + dx, ..it })
                        .collect(),
                }
            })
            .collect()
    }
}

impl Para {
    /// The paragraph moved so that its box (space before included) starts at (x, y).
    fn moved(mut self, x: f32, y: f32) -> Para {
        let dx = x - self.x;
        let dy = y + self.space_before - self.y;
        self.x += dx;
        self.y += dy;
        for line in &mut self.lines {
            line.baseline += dy;
            for item in &mut line.items {
                item.x += dx;
            }
        }
        self
    }
}
