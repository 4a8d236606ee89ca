//! A filing record: the data one unit writes for one account or one group.
//!
//! Records are read from TOML or JSON into a neutral [`Node`] tree first, so that
//! validation can walk the whole input and report every problem at once (serde
//! stops at the first). [`crate::validate`] turns a checked tree into a [`Record`].

use std::fmt::Write as _;

use chrono::NaiveDate;

/// Which of the two forms a record fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormKind {
    /// Attachment 1, 新媒体建设备案及审批表.
    Account,
    /// Attachment 2, QQ群、微博群备案及审批表.
    Group,
}

impl FormKind {
    pub const ALL: [FormKind; 2] = [FormKind::Account, FormKind::Group];

    /// The value of `form` in a record.
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

/// A validated record. Strings are trimmed and normalised; enumerations hold
/// the wording printed on the form (e.g. `QQ/QQ空间`).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub form: FormKind,
    pub unit: String,
    pub serial: Option<String>,
    pub uuid: Option<String>,
    /// When the registry filed the record (RFC 3339); the only time that
    /// enters an output, as its document date.
    pub filed_at: Option<String>,
    pub account: Option<Account>,
    pub group: Option<Group>,
    pub principal: Person,
    pub admin: Person,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    pub platform: String,
    pub platform_other: Option<String>,
    pub name: String,
    pub id: Option<String>,
    pub verified: Option<bool>,
    pub opened: Option<NaiveDate>,
    pub interactive: bool,
    pub interactive_reviewed: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub kind: String,
    pub kind_other: Option<String>,
    pub name: String,
    pub number: Option<String>,
    pub verified: Option<bool>,
    pub opened: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Person {
    pub name: String,
    pub title: String,
    pub mobile: String,
    pub office_phone: Option<String>,
    pub email: String,
}

/// The value of a record field as printed on the form.
fn yes_no(b: bool) -> String {
    if b { "是" } else { "否" }.to_owned()
}

/// `2019年9月1日`, as a Chinese form writes a date.
pub fn chinese_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

impl Record {
    /// The printed value of the field at a dotted path, `""` when the record
    /// leaves it empty, `None` when no such field exists. Forms refer to
    /// fields by these paths.
    pub fn field(&self, path: &str) -> Option<String> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let date = |d: &Option<NaiveDate>| d.map(chinese_date).unwrap_or_default();
        let bool_ = |b: &Option<bool>| b.map(yes_no).unwrap_or_default();
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        Some(match (head, rest) {
            ("serial", "") => opt(&self.serial),
            ("unit", "") => self.unit.clone(),
            ("uuid", "") => opt(&self.uuid),
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

    /// The record as a neutral tree, fields in the documented order.
    pub fn to_node(&self) -> Node {
        let mut top = Vec::new();
        let s = |v: &str| Node::Str(v.to_owned());
        top.push(("form".to_owned(), s(self.form.key())));
        top.push(("unit".to_owned(), s(&self.unit)));
        for (k, v) in [
            ("serial", &self.serial),
            ("uuid", &self.uuid),
            ("filed_at", &self.filed_at),
        ] {
            if let Some(v) = v {
                top.push((k.to_owned(), s(v)));
            }
        }
        let push_opt = |t: &mut Vec<(String, Node)>, k: &str, v: Option<Node>| {
            if let Some(v) = v {
                t.push((k.to_owned(), v));
            }
        };
        if let Some(a) = &self.account {
            let mut t = vec![("platform".to_owned(), s(&a.platform))];
            push_opt(&mut t, "platform_other", a.platform_other.as_deref().map(s));
            t.push(("name".to_owned(), s(&a.name)));
            push_opt(&mut t, "id", a.id.as_deref().map(s));
            push_opt(&mut t, "verified", a.verified.map(Node::Bool));
            push_opt(&mut t, "opened", a.opened.map(Node::Date));
            t.push(("interactive".to_owned(), Node::Bool(a.interactive)));
            push_opt(
                &mut t,
                "interactive_reviewed",
                a.interactive_reviewed.map(Node::Bool),
            );
            top.push(("account".to_owned(), Node::Table(t)));
        }
        if let Some(g) = &self.group {
            let mut t = vec![("type".to_owned(), s(&g.kind))];
            push_opt(&mut t, "type_other", g.kind_other.as_deref().map(s));
            t.push(("name".to_owned(), s(&g.name)));
            push_opt(&mut t, "number", g.number.as_deref().map(s));
            push_opt(&mut t, "verified", g.verified.map(Node::Bool));
            push_opt(&mut t, "opened", g.opened.map(Node::Date));
            top.push(("group".to_owned(), Node::Table(t)));
        }
        for (k, p) in [("principal", &self.principal), ("admin", &self.admin)] {
            let mut t = vec![
                ("name".to_owned(), s(&p.name)),
                ("title".to_owned(), s(&p.title)),
                ("mobile".to_owned(), s(&p.mobile)),
            ];
            push_opt(&mut t, "office_phone", p.office_phone.as_deref().map(s));
            t.push(("email".to_owned(), s(&p.email)));
            top.push((k.to_owned(), Node::Table(t)));
        }
        Node::Table(top)
    }

    /// The record as TOML, in the documented order. Equal records give equal
    /// text, so this is the canonical form the registry stores and hashes.
    pub fn to_toml(&self) -> String {
        self.to_node().to_toml()
    }

    /// The record as pretty-printed JSON (dates as `"YYYY-MM-DD"`).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.to_node().write_json(&mut out, 0);
        out.push('\n');
        out
    }
}

/// A parsed input document, independent of its syntax.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    Date(NaiveDate),
    /// A TOML date-time or time, kept as written.
    DateTime(String),
    Array(Vec<Node>),
    Table(Vec<(String, Node)>),
    /// JSON `null`: has no TOML counterpart; validation reads it as "not given".
    Null,
}

/// The input syntax of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Toml,
    Json,
}

impl Syntax {
    /// Guesses the syntax of a document: JSON starts with `{`.
    pub fn sniff(text: &str) -> Syntax {
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{')
        {
            true => Syntax::Json,
            false => Syntax::Toml,
        }
    }
}

/// A syntax error with its 1-based position.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Node {
    /// Parses a record document.
    pub fn parse(text: &str, syntax: Syntax) -> Result<Node, SyntaxError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match syntax {
            Syntax::Toml => {
                let table: toml::Table = toml::from_str(text).map_err(|e| {
                    let (line, column) =
                        e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
                    let message = unquoted_text(text.lines().nth(line - 1).unwrap_or_default())
                        .unwrap_or_else(|| explain(e.message().trim()));
                    SyntaxError {
                        line,
                        column,
                        message,
                    }
                })?;
                Ok(Node::from_toml(toml::Value::Table(table)))
            }
            Syntax::Json => {
                let value: JsonNode = serde_json::from_str(text).map_err(|e| {
                    let detail = e.to_string();
                    // serde_json appends " at line L column C"; we say where already.
                    let detail = detail.split(" at line ").next().unwrap_or(&detail);
                    SyntaxError {
                        line: e.line().max(1),
                        column: e.column().max(1),
                        message: explain(detail),
                    }
                })?;
                Ok(value.0)
            }
        }
    }

    fn from_toml(v: toml::Value) -> Node {
        match v {
            toml::Value::String(s) => Node::Str(s),
            toml::Value::Integer(i) => Node::Int(i),
            toml::Value::Float(f) => Node::Float(f),
            toml::Value::Boolean(b) => Node::Bool(b),
            toml::Value::Datetime(d) => match (d.date, d.time) {
                (Some(date), None) => NaiveDate::from_ymd_opt(
                    i32::from(date.year),
                    u32::from(date.month),
                    u32::from(date.day),
                )
                .map_or_else(|| Node::DateTime(d.to_string()), Node::Date),
                _ => Node::DateTime(d.to_string()),
            },
            toml::Value::Array(a) => Node::Array(a.into_iter().map(Node::from_toml).collect()),
            toml::Value::Table(t) => Node::Table(
                t.into_iter()
                    .map(|(k, v)| (k, Node::from_toml(v)))
                    .collect(),
            ),
        }
    }

    /// What kind of value this is, in words a form-filler knows.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Node::Str(_) => "文字",
            Node::Bool(_) => "true/false",
            Node::Int(_) | Node::Float(_) => "数字",
            Node::Date(_) => "日期",
            Node::Null => "null",
            Node::DateTime(_) => "日期时间",
            Node::Array(_) => "列表",
            Node::Table(_) => "表",
        }
    }

    fn to_toml(&self) -> String {
        let mut out = String::new();
        let Node::Table(top) = self else {
            return out;
        };
        // Scalars first, then one [section] per table, as people write TOML.
        for (k, v) in top.iter().filter(|(_, v)| !matches!(v, Node::Table(_))) {
            let _ = writeln!(out, "{k} = {}", v.toml_scalar());
        }
        for (k, v) in top {
            if let Node::Table(t) = v {
                let _ = writeln!(out, "\n[{k}]");
                for (k, v) in t {
                    let _ = writeln!(out, "{k} = {}", v.toml_scalar());
                }
            }
        }
        out
    }

    fn toml_scalar(&self) -> String {
        match self {
            Node::Str(s) => toml::Value::String(s.clone()).to_string(),
            Node::Bool(b) => b.to_string(),
            Node::Int(i) => i.to_string(),
            Node::Float(f) => toml::Value::Float(*f).to_string(),
            Node::Date(d) => d.format("%Y-%m-%d").to_string(),
            Node::DateTime(s) => s.clone(),
            Node::Null => "\"\"".to_owned(),
            Node::Array(a) => format!(
                "[{}]",
                a.iter()
                    .map(Node::toml_scalar)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Node::Table(t) => format!(
                "{{ {} }}",
                t.iter()
                    .map(|(k, v)| format!("{k} = {}", v.toml_scalar()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn write_json(&self, out: &mut String, indent: usize) {
        let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
        match self {
            Node::Str(s) | Node::DateTime(s) => out.push_str(&quote(s)),
            Node::Bool(b) => out.push_str(&b.to_string()),
            Node::Null => out.push_str("null"),
            Node::Int(i) => out.push_str(&i.to_string()),
            Node::Float(f) => out.push_str(&serde_json::json!(f).to_string()),
            Node::Date(d) => out.push_str(&quote(&d.format("%Y-%m-%d").to_string())),
            Node::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_json(out, indent);
                }
                out.push(']');
            }
            Node::Table(t) => {
                out.push_str("{\n");
                for (i, (k, v)) in t.iter().enumerate() {
                    out.push_str(&"  ".repeat(indent + 1));
                    out.push_str(&quote(k));
                    out.push_str(": ");
                    v.write_json(out, indent + 1);
                    if i + 1 < t.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                out.push_str(&"  ".repeat(indent));
                out.push('}');
            }
        }
    }
}

/// The commonest TOML mistake: a text value without quotes (a phone number
/// like 0553-5971011 even parses as a bad date). Says so, naming the key.
fn unquoted_text(line: &str) -> Option<String> {
    let (key, value) = line.split_once('=')?;
    let (key, value) = (
        key.trim(),
        value.split('#').next().unwrap_or_default().trim(),
    );
    let typed = [
        "verified",
        "opened",
        "interactive",
        "interactive_reviewed",
        "filed_at",
    ];
    let quoted = value.starts_with(['"', '\'', '[', '{']);
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    (plain && !quoted && !value.is_empty() && !typed.contains(&key))
        .then(|| format!("{key} 的值是文字，要用英文双引号括起来：{key} = \"{value}\""))
}

/// A parser's message in Chinese, with the original kept for the curious.
fn explain(detail: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        (
            "invalid date",
            "日期无效：写成 2019-09-01，且须是真实存在的日期",
        ),
        ("invalid time", "时间无效"),
        ("duplicate key", "同一项写了两次"),
        (
            "invalid basic string",
            "引号没有配对：文字要用英文双引号 \"…\" 括起来",
        ),
        ("invalid literal string", "引号没有配对"),
        ("unterminated", "引号或括号没有闭合"),
        ("key with no value", "缺少「=」和值"),
        ("expected `=`", "缺少「=」"),
        ("invalid table header", "节名写错了：应写成 [account] 这样"),
        (
            "invalid key",
            "项名写错了：只用英文字母和下划线，例如 name = \"…\"",
        ),
        (
            "string values must be quoted",
            "文字要用英文双引号 \"…\" 括起来",
        ),
        ("invalid string", "文字要用英文双引号 \"…\" 括起来"),
        ("trailing comma", "多了一个逗号"),
        ("EOF while parsing", "文件不完整：括号或引号没有闭合"),
        ("expected value", "这里缺少一个值"),
        ("expected `,` or `}`", "缺少逗号或右花括号"),
        ("key must be a string", "项名要用英文双引号括起来"),
        ("control character", "含有控制字符"),
    ];
    match KNOWN.iter().find(|(k, _)| detail.contains(k)) {
        Some((_, zh)) => format!("{zh}（{detail}）"),
        None => detail.to_owned(),
    }
}

/// A JSON document read straight into a [`Node`]. Unlike `serde_json::Value`
/// it refuses a key written twice in one object, as TOML does, instead of
/// silently keeping the last.
struct JsonNode(Node);

impl<'de> serde::Deserialize<'de> for JsonNode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor).map(JsonNode)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonNode(n)) = seq.next_element()? {
            items.push(n);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
            }
            let JsonNode(value) = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Node::Table(entries))
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
