//! XLSX rosters: every worksheet a table, its first row the headings.
//!
//! Read straight from the package (`zip` and `roxmltree`, both already in
//! the build): the workbook's sheets in their order, shared strings, inline
//! strings and numbers. A number is read as the digits a person typed
//! (13800000000, not 1.38E+10 or 13800000000.0); a date typed into a
//! 开通时间 cell arrives as Excel's day count and is turned back into a date.
//!
//! calamine, the usual reader, is not used: it brings zip's `deflate`
//! feature, which moves flate2 to zlib-rs and changes the bytes of every PDF
//! (see Cargo.toml).

use std::io::Read;
use std::path::Path;

use super::Entry;
use super::roster::{rejected, table_rows};
use crate::error::Error;

/// The records of every worksheet of a workbook.
pub fn rows(file: &Path, bytes: &[u8]) -> Vec<Result<Entry, Error>> {
    match sheets(bytes) {
        Ok(sheets) => {
            let many = sheets.len() > 1;
            let mut out = Vec::new();
            for (name, table) in sheets {
                // A sheet with no records is passed over, and so is a
                // sheet of notes: one column, no heading that is a field.
                let headed = table
                    .first()
                    .is_some_and(|h| h.iter().any(|c| super::column_path(c.trim()).is_some()));
                let notes = table.iter().all(|r| r.iter().skip(1).all(|c| c.trim().is_empty()));
                if table.len() < 2 || (!headed && notes) {
                    continue;
                }
                let sheet = many.then_some(name.as_str());
                out.extend(table_rows(file, sheet, table));
            }
            if out.is_empty() {
                return rejected(
                    file,
                    "名单中没有记录：每个工作表第 1 行是表头，下面每行一份记录".into(),
                );
            }
            out
        }
        Err(_) => rejected(
            file,
            "不是能读取的 Excel 工作簿（.xlsx）：文件可能已损坏，或是改了扩展名的其他文件；请用 Excel 或 WPS 打开后「另存为」.xlsx 或 CSV".into(),
        ),
    }
}

type Table = Vec<Vec<String>>;

/// Every worksheet, in the workbook's order, with its name.
fn sheets(bytes: &[u8]) -> Result<Vec<(String, Table)>, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut part = |name: &str| -> Result<Option<String>, String> {
        let mut f = match zip.by_name(name) {
            Ok(f) => f,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let mut text = String::new();
        // A roster is at most a few MB (checked before); the parts too.
        (&mut f)
            .take(64 * 1024 * 1024)
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
        Ok(Some(text))
    };
    let workbook = part("xl/workbook.xml")?.ok_or("没有 xl/workbook.xml")?;
    let rels = part("xl/_rels/workbook.xml.rels")?.ok_or("没有 workbook.xml.rels")?;
    let shared = match part("xl/sharedStrings.xml")? {
        Some(text) => shared_strings(&text)?,
        None => Vec::new(),
    };
    let targets = relationships(&rels)?;
    let mut out = Vec::new();
    let doc = roxmltree::Document::parse(&workbook).map_err(|e| e.to_string())?;
    for sheet in doc.descendants().filter(|n| n.has_tag_name("sheet")) {
        let name = sheet.attribute("name").unwrap_or_default().to_owned();
        let id = sheet
            .attributes()
            .find(|a| a.name() == "id")
            .map(|a| a.value().to_owned())
            .unwrap_or_default();
        let Some(target) = targets.iter().find(|(i, _)| *i == id).map(|(_, t)| t) else {
            continue;
        };
        let path = match target.strip_prefix('/') {
            Some(absolute) => absolute.to_owned(),
            None => format!("xl/{target}"),
        };
        if let Some(text) = part(&path)? {
            out.push((name, sheet_table(&text, &shared)?));
        }
    }
    Ok(out)
}

/// The workbook's relationships: id → target part.
fn relationships(text: &str) -> Result<Vec<(String, String)>, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    Ok(doc
        .descendants()
        .filter(|n| n.has_tag_name("Relationship"))
        .filter_map(|n| {
            Some((
                n.attribute("Id")?.to_owned(),
                n.attribute("Target")?.to_owned(),
            ))
        })
        .collect())
}

/// The shared strings, each the text of its runs.
fn shared_strings(text: &str) -> Result<Vec<String>, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    Ok(doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("si"))
        .map(text_of)
        .collect())
}

/// The text of an `si` or `is`: its `t`, or its runs' `t`s (not the
/// phonetic `rPh` hints).
fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.has_tag_name("t"))
        .filter(|n| !n.ancestors().any(|a| a.has_tag_name("rPh")))
        .filter_map(|n| n.text())
        .collect()
}

/// A worksheet as rows of cell texts, cells placed by their reference.
fn sheet_table(text: &str, shared: &[String]) -> Result<Table, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    let mut table: Table = Vec::new();
    for row in doc.descendants().filter(|n| n.has_tag_name("row")) {
        let number: usize = row
            .attribute("r")
            .and_then(|r| r.parse().ok())
            .unwrap_or(table.len() + 1);
        // Keep the row numbers the office sees: blank rows stay blank.
        while table.len() + 1 < number && table.len() < 100_000 {
            table.push(Vec::new());
        }
        let mut cells: Vec<String> = Vec::new();
        for cell in row.children().filter(|n| n.has_tag_name("c")) {
            let column = cell.attribute("r").map_or(cells.len(), column_index);
            if column > 1000 {
                continue;
            }
            while cells.len() < column {
                cells.push(String::new());
            }
            let value = cell
                .children()
                .find(|n| n.has_tag_name("v"))
                .and_then(|v| v.text())
                .unwrap_or_default();
            let text = match cell.attribute("t") {
                Some("s") => value
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| shared.get(i).cloned())
                    .unwrap_or_default(),
                Some("inlineStr") => cell
                    .children()
                    .find(|n| n.has_tag_name("is"))
                    .map(text_of)
                    .unwrap_or_default(),
                Some("b") => match value {
                    "1" => "是".to_owned(),
                    _ => "否".to_owned(),
                },
                Some("str") | Some("e") => value.to_owned(),
                _ => number_text(value),
            };
            cells.push(text);
        }
        table.push(cells);
    }
    Ok(table)
}

/// `A1` → 0, `AB7` → 27.
fn column_index(reference: &str) -> usize {
    reference
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .fold(0usize, |n, c| {
            n.saturating_mul(26)
                .saturating_add(usize::from(c.to_ascii_uppercase() as u8 - b'A') + 1)
        })
        .saturating_sub(1)
}

/// A number as a person typed it: whole numbers without a decimal point or
/// an exponent (a phone number, a 群号).
fn number_text(value: &str) -> String {
    match value.parse::<f64>() {
        Ok(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", n as i64),
        _ => value.to_owned(),
    }
}

/// Excel's day count (1900 date system) as a date, for a 开通时间 typed as
/// a date: numbers of a plausible size only.
pub fn excel_date(text: &str) -> Option<String> {
    let days: i64 = text.parse().ok()?;
    if !(10_000..=80_000).contains(&days) {
        return None;
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let date = epoch.checked_add_signed(chrono::TimeDelta::try_days(days)?)?;
    Some(date.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_typed_and_columns_by_reference() {
        assert_eq!(number_text("13800000000"), "13800000000");
        assert_eq!(number_text("1.38E+10"), "13800000000");
        assert_eq!(number_text("873462915"), "873462915");
        assert_eq!(number_text("2.5"), "2.5");
        assert_eq!(column_index("A1"), 0);
        assert_eq!(column_index("AB7"), 27);
        assert_eq!(excel_date("43709").as_deref(), Some("2019-09-01"));
        assert_eq!(excel_date("13800000000"), None);
    }
}
