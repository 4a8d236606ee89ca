//! What serde cannot check in a form file, said in Chinese with the line it
//! is on: unknown fields, styles and fonts, checkboxes that are no choice,
//! a grid whose spans do not add up.

use std::fmt;

use super::{FormSpec, Inline};
use crate::fonts;
use crate::record::FIELDS;

/// A mistake in a form file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    /// 1-based, where it could be found.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "第 {line} 行：{}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl FormError {
    /// A mistake about `needle`, placed on the first line of `source` that
    /// mentions it.
    pub fn at(source: &str, needle: &str, message: String) -> FormError {
        let line = (!needle.is_empty())
            .then(|| source.lines().position(|l| l.contains(needle)))
            .flatten()
            .map(|i| i + 1);
        FormError { line, message }
    }

    /// A syntax or type error of the TOML itself.
    pub fn toml(source: &str, e: &toml::de::Error) -> FormError {
        let line = e.span().map(|s| {
            source
                .get(..s.start)
                .unwrap_or(source)
                .matches('\n')
                .count()
                + 1
        });
        let detail = e.message().trim();
        let message = match detail.strip_prefix("unknown field ") {
            Some(rest) => format!("不认识的项 {}", rest.split(',').next().unwrap_or(rest)),
            None if detail.starts_with("missing field") => {
                format!(
                    "缺少必需的项 {}",
                    detail.trim_start_matches("missing field ")
                )
            }
            None => format!("格式错误（{detail}）"),
        };
        FormError { line, message }
    }
}

impl FormSpec {
    /// Checks references between the parts of a parsed spec.
    pub(super) fn check(&self) -> Result<(), FormError> {
        let src = self.source.as_str();
        let at = |needle: &str, message: String| Err(FormError::at(src, needle, message));
        if crate::record::FormKind::from_key(&self.kind).is_none() {
            return at(
                "kind",
                format!(
                    "kind = \"{}\" 不是可用的表格类型：account 或 group",
                    self.kind
                ),
            );
        }
        self.check_geometry()?;
        for (name, f) in &self.fonts {
            if fonts::face(&f.file).is_none() {
                let shipped: Vec<&str> = fonts::shipped().iter().map(|f| f.file).collect();
                return at(
                    &f.file,
                    format!(
                        "字体 {name} 的文件「{}」不是 beian 附带的字体（可用：{}）",
                        f.file,
                        shipped.join("、")
                    ),
                );
            }
        }
        for (name, s) in &self.styles {
            if !self.fonts.contains_key(&s.font) {
                return at(
                    &format!("\"{}\"", s.font),
                    format!("样式 {name} 用了没有定义的字体「{}」", s.font),
                );
            }
        }
        for required in ["body", "label", "value", "mark"] {
            if !self.styles.contains_key(required) {
                return at("[styles]", format!("[styles] 缺少样式 {required}"));
            }
        }
        for p in self.paragraphs() {
            if let Some(style) = &p.style
                && !self.styles.contains_key(style)
            {
                return at(
                    &format!("\"{style}\""),
                    format!("没有定义的样式「{style}」"),
                );
            }
            for inline in &p.markup {
                let field = match inline {
                    Inline::Field(f) | Inline::Check { field: f, .. } => f.as_str(),
                    Inline::Blank { field: Some(f), .. } => f.as_str(),
                    _ => continue,
                };
                if !FIELDS.contains(&field) {
                    return at(
                        &format!("{field}}}"),
                        format!("「{field}」不是记录中的项；可以引用：{}", FIELDS.join("、")),
                    );
                }
                if self.label(field).is_empty() {
                    return at(
                        field,
                        format!("表格中印有「{field}」，但 [labels] 中没有写它的名称"),
                    );
                }
                if let Inline::Check { field, when } = inline {
                    // A yes/no field prints 是 or 否; any other box is a choice.
                    let choices = self.choices(field);
                    let known = match choices {
                        [] => matches!(when.as_str(), "是" | "否"),
                        _ => choices.iter().any(|c| &c.value == when),
                    };
                    if !known {
                        let allowed: Vec<&str> = match choices {
                            [] => vec!["是", "否"],
                            _ => choices.iter().map(|c| c.value.as_str()).collect(),
                        };
                        return at(
                            &format!("{field}={when}"),
                            format!(
                                "勾选框 {{☐ {field}={when}}} 的「{when}」不是 {field} 的可选项（可选：{}）",
                                allowed.join("、")
                            ),
                        );
                    }
                }
            }
        }
        self.check_choices()?;
        self.check_grid()
    }

    /// Every field's choices: a written form means one choice only, names
    /// and spellings belong to the 其他 choice, a spelling names a name.
    fn check_choices(&self) -> Result<(), FormError> {
        let src = self.source.as_str();
        let at = |needle: &str, message: String| Err(FormError::at(src, needle, message));
        for (field, choices) in &self.choices {
            if !FIELDS.contains(&field.as_str()) {
                return at(
                    &format!("\"{field}\""),
                    format!("[choices] 中的「{field}」不是记录中的项"),
                );
            }
            if choices.iter().filter(|c| c.other).count() > 1 {
                return at(
                    "other = true",
                    format!("{field} 有不止一个 other = true 的可选项；只能有一个「其他」"),
                );
            }
            // Every way to write a choice, folded, with the choice it means.
            let mut seen: Vec<(String, &str, &str)> = Vec::new();
            for c in choices {
                if !c.other && (!c.names.is_empty() || !c.spellings.is_empty()) {
                    return at(
                        &format!("\"{}\"", c.value),
                        format!(
                            "{field} 的可选项「{}」不是「其他」（没有 other = true），不能有 names 或 spellings",
                            c.value
                        ),
                    );
                }
                for (spelling, name) in &c.spellings {
                    if !c.names.contains(name) {
                        return at(
                            &format!("\"{spelling}\""),
                            format!(
                                "{field} 的 spellings 把「{spelling}」指向「{name}」，但 names 中没有「{name}」；请把「{name}」加进 names"
                            ),
                        );
                    }
                }
                let written = std::iter::once(&c.value)
                    .chain(&c.aliases)
                    .chain(&c.names)
                    .chain(c.spellings.keys());
                for w in written {
                    let key = super::fold(w);
                    if let Some((_, first, choice)) = seen.iter().find(|(k, _, _)| *k == key) {
                        return at(
                            &format!("\"{w}\""),
                            format!(
                                "{field} 的可选项中「{w}」写了不止一次（已作为「{first}」属于「{choice}」）；同一种写法只能指向一个选项"
                            ),
                        );
                    }
                    seen.push((key, w, &c.value));
                }
            }
        }
        Ok(())
    }

    /// Sizes that make a page: finite, positive, room left for text.
    fn check_geometry(&self) -> Result<(), FormError> {
        let src = self.source.as_str();
        let at = |needle: &str, message: String| Err(FormError::at(src, needle, message));
        let sane = |v: f32, lo: f32, hi: f32| v.is_finite() && v >= lo && v <= hi;
        let [w, h] = self.page.size;
        if !sane(w, 50.0, 1000.0) || !sane(h, 50.0, 1000.0) {
            return at(
                "size",
                format!("纸张大小 [{w}, {h}] 不合理：宽、高应在 50 到 1000 毫米之间"),
            );
        }
        let [top, right, bottom, left] = self.page.margin;
        if self.page.margin.iter().any(|m| !sane(*m, 0.0, 200.0))
            || left + right > w - 50.0
            || top + bottom > h - 50.0
        {
            return at(
                "margin",
                "页边距不合理：应为 0 到 200 毫米，并给文字留出至少 50 毫米".into(),
            );
        }
        for (name, style) in &self.styles {
            if !sane(style.size, 4.0, 72.0) || !sane(style.line_height, 0.8, 4.0) {
                return at(
                    &format!("{name} ="),
                    format!(
                        "样式 {name} 的字号应在 4 到 72 磅之间，行距（line_height）在 0.8 到 4 之间"
                    ),
                );
            }
            if let Some(min) = style.min_size
                && !(sane(min, 4.0, 72.0) && min <= style.size)
            {
                return at(
                    &format!("{name} ="),
                    format!("样式 {name} 的最小字号 min_size 应在 4 磅与其字号 size 之间"),
                );
            }
        }
        let [pad_x, pad_y] = self.table.padding;
        if !sane(pad_x, 0.0, 20.0) || !sane(pad_y, 0.0, 20.0) || !sane(self.table.border, 0.0, 5.0)
        {
            return at(
                "padding",
                "表格的 padding 应在 0 到 20 毫米之间，border 在 0 到 5 磅之间".into(),
            );
        }
        for (r, row) in self.table.rows.iter().enumerate() {
            let bad_cell = row
                .cells
                .iter()
                .any(|c| c.w.is_some_and(|w| !sane(w, 1.0, 1000.0)));
            if !sane(row.height, 0.0, 1000.0) || bad_cell {
                return Err(FormError {
                    line: row_line(src, r),
                    message: format!("表格第 {} 行的高度或宽度不合理（应为正的毫米数）", r + 1),
                });
            }
        }
        if let Some(columns) = &self.table.columns
            && columns.iter().any(|c| !sane(*c, 0.1, 1000.0))
        {
            return at("columns", "表格的列宽 columns 应为正的毫米数".into());
        }
        for p in self.paragraphs() {
            let ems = [p.indent, p.right, p.space_before, p.space_after];
            if ems.iter().any(|v| !sane(*v, 0.0, 100.0))
                || p.seal.is_some_and(|s| !sane(s, 0.0, 300.0))
            {
                return at(&p.text, "段落的缩进、段前段后或盖章区大小不合理".into());
            }
        }
        Ok(())
    }

    /// The table's grid resolves: every row fills the table's width.
    fn check_grid(&self) -> Result<(), FormError> {
        match self.table.grid() {
            Ok(_) => Ok(()),
            Err((r, message)) => Err(FormError {
                line: row_line(&self.source, r),
                message,
            }),
        }
    }
}

/// The line of the `r`-th (0-based) `[[table.rows]]` of a form file.
fn row_line(src: &str, r: usize) -> Option<usize> {
    src.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[table.rows]]"))
        .nth(r)
        .map(|(i, _)| i + 1)
}
