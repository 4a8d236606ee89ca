//! A filing record: the data one unit writes for one account or one group,
//! and the registry's [`Stamp`] on it.
//!
//! Records are read from TOML or JSON into a neutral [`Node`] tree first
//! ([`parse`]), so that validation ([`validate`]) can walk the whole input and
//! report every problem at once (serde stops at the first). Written back out
//! (the canonical text the registry hashes, `<serial>.toml`), a record goes
//! through serde.

mod identity;
pub mod parse;
pub mod validate;
pub use identity::SubjectKey;
mod values;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

pub use parse::{Node, Syntax, SyntaxError};

/// Which of the two forms a record fills.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum FormKind {
    /// 新媒体帐号（附件1）
    Account,
    /// QQ群、微博群（附件2）
    Group,
}

impl FormKind {
    pub const ALL: [FormKind; 2] = [FormKind::Account, FormKind::Group];

    /// The other form: an account's is the group's, and back.
    pub fn other(self) -> FormKind {
        match self {
            FormKind::Account => FormKind::Group,
            FormKind::Group => FormKind::Account,
        }
    }

    /// The value of `form` in a record, and how the registry stores it.
    pub fn key(self) -> &'static str {
        match self {
            FormKind::Account => "account",
            FormKind::Group => "group",
        }
    }

    pub fn from_key(key: &str) -> Option<FormKind> {
        FormKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Every field a form may show, by dotted path: the record's, then the
/// stamp's. [`Record::field`] and [`Stamp::field`] answer for each.
pub const FIELDS: &[&str] = &[
    "unit",
    "account.platform",
    "account.platform_other",
    "account.name",
    "account.id",
    "account.verified",
    "account.opened",
    "account.interactive",
    "account.interactive_reviewed",
    "group.type",
    "group.type_other",
    "group.name",
    "group.number",
    "group.verified",
    "group.opened",
    "principal.name",
    "principal.title",
    "principal.mobile",
    "principal.office_phone",
    "principal.email",
    "admin.name",
    "admin.title",
    "admin.mobile",
    "admin.office_phone",
    "admin.email",
    "serial",
    "uuid",
    "filed_at",
];

/// A validated record: what the unit fills in. Strings are trimmed and
/// normalised; enumerations hold the wording printed on the form (e.g.
/// `QQ/QQ空间`). Serialised in the documented field order, dates as
/// `"YYYY-MM-DD"`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    pub form: FormKind,
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    pub principal: Person,
    pub admin: Person,
}

/// What the registry puts on a record when it files it: the serial (编号),
/// the record's identity and the filing time. A record read from a file may
/// carry some of them (a filed `<serial>.toml`, a correction, an import); a
/// draft has none. Layout prints the serial and dates the document with
/// `filed_at`, the only time that enters an output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stamp {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// RFC 3339 with offset, seconds precision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filed_at: Option<String>,
    /// The filing's version (a correction is 2, 3 …), as the filed record
    /// says it: a lost registry rebuilt from the filed records files each
    /// under its own version, which its QR code prints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Account {
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_other: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened: Option<Opened>,
    pub interactive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactive_reviewed: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "type_other", skip_serializing_if = "Option::is_none")]
    pub kind_other: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened: Option<Opened>,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct Person {
    pub name: String,
    pub title: String,
    pub mobile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_phone: Option<String>,
    pub email: String,
}

/// 开通时间: a day, or only the month when that is all a unit knows.
/// Written out as `"2019-09-01"` or `"2019-09"`, printed as 2019年9月1日 or
/// 2019年9月.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    Day(NaiveDate),
    Month { year: i32, month: u32 },
}

impl Opened {
    /// A month, if it is one.
    pub fn month(year: i32, month: u32) -> Option<Opened> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Opened::Month { year, month })
    }

    /// The first day it may mean.
    pub fn first_day(self) -> NaiveDate {
        match self {
            Opened::Day(d) => d,
            Opened::Month { year, month } => {
                NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
            }
        }
    }

    /// Whether it is after `day`: a month is after the month `day` is in.
    pub fn is_after(self, day: NaiveDate) -> bool {
        match self {
            Opened::Day(d) => d > day,
            Opened::Month { year, month } => (year, month) > (day.year(), day.month()),
        }
    }

    /// As a Chinese form writes it.
    pub fn chinese(self) -> String {
        match self {
            Opened::Day(d) => chinese_date(d),
            Opened::Month { year, month } => format!("{year}年{month}月"),
        }
    }
}

/// A day is a TOML date (`opened = 2019-09-01`, as people write it and as
/// every filing's canonical text has it since the first beian: the
/// registry's idempotency key depends on it); [`json_text`] writes it as
/// `"2019-09-01"`. A month is text, `"2019-09"`, in both.
impl Serialize for Opened {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Opened::Day(d) => {
                let date = toml::value::Date {
                    year: u16::try_from(d.year()).map_err(serde::ser::Error::custom)?,
                    month: u8::try_from(d.month()).map_err(serde::ser::Error::custom)?,
                    day: u8::try_from(d.day()).map_err(serde::ser::Error::custom)?,
                };
                toml::value::Datetime {
                    date: Some(date),
                    time: None,
                    offset: None,
                }
                .serialize(s)
            }
            Opened::Month { year, month } => s.collect_str(&format_args!("{year:04}-{month:02}")),
        }
    }
}

/// The value of a record field as printed on the form.
fn yes_no(b: bool) -> String {
    if b { "是" } else { "否" }.to_owned()
}

/// `2019年9月1日`, as a Chinese form writes a date.
pub fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

impl Record {
    /// The printed value of the field at a dotted path, `""` when the record
    /// leaves it empty, `None` when no such field exists. Forms refer to
    /// fields by these paths.
    pub fn field(&self, path: &str) -> Option<String> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let date = |d: &Option<Opened>| d.map(Opened::chinese).unwrap_or_default();
        let bool_ = |b: &Option<bool>| b.map(yes_no).unwrap_or_default();
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        Some(match (head, rest) {
            ("unit", "") => self.unit.clone(),
            ("account", f) => {
                let a = self.account.as_ref();
                match f {
                    "platform" => a.map(|a| a.platform.clone()),
                    "platform_other" => a.map(|a| opt(&a.platform_other)),
                    "name" => a.map(|a| a.name.clone()),
                    "id" => a.map(|a| opt(&a.id)),
                    "verified" => a.map(|a| bool_(&a.verified)),
                    "opened" => a.map(|a| date(&a.opened)),
                    "interactive" => a.map(|a| yes_no(a.interactive)),
                    "interactive_reviewed" => a.map(|a| bool_(&a.interactive_reviewed)),
                    _ => return None,
                }
                .unwrap_or_default()
            }
            ("group", f) => {
                let g = self.group.as_ref();
                match f {
                    "type" => g.map(|g| g.kind.clone()),
                    "type_other" => g.map(|g| opt(&g.kind_other)),
                    "name" => g.map(|g| g.name.clone()),
                    "number" => g.map(|g| opt(&g.number)),
                    "verified" => g.map(|g| bool_(&g.verified)),
                    "opened" => g.map(|g| date(&g.opened)),
                    _ => return None,
                }
                .unwrap_or_default()
            }
            ("principal" | "admin", f) => {
                let p = if head == "principal" {
                    &self.principal
                } else {
                    &self.admin
                };
                match f {
                    "name" => p.name.clone(),
                    "title" => p.title.clone(),
                    "mobile" => p.mobile.clone(),
                    "office_phone" => opt(&p.office_phone),
                    "email" => p.email.clone(),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    /// The account or group name: what the form is about.
    pub fn subject_name(&self) -> &str {
        match (&self.account, &self.group) {
            (Some(a), _) => &a.name,
            (_, Some(g)) => &g.name,
            _ => "",
        }
    }

    /// The record as TOML, in the documented order. Equal records give equal
    /// text, so this is the canonical form the registry stores and hashes.
    pub fn to_toml(&self) -> String {
        toml_text(self)
    }

    /// The record as pretty-printed JSON (dates as `"YYYY-MM-DD"`).
    pub fn to_json(&self) -> String {
        json_text(self)
    }
}

/// A record with the stamp it carries, as one document (stamp keys first):
/// how a filed record reads in JSON or TOML.
#[derive(Serialize)]
pub struct Stamped<'a> {
    #[serde(flatten)]
    pub stamp: &'a Stamp,
    #[serde(flatten)]
    pub record: &'a Record,
}

impl Stamped<'_> {
    pub fn to_toml(&self) -> String {
        toml_text(self)
    }

    pub fn to_json(&self) -> String {
        json_text(self)
    }
}

// Records and stamps are strings, booleans, dates and tables of them:
// nothing TOML or JSON cannot hold, so serialising them cannot fail.

fn toml_text(value: &impl Serialize) -> String {
    toml::to_string(value).unwrap_or_default()
}

fn json_text(value: &impl Serialize) -> String {
    let mut tree = serde_json::to_value(value).unwrap_or_default();
    plain_dates(&mut tree);
    let mut out = serde_json::to_string_pretty(&tree).unwrap_or_default();
    out.push('\n');
    out
}

/// A TOML date passed through serde_json is an object holding its text
/// under toml's private key; JSON records write dates as plain text.
fn plain_dates(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if map.len() == 1
                && let Some(serde_json::Value::String(text)) = map.get("$__toml_private_datetime")
            {
                *v = serde_json::Value::String(text.clone());
                return;
            }
            map.values_mut().for_each(plain_dates);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(plain_dates),
        _ => {}
    }
}

impl Stamp {
    /// The stamp as the head of a filed record: root-level TOML keys, so
    /// they may precede any table.
    pub fn to_toml(&self) -> String {
        toml_text(self)
    }

    /// The value of a stamp field at a dotted path (`serial`, `uuid`,
    /// `filed_at`), as forms refer to it.
    pub fn field(&self, path: &str) -> Option<String> {
        let value = match path {
            "serial" => &self.serial,
            "uuid" => &self.uuid,
            "filed_at" => &self.filed_at,
            _ => return None,
        };
        Some(value.clone().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_field_has_a_value_and_no_other_does() {
        let record = Record {
            form: FormKind::Account,
            unit: "信息工程系".into(),
            account: None,
            group: None,
            principal: Person::default(),
            admin: Person::default(),
        };
        let stamp = Stamp::default();
        for path in FIELDS {
            assert!(
                record.field(path).or_else(|| stamp.field(path)).is_some(),
                "{path}"
            );
        }
        for unknown in ["account", "account.nam", "principal", "serial.x", ""] {
            assert!(
                record
                    .field(unknown)
                    .or_else(|| stamp.field(unknown))
                    .is_none(),
                "{unknown}"
            );
        }
    }
}
