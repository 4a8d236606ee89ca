//! Validation: a parsed [`Node`] tree becomes a [`Record`] and its [`Stamp`],
//! or every problem with it is reported at once, each naming the field's path
//! and its label.
//!
//! Checks here are about the record alone. Whether a value fits its cell is
//! decided by layout ([`crate::layout`]), which reports in the same terms.

use chrono::NaiveDate;

use crate::error::Violation;
use crate::fonts::Face;
use crate::form::{ChoiceSpec, FormSpec, Forms};
use crate::layout::Overflow;
use crate::record::{Account, FormKind, Group, Node, Person, Record, Stamp};

/// The outcome of checking a record: as much of it as could be read, and
/// what is wrong. Layout runs on the partial record to find values that do
/// not fit, so that those are reported in the same round.
pub struct Checked {
    pub record: Option<Record>,
    /// The registry's keys the record carries, as far as they are valid.
    pub stamp: Stamp,
    pub violations: Vec<Violation>,
}

/// No cell holds more; longer text is rejected before layout tries to fit it.
const MAX_CHARS: usize = 200;

const TOP_KEYS: &[&str] = &[
    "form",
    "unit",
    "serial",
    "uuid",
    "filed_at",
    "account",
    "group",
    "principal",
    "admin",
];
const ACCOUNT_KEYS: &[&str] = &[
    "platform",
    "platform_other",
    "name",
    "id",
    "verified",
    "opened",
    "interactive",
    "interactive_reviewed",
];
const GROUP_KEYS: &[&str] = &["type", "type_other", "name", "number", "verified", "opened"];
const PERSON_KEYS: &[&str] = &["name", "title", "mobile", "office_phone", "email"];

/// Checks a parsed record against the forms in use.
pub fn check(node: &Node) -> Checked {
    check_with(node, crate::form::current())
}

/// Checks a parsed record against `forms` (its choices, its labels).
pub fn check_with(node: &Node, forms: &Forms) -> Checked {
    let Node::Table(top) = node else {
        return Checked {
            record: None,
            stamp: Stamp::default(),
            violations: vec![Violation {
                path: String::new(),
                label: String::new(),
                message: "记录应是一张表（TOML 文件或 JSON 对象）".into(),
            }],
        };
    };
    // Labels come from the record's own form; before that is known, from Attachment 1.
    let form = match get(top, "form") {
        Some(Node::Str(s)) => FormKind::from_key(s.trim()),
        _ => None,
    };
    // With `form` missing or misspelt, the section present tells which form
    // is meant, so that the rest is still checked (and labelled) as that form.
    let inferred = match (get(top, "account"), get(top, "group")) {
        (Some(Node::Table(_)), None) => Some(FormKind::Account),
        (None, Some(Node::Table(_))) => Some(FormKind::Group),
        _ => None,
    };
    let mut c = Checker {
        spec: forms.get(form.or(inferred).unwrap_or(FormKind::Account)),
        stamp: Stamp::default(),
        violations: Vec::new(),
    };
    let record = c.record(top, form, form.or(inferred));
    Checked {
        record,
        stamp: c.stamp,
        violations: c.violations,
    }
}

struct Checker {
    spec: &'static FormSpec,
    stamp: Stamp,
    violations: Vec<Violation>,
}

fn get<'a>(table: &'a [(String, Node)], key: &str) -> Option<&'a Node> {
    table
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .filter(|v| !matches!(v, Node::Null))
}

fn join(section: &str, key: &str) -> String {
    if section.is_empty() {
        key.to_owned()
    } else {
        format!("{section}.{key}")
    }
}

impl Checker {
    fn report(&mut self, path: &str, message: impl Into<String>) {
        self.violations.push(Violation {
            path: path.to_owned(),
            label: self.spec.label(path).to_owned(),
            message: message.into(),
        });
    }

    /// `form` as the record says; `effective`, what it means (see [`check`]).
    fn record(
        &mut self,
        top: &[(String, Node)],
        form: Option<FormKind>,
        effective: Option<FormKind>,
    ) -> Option<Record> {
        self.unknown_keys(top, "", TOP_KEYS);
        match get(top, "form") {
            None => self.report(
                "form",
                "缺少此项：新媒体帐号填 \"account\"（附件1），QQ群、微博群填 \"group\"（附件2）",
            ),
            Some(Node::Str(s)) if form.is_none() => self.report(
                "form",
                format!(
                    "「{s}」不是可选的表格类型；新媒体帐号填 \"account\"（附件1），QQ群、微博群填 \"group\"（附件2）"
                ),
            ),
            Some(Node::Str(_)) => {}
            Some(other) => self.wrong_type("form", other, "文字 \"account\" 或 \"group\""),
        }
        let unit = self.text(top, "", "unit", true);
        self.stamp = self.read_stamp(top);
        let account = self.section(
            top,
            "account",
            effective == Some(FormKind::Account),
            effective,
        );
        let account = account.map(|t| self.account(t));
        let group = self.section(top, "group", effective == Some(FormKind::Group), effective);
        let group = group.map(|t| self.group(t));
        let principal = self
            .section(top, "principal", true, effective)
            .map(|t| self.person(t, "principal"));
        let admin = self
            .section(top, "admin", true, effective)
            .map(|t| self.person(t, "admin"));

        Some(Record {
            form: effective?,
            unit: unit.unwrap_or_default(),
            account,
            group,
            principal: principal.unwrap_or_default(),
            admin: admin.unwrap_or_default(),
        })
    }

    /// The registry's keys (`serial`, `uuid`, `filed_at`) a record may carry.
    fn read_stamp(&mut self, top: &[(String, Node)]) -> Stamp {
        let serial = self.text(top, "", "serial", false);
        if let Some(s) = &serial
            && let Some(why) = crate::registry::serial_problem(s)
        {
            self.report("serial", format!("「{s}」{why}"));
        }
        let uuid =
            self.text(top, "", "uuid", false)
                .and_then(|u| match uuid::Uuid::try_parse(&u) {
                    Ok(id) => Some(id.hyphenated().to_string()),
                    Err(_) => {
                        self.report("uuid", format!("「{u}」不是有效的 UUID"));
                        None
                    }
                });
        let filed_at = self.filed_at(top);
        Stamp {
            serial,
            uuid,
            filed_at,
        }
    }

    /// A `[section]` that must be present exactly when `wanted`.
    fn section<'a>(
        &mut self,
        top: &'a [(String, Node)],
        key: &str,
        wanted: bool,
        form: Option<FormKind>,
    ) -> Option<&'a [(String, Node)]> {
        match (get(top, key), wanted) {
            (Some(Node::Table(t)), true) => Some(t),
            (Some(other), true) => {
                self.wrong_type(key, other, &format!("[{key}] 一节"));
                None
            }
            (None, true) => {
                self.report(key, format!("缺少 [{key}] 一节"));
                None
            }
            (Some(_), false) => {
                if let Some(form) = form {
                    let (what, other) = match form {
                        FormKind::Account => ("新媒体帐号（form = \"account\"）", "account"),
                        FormKind::Group => ("QQ群、微博群（form = \"group\"）", "group"),
                    };
                    self.report(
                        key,
                        format!("{what}的记录不填 [{key}]；请把内容写在 [{other}] 一节"),
                    );
                }
                None
            }
            (None, false) => None,
        }
    }

    fn account(&mut self, t: &[(String, Node)]) -> Account {
        let s = "account";
        self.unknown_keys(t, s, ACCOUNT_KEYS);
        let platform = self.choice(t, s, "platform");
        let platform_other = self.other_text(t, s, "platform_other", platform.as_ref(), "platform");
        let platform = platform.map(|c| c.value);
        let name = self.text(t, s, "name", true);
        let id = self.text(t, s, "id", false);
        let verified = self.boolean(t, s, "verified", false);
        let opened = self.date(t, s, "opened");
        let interactive = self.boolean(t, s, "interactive", true);
        let reviewed = self.boolean(t, s, "interactive_reviewed", false);
        let reviewed = match (interactive, reviewed) {
            (Some(true), None) => {
                self.report(
                    "account.interactive_reviewed",
                    "平台设有交互栏目（interactive = true）时必须填写：true（有管理员审核）或 false（没有）",
                );
                None
            }
            (Some(false), Some(_)) => {
                self.report(
                    "account.interactive_reviewed",
                    "平台未设交互栏目（interactive = false）时不填此项，请删去",
                );
                None
            }
            (_, r) => r,
        };
        Account {
            platform: platform.unwrap_or_default(),
            platform_other,
            name: name.unwrap_or_default(),
            id,
            verified,
            opened,
            interactive: interactive.unwrap_or(false),
            interactive_reviewed: reviewed,
        }
    }

    fn group(&mut self, t: &[(String, Node)]) -> Group {
        let s = "group";
        self.unknown_keys(t, s, GROUP_KEYS);
        let kind = self.choice(t, s, "type");
        let kind_other = self.other_text(t, s, "type_other", kind.as_ref(), "type");
        let kind = kind.map(|c| c.value);
        let name = self.text(t, s, "name", true);
        let mut number = self.text(t, s, "number", false);
        if kind.as_deref() == Some("QQ群")
            && let Some(n) = &number
        {
            let digits: String = normalize_digits(n).chars().filter(|c| *c != ' ').collect();
            if digits.len() < 5 || digits.len() > 12 || !digits.chars().all(|c| c.is_ascii_digit())
            {
                self.report("group.number", format!("「{n}」不是QQ群号（5到12位数字）"));
            } else {
                number = Some(digits);
            }
        }
        let verified = self.boolean(t, s, "verified", false);
        let opened = self.date(t, s, "opened");
        Group {
            kind: kind.unwrap_or_default(),
            kind_other,
            name: name.unwrap_or_default(),
            number,
            verified,
            opened,
        }
    }

    fn person(&mut self, t: &[(String, Node)], s: &str) -> Person {
        self.unknown_keys(t, s, PERSON_KEYS);
        let name = self.text(t, s, "name", true).unwrap_or_default();
        let title = self.text(t, s, "title", true).unwrap_or_default();
        let mobile = self.text(t, s, "mobile", true).map(|m| {
            let digits: String = normalize_digits(&m)
                .chars()
                .filter(|c| !matches!(c, ' ' | '-'))
                .collect();
            let digits = digits
                .strip_prefix("+86")
                .map(str::to_owned)
                .unwrap_or(digits);
            let ok = digits.len() == 11
                && digits.starts_with('1')
                && digits.chars().all(|c| c.is_ascii_digit());
            if !ok {
                self.report(&join(s, "mobile"), format!("「{m}」不是11位手机号"));
            }
            digits
        });
        let office_phone = self.text(t, s, "office_phone", false).map(|p| {
            let norm = normalize_digits(&p);
            let digits = norm.chars().filter(char::is_ascii_digit).count();
            let allowed = norm
                .chars()
                .all(|c| c.is_ascii_digit() || " -()（）转#+".contains(c));
            if !(5..=20).contains(&digits) || !allowed {
                self.report(
                    &join(s, "office_phone"),
                    format!("「{p}」不是电话号码（例：0553-5971011）"),
                );
            }
            norm
        });
        let email = self.text(t, s, "email", true).map(|e| {
            // Full-width letters, digits and signs, as a Chinese IME types them.
            let norm: String = e
                .chars()
                .map(|c| match u32::from(c) {
                    0xFF01..=0xFF5E => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
                    _ => c,
                })
                .collect();
            if !is_email(&norm) {
                self.report(
                    &join(s, "email"),
                    format!("「{e}」不是有效的邮箱地址（例：zhangsan@example.edu.cn）"),
                );
            }
            norm
        });
        Person {
            name,
            title,
            mobile: mobile.unwrap_or_default(),
            office_phone,
            email: email.unwrap_or_default(),
        }
    }

    fn unknown_keys(&mut self, t: &[(String, Node)], section: &str, known: &[&str]) {
        for (k, _) in t {
            if known.contains(&k.as_str()) {
                continue;
            }
            let path = join(section, k);
            let hint = match nearest(k, known) {
                Some(n) => format!("，是不是「{n}」？"),
                None => format!("；这里可以填：{}", known.join("、")),
            };
            self.violations.push(Violation {
                path,
                label: String::new(),
                message: format!("未知的项「{k}」{hint}"),
            });
        }
    }

    fn wrong_type(&mut self, path: &str, got: &Node, expected: &str) {
        self.report(path, format!("应为{expected}，却是{}", got.kind_name()));
    }

    /// A text field: trimmed, free of control and bidi characters, printable.
    fn text(
        &mut self,
        t: &[(String, Node)],
        section: &str,
        key: &str,
        required: bool,
    ) -> Option<String> {
        let path = join(section, key);
        let value = match get(t, key) {
            None => None,
            Some(Node::Str(s)) => Some(s.trim().to_owned()),
            // Numbers people type without quotes (群号, 电话) are read as text.
            Some(Node::Int(i)) if matches!(key, "number" | "mobile" | "office_phone" | "id") => {
                Some(i.to_string())
            }
            Some(other) => {
                self.wrong_type(&path, other, "文字（用引号括起来）");
                return None;
            }
        };
        match value {
            Some(v) if v.chars().count() > MAX_CHARS => {
                self.report(
                    &path,
                    format!(
                        "太长（{} 个字）：任何一栏最多 {MAX_CHARS} 个字",
                        v.chars().count()
                    ),
                );
                None
            }
            Some(v) if !v.is_empty() => {
                if self.printable(&path, &v) {
                    Some(v)
                } else {
                    None
                }
            }
            _ if required => {
                let what = if value.is_some() {
                    "不能为空"
                } else {
                    "缺少此项"
                };
                self.report(&path, what);
                None
            }
            _ => None,
        }
    }

    /// Rejects characters that would print one thing and mean another, or
    /// that no shipped font can draw.
    fn printable(&mut self, path: &str, v: &str) -> bool {
        let mut ok = true;
        for ch in v.chars() {
            if let Some(what) = unprintable(ch) {
                self.report(
                    path,
                    format!("含有{what} U+{:04X}，它不会如实打印；请删去", ch as u32),
                );
                ok = false;
                break;
            }
        }
        if !ok {
            return false;
        }
        let faces = self.value_faces();
        let mut missing: Vec<char> = Vec::new();
        for c in v.chars().filter(|&c| !faces.iter().all(|f| f.covers(c))) {
            if !missing.contains(&c) {
                missing.push(c);
            }
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing
                .iter()
                .map(|c| format!("「{c}」（U+{:04X}）", *c as u32))
                .collect();
            self.report(
                path,
                format!("字库中没有{}，无法打印；请换用常用写法", list.join("、")),
            );
            return false;
        }
        true
    }

    /// The faces record values are printed in.
    fn value_faces(&self) -> Vec<&'static Face> {
        ["value", "body", "label"]
            .iter()
            .map(|s| self.spec.face(self.spec.style(s)))
            .collect()
    }

    /// A field with choices (`forms/*.toml` `[choices]`): the printed value
    /// or one of its aliases.
    fn choice(&mut self, t: &[(String, Node)], section: &str, key: &str) -> Option<ChoiceSpec> {
        let path = join(section, key);
        let raw = self.text(t, section, key, true)?;
        let choices = self.spec.choices(&path);
        let found = choices
            .iter()
            .find(|c| c.value == raw || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(&raw)));
        match found {
            Some(c) => Some(c.clone()),
            None => {
                let what = self.spec.label(&path);
                let names: Vec<&str> = choices.iter().map(|c| c.value.as_str()).collect();
                let other_key = format!("{key}_other");
                self.report(
                    &join(section, key),
                    format!(
                        "「{raw}」不是可选的{what}；应为 {}（选「其他」时把「{raw}」写在 {other_key}）",
                        names.join("、")
                    ),
                );
                None
            }
        }
    }

    /// The free text of a 其他___ choice: required exactly when 其他 is chosen.
    fn other_text(
        &mut self,
        t: &[(String, Node)],
        section: &str,
        key: &str,
        chosen: Option<&ChoiceSpec>,
        choice_key: &str,
    ) -> Option<String> {
        let is_other = chosen.is_some_and(|c| c.other);
        let value = self.text(t, section, key, false);
        let path = join(section, key);
        match (is_other, &value) {
            (true, None) => {
                if !self.violations.iter().any(|v| v.path == path) {
                    self.report(
                        &path,
                        format!("{choice_key} 选了「其他」，请在此写明是什么平台或群（例：抖音）"),
                    );
                }
                None
            }
            (false, Some(v)) if chosen.is_some() => {
                self.report(
                    &path,
                    format!(
                        "只有 {choice_key} 选「其他」时才填写；现在选的是「{}」，请删去「{v}」",
                        chosen.map_or("", |c| c.value.as_str())
                    ),
                );
                None
            }
            _ => value,
        }
    }

    fn boolean(
        &mut self,
        t: &[(String, Node)],
        section: &str,
        key: &str,
        required: bool,
    ) -> Option<bool> {
        let path = join(section, key);
        match get(t, key) {
            Some(Node::Bool(b)) => Some(*b),
            Some(Node::Str(s)) if matches!(s.trim(), "是" | "否") => Some(s.trim() == "是"),
            Some(other) => {
                let got = match other {
                    Node::Str(s) => format!("「{s}」"),
                    n => n.kind_name().to_owned(),
                };
                self.report(&path, format!("应为 true（是）或 false（否），却是{got}"));
                None
            }
            None if required => {
                self.report(&path, "缺少此项：填 true（是）或 false（否）");
                None
            }
            None => None,
        }
    }

    fn date(&mut self, t: &[(String, Node)], section: &str, key: &str) -> Option<NaiveDate> {
        let path = join(section, key);
        match get(t, key) {
            None => None,
            Some(Node::Date(d)) => Some(*d),
            Some(Node::Str(s)) if s.trim().is_empty() => None,
            Some(Node::Str(s)) => match parse_date(s.trim()) {
                Some(d) => Some(d),
                None => {
                    self.report(&path, format!("「{s}」不是有效日期（格式：2019-09-01）"));
                    None
                }
            },
            Some(Node::DateTime(s)) => {
                self.report(
                    &path,
                    format!("「{s}」不是有效日期（只写年月日，格式：2019-09-01）"),
                );
                None
            }
            Some(other) => {
                self.wrong_type(&path, other, "日期（格式：2019-09-01）");
                None
            }
        }
    }

    fn filed_at(&mut self, top: &[(String, Node)]) -> Option<String> {
        let raw = match get(top, "filed_at")? {
            Node::Str(s) | Node::DateTime(s) => s.trim().to_owned(),
            other => {
                self.wrong_type(
                    "filed_at",
                    other,
                    "日期时间（RFC 3339，例：2026-03-01T09:30:00+08:00）",
                );
                return None;
            }
        };
        match chrono::DateTime::parse_from_rfc3339(&raw.replace(' ', "T")) {
            Ok(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
            Err(_) => {
                self.report(
                    "filed_at",
                    format!("「{raw}」不是带时区的日期时间（例：2026-03-01T09:30:00+08:00）"),
                );
                None
            }
        }
    }
}

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
                "内容太多，本表一页放不下（超出{}）；请精简这些较长的项：{}",
                match over_mm {
                    m if *m < 1.0 => "不到 1 毫米".to_owned(),
                    m => format!("约 {m:.0} 毫米"),
                },
                crowded
                    .iter()
                    .map(|f| format!("{f}（{}）", spec.label(f)))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        },
    }
}

/// What kind of character would print as something other than it is —
/// nothing, a changed neighbour, reversed text — if `ch` is one.
fn unprintable(ch: char) -> Option<&'static str> {
    Some(match u32::from(ch) {
        0x202A..=0x202E | 0x2066..=0x2069 => "双向文字控制符",
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F => {
            "组合附加符号（请改用完整的字符，如 é、ü）"
        }
        0x00AD
        | 0x061C
        | 0x115F
        | 0x1160
        | 0x17B4
        | 0x17B5
        | 0x180B..=0x180F
        | 0x200B..=0x200F
        | 0x2028
        | 0x2029
        | 0x2060..=0x2064
        | 0x206A..=0x206F
        | 0x3164
        | 0xFE00..=0xFE0F
        | 0xFEFF
        | 0xFFA0
        | 0xFFF9..=0xFFFB
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF => "不可见的格式字符",
        _ if ch.is_control() => "控制字符（如换行、制表符）",
        _ => return None,
    })
}

/// Full-width digits and signs, as Chinese input methods type them, to ASCII.
fn normalize_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' | '—' | '–' => '-',
            '＋' => '+',
            '　' => ' ',
            c => c,
        })
        .collect()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

fn is_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    !local.is_empty()
        && local
            .chars()
            .all(|c| ok_char(c) || "!#$&'*/=?^`{|}~".contains(c))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// The known key closest to a misspelt one, if it is close.
fn nearest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let key = key.to_lowercase();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(nearest("principle", TOP_KEYS), Some("principal"));
        assert_eq!(nearest("moblie", PERSON_KEYS), Some("mobile"));
        assert_eq!(nearest("zzzzzz", PERSON_KEYS), None);
    }

    #[test]
    fn emails_and_dates() {
        assert!(is_email("zhangsan@example.edu.cn"));
        assert!(!is_email("zhangsan@example"));
        assert!(!is_email("张三@example.cn"));
        assert_eq!(
            parse_date("2019年9月1日"),
            NaiveDate::from_ymd_opt(2019, 9, 1)
        );
        assert_eq!(parse_date("2019-02-30"), None);
        assert_eq!(normalize_digits("１３８００００００００"), "13800000000");
    }

    #[test]
    fn serials_are_safe_file_names() {
        use crate::registry::serial_problem;
        assert_eq!(serial_problem("XMT-2026-0001"), None);
        for bad in ["../etc/passwd", "a/b", "-abc.", "CON", "", ".hidden"] {
            assert!(serial_problem(bad).is_some(), "{bad}");
        }
    }
}
