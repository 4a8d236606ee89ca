//! Form specifications: `forms/*.toml`, every printed word of a form and its grid.
//!
//! The files are compiled in, so the binary carries the wording it was built
//! with (a regenerated form is byte-identical only with the same wording).
//! A spec is parsed and checked once, its paragraphs' markup included
//! ([`markup`]); layout only reads it.

mod check;
mod forms;
mod grid;
mod markup;

pub use check::FormError;
pub use forms::{Forms, current, export, stored, use_forms};
pub use grid::{Grid, Placed};
pub use markup::{Inline, parse_markup};

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::fonts::{self, Face};
use crate::record::FormKind;

/// A mistake found while resolving a spec: the text it is in, and what.
type Located = (String, String);

/// A form: page, styles, header paragraphs, the table, footer notes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSpec {
    pub kind: String,
    /// How users, messages and the register call the form.
    pub name: String,
    /// The form's title, also the document title.
    pub title: String,
    pub page: PageSpec,
    pub fonts: BTreeMap<String, FontSpec>,
    pub styles: BTreeMap<String, StyleSpec>,
    pub copies: CopiesSpec,
    /// Record field path → how messages name it (as printed on the form).
    pub labels: BTreeMap<String, String>,
    /// Record field path → the choices it accepts, as printed, with the
    /// other ways people write them.
    #[serde(default)]
    pub choices: BTreeMap<String, Vec<ChoiceSpec>>,
    pub header: Vec<ParaSpec>,
    pub table: TableSpec,
    pub footer: Vec<ParaSpec>,
    /// The text the spec was read from: what a filing stores.
    #[serde(skip)]
    pub source: String,
    /// SHA-256 of `source`, lower-case hex.
    #[serde(skip)]
    pub sha256: String,
}

/// One choice of a field (新媒体类型, 群类型): the value printed beside its
/// checkbox, what else people write for it, and whether choosing it asks for
/// a name on the 其他___ line (`<field>_other`).
///
/// The 其他 choice may also know names that mean itself with that name on
/// the line (`names`: 抖音 is 其他 + 抖音), and other spellings of those
/// names (`spellings`: B站 is 其他 + 哔哩哔哩). Everything is matched
/// ignoring case, spaces and full-width forms ([`fold`]).
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChoiceSpec {
    pub value: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub other: bool,
    /// Only with `other`: names printed on the 其他___ line as written here.
    #[serde(default)]
    pub names: Vec<String>,
    /// Only with `other`: another spelling → the name in `names` it means.
    #[serde(default)]
    pub spellings: BTreeMap<String, String>,
}

impl ChoiceSpec {
    /// Whether `written` is this choice itself (its value or an alias).
    pub fn is(&self, written: &str) -> bool {
        let key = fold(written);
        fold(&self.value) == key || self.aliases.iter().any(|a| fold(a) == key)
    }

    /// The name this choice prints on its 其他___ line for `written`, if
    /// `written` is one of its names or spellings.
    pub fn other_name(&self, written: &str) -> Option<String> {
        let key = fold(written);
        self.names
            .iter()
            .find(|n| fold(n) == key)
            .or_else(|| {
                self.spellings
                    .iter()
                    .find(|(s, _)| fold(s) == key)
                    .map(|(_, n)| n)
            })
            .cloned()
    }
}

/// A written choice as matched: full-width letters, digits and signs as
/// ASCII (「QQ／QQ空间」 is QQ/QQ空间), ASCII lower-case, no spaces.
pub fn fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| match u32::from(c) {
            0xFF01..=0xFF5E => char::from_u32(u32::from(c) - 0xFEE0),
            _ if c.is_whitespace() => None,
            _ => Some(c),
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSpec {
    /// Width, height (mm).
    pub size: [f32; 2],
    /// Top, right, bottom, left (mm).
    pub margin: [f32; 4],
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontSpec {
    /// A file under `fonts/`.
    pub file: String,
    /// The name of the font a Chinese office has (for DOCX).
    pub office: String,
    /// The font a Chinese office sets Latin letters and digits in beside it.
    pub office_latin: String,
    #[serde(default)]
    pub bold: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleSpec {
    pub font: String,
    /// pt
    pub size: f32,
    /// pt: how far a value may shrink to fit its cell.
    pub min_size: Option<f32>,
    /// Line pitch as a multiple of the size.
    pub line_height: f32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopiesSpec {
    pub marks: Vec<String>,
    /// Mark of copies beyond `marks`; `{n}` is the copy's Chinese numeral.
    pub more: String,
    /// The mark of every copy of a draft of a numbered record (`render
    /// --draft` of a filed record), so that it cannot pass for the filed form.
    #[serde(default = "draft_mark")]
    pub draft: String,
}

fn draft_mark() -> String {
    "草稿".to_owned()
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    Left,
    #[default]
    Center,
    Right,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum VAlign {
    Top,
    #[default]
    Middle,
    Bottom,
}

/// A paragraph: a line of `text` in the markup above, or a clear area for a seal.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct ParaSpec {
    #[serde(default)]
    pub text: String,
    pub align: Option<Align>,
    pub style: Option<String>,
    /// First-line indent, in em.
    #[serde(default)]
    pub indent: f32,
    /// Room kept free at the right of each line, in em.
    #[serde(default)]
    pub right: f32,
    #[serde(default)]
    pub space_before: f32,
    #[serde(default)]
    pub space_after: f32,
    /// The most lines the paragraph may take; a value is shrunk (down to the
    /// style's `min_size`) to keep within them, or rejected as too long.
    pub lines: Option<usize>,
    /// A clear area this high (mm) and as wide as the cell, for a seal.
    pub seal: Option<f32>,
    /// `text` parsed, when the spec is loaded.
    #[serde(skip)]
    pub markup: Vec<Inline>,
}

impl ParaSpec {
    /// A paragraph of plain text, printed as is (no markup), e.g. a copy mark.
    pub fn plain(text: String) -> ParaSpec {
        let markup = if text.is_empty() {
            Vec::new()
        } else {
            vec![Inline::Text(text.clone())]
        };
        ParaSpec {
            markup,
            text,
            ..ParaSpec::default()
        }
    }

    /// Parses `text` into `markup`. Errors name the offending text.
    fn parse_markup(&mut self) -> Result<(), Located> {
        self.markup = parse_markup(&self.text).map_err(|e| (self.text.clone(), e))?;
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Column widths (mm), scaled to the text block, for a table whose cells
    /// `span` columns; without them, each cell gives its width `w`.
    pub columns: Option<Vec<f32>>,
    /// Cell padding left/right and top/bottom (mm).
    pub padding: [f32; 2],
    /// Border width (pt).
    pub border: f32,
    pub rows: Vec<RowSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowSpec {
    /// Minimum height (mm).
    pub height: f32,
    /// A row with room to spare (an 意见 row): it takes the page's spare
    /// room and is the first to give it back, never below its content.
    #[serde(default)]
    pub flex: bool,
    pub cells: Vec<CellSpec>,
}

/// A cell, placed at the next free grid slot of its row (slots covered by a
/// cell from a row above are skipped). `text` splits into paragraphs at line
/// breaks; `paras` gives them one by one. Either way they are resolved once,
/// when the spec is loaded ([`CellSpec::paragraphs`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellSpec {
    pub text: Option<String>,
    pub paras: Option<Vec<ParaSpec>>,
    /// Width (mm), for a table given row by row.
    pub w: Option<f32>,
    #[serde(default = "one")]
    pub span: usize,
    #[serde(default = "one")]
    pub rows: usize,
    pub align: Option<Align>,
    pub valign: Option<VAlign>,
    pub style: Option<String>,
    pub lines: Option<usize>,
    /// The cell's paragraphs, resolved when the spec is loaded.
    #[serde(skip)]
    resolved: Vec<ParaSpec>,
}

fn one() -> usize {
    1
}

impl CellSpec {
    /// The cell's paragraphs, cell-level settings applied and markup parsed.
    pub fn paragraphs(&self) -> &[ParaSpec] {
        &self.resolved
    }

    /// Resolves the cell's paragraphs from `text` or `paras`: alignment,
    /// style (a cell's text is in the label style unless it says otherwise)
    /// and, for `text`, the line limit come from the cell; markup is parsed.
    fn resolve(&mut self) -> Result<(), Located> {
        let mut paras = match (&self.paras, &self.text) {
            (Some(p), _) => p.clone(),
            (None, Some(t)) => t
                .trim_matches('\n')
                .split('\n')
                .map(|line| ParaSpec {
                    text: line.to_owned(),
                    ..ParaSpec::default()
                })
                .collect(),
            (None, None) => Vec::new(),
        };
        for p in &mut paras {
            p.align = p.align.or(self.align);
            if p.style.is_none() {
                p.style = Some(self.style.clone().unwrap_or_else(|| "label".to_owned()));
            }
            if p.lines.is_none() && self.lines.is_some() && self.paras.is_none() {
                p.lines = self.lines;
            }
            p.parse_markup()?;
        }
        self.resolved = paras;
        Ok(())
    }
}

impl FormSpec {
    /// The spec of a form in use in this process ([`current`]).
    pub fn get(kind: FormKind) -> &'static FormSpec {
        current().get(kind)
    }

    /// Parses and checks a spec, its paragraphs' markup included.
    pub fn parse(src: &str) -> Result<FormSpec, FormError> {
        let mut spec: FormSpec = toml::from_str(src).map_err(|e| FormError::toml(src, &e))?;
        spec.source = src.to_owned();
        spec.sha256 = crate::registry::sha256_hex(src);
        spec.resolve()
            .map_err(|(needle, message)| FormError::at(src, &needle, message))?;
        spec.check()?;
        Ok(spec)
    }

    /// Parses every paragraph's markup and resolves the cells' paragraphs.
    fn resolve(&mut self) -> Result<(), Located> {
        for p in self.header.iter_mut().chain(&mut self.footer) {
            p.parse_markup()?;
        }
        for cell in self.table.rows.iter_mut().flat_map(|r| &mut r.cells) {
            cell.resolve()?;
        }
        Ok(())
    }

    /// The font face and office name of a style.
    pub fn face(&self, style: &StyleSpec) -> &'static Face {
        // `check` made sure both exist.
        self.fonts
            .get(&style.font)
            .and_then(|f| fonts::face(&f.file))
            .unwrap_or_else(fonts::body)
    }

    /// A style by name; `check` made sure names in the spec exist.
    pub fn style(&self, name: &str) -> &StyleSpec {
        self.styles
            .get(name)
            .or_else(|| self.styles.get("body"))
            .unwrap_or_else(|| unreachable!("checked: body style exists"))
    }

    /// The choices of a record field (empty for a free-text field).
    pub fn choices(&self, path: &str) -> &[ChoiceSpec] {
        self.choices.get(path).map_or(&[], Vec::as_slice)
    }

    /// What a value written for a choice field means: the choice, and for a
    /// name the 其他 choice knows, the name printed on its line.
    pub fn resolve_choice(
        &self,
        path: &str,
        written: &str,
    ) -> Option<(&ChoiceSpec, Option<String>)> {
        let choices = self.choices(path);
        choices
            .iter()
            .find(|c| c.is(written))
            .map(|c| (c, None))
            .or_else(|| {
                choices
                    .iter()
                    .filter(|c| c.other)
                    .find_map(|c| c.other_name(written).map(|n| (c, Some(n))))
            })
    }

    /// How messages name a record field on this form.
    pub fn label(&self, path: &str) -> &str {
        self.labels.get(path).map_or("", String::as_str)
    }

    /// Every paragraph of the form: header, table cells in reading order, footer.
    fn paragraphs(&self) -> impl Iterator<Item = &ParaSpec> {
        let cells = self
            .table
            .rows
            .iter()
            .flat_map(|r| &r.cells)
            .flat_map(CellSpec::paragraphs);
        self.header.iter().chain(cells).chain(&self.footer)
    }

    /// Every field a paragraph of the form shows.
    pub fn fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in self.paragraphs() {
            for inline in &p.markup {
                match inline {
                    Inline::Field(f)
                    | Inline::Check { field: f, .. }
                    | Inline::Blank { field: Some(f), .. }
                        if !out.contains(f) =>
                    {
                        out.push(f.clone())
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// The mark of copy `n` (1-based) out of `total`; none for a single copy.
    pub fn copy_mark(&self, n: usize, total: usize) -> Option<String> {
        if total < 2 {
            return None;
        }
        Some(match self.copies.marks.get(n - 1) {
            Some(m) => m.clone(),
            None => self.copies.more.replace("{n}", &chinese_numeral(n)),
        })
    }
}

/// 一 … 九十九, for copy marks.
fn chinese_numeral(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    // Only ever asked for 0 to 9: n below 10, n % 10, and n / 10 below 100.
    let digit = |d: usize| DIGITS.get(d).copied().unwrap_or_default();
    // 二十, not 二十零.
    let ones = |n: usize| {
        if n.is_multiple_of(10) {
            ""
        } else {
            digit(n % 10)
        }
    };
    match n {
        0..=9 => digit(n).to_owned(),
        10..=19 => format!("十{}", ones(n)),
        20..=99 => format!("{}十{}", digit(n / 10), ones(n)),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = include_str!("../../forms/account.toml");

    #[test]
    fn both_forms_parse_and_match_their_kind() {
        for kind in FormKind::ALL {
            assert_eq!(FormSpec::get(kind).kind, kind.key());
        }
    }

    #[test]
    fn every_field_a_form_shows_is_a_record_field_with_a_label() {
        use crate::record::{Node, Syntax};
        for (kind, example) in [
            (
                FormKind::Account,
                include_str!("../../examples/account.toml"),
            ),
            (FormKind::Group, include_str!("../../examples/group.toml")),
        ] {
            let node = Node::parse(example, Syntax::Toml).expect("example parses");
            let record = crate::record::validate::check(&node)
                .record
                .expect("example is valid");
            let spec = FormSpec::get(kind);
            let fields = spec.fields();
            assert!(fields.len() > 15, "{fields:?}");
            for f in fields {
                let stamp = crate::record::Stamp::default();
                assert!(
                    record.field(&f).or_else(|| stamp.field(&f)).is_some(),
                    "{kind:?}: unknown field {f}"
                );
                assert!(!spec.label(&f).is_empty(), "{kind:?}: no label for {f}");
            }
        }
    }

    #[test]
    fn markup_is_parsed_when_the_form_loads() {
        let spec = FormSpec::get(FormKind::Account);
        let cells: Vec<&ParaSpec> = spec
            .table
            .rows
            .iter()
            .flat_map(|r| &r.cells)
            .flat_map(CellSpec::paragraphs)
            .collect();
        // A cell's text is in the label style unless it says otherwise.
        assert!(cells.iter().all(|p| p.style.is_some()));
        for p in spec.header.iter().chain(cells).chain(&spec.footer) {
            assert_eq!(p.markup, parse_markup(&p.text).expect("markup"), "{p:?}");
        }
        // A mistake in the markup is found when the form loads.
        let broken = ACCOUNT.replace("\"{account.name}\"", "\"{account.name\"");
        assert_ne!(broken, ACCOUNT);
        let err = FormSpec::parse(&broken).expect_err("unclosed placeholder");
        assert!(err.message.contains("没有配对"), "{err}");
        assert!(err.line.is_some(), "{err}");
    }

    #[test]
    fn a_checkbox_must_be_one_of_the_choices() {
        let edited = ACCOUNT.replace("account.platform=微博}", "account.platform=抖音}");
        let err = FormSpec::parse(&edited).expect_err("抖音 is no choice");
        assert!(err.message.contains("抖音"), "{err}");
        assert!(err.line.is_some(), "{err}");
        // A new alias, or a new name for 其他, is one edit of the form file.
        let aliased = ACCOUNT
            .replace(
                "aliases = [\"weibo\", ",
                "aliases = [\"weibo\", \"微博账号\", ",
            )
            .replace("names = [\"抖音\", ", "names = [\"抖音\", \"西瓜视频\", ");
        let spec = FormSpec::parse(&aliased).expect("parses");
        let resolved = |w: &str| {
            spec.resolve_choice("account.platform", w)
                .map(|(c, name)| (c.value.clone(), name))
        };
        assert_eq!(resolved("微博账号"), Some(("微博".into(), None)));
        assert_eq!(
            resolved("西瓜视频"),
            Some(("其他".into(), Some("西瓜视频".into())))
        );
    }

    #[test]
    fn choices_resolve_names_spellings_and_full_width() {
        let spec = FormSpec::get(FormKind::Account);
        let resolved = |w: &str| {
            spec.resolve_choice("account.platform", w)
                .map(|(c, name)| (c.value.clone(), name))
        };
        assert_eq!(resolved("ＱＱ／ＱＱ空间"), Some(("QQ/QQ空间".into(), None)));
        assert_eq!(resolved("订阅号"), Some(("微信".into(), None)));
        assert_eq!(
            resolved("b站"),
            Some(("其他".into(), Some("哔哩哔哩".into())))
        );
        assert_eq!(resolved("抖音"), Some(("其他".into(), Some("抖音".into()))));
        assert_eq!(resolved("微信群"), None);
        let group = FormSpec::get(FormKind::Group);
        let (c, name) = group
            .resolve_choice("group.type", "微信群")
            .expect("微信群");
        assert_eq!(
            (c.value.as_str(), name.as_deref()),
            ("其他", Some("微信群"))
        );
    }

    #[test]
    fn mistakes_in_the_choices_are_found_with_their_line() {
        for (from, to, expected) in [
            (
                "\"B站\" = \"哔哩哔哩\"",
                "\"B站\" = \"哔哩\"",
                "names 中没有「哔哩」",
            ),
            (
                "aliases = [\"toutiao\", ",
                "aliases = [\"toutiao\", \"QQ空间\", ",
                "「QQ空间」写了不止一次",
            ),
            (
                "aliases = [\"toutiao\", ",
                "aliases = [\"toutiao\", \"Ｂ 站\", ",
                "「B站」写了不止一次",
            ),
            (
                "aliases = [\"app\", \"客户端\", \"移动客户端\"]",
                "aliases = [\"app\"]\nnames = [\"小程序\"]",
                "不是「其他」",
            ),
        ] {
            let edited = ACCOUNT.replace(from, to);
            assert_ne!(edited, ACCOUNT, "{from}");
            let err = FormSpec::parse(&edited).expect_err(from);
            assert!(err.message.contains(expected), "{err}");
            assert!(err.line.is_some(), "{err}");
        }
    }

    #[test]
    fn sizes_that_make_no_page_are_form_errors_with_their_line() {
        for (from, to, says) in [
            ("size = [210.0, 297.0]", "size = [0.0, 0.0]", "纸张大小"),
            (
                "size = 10.5, min_size = 7.5",
                "size = 10.5, min_size = 12.0",
                "min_size",
            ),
            ("size = 16,", "size = 1e9,", "字号"),
            ("padding = [1.5, 1.0]", "padding = [nan, 1.0]", "padding"),
            ("kind = \"account\"", "kind = \"accountX\"", "kind"),
        ] {
            let edited = ACCOUNT.replacen(from, to, 1);
            assert_ne!(edited, ACCOUNT, "{from}");
            let err = FormSpec::parse(&edited).expect_err(to);
            assert!(err.message.contains(says), "{to}: {err}");
            assert!(err.line.is_some(), "{to}: {err}");
        }
    }

    #[test]
    fn copy_marks() {
        let spec = FormSpec::get(FormKind::Group);
        assert_eq!(spec.copy_mark(1, 1), None);
        assert_eq!(spec.copy_mark(2, 2).as_deref(), Some("第二联 负责人留存"));
        assert_eq!(spec.copy_mark(3, 3).as_deref(), Some("第三联"));
        assert_eq!(chinese_numeral(12), "十二");
    }
}
