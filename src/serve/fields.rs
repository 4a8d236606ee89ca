//! The web form of each paper form: which fields it asks for, in the order
//! the paper prints them, and the record a posted form (or its JSON) is.
//!
//! Labels and choices come from `forms/*.toml` (so an office's edited
//! wording shows on the page too); which fields a record has, and their
//! kinds, are the record's shape, which is beian's own.

use crate::form::FormSpec;
use crate::record::{FormKind, Node};

/// How a field is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One line of text.
    Text,
    /// One of the form's printed choices (radio buttons).
    Choice,
    /// 是 / 否.
    YesNo,
    /// A date or a month (开通时间).
    Opened,
    /// A mobile number (numeric keyboard on a phone).
    Mobile,
    /// A telephone number.
    Phone,
    Email,
}

/// One field of the web form.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Dotted record path, also the input's `name`.
    pub path: &'static str,
    pub kind: Kind,
    /// Left empty when not applicable (办公电话, 邮箱 of a student admin …):
    /// the form marks the others as required.
    pub optional: bool,
}

/// A titled group of fields, as the paper groups its rows.
#[derive(Clone, Debug)]
pub struct Section {
    /// The section's key (`account`, `principal` …), empty for the top.
    pub key: &'static str,
    pub fields: Vec<Field>,
}

const fn f(path: &'static str, kind: Kind) -> Field {
    Field {
        path,
        kind,
        optional: false,
    }
}

const fn optional(path: &'static str, kind: Kind) -> Field {
    Field {
        path,
        kind,
        optional: true,
    }
}

fn person(key: &'static str) -> Section {
    let fields = match key {
        "principal" => [
            f("principal.name", Kind::Text),
            f("principal.title", Kind::Text),
            f("principal.mobile", Kind::Mobile),
            optional("principal.office_phone", Kind::Phone),
            f("principal.email", Kind::Email),
        ],
        _ => [
            f("admin.name", Kind::Text),
            f("admin.title", Kind::Text),
            f("admin.mobile", Kind::Mobile),
            optional("admin.office_phone", Kind::Phone),
            f("admin.email", Kind::Email),
        ],
    };
    Section {
        key,
        fields: fields.to_vec(),
    }
}

/// The sections of a form, in the paper's order.
pub fn sections(form: FormKind) -> Vec<Section> {
    let top = Section {
        key: "",
        fields: vec![f("unit", Kind::Text)],
    };
    let subject = match form {
        FormKind::Account => Section {
            key: "account",
            fields: vec![
                f("account.platform", Kind::Choice),
                optional("account.platform_other", Kind::Text),
                f("account.name", Kind::Text),
                optional("account.id", Kind::Text),
                optional("account.verified", Kind::YesNo),
                f("account.opened", Kind::Opened),
                f("account.interactive", Kind::YesNo),
                optional("account.interactive_reviewed", Kind::YesNo),
            ],
        },
        FormKind::Group => Section {
            key: "group",
            fields: vec![
                f("group.type", Kind::Choice),
                optional("group.type_other", Kind::Text),
                f("group.name", Kind::Text),
                optional("group.number", Kind::Text),
                optional("group.verified", Kind::YesNo),
                f("group.opened", Kind::Opened),
            ],
        },
    };
    vec![top, subject, person("principal"), person("admin")]
}

/// Every path a web form posts, for telling a field from anything else.
pub fn paths(form: FormKind) -> Vec<&'static str> {
    sections(form)
        .into_iter()
        .flat_map(|s| s.fields)
        .map(|f| f.path)
        .collect()
}

/// What the page shows beside a field: the label after the section's name
/// (「第一责任人·手机」 is 「手机」 under 「第一责任人（单位负责人）」).
pub fn short_label<'a>(spec: &'a FormSpec, path: &str) -> &'a str {
    let label = spec.label(path);
    label.rsplit_once('·').map_or(label, |(_, short)| short)
}

/// The value a form posted under `name` (the last, if posted twice).
pub fn value<'a>(posted: &'a [(String, String)], name: &str) -> Option<&'a str> {
    posted
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The record a posted form is: its fields by path, empty ones left out
/// (so that a missing answer is said as missing), 是/否 as booleans.
/// Anything that is not one of the form's fields is ignored.
pub fn record_of_form(form: FormKind, posted: &[(String, String)]) -> Node {
    let mut top: Vec<(String, Node)> = vec![("form".into(), Node::Str(form.key().into()))];
    for section in sections(form) {
        let mut inner: Vec<(String, Node)> = Vec::new();
        for field in &section.fields {
            let Some(value) = value(posted, field.path) else {
                continue;
            };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let node = match (field.kind, value) {
                (Kind::YesNo, "true" | "是") => Node::Bool(true),
                (Kind::YesNo, "false" | "否") => Node::Bool(false),
                _ => Node::Str(value.to_owned()),
            };
            let key = field
                .path
                .rsplit_once('.')
                .map_or(field.path, |(_, k)| k)
                .to_owned();
            match section.key {
                "" => top.push((key, node)),
                _ => inner.push((key, node)),
            }
        }
        if !section.key.is_empty() {
            // The section is there even when empty: its fields are then
            // each said to be missing, by name, not the section as a whole.
            top.push((section.key.to_owned(), Node::Table(inner)));
        }
    }
    Node::Table(top)
}

/// A record's values by path, as a web form shows them (for a correction,
/// or a returned submission filled in again).
pub fn values_of_record(node: &Node) -> Vec<(String, String)> {
    let mut out = Vec::new();
    flatten("", node, &mut out);
    out
}

fn flatten(prefix: &str, node: &Node, out: &mut Vec<(String, String)>) {
    let text = match node {
        Node::Table(entries) => {
            for (k, v) in entries {
                let path = match prefix {
                    "" => k.clone(),
                    _ => format!("{prefix}.{k}"),
                };
                flatten(&path, v, out);
            }
            return;
        }
        Node::Str(s) => s.clone(),
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(x) => x.to_string(),
        Node::Date(d) => d.format("%Y-%m-%d").to_string(),
        Node::DateTime(s) => s.clone(),
        Node::Array(_) | Node::Null => return,
    };
    out.push((prefix.to_owned(), text));
}

/// Which fields differ between two versions of a record, by their printed
/// labels (「帐号用户名（新媒体名称）、第一责任人·手机」), for the history.
pub fn changed(form: FormKind, before: &[(String, String)], after: &[(String, String)]) -> String {
    let spec = FormSpec::get(form);
    let get =
        |v: &[(String, String)], p: &str| v.iter().find(|(k, _)| k == p).map(|(_, v)| v.clone());
    let labels: Vec<&str> = paths(form)
        .into_iter()
        .filter(|p| get(before, p) != get(after, p))
        .map(|p| spec.label(p))
        .collect();
    match labels.is_empty() {
        true => "没有改动".to_owned(),
        false => labels.join("、"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::validate::{Medium, check_in};

    fn posted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn every_field_has_a_label_on_its_form() {
        for form in FormKind::ALL {
            let spec = FormSpec::get(form);
            for path in paths(form) {
                assert!(spec.labels.contains_key(path), "{path} has no label");
            }
        }
    }

    #[test]
    fn a_posted_form_is_the_record_the_cli_reads() {
        let node = record_of_form(
            FormKind::Group,
            &posted(&[
                ("unit", "电子商务系"),
                ("group.type", "QQ群"),
                ("group.name", "2025级电子商务3班"),
                ("group.number", "873462915"),
                ("group.verified", "false"),
                ("group.opened", "2025-09-06"),
                ("principal.name", "王芳"),
                ("principal.title", "辅导员"),
                ("principal.mobile", "13700000000"),
                ("principal.email", "wangfang@example.edu.cn"),
                ("admin.name", "赵磊"),
                ("admin.title", "班长"),
                ("admin.mobile", "13600000000"),
                ("admin.email", "zhaolei@example.edu.cn"),
                ("csrf", "ignored"),
            ]),
        );
        let checked = check_in(&node, Medium::File);
        assert!(checked.violations.is_empty(), "{:?}", checked.violations);
        let values = values_of_record(&node);
        assert!(values.contains(&("group.verified".into(), "false".into())));
        assert!(values.contains(&("principal.mobile".into(), "13700000000".into())));
    }

    #[test]
    fn an_empty_field_is_missing_by_its_own_name() {
        let node = record_of_form(FormKind::Account, &posted(&[("unit", " ")]));
        let checked = check_in(&node, Medium::File);
        let paths: Vec<&str> = checked.violations.iter().map(|v| v.path.as_str()).collect();
        assert!(paths.contains(&"unit"), "{paths:?}");
        assert!(paths.contains(&"principal.mobile"), "{paths:?}");
    }
}
