//! `beian list`: the register, as an aligned table or as CSV for Excel.

use std::borrow::Cow;

use super::{Say, form_name, registry_error};
use crate::error::Error;
use crate::registry::{FilingRecord, ListFilter, Registry};

/// Prints the register: the latest version of each serial matching `filter`.
pub fn list(
    registry: &Registry,
    filter: &ListFilter,
    csv: bool,
    say: Say<'_>,
) -> Result<(), Error> {
    let rows = registry
        .list(filter)
        .map_err(|e| registry_error(registry.path(), e))?;
    if csv {
        say(list_csv(&rows).trim_end_matches('\n'));
        return Ok(());
    }
    let mut table =
        vec![["编号", "版本", "表格", "申请单位名称", "名称", "备案时间"].map(str::to_owned)];
    for r in &rows {
        table.push([
            r.serial.clone(),
            r.version.to_string(),
            form_name(r.form).to_owned(),
            r.unit.clone(),
            r.name.clone(),
            r.filed_at.clone(),
        ]);
    }
    for line in align(&table) {
        say(&line);
    }
    say(&format!("共 {} 份备案", rows.len()));
    Ok(())
}

/// Pads columns to equal display width (a CJK character is two columns).
pub(super) fn align<const N: usize>(rows: &[[String; N]]) -> Vec<String> {
    let width = |s: &str| -> usize {
        s.chars()
            .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
            .sum()
    };
    let widths: Vec<usize> = (0..N)
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| width(c)))
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - width(c))))
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect()
}

/// CSV of `records` that Excel opens as UTF-8: BOM, CRLF, RFC 4180 quoting,
/// Chinese header. Free-text cells (unit, name) starting with a formula
/// trigger get a `'` prefix so Excel shows them as text instead of running
/// them (CSV injection).
pub fn list_csv(records: &[FilingRecord]) -> String {
    let mut out = String::from("\u{FEFF}");
    let header = [
        "编号",
        "版本",
        "表格",
        "申请单位名称",
        "名称",
        "备案时间",
        "uuid",
    ];
    push_csv_row(&mut out, header.map(Cow::Borrowed));
    for r in records {
        let form = form_name(r.form);
        push_csv_row(
            &mut out,
            [
                Cow::Borrowed(r.serial.as_str()),
                Cow::Owned(r.version.to_string()),
                Cow::Borrowed(form),
                defuse_formula(&r.unit),
                defuse_formula(&r.name),
                Cow::Borrowed(r.filed_at.as_str()),
                Cow::Borrowed(r.uuid.as_str()),
            ],
        );
    }
    out
}

pub(super) fn push_csv_row<const N: usize>(out: &mut String, cells: [Cow<'_, str>; N]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push_str("\r\n");
}

/// OWASP's list of characters that make a spreadsheet cell a formula.
pub(super) fn defuse_formula(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FormKind;

    #[test]
    fn csv_is_excel_friendly() {
        let row = FilingRecord {
            serial: "XMT-2026-0001".into(),
            version: 1,
            form: FormKind::Account,
            year: 2026,
            seq: Some(1),
            uuid: "6f1c8a52-1d3e-4a8b-9a31-0c2f1b5e7d44".into(),
            unit: "信息学院, \"新媒体\"中心".into(),
            name: "=HYPERLINK(\"http://x\")".into(),
            canonical: String::new(),
            content_sha256: String::new(),
            filed_at: "2026-03-01T09:30:15+08:00".into(),
            beian_version: "0.1.0".into(),
            output_revision: 1,
            form_sha256: None,
            outputs: Vec::new(),
        };
        let csv = list_csv(&[row]);

        assert!(csv.starts_with("\u{FEFF}编号,版本,表格,申请单位名称,名称,备案时间,uuid\r\n"));
        assert!(csv.ends_with("\r\n"));
        assert!(!csv.replace("\r\n", "").contains('\n'));
        let row = csv.lines().nth(1).expect("one data row");
        assert!(
            row.starts_with("XMT-2026-0001,1,新媒体帐号（附件1）,"),
            "{row}"
        );
        assert!(row.contains(",\"信息学院, \"\"新媒体\"\"中心\","), "{row}");
        assert!(row.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","), "{row}");
        assert!(row.contains(",2026-03-01T09:30:15+08:00,"), "{row}");
    }
}
