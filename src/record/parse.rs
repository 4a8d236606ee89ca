//! Reading a record document: TOML or JSON text into a neutral [`Node`] tree,
//! with syntax errors placed and explained in Chinese.

use chrono::NaiveDate;

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

/// How many syntax errors of one file are listed: enough for a secretary's
/// worst file, few enough to read.
const MAX_SYNTAX_ERRORS: usize = 20;

impl Node {
    /// Parses a record document.
    pub fn parse(text: &str, syntax: Syntax) -> Result<Node, SyntaxError> {
        Node::parse_all(text, syntax).map_err(|mut all| all.swap_remove(0))
    }

    /// Parses a record document; on failure, every syntax error of a TOML
    /// file, not only the first: after each, its line is set aside and the
    /// rest parsed again (a secretary with nine unquoted values should not
    /// need nine runs). Never empty on failure.
    pub fn parse_all(text: &str, syntax: Syntax) -> Result<Node, Vec<SyntaxError>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Old Mac line ends (CR alone): read as line ends, not refused.
        let normalized;
        let text = match text.contains('\r') && !text.contains('\n') {
            true => {
                normalized = text.replace('\r', "\n");
                normalized.as_str()
            }
            false => text,
        };
        let first = text.trim_start().chars().next();
        let whole = |message: &str| {
            vec![SyntaxError {
                line: 1,
                column: 1,
                message: message.to_owned(),
            }]
        };
        match syntax {
            Syntax::Toml if first == Some('{') => Err(whole(
                "这是 JSON 格式的记录，文件名却以 .toml 结尾：请把文件改名为 .json",
            )),
            Syntax::Toml => {
                let mut errors: Vec<SyntaxError> = Vec::new();
                let mut lines: Vec<&str> = text.split('\n').collect();
                let mut current = text.to_owned();
                loop {
                    match toml::from_str::<toml::Table>(&current) {
                        Ok(table) if errors.is_empty() => {
                            return Ok(Node::from_toml(toml::Value::Table(table)));
                        }
                        Ok(_) => {
                            errors.sort_by_key(|e| (e.line, e.column));
                            return Err(errors);
                        }
                        Err(e) => {
                            let (line, column) = e
                                .span()
                                .map(|s| line_col(&current, s.start))
                                .unwrap_or((1, 1));
                            let written = lines.get(line - 1).copied().unwrap_or_default();
                            let detail = e.message().trim();
                            let message = line_hint(written)
                                .or_else(|| unquoted_text(written))
                                .or_else(|| twice(written, detail))
                                .unwrap_or_else(|| explain(detail));
                            let repeated = errors.last().is_some_and(|l| l.line == line);
                            if !repeated {
                                errors.push(SyntaxError {
                                    line,
                                    column,
                                    message,
                                });
                            }
                            // Set the line aside and go on; stop where that
                            // cannot help (the same line again, an error past
                            // the end) or the list is long enough.
                            let stop = match lines.get(line - 1) {
                                None => true,
                                Some(l) => {
                                    repeated || l.is_empty() || errors.len() >= MAX_SYNTAX_ERRORS
                                }
                            };
                            if stop {
                                errors.sort_by_key(|e| (e.line, e.column));
                                if errors.len() >= MAX_SYNTAX_ERRORS
                                    && let Some(last) = errors.last_mut()
                                {
                                    last.message.push_str(
                                        "（后面还有格式错误没有列出：请先改正以上各处，再检查一次）",
                                    );
                                }
                                return Err(errors);
                            }
                            let Some(slot) = lines.get_mut(line - 1) else {
                                return Err(errors);
                            };
                            *slot = "";
                            current = lines.join("\n");
                        }
                    }
                }
            }
            Syntax::Json => {
                let value: JsonNode = serde_json::from_str(text).map_err(|e| {
                    let detail = e.to_string();
                    // serde_json appends " at line L column C"; we say where already.
                    let detail = detail.split(" at line ").next().unwrap_or(&detail);
                    let line = e.line().max(1);
                    let written = text.lines().nth(line - 1).unwrap_or_default().trim();
                    let message = if !matches!(first, Some('{' | '[')) && text.contains('=') {
                        "这是 TOML 格式的记录，文件名却以 .json 结尾：请把文件改名为 .toml"
                            .to_owned()
                    } else if written.starts_with("//") || written.starts_with("/*") {
                        "JSON 中不能写注释（// 或 /* */）：请删去注释".to_owned()
                    } else if let Some(key) = detail
                        .strip_prefix("duplicate key `")
                        .and_then(|k| k.strip_suffix('`'))
                    {
                        let key: String = key.chars().take(40).collect();
                        format!("「{key}」写了两次：请删去多余的一项")
                    } else {
                        explain(detail)
                    };
                    vec![SyntaxError {
                        line,
                        column: e.column().max(1),
                        message,
                    }]
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
}

/// The commonest TOML mistakes, on the line the parser stopped at: a text
/// value without quotes (a phone number like 0553-5971011 even parses as a
/// bad date), or in Chinese quotes (“…”, 「…」, ‘…’), or a date or a yes/no
/// written as people write them (2019.9.1, 是) without quotes. Says so,
/// naming the key and showing the line as it should be.
fn unquoted_text(line: &str) -> Option<String> {
    let (key, value) = line.split_once('=')?;
    let (key, value) = (
        key.trim(),
        value.split('#').next().unwrap_or_default().trim(),
    );
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if !plain || value.is_empty() || value.starts_with(['"', '\'', '[', '{']) {
        return None;
    }
    const CHINESE_QUOTES: &[char] = &['“', '”', '「', '」', '‘', '’', '『', '』', '＂', '＇'];
    if value.starts_with(CHINESE_QUOTES) {
        let inner = value.trim_matches(CHINESE_QUOTES);
        return Some(format!(
            "{key} 的值用了中文引号，要改用英文双引号：{key} = \"{inner}\""
        ));
    }
    match key {
        "opened" => {
            // 2019-09-01 needs no quotes; a date TOML cannot read is text.
            let iso = value.len() == 10
                && value
                    .char_indices()
                    .all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
            (!iso).then(|| {
                format!(
                    "{key} 的日期写成 2019-09-01 可以不加引号；其他写法要用英文双引号括起来：{key} = \"{value}\""
                )
            })
        }
        "verified" | "interactive" | "interactive_reviewed" => {
            (!matches!(value, "true" | "false")).then(|| {
                format!(
                    "{key} 的值写 true 或 false；写「是」「否」等文字时要用英文双引号括起来：{key} = \"{value}\""
                )
            })
        }
        "filed_at" => None,
        _ => Some(format!(
            "{key} 的值是文字，要用英文双引号括起来：{key} = \"{value}\""
        )),
    }
}

/// What is wrong with a line, for the mistakes people make typing TOML on
/// a Chinese keyboard: a full-width 「＝」, a section in 【】 or ［］, a key
/// in Chinese, a line ending in a comma.
fn line_hint(line: &str) -> Option<String> {
    let trimmed = line.trim();
    let shown: String = trimmed.chars().take(40).collect();
    if trimmed.starts_with(['【', '［', '〔']) {
        let name: String = trimmed
            .trim_matches(['【', '】', '［', '］', '〔', '〕', '[', ']'])
            .chars()
            .take(40)
            .collect();
        return Some(format!("节名要用英文方括号：[{name}]，而不是「{shown}」"));
    }
    let key = trimmed.split(['=', '＝']).next().unwrap_or_default().trim();
    if trimmed.contains('＝') && !trimmed.contains('=') {
        return Some(format!(
            "等号用了中文全角「＝」，要改为英文 =：{}",
            trimmed
                .replacen('＝', "=", 1)
                .chars()
                .take(60)
                .collect::<String>()
        ));
    }
    if !key.is_empty()
        && !key.starts_with(['[', '#', '"', '\''])
        && !key.is_ascii()
        && trimmed.contains(['=', '＝'])
    {
        let key: String = key.chars().take(20).collect();
        return Some(format!(
            "项名「{key}」要用英文写，例如 name、mobile、email（见 beian init account 或 beian init group 给出的模板）"
        ));
    }
    if trimmed.ends_with([',', '，', '、', '；', ';']) && trimmed.contains('=') {
        return Some("行末多了标点：每行只写一项 key = value，行末不加逗号或分号".to_owned());
    }
    None
}

/// A key or a section written twice, named.
fn twice(line: &str, detail: &str) -> Option<String> {
    if !detail.contains("duplicate key") {
        return None;
    }
    let line = line.trim();
    let name: String = match line.starts_with('[') {
        true => line
            .trim_matches(['[', ']'])
            .trim()
            .chars()
            .take(40)
            .collect(),
        false => line.split('=').next()?.trim().chars().take(40).collect(),
    };
    Some(match line.starts_with('[') {
        true => format!("[{name}] 这一节写了两次：同一节的各项请写在一处"),
        false => format!("「{name}」写了两次：请删去多余的一行"),
    })
}

/// A parser's message in Chinese.
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
        (
            "unclosed table",
            "节名缺少右方括号「]」：应写成 [account] 这样",
        ),
        ("unclosed array", "列表缺少右方括号「]」"),
        ("unclosed inline table", "缺少右花括号「}」"),
        (
            "invalid unquoted key",
            "项名只能用英文字母、数字、- 和 _，例如 name = \"…\"",
        ),
        (
            "unexpected key or value",
            "这一行多出了内容：每行只写一项 key = value",
        ),
        (
            "invalid boolean",
            "是/否写 true 或 false，或用英文双引号括起来的「是」「否」",
        ),
        ("recursion limit", "嵌套太深：记录只有一层节，如 [account]"),
        (
            "carriage return",
            "换行符不完整（单独的回车）：请用记事本另存为后再试",
        ),
        (
            "lone leading surrogate",
            "文字中有半个字符：\\u 转义的代理项不成对（\\uD800 到 \\uDFFF 要两个连用）",
        ),
        (
            "lone surrogate",
            "文字中有半个字符：\\u 转义的代理项不成对（\\uD800 到 \\uDFFF 要两个连用）",
        ),
        (
            "hex escape",
            "\\u 转义不完整：\\u 后面要紧跟 4 位十六进制数字（如 \\u4E2D）；\\uD800 到 \\uDBFF 之后还要紧跟一个 \\uDC00 到 \\uDFFF（两个合成一个字）",
        ),
        (
            "invalid escape",
            "反斜杠 \\ 的写法不对：只能写 \\n、\\t、\\\"、\\\\ 或 \\u 加 4 位十六进制数字；要写反斜杠本身，请连写两个",
        ),
        (
            "invalid number",
            "数字写法有误；电话、群号等请用英文双引号括起来",
        ),
        ("invalid type", "类型不对"),
        ("expected ident", "这里应是 true、false 或 null"),
        ("trailing characters", "记录结束后还有多余的内容"),
        ("invalid unicode code point", "文字中有无效的 \\u 转义"),
        ("expected", "格式不对"),
    ];
    // Chinese only: the parser's English words help no secretary.
    match KNOWN.iter().find(|(k, _)| detail.contains(k)) {
        Some((_, zh)) => (*zh).to_owned(),
        None => "无法识别这里的写法".to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        Node::parse(text, Syntax::Toml).expect_err(text).message
    }

    #[test]
    fn hints_show_the_line_as_it_should_be() {
        for (line, hint) in [
            ("unit = “经济管理系”", "unit = \"经济管理系\""),
            ("unit = 「经济管理系」", "unit = \"经济管理系\""),
            ("unit = ‘经济管理系’", "unit = \"经济管理系\""),
            ("unit = 经济管理系", "unit = \"经济管理系\""),
            ("opened = 2019.9.1", "opened = \"2019.9.1\""),
            ("opened = 2019/9/1", "opened = \"2019/9/1\""),
            ("opened = 2019-9-1", "opened = \"2019-9-1\""),
            ("opened = 2019年9月", "opened = \"2019年9月\""),
            ("verified = 是", "verified = \"是\""),
        ] {
            let got = message(&format!("form = \"account\"\n{line}\n"));
            assert!(got.contains(hint), "{line}: {got}");
            assert!(
                !got.contains("\"“") && !got.contains("\"「"),
                "{line}: {got}"
            );
        }
        // A well-formed date that does not exist is not a quoting problem.
        let got = message("opened = 2025-02-30\n");
        assert!(got.contains("日期无效"), "{got}");
    }
}
