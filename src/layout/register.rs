//! The register as a layout: a landscape A4 table of filings with a title,
//! the header row repeated on every page, and on every page its number and
//! the date the register was printed — rendered by the same PDF renderer
//! as the forms.

use super::model::{
    Block, Cell, Font, Item, ItemKind, Layout, Line, Meta, Page, Para, Placement, Slot, Span,
    Table, mm,
};
use crate::fonts;
use crate::form::{Align, VAlign};
use crate::record::FormKind;

/// The columns of the register, as printed in its header, and their widths
/// (mm, on 257 mm of landscape A4).
pub const COLUMNS: [(&str, f32); 12] = [
    ("编号", 26.0),
    ("表格", 12.0),
    ("申请单位名称", 30.0),
    ("类型", 20.0),
    ("名称", 36.0),
    ("帐号id / 群号", 28.0),
    ("第一责任人", 18.0),
    ("手机", 21.0),
    ("管理员", 16.0),
    ("手机", 21.0),
    ("备案日期", 20.0),
    ("版本", 9.0),
];

/// What the register prints: its title line, its rows (one string a column),
/// the line under the title (filters, gaps in the numbering), and the print
/// date, given by the caller — layout reads no clock.
pub struct RegisterSheet<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    pub printed: &'a str,
    pub rows: &'a [[String; 12]],
}

const SIZE: f32 = 8.0;
const LINE: f32 = SIZE * 1.25;
const PAD: [f32; 2] = [1.2, 0.8];

/// The register's pages.
pub fn register(sheet: &RegisterSheet<'_>) -> Layout {
    let (width, height) = (mm(297.0), mm(210.0));
    let margins = [mm(12.0), mm(20.0), mm(12.0), mm(20.0)];
    let columns: Vec<f32> = COLUMNS.iter().map(|(_, w)| mm(*w)).collect();
    let header: [String; 12] = COLUMNS.map(|(h, _)| h.to_owned());
    let top = margins[0] + 2.0 * mm(6.0);
    let bottom = height - margins[2] - mm(6.0);
    // Rows to pages: as many as fit under the header.
    let mut pages: Vec<Vec<&[String; 12]>> = vec![Vec::new()];
    let mut used = row_height(&columns, &header);
    for row in sheet.rows {
        let h = row_height(&columns, row);
        if top + used + h > bottom
            && let Some(page) = pages.last()
            && !page.is_empty()
        {
            pages.push(Vec::new());
            used = row_height(&columns, &header);
        }
        used += h;
        if let Some(page) = pages.last_mut() {
            page.push(row);
        }
    }
    let total = pages.len();
    let pages = pages
        .into_iter()
        .enumerate()
        .map(|(i, rows)| {
            let left = margins[3];
            let text_width = width - margins[1] - margins[3];
            let mut blocks = vec![
                Block::Para(text_para(
                    sheet.title,
                    left,
                    margins[0],
                    text_width,
                    14.0,
                    Align::Center,
                )),
                Block::Para(text_para(
                    sheet.subtitle,
                    left,
                    margins[0] + mm(7.0),
                    text_width,
                    SIZE,
                    Align::Left,
                )),
            ];
            let mut all: Vec<&[String; 12]> = vec![&header];
            all.extend(rows);
            blocks.push(Block::Table(table(&columns, left, top, &all)));
            let foot = format!(
                "第 {} 页，共 {total} 页　　打印日期：{}",
                i + 1,
                sheet.printed
            );
            blocks.push(Block::Para(text_para(
                &foot,
                left,
                bottom + mm(1.0),
                text_width,
                SIZE,
                Align::Right,
            )));
            Page {
                width,
                height,
                margins,
                blocks,
                qr: None,
            }
        })
        .collect();
    Layout {
        form: FormKind::Account,
        meta: Meta {
            title: sheet.title.to_owned(),
            subject: sheet.subtitle.to_owned(),
            author: String::new(),
            keywords: Vec::new(),
            date: None,
            language: "zh-CN".to_owned(),
        },
        pages,
    }
}

fn face() -> &'static fonts::Face {
    fonts::face("NotoSerifCJKsc-Regular.otf").unwrap_or_else(fonts::body)
}

/// A cell's text as lines at most `width` wide, broken between characters.
fn wrap(text: &str, width: f32) -> Vec<String> {
    let face = face();
    let mut lines = vec![String::new()];
    for ch in text.chars() {
        let Some(line) = lines.last_mut() else { break };
        let wider = face.width(line) + face.glyph(ch).map_or(1.0, |g| g.advance);
        if !line.is_empty() && wider * SIZE > width {
            lines.push(ch.to_string());
        } else {
            line.push(ch);
        }
    }
    lines
}

fn row_height(columns: &[f32], row: &[String; 12]) -> f32 {
    let lines = columns
        .iter()
        .zip(row)
        .map(|(w, text)| wrap(text, w - 2.0 * mm(PAD[0])).len())
        .max()
        .unwrap_or(1);
    lines as f32 * LINE + 2.0 * mm(PAD[1])
}

fn table(columns: &[f32], x: f32, y: f32, rows: &[&[String; 12]]) -> Table {
    let heights: Vec<f32> = rows.iter().map(|r| row_height(columns, r)).collect();
    let mut table = Table {
        x,
        y,
        columns: columns.to_vec(),
        rows: heights,
        border: 0.5,
        padding: PAD.map(mm),
        slots: Vec::new(),
    };
    let mut slots = Vec::with_capacity(rows.len() * columns.len());
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            let area = table.area(r, c, 1, 1);
            let inner = area.width - 2.0 * table.padding[0];
            let lines = wrap(text, inner);
            let mut para = text_para(
                "",
                area.x + table.padding[0],
                area.y + table.padding[1],
                inner,
                SIZE,
                Align::Center,
            );
            para.spans = vec![Span::Text(text.clone())];
            para.lines = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    line(
                        l,
                        para.x,
                        para.y + i as f32 * LINE,
                        inner,
                        SIZE,
                        Align::Center,
                    )
                })
                .collect();
            para.height = lines.len() as f32 * LINE;
            slots.push(Slot::Cell(Cell {
                colspan: 1,
                rowspan: 1,
                valign: VAlign::Top,
                paras: vec![para],
            }));
        }
    }
    table.slots = slots;
    table
}

/// A line of text at (`x`, top `y`) in a box `width` wide.
fn line(text: &str, x: f32, y: f32, width: f32, size: f32, align: Align) -> Line {
    let face = face();
    let w = face.width(text) * size;
    let dx = match align {
        Align::Left => 0.0,
        Align::Center => (width - w) / 2.0,
        Align::Right => width - w,
    };
    Line {
        baseline: y + (size * 1.25 - size) / 2.0 + face.ascent * size,
        items: vec![Item {
            x: x + dx.max(0.0),
            width: w,
            kind: ItemKind::Text(text.to_owned()),
        }],
    }
}

/// A one-line paragraph.
fn text_para(text: &str, x: f32, y: f32, width: f32, size: f32, align: Align) -> Para {
    Para {
        x,
        y,
        width,
        height: size * 1.25,
        align,
        indent: 0.0,
        indent_right: 0.0,
        space_before: 0.0,
        space_after: 0.0,
        font: Font {
            file: "NotoSerifCJKsc-Regular.otf".to_owned(),
            office: "宋体".to_owned(),
            office_latin: "Times New Roman".to_owned(),
            bold: false,
        },
        size,
        line_height: size * 1.25,
        spans: vec![Span::Text(text.to_owned())],
        fields: Vec::new(),
        lines: if text.is_empty() {
            Vec::new()
        } else {
            vec![line(text, x, y, width, size, align)]
        },
        seal: false,
        place: Placement::Flow,
        keep_lines: true,
    }
}
