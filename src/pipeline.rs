//! The stages in order, for one record: read → parse → validate → lay out →
//! render. Every stage before writing can reject the record; a command
//! writes nothing until all its records have passed them (then only an I/O
//! failure can stop it part way, and it says what was done).

use crate::error::Error;
use crate::io::Source;
use crate::layout::{self, Layout, LayoutOptions};
use crate::record::validate::{self, overflow_violation};
use crate::record::{Node, Record, Stamp, Syntax};

/// A record that passed every check, with its layout (under the stamp the
/// record carries, if any).
pub struct Prepared {
    pub source: Source,
    pub record: Record,
    pub stamp: Stamp,
    pub layout: Layout,
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
    let syntax = source.syntax(syntax, text);
    let node = Node::parse(text, syntax).map_err(|e| Error::Syntax {
        source: source.name(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    let checked = validate::check(&node);
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
            source: source.name(),
            violations,
        }),
    }
}

/// Reads and prepares one record.
pub fn prepare(
    source: Source,
    syntax: Option<Syntax>,
    options: LayoutOptions,
) -> Result<Prepared, Error> {
    let text = source.read()?;
    let (record, stamp, layout) = prepare_stamped(&source, &text, syntax, options)?;
    Ok(Prepared {
        source,
        record,
        stamp,
        layout,
    })
}
