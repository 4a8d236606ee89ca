//! Which roster column is which record field: the labels printed on the
//! forms (`[labels]` of `forms/*.toml`), the field paths themselves, and
//! the shorter headings a roster uses (第一责任人姓名 for 第一责任人·姓名).

use crate::form::current;
use crate::record::{FIELDS, FormKind};

/// A heading folded for matching: no spaces, no 「·」, full-width ASCII
/// and brackets as half-width, 账 as 帐 (the form writes both), lower case.
fn fold(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            ' ' | '\u{3000}' | '\t' | '·' | '・' => None,
            '（' => Some('('),
            '）' => Some(')'),
            '账' => Some('帐'),
            c if ('\u{FF01}'..='\u{FF5E}').contains(&c) => char::from_u32(u32::from(c) - 0xFEE0),
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

/// Words a heading may end with, said as the form says them: 手机号码 is
/// 手机, 电子邮箱 is 邮箱 (第一责任人手机号码 → 第一责任人手机).
const SAME_WORDS: &[(&str, &str)] = &[
    ("手机号码", "手机"),
    ("手机号", "手机"),
    ("移动电话", "手机"),
    ("电子邮箱", "邮箱"),
    ("电子邮件", "邮箱"),
    ("邮件地址", "邮箱"),
    ("email", "邮箱"),
    ("e-mail", "邮箱"),
    ("办公室电话", "办公电话"),
    ("座机", "办公电话"),
];

/// `folded` with its last word said as the form says it.
fn same_words(folded: &str) -> Option<String> {
    SAME_WORDS.iter().find_map(|(said, form)| {
        folded
            .strip_suffix(said)
            .map(|stem| format!("{stem}{form}"))
    })
}

/// Headings every roster may use besides the printed labels.
const EXTRA: &[(&str, &str)] = &[
    ("表格", "form"),
    ("表格类型", "form"),
    ("附件", "form"),
    ("编号", "serial"),
    ("单位", "unit"),
    ("申请单位", "unit"),
    ("单位名称", "unit"),
    ("所在单位", "unit"),
    ("部门", "unit"),
    ("院系", "unit"),
    ("群号码", "group.number"),
    ("qq群号", "group.number"),
    ("qq群号码", "group.number"),
    ("群帐号", "group.number"),
    ("群id", "group.number"),
    ("群名", "group.name"),
    ("qq群名称", "group.name"),
    ("平台", "account.platform"),
    ("新媒体平台", "account.platform"),
    ("帐号类型", "account.platform"),
    ("帐号用户名", "account.name"),
    ("新媒体名称", "account.name"),
    ("帐号名称", "account.name"),
    ("帐号id", "account.id"),
    ("新媒体类型其他", "account.platform_other"),
    ("其他平台", "account.platform_other"),
    ("群类型其他", "group.type_other"),
    ("其他群类型", "group.type_other"),
    ("交互栏目审核", "account.interactive_reviewed"),
    ("第一责任人", "principal.name"),
    ("管理员姓名", "admin.name"),
    ("管理员职务", "admin.title"),
    ("管理员手机", "admin.mobile"),
    ("管理员办公电话", "admin.office_phone"),
    ("管理员邮箱", "admin.email"),
];

/// What a roster column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// One field.
    Field(&'static str),
    /// A field both forms print with one label (是否认证, 开通时间): the
    /// account's or the group's, as the row's form is.
    Either {
        account: &'static str,
        group: &'static str,
    },
}

/// The field path a folded heading names on one form, by its label.
fn by_label(kind: FormKind, folded: &str) -> Option<&'static str> {
    let spec = current().get(kind);
    spec.labels.iter().find_map(|(path, label)| {
        // The label, or the label without what its brackets say:
        // 帐号用户名（新媒体名称） or 帐号用户名.
        let label = fold(label);
        let short = label.split('(').next().unwrap_or(&label).to_owned();
        let matches = folded == label || (!short.is_empty() && folded == short);
        matches
            .then(|| {
                FIELDS
                    .iter()
                    .chain(["form"].iter())
                    .find(|p| **p == path)
                    .copied()
            })
            .flatten()
    })
}

/// The field a roster column heading names, if any.
pub fn column_path(heading: &str) -> Option<Column> {
    let folded = fold(heading);
    if folded.is_empty() {
        return None;
    }
    column_of_folded(&folded).or_else(|| column_of_folded(&same_words(&folded)?))
}

fn column_of_folded(folded: &str) -> Option<Column> {
    let folded = folded.to_owned();
    if let Some(path) = FIELDS.iter().chain(["form"].iter()).find(|p| **p == folded) {
        return Some(Column::Field(path));
    }
    match (
        by_label(FormKind::Account, &folded),
        by_label(FormKind::Group, &folded),
    ) {
        (Some(a), Some(g)) if a != g => {
            return Some(Column::Either {
                account: a,
                group: g,
            });
        }
        (Some(p), _) | (None, Some(p)) => return Some(Column::Field(p)),
        (None, None) => {}
    }
    EXTRA
        .iter()
        .find(|(h, _)| fold(h) == folded)
        .map(|(_, p)| Column::Field(p))
}

/// The known headings, for a message about an unknown one.
pub fn known_headings() -> Vec<String> {
    let mut out: Vec<String> = ["表格".to_owned(), "申请单位名称".to_owned()].into();
    for kind in FormKind::ALL {
        for (path, label) in &current().get(kind).labels {
            if path.contains('.') && !out.contains(label) {
                out.push(label.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_name_fields_as_printed_shortened_or_by_path() {
        for (heading, path) in [
            ("申请单位名称", "unit"),
            ("帐号用户名（新媒体名称）", "account.name"),
            ("账号用户名", "account.name"),
            ("账号id", "account.id"),
            ("ａｃｃｏｕｎｔ.ｉｄ", "account.id"),
            ("群名称", "group.name"),
            ("群号", "group.number"),
            ("第一责任人·手机", "principal.mobile"),
            ("第一责任人手机", "principal.mobile"),
            ("管理员 姓名", "admin.name"),
            ("帐号管理员·邮箱", "admin.email"),
            ("principal.office_phone", "principal.office_phone"),
            ("表格", "form"),
            ("新媒体类型", "account.platform"),
            ("群类型", "group.type"),
            ("申请单位", "unit"),
            ("群号码", "group.number"),
            ("QQ群号", "group.number"),
            ("第一责任人手机号码", "principal.mobile"),
            ("管理员电子邮箱", "admin.email"),
            ("管理员 E-mail", "admin.email"),
            ("第一责任人办公室电话", "principal.office_phone"),
        ] {
            assert_eq!(column_path(heading), Some(Column::Field(path)), "{heading}");
        }
        assert_eq!(column_path("备注"), None);
        assert_eq!(
            column_path("是否认证"),
            Some(Column::Either {
                account: "account.verified",
                group: "group.verified"
            })
        );
    }
}
