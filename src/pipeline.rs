//! The stages in order, for one record: read → parse → validate → lay out →
//! render. Every stage before writing can reject the record; a command
//! writes nothing until all its records have passed them (then only an I/O
//! failure can stop it part way, and it says what was done).

use crate::batch::{Entry, Origin};
use crate::error::Error;
use crate::io::Source;
use crate::layout::{self, Layout, LayoutOptions};
use crate::record::validate::{self, Medium, overflow_violation};
use crate::record::{Node, Record, Stamp, Syntax};

/// A record that passed every check, with its layout (under the stamp the
/// record carries, if any) while the batch is small enough to keep them all.
pub struct Prepared {
    pub origin: Origin,
    pub record: Record,
    pub stamp: Stamp,
    /// `None` once dropped (see [`Prepared::forget_layout`]): laid out again
    /// when rendered.
    pub layout: Option<Layout>,
    /// The options it was laid out with, and is laid out again with.
    pub options: LayoutOptions,
}

impl Prepared {
    /// Drops the layout: a layout is about 110 KB and takes well under a
    /// millisecond to make again, so a roster of a thousand rows keeps its
    /// records, not their layouts.
    pub fn forget_layout(&mut self) {
        self.layout = None;
    }

    /// The record's layout under its own stamp: the kept one, or made again.
    pub fn layout(&self) -> Result<std::borrow::Cow<'_, Layout>, Error> {
        match &self.layout {
            Some(layout) => Ok(std::borrow::Cow::Borrowed(layout)),
            None => layout::build(&self.record, &self.stamp, self.options)
                .map(std::borrow::Cow::Owned)
                .map_err(|overflows| Error::Rejected {
                    source: self.origin.name(),
                    violations: overflows
                        .iter()
                        .map(|o| overflow_violation(self.record.form, o))
                        .collect(),
                }),
        }
    }
}

/// Parses, validates and lays out one record's text. All problems, from
/// validation and from fitting values into the form, are reported together.
pub fn prepare_text(
    source: &Source,
    text: &str,
    syntax: Option<Syntax>,
    options: LayoutOptions,
) -> Result<(Record, Layout), Error> {
    prepare_stamped(source, text, syntax, options).map(|(record, _, layout)| (record, layout))
}

/// [`prepare_text`], also giving the stamp the record carries.
pub fn prepare_stamped(
    source: &Source,
    text: &str,
    syntax: Option<Syntax>,
    options: LayoutOptions,
) -> Result<(Record, Stamp, Layout), Error> {
    let node = parse(&source.name(), text, source.syntax(syntax, text), 0)?;
    prepare_node(&source.name(), &node, Medium::File, options)
}

/// Parses a record's text; `line_offset` places a syntax error in the file
/// the text is a part of (a line of JSON Lines).
fn parse(name: &str, text: &str, syntax: Syntax, line_offset: usize) -> Result<Node, Error> {
    Node::parse_all(text, syntax).map_err(|mut errors| match errors.len() {
        1 => {
            let e = errors.swap_remove(0);
            Error::Syntax {
                source: name.to_owned(),
                line: e.line + line_offset,
                column: e.column,
                message: e.message,
            }
        }
        _ => Error::Syntaxes {
            source: name.to_owned(),
            errors: errors
                .into_iter()
                .map(|e| (e.line + line_offset, e.column, e.message))
                .collect(),
        },
    })
}

/// Validates and lays out a parsed record; `name` is how messages call it.
pub fn prepare_node(
    name: &str,
    node: &Node,
    medium: Medium,
    options: LayoutOptions,
) -> Result<(Record, Stamp, Layout), Error> {
    let checked = validate::check_in(node, medium);
    let mut violations = checked.violations;
    let layout = match &checked.record {
        Some(record) => match layout::build(record, &checked.stamp, options) {
            Ok(l) => Some(l),
            Err(overflows) => {
                // A field already reported is not reported again for its length.
                for o in &overflows {
                    let v = overflow_violation(record.form, o);
                    if !violations
                        .iter()
                        .any(|known| known.path == v.path && !v.path.is_empty())
                    {
                        violations.push(v);
                    }
                }
                None
            }
        },
        None => None,
    };
    match (checked.record, layout) {
        (Some(record), Some(layout)) if violations.is_empty() => {
            Ok((record, checked.stamp, layout))
        }
        _ => Err(Error::Rejected {
            source: name.to_owned(),
            violations,
        }),
    }
}

/// Prepares one record as the sources hold it.
pub fn prepare(entry: Entry, options: LayoutOptions) -> Result<Prepared, Error> {
    let (origin, node) = match entry {
        Entry::Tree { origin, node } => (origin, node),
        Entry::Text {
            origin,
            text,
            syntax,
        } => {
            let (syntax, offset) = match &origin {
                Origin::Whole(source) => (source.syntax(syntax, &text), 0),
                Origin::Line { line, .. } => (Syntax::Json, line - 1),
                _ => (syntax.unwrap_or_else(|| Syntax::sniff(&text)), 0),
            };
            // A syntax error names its place in the file: file:line:column.
            let place = match &origin {
                Origin::Line { file, .. } => file.display().to_string(),
                _ => origin.name(),
            };
            let node = parse(&place, &text, syntax, offset)?;
            (origin, node)
        }
    };
    // A roster row's messages speak of columns, not of `[sections]`.
    let medium = match &origin {
        Origin::Row { .. } => Medium::Roster,
        _ => Medium::File,
    };
    let (record, stamp, layout) = prepare_node(&origin.name(), &node, medium, options)?;
    Ok(Prepared {
        origin,
        record,
        stamp,
        layout: Some(layout),
        options,
    })
}
