//! What layout found does not fit, said as violations in the record's
//! terms.

use crate::error::Violation;
use crate::form::FormSpec;
use crate::layout::Overflow;
use crate::record::FormKind;

/// What layout found does not fit the form, said as a violation in the
/// terms of the record's form.
pub fn overflow_violation(form: FormKind, overflow: &Overflow) -> Violation {
    let spec = FormSpec::get(form);
    match overflow {
        Overflow::Cell { path, value, fits } => Violation {
            path: path.clone(),
            label: spec.label(path).to_owned(),
            message: format!(
                "「{}」太长，表格中这一栏放不下：最多约 {fits} 个字（现有 {} 个），请使用简称",
                crate::error::abbreviate(value),
                value.chars().count()
            ),
        },
        Overflow::Page { over_mm, crowded } => Violation {
            path: String::new(),
            label: String::new(),
            message: format!(
                "内容太多，本表一页放不下（超出{}）；{}",
                match over_mm {
                    m if *m < 1.0 => "不到 1 毫米".to_owned(),
                    m => format!("约 {m:.0} 毫米"),
                },
                shorten(spec, crowded)
            ),
        },
    }
}

/// What to ask the user to shorten when a form is too long for its page:
/// the longest of the values a unit can word more briefly (a name, a title,
/// the unit's name; never an id, a number or an address), at most three.
fn shorten(spec: &FormSpec, crowded: &[String]) -> String {
    let wordy = |f: &str| {
        matches!(
            f,
            "unit" | "account.name" | "group.name" | "account.platform_other" | "group.type_other"
        ) || f.ends_with(".title")
    };
    let fields: Vec<String> = crowded
        .iter()
        .filter(|f| wordy(f))
        .take(3)
        .map(|f| format!("{f}（{}）", spec.label(f)))
        .collect();
    match fields.is_empty() {
        true => "请检查哪些项写得太长".to_owned(),
        false => format!("请精简这些较长的项：{}", fields.join("、")),
    }
}
