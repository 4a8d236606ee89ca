//! The workbooks beian writes. The fill-in workbook units get (`beian init
//! roster`): a sheet per form
//! whose header row is the form's printed labels (so beian reads it back),
//! dropdowns for the choices and 是/否, phone, id and 群号 columns formatted
//! as text (Excel would turn 13800000000 into 1.38E+10 and drop a 群号's
//! leading zero), the header frozen, and a sheet of notes. And a table for
//! the office (`beian register -o 登记簿.xlsx`): every cell text, a filter
//! on the header, which repeats on every printed page of landscape A4.
//!
//! SpreadsheetML written directly and zipped like the DOCX: deterministic,
//! and no XLSX writer crate (those bring zlib-rs, see Cargo.toml).

use std::io::Write;

use crate::error::Error;
use crate::form::{FormSpec, current};
use crate::record::FormKind;

/// A column of a form's sheet: its field, and how the sheet helps fill it.
struct ColumnSpec {
    field: &'static str,
    width: f32,
    kind: Cell,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cell {
    Free,
    /// Digits that are text: phones, ids, 群号.
    Text,
    /// One of the field's choices.
    Choice,
    /// 是 or 否.
    YesNo,
}

fn columns(form: FormKind) -> Vec<ColumnSpec> {
    use Cell::*;
    let c = |field, width, kind| ColumnSpec { field, width, kind };
    let mut out = vec![c("unit", 22.0, Free)];
    match form {
        FormKind::Account => out.extend([
            c("account.platform", 18.0, Choice),
            c("account.platform_other", 14.0, Free),
            c("account.name", 24.0, Free),
            c("account.id", 20.0, Text),
            c("account.verified", 10.0, YesNo),
            c("account.opened", 13.0, Free),
            c("account.interactive", 12.0, YesNo),
            c("account.interactive_reviewed", 12.0, YesNo),
        ]),
        FormKind::Group => out.extend([
            c("group.type", 12.0, Choice),
            c("group.type_other", 12.0, Free),
            c("group.name", 24.0, Free),
            c("group.number", 16.0, Text),
            c("group.verified", 10.0, YesNo),
            c("group.opened", 13.0, Free),
        ]),
    }
    for who in ["principal", "admin"] {
        let leak = |f: &str| -> &'static str {
            crate::record::FIELDS
                .iter()
                .find(|p| **p == format!("{who}.{f}"))
                .copied()
                .unwrap_or("unit")
        };
        out.extend([
            c(leak("name"), 12.0, Free),
            c(leak("title"), 14.0, Free),
            c(leak("mobile"), 14.0, Text),
            c(leak("office_phone"), 16.0, Text),
            c(leak("email"), 24.0, Free),
        ]);
    }
    out
}

/// Text for XML: escaped, and without the characters XML 1.0 cannot hold
/// (control characters, say in a `--unit` filter), which Excel would
/// "repair" the whole file for.
fn esc(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r')
                || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
        })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `0` → `A`, `27` → `AB`.
fn column_name(mut i: usize) -> String {
    let mut name = String::new();
    i += 1;
    while i > 0 {
        let r = (i - 1) % 26;
        name.insert(0, char::from(b'A' + r as u8));
        i = (i - 1) / 26;
    }
    name
}

const ROWS: usize = 500;
const XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A form's sheet: header, widths, text columns, dropdowns, frozen header.
fn form_sheet(spec: &FormSpec, form: FormKind) -> String {
    let cols = columns(form);
    let mut x = format!(
        r#"{XML}<worksheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><cols>"#
    );
    for (i, c) in cols.iter().enumerate() {
        let style = if c.kind == Cell::Text { 2 } else { 0 };
        x.push_str(&format!(
            r#"<col min="{n}" max="{n}" width="{}" style="{style}" customWidth="1"/>"#,
            c.width,
            n = i + 1
        ));
    }
    x.push_str(r#"</cols><sheetData><row r="1">"#);
    for (i, c) in cols.iter().enumerate() {
        x.push_str(&format!(
            r#"<c r="{}1" s="1" t="inlineStr"><is><t>{}</t></is></c>"#,
            column_name(i),
            esc(spec.label(c.field))
        ));
    }
    x.push_str("</row></sheetData>");
    let lists: Vec<(usize, String)> = cols
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c.kind {
            Cell::Choice => Some((
                i,
                spec.choices(c.field)
                    .iter()
                    .map(|ch| ch.value.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            )),
            Cell::YesNo => Some((i, "是,否".to_owned())),
            _ => None,
        })
        .collect();
    if !lists.is_empty() {
        x.push_str(&format!(r#"<dataValidations count="{}">"#, lists.len()));
        for (i, list) in lists {
            let col = column_name(i);
            x.push_str(&format!(
                r#"<dataValidation type="list" allowBlank="1" showErrorMessage="1" errorTitle="请从列表中选择" error="请从下拉列表中选择；不在列表中的平台或群，选「其他」并写在右边一栏" sqref="{col}2:{col}{ROWS}"><formula1>"{}"</formula1></dataValidation>"#,
                esc(&list)
            ));
        }
        x.push_str("</dataValidations>");
    }
    x.push_str("</worksheet>");
    x
}

/// The notes sheet.
fn notes_sheet() -> String {
    let lines = [
        "填写说明",
        "1. 一个新媒体帐号或一个群填一行（一号一报备）；新媒体帐号填「新媒体帐号（附件1）」表，QQ群、微博群、微信群等填「QQ群、微博群（附件2）」表。",
        "2. 第 1 行是表头，请勿修改；表头就是表格上印的名称。",
        "3. 新媒体类型、群类型、是/否各栏从下拉列表中选择；列表中没有的平台或群（如抖音、微信群），选「其他」并在右边一栏写明。",
        "4. 手机、办公电话、账号id、群号各栏已设为文本，数字照原样保存；开通时间写成 2019-09-01 或 2019年9月1日，不知道可空着。",
        "5. 填好后交党委宣传统战部；可先用 beian check 名单.xlsx 检查，出错的行会指明第几行哪一栏。",
    ];
    let mut x = format!(
        r#"{XML}<worksheet xmlns="{MAIN}"><cols><col min="1" max="1" width="120" customWidth="1"/></cols><sheetData>"#
    );
    for (i, line) in lines.iter().enumerate() {
        let style = if i == 0 { r#" s="1""# } else { "" };
        x.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}"{style} t="inlineStr"><is><t>{}</t></is></c></row>"#,
            esc(line),
            r = i + 1
        ));
    }
    x.push_str("</sheetData></worksheet>");
    x
}

/// A table for the office as an `.xlsx` of one sheet: the title and the line
/// under it, then the header and the rows, every cell text (phones and ids
/// as written), widths from the printed register's (mm).
pub fn table_workbook(
    sheet: &str,
    title: &str,
    subtitle: &str,
    columns: &[(&str, f32)],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, Error> {
    let last = column_name(columns.len().saturating_sub(1));
    let end = rows.len() + 3;
    let mut x = format!(
        r#"{XML}<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><sheetViews><sheetView workbookViewId="0"><pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><cols>"#
    );
    for (i, (_, mm)) in columns.iter().enumerate() {
        // A column width counts digits of the default font, about 1.9 mm.
        x.push_str(&format!(
            r#"<col min="{n}" max="{n}" width="{:.1}" style="2" customWidth="1"/>"#,
            mm / 1.9 + 1.0,
            n = i + 1
        ));
    }
    x.push_str("</cols><sheetData>");
    let cell = |x: &mut String, r: usize, c: usize, style: u8, text: &str| {
        x.push_str(&format!(
            r#"<c r="{}{r}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
            column_name(c),
            esc(text)
        ));
    };
    x.push_str(r#"<row r="1">"#);
    cell(&mut x, 1, 0, 3, title);
    x.push_str(r#"</row><row r="2">"#);
    cell(&mut x, 2, 0, 2, subtitle);
    x.push_str(r#"</row><row r="3">"#);
    for (i, (label, _)) in columns.iter().enumerate() {
        cell(&mut x, 3, i, 1, label);
    }
    x.push_str("</row>");
    for (n, row) in rows.iter().enumerate() {
        let r = n + 4;
        x.push_str(&format!(r#"<row r="{r}">"#));
        for (i, text) in row.iter().enumerate() {
            cell(&mut x, r, i, 2, text);
        }
        x.push_str("</row>");
    }
    x.push_str(&format!(
        r#"</sheetData><autoFilter ref="A3:{last}{end}"/><mergeCells count="2"><mergeCell ref="A1:{last}1"/><mergeCell ref="A2:{last}2"/></mergeCells><pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/><headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter></worksheet>"#
    ));
    let quoted = esc(&format!("'{}'", sheet.replace('\'', "''")));
    let names = format!(
        r#"<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">{quoted}!$A$3:${last}${end}</definedName><definedName name="_xlnm.Print_Titles" localSheetId="0">{quoted}!$3:$3</definedName></definedNames>"#
    );
    package(&[(sheet.to_owned(), x)], &names)
}

/// The fill-in workbook, as bytes of an `.xlsx`.
pub fn fill_in_workbook() -> Result<Vec<u8>, Error> {
    let forms = current();
    let sheets = [
        (
            forms.get(FormKind::Account).name.clone(),
            form_sheet(forms.get(FormKind::Account), FormKind::Account),
        ),
        (
            forms.get(FormKind::Group).name.clone(),
            form_sheet(forms.get(FormKind::Group), FormKind::Group),
        ),
        ("填写说明".to_owned(), notes_sheet()),
    ];
    package(&sheets, "")
}

/// Sheets (name, worksheet XML) zipped as an `.xlsx`, with the workbook's
/// defined names (print titles) as given.
fn package(sheets: &[(String, String)], defined_names: &str) -> Result<Vec<u8>, Error> {
    let mut parts: Vec<(String, String)> = Vec::new();
    let sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    parts.push((
        "[Content_Types].xml".into(),
        format!(
            r#"{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{sheet_type}.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="{sheet_type}.styles+xml"/>{}</Types>"#,
            (1..=sheets.len())
                .map(|i| format!(r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}.worksheet+xml"/>"#))
                .collect::<String>()
        ),
    ));
    parts.push((
        "_rels/.rels".into(),
        format!(r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
    ));
    parts.push((
        "xl/workbook.xml".into(),
        format!(
            r#"{XML}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{}</sheets>{defined_names}</workbook>"#,
            sheets
                .iter()
                .enumerate()
                .map(|(i, (name, _))| format!(
                    r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
                    esc(name),
                    n = i + 1
                ))
                .collect::<String>()
        ),
    ));
    parts.push((
        "xl/_rels/workbook.xml.rels".into(),
        format!(
            r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}<Relationship Id="rId{}" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#,
            (1..=sheets.len())
                .map(|i| format!(r#"<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>"#))
                .collect::<String>(),
            sheets.len() + 1
        ),
    ));
    // Styles: 0 plain, 1 the header (bold, grey), 2 text ("@", numFmt 49),
    // 3 a title (bold, larger).
    parts.push((
        "xl/styles.xml".into(),
        format!(r#"{XML}<styleSheet xmlns="{MAIN}"><fonts count="3"><font><sz val="11"/><name val="宋体"/><charset val="134"/></font><font><b/><sz val="11"/><name val="宋体"/><charset val="134"/></font><font><b/><sz val="14"/><name val="宋体"/><charset val="134"/></font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFE7E6E6"/><bgColor indexed="64"/></patternFill></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="49" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyNumberFormat="1"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="49" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyNumberFormat="1"/></cellXfs></styleSheet>"#),
    ));
    for (i, (_, xml)) in sheets.iter().enumerate() {
        parts.push((format!("xl/worksheets/sheet{}.xml", i + 1), xml.clone()));
    }
    let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("workbook: {e}"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, xml) in parts {
        zip.start_file(name, options).map_err(|e| failed(&e))?;
        zip.write_all(xml.as_bytes()).map_err(|e| failed(&e))?;
    }
    Ok(zip.finish().map_err(|e| failed(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What XML 1.0 cannot hold is left out, not written to break the file.
    #[test]
    fn text_keeps_to_what_xml_can_hold() {
        assert_eq!(esc("系\u{1}&<\u{FFFE}\t"), "系&amp;&lt;\t");
        let bytes = table_workbook(
            "登记簿",
            "标题",
            "申请单位含「系\u{1}」",
            &[("编号", 26.0)],
            &[],
        )
        .expect("workbook");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").expect("sheet"),
            &mut xml,
        )
        .expect("utf-8");
        roxmltree::Document::parse(&xml).expect("well-formed");
    }
}
