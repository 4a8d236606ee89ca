//! What the service does, apart from HTTP: check a record, preview it, file
//! a submission, render a filed form again for download or printing. Every
//! function here is synchronous (the registry is SQLite): the handlers call
//! them on tokio's blocking threads.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset};

use crate::commands::regen::stored_record;
use crate::commands::registry_error;
use crate::commands::render::{stamp_of, text_sha256};
use crate::error::{Error, Violation};
use crate::form::{FormSpec, current};
use crate::layout::{self, Layout, LayoutOptions};
use crate::pipeline::prepare_node;
use crate::record::validate::Medium;
use crate::record::{Node, Record, Syntax};
use crate::registry::{
    FileError, Filed, FilingRecord, FilingRequest, Output, Registry, RegistryError, Submission,
};
use crate::render::print_job::{JobForm, render_job};
use crate::render::{Format, OUTPUT_REVISION};

/// The formats a filing is made in: the PDF to print, the DOCX to keep.
pub const FORMATS: [Format; 2] = [Format::Pdf, Format::Docx { embed_fonts: false }];

/// A record the service refused, with everything wrong with it.
#[derive(Debug)]
pub enum Refusal {
    /// What the unit must mend, field by field.
    Record(Vec<Violation>),
    /// Not the record's fault: the registry, the disk, a bug.
    Machine(Error),
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Refusal {
        match violations_of(&e) {
            Some(v) => Refusal::Record(v),
            None => Refusal::Machine(e),
        }
    }
}

/// The violations an error says, if it is the record's fault.
pub fn violations_of(e: &Error) -> Option<Vec<Violation>> {
    match e {
        Error::Rejected { violations, .. } => Some(violations.clone()),
        Error::Syntax {
            line,
            column,
            message,
            ..
        } => Some(vec![whole(format!(
            "第 {line} 行第 {column} 列：{message}"
        ))]),
        Error::Syntaxes { errors, .. } => Some(
            errors
                .iter()
                .map(|(l, c, m)| whole(format!("第 {l} 行第 {c} 列：{m}")))
                .collect(),
        ),
        Error::Many(errors) => {
            let mut all = Vec::new();
            for e in errors {
                all.extend(violations_of(e)?);
            }
            Some(all)
        }
        _ => None,
    }
}

/// A problem of the whole record, not of one field.
pub fn whole(message: String) -> Violation {
    Violation {
        path: String::new(),
        label: String::new(),
        message,
    }
}

/// How a unit's record is laid out: both copies, marked 「草稿」 until the
/// office files it.
const DRAFT: LayoutOptions = LayoutOptions {
    copies: 2,
    draft: true,
};

/// Checks a record as a unit sends it: everything `beian check` says, and
/// that it carries no serial (the office assigns it).
pub fn check(node: &Node, medium: Medium) -> Result<(Record, Layout), Vec<Violation>> {
    let mut stamped = Vec::new();
    if let Node::Table(top) = node {
        for key in ["serial", "uuid", "filed_at", "version"] {
            if top.iter().any(|(k, _)| k == key) {
                let form = top
                    .iter()
                    .find_map(|(k, v)| match (k.as_str(), v) {
                        ("form", Node::Str(s)) => crate::record::FormKind::from_key(s),
                        _ => None,
                    })
                    .unwrap_or(crate::record::FormKind::Account);
                stamped.push(Violation {
                    path: key.to_owned(),
                    label: FormSpec::get(form).label(key).to_owned(),
                    message:
                        "编号、记录标识和备案时间由宣传统战部审核备案时填写，提交时请删去这一项"
                            .to_owned(),
                });
            }
        }
    }
    match prepare_node("提交的表格", node, medium, DRAFT) {
        Ok((record, _, layout)) if stamped.is_empty() => Ok((record, layout)),
        Ok(_) => Err(stamped),
        Err(e) => {
            let mut v = violations_of(&e).unwrap_or_else(|| vec![whole(e.to_string())]);
            v.extend(stamped);
            Err(v)
        }
    }
}

/// Parses a record sent as JSON text (the API), its syntax errors said in
/// Chinese with their place.
pub fn parse_json(text: &str) -> Result<Node, Vec<Violation>> {
    Node::parse_all(text, Syntax::Json).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| whole(format!("第 {} 行第 {} 列：{}", e.line, e.column, e.message)))
            .collect()
    })
}

/// A submission's record, read back from its stored TOML.
pub fn stored_submission(s: &Submission) -> Result<Node, Error> {
    Node::parse(&s.record, Syntax::Toml).map_err(|e| {
        Error::Registry(format!(
            "登记簿中第 {} 号申请的记录无法读取（{}）：登记簿可能已损坏，请用备份核对",
            s.id, e.message
        ))
    })
}

/// Files a pending submission: the serial is assigned, the forms rendered
/// and their digests stored, and the submission marked filed, in one
/// transaction.
pub fn approve(
    registry: &mut Registry,
    submission: &Submission,
    actor: &str,
    now: DateTime<FixedOffset>,
) -> Result<Filed, Refusal> {
    let node = stored_submission(submission)?;
    let (record, _) = check(&node, Medium::File).map_err(Refusal::Record)?;
    let content = record.to_toml();
    let subjects: Vec<String> = record.subject_keys().into_iter().map(|k| k.key).collect();
    let spec = FormSpec::get(record.form);
    let req = FilingRequest {
        form: record.form,
        serial: None,
        import: false,
        uuid: None,
        unit: &record.unit,
        name: record.subject_name(),
        content: &content,
        now,
        filed_at: None,
        version: None,
        subjects: &subjects,
        allow_duplicate: false,
        beian_version: env!("CARGO_PKG_VERSION"),
        output_revision: OUTPUT_REVISION,
        form_spec: &spec.source,
    };
    // Filed as the office saw it: refused if the unit changed it meanwhile.
    let result = registry.approve_as_reviewed(submission, actor, &req, |filed| {
        render_outputs(spec, &record, filed)
    });
    match result {
        Ok((filed, _)) => Ok(filed),
        Err(FileError::Render(e)) => Err(Refusal::Machine(e)),
        // Said for the office at its browser: it cannot pass the command
        // line's --allow-duplicate, and should not.
        Err(FileError::Registry(RegistryError::Duplicate { serial })) => {
            Err(Refusal::Record(vec![whole(format!(
                "「{}」已备案为 {serial}，同一个{}不能重复备案；请退回本申请并告知单位已有的编号（如要更正 {serial} 的内容，用 beian render 备案其更正版）",
                record.subject_name(),
                match record.form {
                    crate::record::FormKind::Account => "帐号",
                    crate::record::FormKind::Group => "群",
                }
            ))]))
        }
        Err(FileError::Registry(e @ RegistryError::NotPending { .. })) => {
            Err(Refusal::Record(vec![whole(e.to_string())]))
        }
        Err(FileError::Registry(RegistryError::SubmissionChanged { .. })) => {
            Err(Refusal::Record(vec![whole(
                "这份申请在您打开之后被修改过，没有备案；请看过修改后的内容再批准".to_owned(),
            )]))
        }
        Err(FileError::Registry(e)) => Err(Refusal::Machine(registry_error(registry.path(), e))),
    }
}

/// The outputs of a new filing, made inside its transaction.
fn render_outputs(
    spec: &'static FormSpec,
    record: &Record,
    filed: &Filed,
) -> Result<Vec<Output>, Error> {
    let stamp = stamp_of(filed);
    let options = LayoutOptions::default();
    let mut layout =
        layout::build_with(spec, record, &stamp, options).map_err(|o| Error::Rejected {
            source: filed.serial.clone(),
            violations: o
                .iter()
                .map(|o| crate::record::validate::overflow_violation(record.form, o))
                .collect(),
        })?;
    layout::add_qr(&mut layout, record, &stamp, filed.version);
    let text = text_sha256(&layout);
    FORMATS
        .iter()
        .map(|format| {
            Ok(Output {
                kind: format.kind().to_owned(),
                copies: options.copies as u32,
                file_name: format!("{}.{}", filed.serial, format.ext()),
                bytes: format.render(&layout)?,
                text_sha256: text.clone(),
            })
        })
        .collect()
}

/// A filing's form laid out again as it was filed (its stored record, form
/// specification and stamp, with its QR code).
pub fn filed_layout(registry: &Registry, filing: &FilingRecord) -> Result<Layout, Error> {
    let spec = crate::commands::regen::filed_spec(registry, filing)?;
    let forms = current().with(spec);
    let (record, stamp) = stored_record(filing, &forms)?;
    let copies = filing
        .outputs
        .iter()
        .map(|o| o.copies as usize)
        .find(|c| (1..=10).contains(c))
        .unwrap_or(2);
    let options = LayoutOptions {
        copies,
        draft: false,
    };
    let mut layout = layout::build_with(spec, &record, &stamp, options).map_err(|o| {
        Error::Registry(format!(
            "登记簿中 {} 第 {} 版的记录排不进表格（{} 处）：登记簿可能被改动过",
            filing.serial,
            filing.version,
            o.len()
        ))
    })?;
    layout::add_qr(&mut layout, &record, &stamp, filing.version);
    Ok(layout)
}

/// A filed form, rendered again: byte for byte the file that was filed
/// (checked against the digest the registry kept, when it kept one under
/// this output revision).
pub fn filed_output(
    registry: &Registry,
    filing: &FilingRecord,
    format: Format,
) -> Result<Vec<u8>, Error> {
    let layout = filed_layout(registry, filing)?;
    let bytes = format.render(&layout)?;
    let kept = filing
        .outputs
        .iter()
        .find(|o| o.kind == format.kind() && o.revision == OUTPUT_REVISION);
    if let Some(kept) = kept
        && crate::registry::sha256_hex(&bytes) != kept.sha256
    {
        return Err(Error::Drift {
            serial: filing.serial.clone(),
            version: filing.version,
            file: kept.file_name.clone(),
            copies: kept.copies,
            filed_sha256: kept.sha256.clone(),
            filed_by: filing.beian_version.clone(),
        });
    }
    Ok(bytes)
}

/// Many filings' forms as one PDF for the printer; with `duplex`, the back
/// of every sheet left blank so that no form is printed on another's back.
pub fn print_job(
    registry: &Registry,
    filings: &[FilingRecord],
    duplex: bool,
) -> Result<Vec<u8>, Error> {
    let mut layouts = Vec::with_capacity(filings.len());
    for f in filings {
        layouts.push((
            filed_layout(registry, f)?,
            format!("{} {}", f.serial, f.name),
        ));
    }
    let job = render_job(
        layouts.into_iter().map(|(layout, bookmark)| {
            Ok(JobForm {
                layout: Cow::Owned(layout),
                bookmark,
            })
        }),
        duplex,
    )
    .map_err(|e| Error::Internal(format!("打印文件生成失败：{e}")))?;
    Ok(job.bytes)
}
