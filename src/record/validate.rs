//! Validation: a parsed [`Node`] tree becomes a [`Record`] and its [`Stamp`],
//! or every problem with it is reported at once, each naming the field's path
//! and its label.
//!
//! Checks here are about the record alone. Whether a value fits its cell is
//! decided by layout ([`crate::layout`]), which reports in the same terms.

use super::values::{is_email, mobile, nearest, normalize_digits, office_phone};

use crate::error::Violation;
use crate::form::{FormSpec, Forms};
use crate::record::{Account, FormKind, Group, Node, Person, Record, Stamp};

mod fields;
mod overflow;

pub use overflow::overflow_violation;

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
    "version",
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

/// What a record was written in, for the words of its messages: a record
/// file has `[sections]` and keys, a roster row has columns, a web page has
/// boxes to fill and choices to tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Medium {
    #[default]
    File,
    Roster,
    Web,
}

/// Checks a parsed record against the forms in use.
pub fn check(node: &Node) -> Checked {
    check_with(node, crate::form::current())
}

/// Checks a roster row, or a record file, against the forms in use.
pub fn check_in(node: &Node, medium: Medium) -> Checked {
    check_as(node, crate::form::current(), medium)
}

/// Checks a parsed record against `forms` (its choices, its labels).
pub fn check_with(node: &Node, forms: &Forms) -> Checked {
    check_as(node, forms, Medium::File)
}

fn check_as(node: &Node, forms: &Forms, medium: Medium) -> Checked {
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
    let kind = form.or(inferred).unwrap_or(FormKind::Account);
    let mut c = Checker {
        kind,
        spec: forms.get(kind),
        forms: *forms,
        stamp: Stamp::default(),
        violations: Vec::new(),
        medium,
    };
    let record = c.record(top, form, form.or(inferred));
    Checked {
        record,
        stamp: c.stamp,
        violations: c.violations,
    }
}

struct Checker {
    /// The form the record is checked as and its spec; the forms, for the
    /// other form's choices (a choice of the other form is a record for the
    /// other form), looked at only when a choice is not this form's.
    kind: FormKind,
    spec: &'static FormSpec,
    forms: Forms,
    stamp: Stamp,
    violations: Vec<Violation>,
    medium: Medium,
}

/// The section a key found in `section` belongs to, if it is a key of
/// another section of the record's form: `id` under [principal] is
/// [account]'s.
fn home_of(key: &str, section: &str, kind: FormKind) -> Option<&'static str> {
    let own = match kind {
        FormKind::Account => ("account", ACCOUNT_KEYS),
        FormKind::Group => ("group", GROUP_KEYS),
    };
    [own, ("principal", PERSON_KEYS)]
        .into_iter()
        .find(|(name, keys)| *name != section && keys.contains(&key))
        .map(|(name, _)| name)
        .filter(|_| !(section == "admin" && PERSON_KEYS.contains(&key)))
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
        let forms = match self.medium {
            Medium::File => "新媒体帐号填 \"account\"（附件1），QQ群、微博群填 \"group\"（附件2）",
            Medium::Roster => "「表格」一列写 附件1（新媒体帐号）或 附件2（QQ群、微博群）",
            Medium::Web => "请从首页选择 新媒体帐号（附件1）或 QQ群、微博群（附件2）",
        };
        match get(top, "form") {
            None => self.report("form", format!("缺少此项：{forms}")),
            Some(Node::Str(s)) if form.is_none() => {
                self.report("form", format!("「{s}」不是可选的表格类型；{forms}"))
            }
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
        let version = match get(top, "version") {
            None => None,
            Some(Node::Int(v)) if (1..=i64::from(u16::MAX)).contains(v) => u32::try_from(*v).ok(),
            Some(other) => {
                let got = match other {
                    Node::Int(v) => v.to_string(),
                    n => n.kind_name().to_owned(),
                };
                self.report(
                    "version",
                    format!("版本应是 1、2、3 这样的正整数（不加引号），却是{got}"),
                );
                None
            }
        };
        Stamp {
            serial,
            uuid,
            filed_at,
            version,
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
                let message = match self.medium {
                    Medium::File => format!("缺少 [{key}] 一节"),
                    Medium::Web => format!("{}各项都没有填写", self.spec.label(key)),
                    Medium::Roster => match key {
                        "account" => {
                            "这一行没有填帐号：新媒体类型、帐号用户名等列都是空的".to_owned()
                        }
                        "group" => "这一行没有填群：群类型、群名称、群号等列都是空的".to_owned(),
                        _ => format!(
                            "这一行没有填{}：姓名、职务、手机、邮箱各列都是空的",
                            self.spec.label(key)
                        ),
                    },
                };
                self.report(key, message);
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
        let (platform, platform_other) = self.choice(t, s, "platform");
        let name = self.text(t, s, "name", true);
        // An id is what the platform shows: ASCII, even when typed full-width.
        let id = self.text(t, s, "id", false).map(|i| normalize_digits(&i));
        let verified = self.boolean(t, s, "verified", false);
        let opened = self.date(t, s, "opened");
        let interactive = self.boolean(t, s, "interactive", true);
        let reviewed = self.boolean(t, s, "interactive_reviewed", false);
        let reviewed = match (interactive, reviewed) {
            (Some(true), None) if get(t, "interactive_reviewed").is_none() => {
                let message = match self.medium {
                    Medium::File => {
                        "平台设有交互栏目（interactive = true）时必须填写：true（有管理员审核）或 false（没有）"
                    }
                    Medium::Roster | Medium::Web => {
                        "平台设有交互栏目时必须填写：有管理员审核填「是」，没有填「否」"
                    }
                };
                self.report("account.interactive_reviewed", message);
                None
            }
            (Some(false), Some(_)) => {
                let message = match self.medium {
                    Medium::File => "平台未设交互栏目（interactive = false）时不填此项，请删去",
                    Medium::Roster => "平台未设交互栏目时此项不填，请清空",
                    Medium::Web => {
                        "平台未设交互栏目时此项不选：请把「平台是否设有交互栏目」改为「是」，或清除此项的选择"
                    }
                };
                self.report("account.interactive_reviewed", message);
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
        let (kind, kind_other) = self.choice(t, s, "type");
        let name = self.text(t, s, "name", true);
        let mut number = self
            .text(t, s, "number", false)
            .map(|n| normalize_digits(&n));
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
        let mobile = self.text(t, s, "mobile", true).map(|m| match mobile(&m) {
            Some(digits) => digits,
            None => {
                self.report(&join(s, "mobile"), format!("「{m}」不是11位手机号"));
                m
            }
        });
        let office_phone = self
            .text(t, s, "office_phone", false)
            .and_then(|p| match office_phone(&p) {
                Ok(phone) => phone,
                Err(()) => {
                    self.report(
                        &join(s, "office_phone"),
                        format!("「{p}」不是电话号码（例：0553-5971011；分机写 0553-5971011转8023，两个号码写 0553-5971011/5971012；没有就不填）"),
                    );
                    None
                }
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
        // Bounded: a file of 5,000 made-up keys gets a short message.
        const SAID: usize = 10;
        let unknown: Vec<&String> = t
            .iter()
            .map(|(k, _)| k)
            .filter(|k| !known.contains(&k.as_str()))
            .collect();
        for k in unknown.iter().take(SAID) {
            // A key of long length is shown cut.
            let shown: String = k.chars().take(40).collect();
            let shown = match k.chars().count() > 40 {
                true => format!("{shown}…"),
                false => shown,
            };
            let path = join(section, &shown);
            let hint = match (home_of(k, section, self.kind), nearest(k, known)) {
                // `id` written after [principal]: it belongs to [account].
                (Some(home), _) => format!(
                    "：「{shown}」是 [{home}] 的项，应写在 [{home}] 下（TOML 中写在 [{section}] 之后的各行都属于 [{section}]，请把它移到 [{home}] 一节里）",
                    section = match section {
                        "" => "开头",
                        s => s,
                    }
                ),
                (None, Some(n)) => format!("，是不是「{n}」？"),
                (None, None) => format!("；这里可以填：{}", known.join("、")),
            };
            self.violations.push(Violation {
                path,
                label: String::new(),
                message: format!("未知的项「{shown}」{hint}"),
            });
        }
        if unknown.len() > SAID {
            self.violations.push(Violation {
                path: section.to_owned(),
                label: String::new(),
                message: format!(
                    "还有 {} 个未知的项没有列出；这里可以填：{}",
                    unknown.len() - SAID,
                    known.join("、")
                ),
            });
        }
    }

    fn wrong_type(&mut self, path: &str, got: &Node, expected: &str) {
        self.report(path, format!("应为{expected}，却是{}", got.kind_name()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Opened;
    use crate::record::values::{is_email, nearest, parse_opened, yes_no};
    use chrono::NaiveDate;

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
        assert_eq!(normalize_digits("１３８００００００００"), "13800000000");
    }

    #[test]
    fn dates_as_people_write_them() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).map(Opened::Day);
        for written in [
            "2019-09-01",
            "2019-9-1",
            "2019/9/1",
            "2019.9.1",
            "2019.09.01",
            "2019年9月1日",
            "2019年09月01日",
            "2019 年 9 月 1 日",
            "2019年9月1号",
            "２０１９年９月１日",
            "２０１９．９．１",
        ] {
            assert_eq!(parse_opened(written), day(2019, 9, 1), "{written}");
        }
        for written in [
            "2019年9月",
            "2019-09",
            "2019-9",
            "2019.9",
            "2019/09",
            "２０１９年９月",
        ] {
            assert_eq!(parse_opened(written), Opened::month(2019, 9), "{written}");
        }
        for bad in [
            "2019-02-30",
            "2019-13",
            "2019",
            "19-9-1",
            "2019-9-1-1",
            "2019年9月1日上午",
            "九月",
            "2019--1",
        ] {
            assert_eq!(parse_opened(bad), None, "{bad}");
        }
        let month = Opened::month(2019, 9).expect("month");
        assert_eq!(month.chinese(), "2019年9月");
        assert!(month.is_after(NaiveDate::from_ymd_opt(2019, 8, 31).expect("day")));
        assert!(!month.is_after(NaiveDate::from_ymd_opt(2019, 9, 1).expect("day")));
    }

    /// An account record with `account` as its [account] lines.
    fn account(account: &str) -> Checked {
        let text = format!(
            "form = \"account\"\nunit = \"信息工程系\"\n[account]\nname = \"学生会\"\ninteractive = false\n{account}\n\
             [principal]\nname = \"张三\"\ntitle = \"系主任\"\nmobile = \"13800000000\"\nemail = \"a@example.edu.cn\"\n\
             [admin]\nname = \"李四\"\ntitle = \"干事\"\nmobile = \"13900000000\"\nemail = \"b@example.edu.cn\"\n"
        );
        check(&Node::parse(&text, crate::record::Syntax::Toml).expect("toml"))
    }

    /// The platform and the name on its 其他 line, or the messages.
    fn platform(lines: &str) -> Result<(String, Option<String>), Vec<String>> {
        let c = account(lines);
        if !c.violations.is_empty() {
            return Err(c.violations.into_iter().map(|v| v.message).collect());
        }
        let a = c.record.and_then(|r| r.account).expect("account");
        Ok((a.platform, a.platform_other))
    }

    #[test]
    fn platforms_as_people_write_them() {
        let other = |name: &str| Ok(("其他".to_owned(), Some(name.to_owned())));
        let plain = |name: &str| Ok((name.to_owned(), None));
        for (lines, expected) in [
            ("platform = \"抖音\"", other("抖音")),
            ("platform = \"B站\"", other("哔哩哔哩")),
            ("platform = \"bilibili\"", other("哔哩哔哩")),
            ("platform = \"小红书\"", other("小红书")),
            ("platform = \"视频号\"", other("视频号")),
            ("platform = \"新浪微博\"", plain("微博")),
            ("platform = \"头条号\"", plain("今日头条")),
            ("platform = \"订阅号\"", plain("微信")),
            ("platform = \"服务号\"", plain("微信")),
            ("platform = \"公众号\"", plain("微信")),
            ("platform = \"微信公众号\"", plain("微信")),
            ("platform = \"ＱＱ／ＱＱ空间\"", plain("QQ/QQ空间")),
            ("platform = \"Qq空间\"", plain("QQ/QQ空间")),
            // 其他 with its name: the name as the platform calls itself.
            (
                "platform = \"其他\"\nplatform_other = \"知乎\"",
                other("知乎"),
            ),
            (
                "platform = \"其它\"\nplatform_other = \"b站\"",
                other("哔哩哔哩"),
            ),
            (
                "platform = \"其他\"\nplatform_other = \"西瓜视频\"",
                other("西瓜视频"),
            ),
            // 其他 with a name that has a box of its own ticks that box.
            (
                "platform = \"其他\"\nplatform_other = \"新浪微博\"",
                plain("微博"),
            ),
            // A name and the same name on the line agree.
            (
                "platform = \"抖音\"\nplatform_other = \"抖音\"",
                other("抖音"),
            ),
            (
                "platform = \"B站\"\nplatform_other = \"哔哩哔哩\"",
                other("哔哩哔哩"),
            ),
        ] {
            assert_eq!(platform(lines), expected, "{lines}");
        }
        for (lines, message) in [
            (
                "platform = \"抖音\"\nplatform_other = \"快手\"",
                "不知道以哪个为准",
            ),
            ("platform = \"微信群\"", "这是群，请用附件2"),
            ("platform = \"QQ群\"", "这是群，请用附件2"),
            ("platform = \"微博群\"", "这是群，请用附件2"),
            (
                "platform = \"其他\"\nplatform_other = \"微信群\"",
                "这是群，请用附件2",
            ),
            ("platform = \"西瓜视频\"", "不是可选的新媒体类型"),
            (
                "platform = \"微信\"\nplatform_other = \"抖音\"",
                "只有 platform 选「其他」时才填写",
            ),
        ] {
            let got = platform(lines).expect_err(lines);
            assert!(got.iter().any(|m| m.contains(message)), "{lines}: {got:?}");
        }
    }

    #[test]
    fn opened_is_checked_against_the_filing_date() {
        let opened = |lines: &str| {
            let c = account(&format!("platform = \"微信\"\n{lines}"));
            let messages: Vec<String> = c.violations.into_iter().map(|v| v.message).collect();
            (
                c.record.and_then(|r| r.account).and_then(|a| a.opened),
                messages,
            )
        };
        let (ok, messages) = opened("opened = \"2019年9月\"");
        assert_eq!(ok, Opened::month(2019, 9), "{messages:?}");
        let (_, messages) = opened("opened = \"1993.12.31\"");
        assert!(messages[0].contains("早于1994年"), "{messages:?}");
        let (ok, _) = opened("opened = \"1994.1\"");
        assert_eq!(ok, Opened::month(1994, 1));
        let (_, messages) = opened("opened = \"2999-01\"");
        assert!(messages[0].contains("晚于今天"), "{messages:?}");
        // A filed record is checked against its filing date, not today.
        let filed = |opened: &str| {
            // filed_at is a top-level key: before [account].
            let record = format!(
                "form = \"account\"\nunit = \"x\"\nfiled_at = 2026-03-02T09:30:00+08:00\n\
                 [account]\nplatform = \"微信\"\nname = \"y\"\ninteractive = false\nopened = \"{opened}\"\n"
            );
            let node = Node::parse(&record, crate::record::Syntax::Toml).expect("toml");
            check(&node)
                .violations
                .into_iter()
                .filter(|v| v.path == "account.opened")
                .map(|v| v.message)
                .collect::<Vec<_>>()
        };
        assert_eq!(filed("2026-03-02"), Vec::<String>::new());
        assert_eq!(filed("2026年3月"), Vec::<String>::new());
        assert!(filed("2026-03-03")[0].contains("晚于备案日期（2026年3月2日）"));
        assert!(filed("2026年4月")[0].contains("晚于备案日期"));
    }

    #[test]
    fn yes_no_as_people_write_it() {
        for yes in [
            "true",
            "TRUE",
            "是",
            "已认证",
            "有",
            "√",
            "yes",
            "Yes",
            "Y",
            "1",
            "ｙｅｓ",
        ] {
            assert_eq!(yes_no(yes), Some(true), "{yes}");
        }
        for no in ["false", "否", "未认证", "无", "×", "no", "NO", "n", "0"] {
            assert_eq!(yes_no(no), Some(false), "{no}");
        }
        for neither in ["", "也许", "ok", "2"] {
            assert_eq!(yes_no(neither), None, "{neither}");
        }
    }

    #[test]
    fn phones_as_people_write_them() {
        for written in [
            "13800001111",
            "138 0000 1111",
            "138-0000-1111",
            "+86 138 0000 1111",
            "+8613800001111",
            "(+86)13800001111",
            "（＋８６）１３８００００１１１１",
            "0086 13800001111",
            "86-13800001111",
            "8613800001111",
        ] {
            assert_eq!(mobile(written).as_deref(), Some("13800001111"), "{written}");
        }
        for bad in [
            "1380000",
            "23800001111",
            "+1 13800001111",
            "138000011112",
            "8623800001111",
        ] {
            assert_eq!(mobile(bad), None, "{bad}");
        }
        let office = |p: &str| office_phone(p).map(|o| o.unwrap_or_default());
        for (written, printed) in [
            ("0553-5971011", "0553-5971011"),
            ("０５５３－５９７１０１１", "0553-5971011"),
            ("(0553)5971012", "(0553)5971012"),
            ("（0553）5971012", "(0553)5971012"),
            ("0553-5971011/5971012", "0553-5971011/5971012"),
            ("0553-5971011 / 5971012", "0553-5971011/5971012"),
            ("0553-5971011、5971012", "0553-5971011/5971012"),
            ("0553-5971011／5971012", "0553-5971011/5971012"),
            ("0553-5971011转8023", "0553-5971011转8023"),
            ("0553-5971011 转 8023", "0553-5971011转8023"),
            ("0553-5971011分机8023", "0553-5971011转8023"),
            ("0553-5971011 ext. 8023", "0553-5971011转8023"),
            ("0553-5971011-8023", "0553-5971011转8023"),
            ("0553-5971011转8023/5971012", "0553-5971011转8023/5971012"),
            ("无", ""),
            ("没有", ""),
            ("-", ""),
        ] {
            assert_eq!(office(written).as_deref(), Ok(printed), "{written}");
        }
        for bad in [
            "电话",
            "0553",
            "0553-5971011转",
            "0553-5971011转总机",
            "1/2/3/4/5",
            "0553-5971011/5971012/5971013",
        ] {
            assert!(office_phone(bad).is_err(), "{bad}");
        }
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
