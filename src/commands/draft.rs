//! `beian render --draft`: forms rendered without filing, named by the
//! record (or, for a numbered record, apart from its filed files).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::render::FILE_AT_ONCE;
use super::{Progress, Say, Stage, Tell};
use crate::error::Error;
use crate::form::FormSpec;
use crate::io;
use crate::layout::{self, Layout, LayoutOptions};
use crate::pipeline::Prepared;
use crate::record::FormKind;
use crate::record::validate::overflow_violation;
use crate::render::Format;

/// Renders without filing: named by serial if the record has one, else by
/// the record file's name.
pub fn render_draft(
    prepared: &[Prepared],
    output: &Path,
    formats: &[Format],
    say: Say<'_>,
    tell: Tell<'_>,
) -> Result<(), Error> {
    // Name every output before writing any, so a clash writes nothing.
    let mut planned: BTreeMap<PathBuf, (usize, Format)> = BTreeMap::new();
    for (i, p) in prepared.iter().enumerate() {
        // A draft of a numbered record is named apart from the filed files
        // (「XMT-2026-0001 草稿.pdf」): it never replaces them.
        let stem = p
            .stamp
            .serial
            .as_ref()
            .map(|serial| format!("{serial} {}", FormSpec::get(p.record.form).copies.draft))
            .or_else(|| {
                // A record file named like a serial (a filed record with its
                // stamp deleted): its draft never takes the filed form's name.
                p.origin.stem().map(|stem| {
                    let config = crate::registry::RegistryConfig::default();
                    let numbered = FormKind::ALL
                        .iter()
                        .any(|f| config.format_for(*f).parse_serial(&stem).is_some());
                    match numbered {
                        true => format!("{stem} {}", FormSpec::get(p.record.form).copies.draft),
                        false => stem,
                    }
                })
            })
            .or_else(|| p.stamp.uuid.clone())
            .unwrap_or_else(|| "record".to_owned());
        for &f in formats {
            let path = output.join(format!("{stem}.{}", f.ext()));
            if let Some((j, _)) = planned.insert(path.clone(), (i, f)) {
                return Err(Error::Usage(format!(
                    "「{}」和「{}」都会写到「{}」；请分开输出目录或给记录编号",
                    prepared.get(j).map(|o| o.origin.name()).unwrap_or_default(),
                    p.origin.name(),
                    path.display()
                )));
            }
        }
    }

    // Every record passed validation and layout, so only a fault of the
    // machine can stop this part way: each file is written as it is made
    // (memory stays flat for a roster of a thousand), and said when written.
    std::fs::create_dir_all(output).map_err(|e| Error::io(output, "创建目录", e))?;
    tell(Progress::Begin {
        stage: Stage::Render,
        total: planned.len(),
    });
    let planned: Vec<(PathBuf, (usize, Format))> = planned.into_iter().collect();
    // Rendered and written on every core, a few dozen at a time so that
    // progress is said as it is made.
    for chunk in planned.chunks(FILE_AT_ONCE) {
        let pages = crate::par::map(chunk, |(path, (i, format))| {
            let p = prepared
                .get(*i)
                .ok_or_else(|| Error::Internal("a planned draft without its record".into()))?;
            let layout = draft_layout(p)?;
            io::write_atomic(path, &format.render(&layout)?)?;
            Ok(layout.pages.len())
        })
        .into_iter()
        .collect::<Result<Vec<usize>, Error>>()?;
        for ((path, _), pages) in chunk.iter().zip(pages) {
            say(&format!("已生成 {}（{pages} 页）", path.display()));
            tell(Progress::Step);
        }
    }
    tell(Progress::End);
    Ok(())
}

/// A record's draft: as laid out when checked, or, for a record that
/// carries a serial, laid out again with 「草稿」 on every copy, so that it
/// cannot pass for the filed form.
fn draft_layout(p: &Prepared) -> Result<std::borrow::Cow<'_, Layout>, Error> {
    if p.stamp.serial.is_none() {
        return p.layout();
    }
    let options = LayoutOptions {
        draft: true,
        ..p.options
    };
    layout::build(&p.record, &p.stamp, options)
        .map(std::borrow::Cow::Owned)
        .map_err(|overflows| Error::Rejected {
            source: p.origin.name(),
            violations: overflows
                .iter()
                .map(|o| overflow_violation(p.record.form, o))
                .collect(),
        })
}
