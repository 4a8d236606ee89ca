//! CSV rosters: one record per row, a header row naming the columns.
//!
//! Chinese Excel and WPS save CSV in GB18030 (GBK), Notepad and PowerShell
//! in UTF-16, others in UTF-8 with or without a BOM: each is read. Excel's
//! 「Unicode 文本」 is UTF-16 with tabs between cells: read as well.

use std::path::Path;

use super::columns::{Column, column_path, known_headings};
use super::{Entry, Origin};
use crate::error::{Error, Violation};
use crate::record::Node;

/// The text of a roster file, whatever the encoding its program chose.
pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes.get(bom..).unwrap_or_default());
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        // Not UTF-8: what Chinese Windows programs write.
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// The rows of a CSV roster, each a record (or why the roster cannot be read).
pub fn rows(file: &Path, bytes: &[u8]) -> Vec<Result<Entry, Error>> {
    if bytes.starts_with(b"PK\x03\x04") {
        return rejected(
            file,
            "这是一个 Excel 工作簿（.xlsx），不是 CSV；请把扩展名改回 .xlsx".into(),
        );
    }
    let text = decode(bytes);
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut table = Vec::new();
    let mut last_line = 0;
    let mut last_spans_lines = false;
    for (i, row) in reader.records().enumerate() {
        match row {
            Ok(row) => {
                // The line the row starts on, counted here: the reader
                // counts a CRLF's LF into the next row.
                last_line = row.position().map_or(i + 1, |p| {
                    let at = usize::try_from(p.byte()).unwrap_or(0).min(text.len());
                    let start = text
                        .get(at..)
                        .unwrap_or_default()
                        .find(|c| c != '\r' && c != '\n')
                        .map_or(text.len(), |skip| at + skip);
                    text.as_bytes()
                        .iter()
                        .take(start)
                        .filter(|b| **b == b'\n')
                        .count()
                        + 1
                });
                last_spans_lines = row.iter().any(|cell| cell.contains(['\n', '\r']));
                table.push(row.iter().map(str::to_owned).collect())
            }
            Err(e) => return rejected(file, format!("第 {} 行无法读取：{e}", i + 1)),
        }
    }
    // A quote opened and never closed makes the rest of the file one cell:
    // rows would be lost without a word.
    let quotes = text.bytes().filter(|b| *b == b'"').count();
    if quotes % 2 == 1 && last_spans_lines {
        return rejected(
            file,
            format!(
                "第 {last_line} 行有一个引号「\"」没有配对，从这一行到文件末尾都被读成了一格；请删去这个引号，或把整格文字用一对引号括起来"
            ),
        );
    }
    let out = table_rows(file, None, table);
    match out.is_empty() {
        true => rejected(file, "名单中只有表头，没有记录".into()),
        false => out,
    }
}

/// A roster's whole-file problem, as the one error of its rows.
pub fn rejected(file: &Path, message: String) -> Vec<Result<Entry, Error>> {
    vec![Err(Error::Rejected {
        source: file.display().to_string(),
        violations: vec![Violation {
            path: String::new(),
            label: String::new(),
            message,
        }],
    })]
}

/// The records of a table of cells (a CSV file, a worksheet): the first
/// row names the columns, every other non-blank row is a record.
pub fn table_rows(
    file: &Path,
    sheet: Option<&str>,
    table: Vec<Vec<String>>,
) -> Vec<Result<Entry, Error>> {
    let mut rows = table.into_iter();
    let place = match sheet {
        Some(sheet) => format!("工作表「{sheet}」"),
        None => String::new(),
    };
    let Some(header) = rows.next() else {
        return rejected(
            file,
            format!("{place}名单是空的：第 1 行应是表头（申请单位名称、帐号用户名……）"),
        );
    };
    // Each column's field; an unknown heading is an error, an empty one a
    // column left out (Excel keeps empty columns at the right).
    let mut columns: Vec<Option<Column>> = Vec::new();
    let mut unknown = Vec::new();
    for heading in &header {
        let heading = heading.trim().trim_start_matches('\u{feff}');
        match column_path(heading) {
            Some(column) => {
                if let Some(i) = columns.iter().position(|c| *c == Some(column)) {
                    unknown.push(format!(
                        "第 {} 列「{heading}」和第 {} 列是同一项",
                        columns.len() + 1,
                        i + 1
                    ));
                }
                columns.push(Some(column));
            }
            None if heading.is_empty() => columns.push(None),
            None => {
                unknown.push(format!(
                    "第 {} 列「{heading}」不是表格上的项",
                    columns.len() + 1
                ));
                columns.push(None);
            }
        }
    }
    if !unknown.is_empty() {
        return rejected(
            file,
            format!(
                "{place}表头有误：{}；表头写表格上印的名称，例如：{}",
                unknown.join("；"),
                known_headings().join("、")
            ),
        );
    }
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        let number = i + 2;
        let cells: Vec<(Column, String)> = columns
            .iter()
            .zip(row.iter())
            .filter_map(|(c, v)| c.map(|c| (c, v.trim().to_owned())))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        if cells.is_empty() {
            continue; // a blank row
        }
        let name = cells
            .iter()
            .find(|(c, _)| {
                matches!(
                    c,
                    Column::Field("account.name") | Column::Field("group.name")
                )
            })
            .map(|(_, v)| v.clone());
        out.push(Ok(Entry::Tree {
            origin: Origin::Row {
                file: file.to_owned(),
                sheet: sheet.map(str::to_owned),
                row: number,
                name,
            },
            node: record_of(&cells),
        }));
    }
    out
}

/// The tree of one row: `[section]` tables for dotted paths. A row without
/// a 表格 column is the form whose own fields it fills.
fn record_of(cells: &[(Column, String)]) -> Node {
    let written_form = cells.iter().find_map(|(c, v)| match c {
        Column::Field("form") => Some(form_key(v)),
        _ => None,
    });
    let fills = |section: &str| {
        cells.iter().any(|(c, _)| {
            matches!(c, Column::Field(p) if p.split_once('.').is_some_and(|(s, _)| s == section))
        })
    };
    let form = written_form.or(match (fills("account"), fills("group")) {
        (true, false) => Some("account".to_owned()),
        (false, true) => Some("group".to_owned()),
        _ => None,
    });
    let mut top: Vec<(String, Node)> = Vec::new();
    if let Some(form) = &form {
        top.push(("form".into(), Node::Str(form.clone())));
    }
    for (column, value) in cells {
        let path = match *column {
            Column::Field("form") => continue,
            Column::Field(p) => p,
            Column::Either { account, group } => match form.as_deref() {
                Some("group") => group,
                _ => account,
            },
        };
        // A date typed into Excel arrives as its day count.
        let value = match path.ends_with(".opened") {
            true => super::xlsx::excel_date(value).unwrap_or_else(|| value.clone()),
            false => value.clone(),
        };
        let value = Node::Str(value);
        match path.split_once('.') {
            None => top.push((path.to_owned(), value)),
            Some((section, key)) => {
                let at = match top.iter().position(|(k, _)| k == section) {
                    Some(at) => at,
                    None => {
                        top.push((section.to_owned(), Node::Table(Vec::new())));
                        top.len() - 1
                    }
                };
                if let Some((_, Node::Table(t))) = top.get_mut(at) {
                    t.push((key.to_owned(), value));
                }
            }
        }
    }
    Node::Table(top)
}

/// 表格 as people write it: account/group, 附件1/附件2, or the form's name.
fn form_key(written: &str) -> String {
    let w = written.trim();
    if w.contains('1') || w.contains("帐号") || w.contains("账号") || w.contains("新媒体") {
        "account".into()
    } else if w.contains('2') || w.contains('群') {
        "group".into()
    } else {
        w.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_a_chinese_office_saves_in() {
        let text = "申请单位名称,群名称\n电子商务系,2023级电子商务3班\n";
        let gbk = encoding_rs::GB18030.encode(text).0.into_owned();
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(text.as_bytes());
        for bytes in [text.as_bytes().to_vec(), bom, gbk, utf16] {
            assert_eq!(decode(&bytes), text);
        }
    }

    #[test]
    fn a_row_becomes_a_record_of_its_form() {
        let rows = rows(
            Path::new("名单.csv"),
            "申请单位名称,群名称,第一责任人·手机\n电子商务系,2023级电子商务3班,13800000000\n\n"
                .as_bytes(),
        );
        assert_eq!(rows.len(), 1);
        let Ok(Entry::Tree { origin, node }) = &rows[0] else {
            panic!("a record");
        };
        assert_eq!(origin.name(), "名单.csv 第 2 行（2023级电子商务3班）");
        let Node::Table(top) = node else {
            panic!("table")
        };
        assert_eq!(top[0], ("form".to_owned(), Node::Str("group".into())));
        assert!(top.iter().any(|(k, _)| k == "principal"));
    }

    #[test]
    fn an_unknown_heading_is_named() {
        let rows = rows(
            Path::new("名单.csv"),
            "申请单位名称,备注\n电子商务系,x\n".as_bytes(),
        );
        let Err(e) = &rows[0] else { panic!("an error") };
        assert!(
            e.to_string().contains("第 2 列「备注」不是表格上的项"),
            "{e}"
        );
    }
}
