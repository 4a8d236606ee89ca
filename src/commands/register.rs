//! `beian register`: the register for the archive — every filing (its latest
//! version) with its people and numbers, as a printable PDF table or a CSV
//! for Excel, and the gaps in each year's numbering.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use super::list::{defuse_formula, push_csv_row};
use super::regen::stored_record;
use super::{Say, registry_error};
use crate::error::Error;
use crate::form::current;
use crate::io;
use crate::layout::{REGISTER_COLUMNS, RegisterSheet, register as register_layout};
use crate::record::{FormKind, Record};
use crate::registry::{FilingRecord, ListFilter, Registry, Reservation};
use crate::render::Format;

/// Writes the register of the filings `filter` selects to `output`, as its
/// extension says (`.pdf`, `.csv`, `.xlsx`).
pub fn register(
    registry: &Registry,
    filter: &ListFilter,
    output: &Path,
    printed: &str,
    say: Say<'_>,
) -> Result<(), Error> {
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !matches!(ext.as_str(), "pdf" | "csv" | "xlsx") {
        return Err(Error::Usage(format!(
            "登记簿汇总表写成 .pdf（打印）、.xlsx（Excel、WPS）或 .csv；「{}」不是这几种",
            output.display(),
        )));
    }
    let (bytes, subtitle) = register_bytes(registry, filter, &|_, _| true, &ext, printed)?;
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "创建目录", e))?;
    }
    io::write_atomic(output, &bytes)?;
    say(&format!("已生成 {}（{}）", output.display(), subtitle));
    Ok(())
}

/// The register of the filings `filter` selects and `keep` keeps, as `ext`
/// says (`pdf`, `csv`, `xlsx`): its bytes, and the line that says what it
/// holds. The service's export is this too.
pub fn register_bytes(
    registry: &Registry,
    filter: &ListFilter,
    keep: &dyn Fn(&FilingRecord, &Record) -> bool,
    ext: &str,
    printed: &str,
) -> Result<(Vec<u8>, String), Error> {
    let filings = registry
        .list(filter)
        .map_err(|e| registry_error(registry.path(), e))?;
    let mut rows = Vec::with_capacity(filings.len());
    for f in &filings {
        let (record, _) = stored_record(f, current())?;
        if keep(f, &record) {
            rows.push(row_of(f, &record));
        }
    }
    // Numbers run per form and year, across units: a register of one unit
    // has "gaps" that are other units' filings, so none are reported there.
    let numbering = match &filter.unit {
        Some(_) => "（按单位筛选，不核对编号是否连续）".to_owned(),
        None => {
            let all = ListFilter {
                unit: None,
                ..filter.clone()
            };
            let every = registry
                .list(&all)
                .map_err(|e| registry_error(registry.path(), e))?;
            let reserved = registry
                .reservations(filter.form, filter.year)
                .map_err(|e| registry_error(registry.path(), e))?;
            let gaps = gaps(registry, &every, &reserved);
            let mut said = match (gaps.is_empty(), every.is_empty()) {
                (_, true) => String::new(),
                (true, false) => "编号连续，没有缺号".to_owned(),
                (false, false) => format!("缺号：{}", gaps.join("、")),
            };
            // Numbers printed on blank forms that have not come back yet:
            // not missing, but not filed either.
            if !reserved.is_empty() {
                let runs = runs(
                    reserved
                        .iter()
                        .map(|r| ((r.form, r.year), r.seq, r.serial.clone())),
                );
                if !said.is_empty() {
                    said.push('；');
                }
                said.push_str(&format!(
                    "已预留给空白表、尚未登记 {} 个：{}",
                    reserved.len(),
                    runs.join("、")
                ));
            }
            said
        }
    };
    let subtitle = format!(
        "{}共 {} 份备案（每个编号的最新版）；{numbering}",
        describe(filter),
        rows.len(),
    );
    let title = "新媒体帐号、QQ群和微博群备案登记簿";
    let bytes = match ext {
        "csv" => csv(&rows).into_bytes(),
        "xlsx" => crate::batch::table_workbook(
            "登记簿",
            title,
            &format!("{subtitle}　　导出日期：{printed}"),
            &REGISTER_COLUMNS,
            &rows.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
        )?,
        _ => {
            let layout = register_layout(&RegisterSheet {
                title,
                subtitle: &subtitle,
                printed,
                rows: &rows,
            });
            Format::Pdf.render(&layout)?
        }
    };
    Ok((bytes, subtitle))
}

/// A filing as a row of the register.
pub fn row_of(f: &FilingRecord, record: &Record) -> [String; 12] {
    let with_other = |choice: &str, other: &Option<String>| match other {
        Some(o) => format!("{choice}（{o}）"),
        None => choice.to_owned(),
    };
    let (form, kind, id) = match (&record.account, &record.group) {
        (Some(a), _) => (
            "附件1",
            with_other(&a.platform, &a.platform_other),
            a.id.clone(),
        ),
        (_, Some(g)) => (
            "附件2",
            with_other(&g.kind, &g.kind_other),
            g.number.clone(),
        ),
        _ => ("", String::new(), None),
    };
    [
        f.serial.clone(),
        form.to_owned(),
        record.unit.clone(),
        kind,
        record.subject_name().to_owned(),
        id.unwrap_or_default(),
        record.principal.name.clone(),
        record.principal.mobile.clone(),
        record.admin.name.clone(),
        record.admin.mobile.clone(),
        f.filed_at.get(..10).unwrap_or(&f.filed_at).to_owned(),
        f.version.to_string(),
    ]
}

/// The register as CSV for Excel: BOM, CRLF, formulas defused.
fn csv(rows: &[[String; 12]]) -> String {
    let mut out = String::from("\u{FEFF}");
    push_csv_row(&mut out, REGISTER_COLUMNS.map(|(h, _)| Cow::Borrowed(h)));
    for row in rows {
        push_csv_row(
            &mut out,
            row.clone()
                .map(|c| Cow::Owned(defuse_formula(&c).into_owned())),
        );
    }
    out
}

/// The numbers missing from each form's and year's sequence, as serials:
/// archives check that no form numbered on paper is missing from the register.
/// A number reserved for a blank form (`blank --assign`) is not missing.
fn gaps(registry: &Registry, filings: &[FilingRecord], reserved: &[Reservation]) -> Vec<String> {
    let mut seen: BTreeMap<(FormKind, i32), Vec<u32>> = BTreeMap::new();
    for f in filings {
        // A serial numbered by hand before beian counts too, where it has
        // the form's template (XMT-2026-0070 imported after 0015: 16–69 missing).
        let parsed = f.seq.map(|seq| (f.year, seq)).or_else(|| {
            let (year, seq) = registry
                .config()
                .format_for(f.form)
                .parse_serial(&f.serial)?;
            Some((year.unwrap_or(f.year), seq))
        });
        if let Some((year, seq)) = parsed {
            seen.entry((f.form, year)).or_default().push(seq);
        }
    }
    for r in reserved {
        seen.entry((r.form, r.year)).or_default().push(r.seq);
    }
    let mut missing = Vec::new();
    for ((form, year), seqs) in seen {
        let max = seqs.iter().copied().max().unwrap_or(0);
        let format = registry.config().format_for(form);
        missing.extend(
            (1..=max)
                .filter(|n| !seqs.contains(n))
                .map(|n| ((form, year), n, format.format(year, n))),
        );
    }
    runs(missing)
}

/// Serials said in order, a run of three or more consecutive numbers of one
/// form and year as a range, so that the line stays readable
/// (「QUN-2026-0007～QUN-2026-0009（3 个）」).
fn runs(serials: impl IntoIterator<Item = ((FormKind, i32), u32, String)>) -> Vec<String> {
    let serials: Vec<_> = serials.into_iter().collect();
    let mut out = Vec::new();
    for run in serials.chunk_by(|a, b| a.0 == b.0 && a.1 + 1 == b.1) {
        match run {
            [a, .., b] if run.len() >= 3 => {
                out.push(format!("{}～{}（{} 个）", a.2, b.2, run.len()))
            }
            _ => out.extend(run.iter().map(|r| r.2.clone())),
        }
    }
    out
}

/// The filter, said.
fn describe(filter: &ListFilter) -> String {
    let mut parts = Vec::new();
    if let Some(form) = filter.form {
        parts.push(super::form_name(form).to_owned());
    }
    if let Some(year) = filter.year {
        parts.push(format!("{year} 年"));
    }
    if let Some(unit) = &filter.unit {
        parts.push(format!("申请单位含「{unit}」"));
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!("{}：", parts.join("，")),
    }
}
