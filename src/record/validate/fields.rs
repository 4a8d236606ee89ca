//! The values of a record, field by field: text (printable, in the
//! shipped fonts, not too long), choices of the form, yes/no, dates.

use super::{Checker, MAX_CHARS, Medium, get, join};
use crate::fonts::Face;
use crate::form::fold;
use crate::record::values::{FIRST_PLATFORM, parse_opened, unprintable, yes_no};
use crate::record::{FormKind, Node, Opened};

impl Checker {
    /// A text field: trimmed, free of control and bidi characters, printable.
    pub(super) fn text(
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
    pub(super) fn printable(&mut self, path: &str, v: &str) -> bool {
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
    pub(super) fn value_faces(&self) -> Vec<&'static Face> {
        ["value", "body", "label"]
            .iter()
            .map(|s| self.spec.face(self.spec.style(s)))
            .collect()
    }

    /// A field with choices (`forms/*.toml` `[choices]`) and its 其他___
    /// line (`<key>_other`): the printed value and the name on the line.
    /// A name the 其他 choice knows may stand for 其他 + that name (抖音); a
    /// choice of its own written on the line (其他 + 微博) ticks that box.
    pub(super) fn choice(
        &mut self,
        t: &[(String, Node)],
        section: &str,
        key: &str,
    ) -> (Option<String>, Option<String>) {
        let path = join(section, key);
        let other_key = format!("{key}_other");
        let other_path = join(section, &other_key);
        let raw = self.text(t, section, key, true);
        let line = self.text(t, section, &other_key, false);
        let Some(raw) = raw else {
            return (None, line);
        };
        let spec = self.spec;
        let Some((chosen, named)) = spec.resolve_choice(&path, &raw) else {
            if !self.other_form(&path, &raw) {
                let what = spec.label(&path);
                let names: Vec<&str> = spec
                    .choices(&path)
                    .iter()
                    .map(|c| c.value.as_str())
                    .collect();
                self.report(
                    &path,
                    format!(
                        "「{raw}」不是可选的{what}；应为 {}（选「其他」时把「{raw}」写在 {other_key}）",
                        names.join("、")
                    ),
                );
            }
            return (None, line);
        };
        let value = Some(chosen.value.clone());
        match (chosen.other, named, line) {
            (false, _, None) => (value, None),
            (false, _, Some(v)) => {
                self.report(
                    &other_path,
                    format!(
                        "只有 {key} 选「其他」时才填写；现在选的是「{}」，请删去「{v}」",
                        chosen.value
                    ),
                );
                (value, None)
            }
            (true, Some(name), None) => (value, Some(name)),
            (true, Some(name), Some(v)) => {
                let written = chosen.other_name(&v).unwrap_or_else(|| v.clone());
                if fold(&written) != fold(&name) {
                    self.report(
                        &other_path,
                        format!(
                            "{key} 写的是「{raw}」，这里却写了「{v}」，不知道以哪个为准：请只写一处（{key} = \"其他\"、{other_key} = \"…\"）"
                        ),
                    );
                }
                (value, Some(name))
            }
            (true, None, None) => {
                if !self.violations.iter().any(|v| v.path == other_path) {
                    self.report(
                        &other_path,
                        format!("{key} 选了「其他」，请在此写明是什么平台或群（例：抖音）"),
                    );
                }
                (value, None)
            }
            (true, None, Some(v)) => match spec.resolve_choice(&path, &v) {
                Some((c, None)) if !c.other => (Some(c.value.clone()), None),
                Some((_, Some(name))) => (value, Some(name)),
                _ if self.other_form(&other_path, &v) => (value, None),
                _ => (value, Some(v)),
            },
        }
    }

    /// Reports `written` if it is a choice of the other form (a 微信群 on
    /// the account form): the record belongs on that form.
    pub(super) fn other_form(&mut self, path: &str, written: &str) -> bool {
        let (other_path, message) = match (self.kind, self.medium) {
            (FormKind::Account, Medium::File) => (
                "group.type",
                format!(
                    "这是群，请用附件2（form = \"group\"）：「{written}」是群类型，写在 [group] 一节的 type"
                ),
            ),
            (FormKind::Group, Medium::File) => (
                "account.platform",
                format!(
                    "这是新媒体帐号，请用附件1（form = \"account\"）：「{written}」是新媒体类型，写在 [account] 一节的 platform"
                ),
            ),
            (FormKind::Account, Medium::Roster) => (
                "group.type",
                format!(
                    "这是群，用附件2：「{written}」是群类型，请写在「群类型」一列，群名称、群号也写在群的列里（表格一列写 附件2）"
                ),
            ),
            (FormKind::Account, Medium::Web) => (
                "group.type",
                format!("这是群，请回首页改填「QQ群、微博群（附件2）」：「{written}」是群类型"),
            ),
            (FormKind::Group, Medium::Web) => (
                "account.platform",
                format!(
                    "这是新媒体帐号，请回首页改填「新媒体帐号（附件1）」：「{written}」是新媒体类型"
                ),
            ),
            (FormKind::Group, Medium::Roster) => (
                "account.platform",
                format!(
                    "这是新媒体帐号，用附件1：「{written}」是新媒体类型，请写在「新媒体类型」一列，帐号用户名、账号id 也写在帐号的列里（表格一列写 附件1）"
                ),
            ),
        };
        let other = match self.kind {
            FormKind::Account => FormKind::Group,
            FormKind::Group => FormKind::Account,
        };
        let found = self
            .forms
            .get(other)
            .resolve_choice(other_path, written)
            .is_some_and(|(c, name)| !c.other || name.is_some());
        if found {
            self.report(path, message);
        }
        found
    }

    pub(super) fn boolean(
        &mut self,
        t: &[(String, Node)],
        section: &str,
        key: &str,
        required: bool,
    ) -> Option<bool> {
        let path = join(section, key);
        match get(t, key) {
            Some(Node::Bool(b)) => Some(*b),
            Some(Node::Str(s)) if yes_no(s).is_some() => yes_no(s),
            Some(Node::Int(i @ (0 | 1))) => Some(*i == 1),
            Some(other) => {
                let got = match other {
                    Node::Str(s) => format!("「{s}」"),
                    n => n.kind_name().to_owned(),
                };
                let message = match self.medium {
                    Medium::File => format!(
                        "应为 true（是）或 false（否），却是{got}；也可写 \"是\"/\"否\"、\"有\"/\"无\"、\"√\"/\"×\""
                    ),
                    Medium::Roster => format!("应填「是」或「否」，却是{got}；也可填 有/无、√/×"),
                    Medium::Web => format!("请选择「是」或「否」（收到的是{got}）"),
                };
                self.report(&path, message);
                None
            }
            None if required => {
                let message = match self.medium {
                    Medium::File => "缺少此项：填 true（是）或 false（否）",
                    Medium::Roster => "缺少此项：填「是」或「否」",
                    Medium::Web => "请选择「是」或「否」",
                };
                self.report(&path, message);
                None
            }
            None => None,
        }
    }

    /// 开通时间: a day or a month, not before 1994 and not after the filing
    /// date (the record's `filed_at`; for a draft, today — the only place
    /// beian reads the clock for a record).
    pub(super) fn date(
        &mut self,
        t: &[(String, Node)],
        section: &str,
        key: &str,
    ) -> Option<Opened> {
        let path = join(section, key);
        let opened = match get(t, key) {
            None => None,
            Some(Node::Date(d)) => Some(Opened::Day(*d)),
            Some(Node::Str(s)) if s.trim().is_empty() => None,
            Some(Node::Str(s)) => match parse_opened(s) {
                Some(d) => Some(d),
                None => {
                    self.report(
                        &path,
                        format!("「{s}」不是有效日期（例：2019-09-01、2019年9月1日；只知道月份时写 2019年9月）"),
                    );
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
                return None;
            }
        }?;
        // A draft's message names no date: it would change every day.
        let (filed, when) = match self
            .stamp
            .filed_at
            .as_deref()
            .and_then(|f| chrono::DateTime::parse_from_rfc3339(f).ok())
        {
            Some(f) => (
                f.date_naive(),
                format!(
                    "备案日期（{}）",
                    crate::record::chinese_date(f.date_naive())
                ),
            ),
            None => (chrono::Local::now().date_naive(), "今天".to_owned()),
        };
        if opened.first_day() < FIRST_PLATFORM {
            self.report(
                &path,
                format!(
                    "「{}」早于1994年，那时还没有中国的新媒体平台；请核对开通时间",
                    opened.chinese()
                ),
            );
            return None;
        }
        if opened.is_after(filed) {
            self.report(
                &path,
                format!(
                    "「{}」晚于{when}：开通时间不能在将来；还没开通的帐号或群不填此项",
                    opened.chinese()
                ),
            );
            return None;
        }
        Some(opened)
    }
}
