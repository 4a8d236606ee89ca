//! The markup of a form paragraph: `{field}`, `{☐ field=value}`, `{___ field}`, `{→}`.

/// A piece of a paragraph's markup.
#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    /// Printed as is.
    Text(String),
    /// A record field's value.
    Field(String),
    /// A checkbox ticked when `field` has the value `when`.
    Check { field: String, when: String },
    /// A blank line of `width` underscores with `field`'s value on it.
    Blank { field: Option<String>, width: usize },
    /// `{→}`: what follows goes to the right edge of the line.
    Fill,
}

impl Inline {
    /// The record field whose value this piece prints as text, if any
    /// (a checkbox shows its field's value only as a tick).
    pub fn value_field(&self) -> Option<&str> {
        match self {
            Inline::Field(f) | Inline::Blank { field: Some(f), .. } => Some(f),
            _ => None,
        }
    }
}

/// Parses a paragraph's markup. Errors name the offending text.
pub fn parse_markup(text: &str) -> Result<Vec<Inline>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Inline::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("「{text}」中的 {{ 没有配对的 }}"))?;
        let inner = after[..close].trim();
        out.push(parse_placeholder(inner).ok_or_else(|| {
            format!(
                "{{{inner}}} 不是可用的占位符（可用：{{字段}}、{{☐ 字段=值}}、{{___ 字段}}、{{→}}）"
            )
        })?);
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Inline::Text(rest.to_owned()));
    }
    Ok(out)
}

fn parse_placeholder(inner: &str) -> Option<Inline> {
    if inner == "→" {
        return Some(Inline::Fill);
    }
    let is_path = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
    };
    if let Some(rest) = inner.strip_prefix('☐') {
        let (field, when) = rest.trim().split_once('=')?;
        let field = field.trim();
        return is_path(field).then(|| Inline::Check {
            field: field.to_owned(),
            when: when.trim().to_owned(),
        });
    }
    if inner.starts_with('_') {
        let width = inner.chars().take_while(|&c| c == '_').count();
        let field = inner.trim_start_matches('_').trim();
        return match field {
            "" => Some(Inline::Blank { field: None, width }),
            f if is_path(f) => Some(Inline::Blank {
                field: Some(f.to_owned()),
                width,
            }),
            _ => None,
        };
    }
    is_path(inner).then(|| Inline::Field(inner.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup() {
        assert_eq!(
            parse_markup("{☐ account.platform=其他} 其他{___ account.platform_other}").unwrap(),
            vec![
                Inline::Check {
                    field: "account.platform".into(),
                    when: "其他".into()
                },
                Inline::Text(" 其他".into()),
                Inline::Blank {
                    field: Some("account.platform_other".into()),
                    width: 3
                },
            ]
        );
        assert!(parse_markup("{oops").is_err());
        assert!(parse_markup("{Not A Field}").is_err());
    }
}
