//! A department's roster uploaded at once: the workbook of `beian init
//! roster` (or its CSV), every row checked, stored whole under one receipt
//! or refused with every bad row listed.

use std::net::SocketAddr;
use std::path::Path as FsPath;

use axum::extract::{ConnectInfo, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::Error;
use crate::layout::LayoutOptions;
use crate::registry::NewSubmission;
use crate::serve::limit::Action;
use crate::serve::unit::new_receipt;
use crate::serve::web::{self, blocking, file, machine_fault, page, too_many_page};
use crate::serve::{Shared, pages};

pub async fn roster_page() -> Response {
    page(StatusCode::OK, pages::roster_page(&[]))
}

/// The fill-in workbook of `beian init roster`.
pub async fn roster_template() -> Response {
    match crate::batch::fill_in_workbook() {
        Ok(bytes) => file(bytes, web::XLSX, "名册.xlsx", false),
        Err(e) => machine_fault(&e, false),
    }
}

/// A roster's records, each checked; every problem of every row, or the
/// records. Nothing is stored unless every row is right.
pub fn roster_records(name: &str, bytes: &[u8]) -> Result<Vec<crate::record::Record>, Vec<String>> {
    let path = FsPath::new(name);
    let is_xlsx = bytes.starts_with(b"PK");
    let entries = match is_xlsx {
        true => crate::batch::xlsx::rows(path, bytes),
        false => crate::batch::roster::rows(path, bytes),
    };
    if entries.len() > ROSTER_ROWS {
        return Err(vec![format!(
            "名册有 {} 行，一次最多上传 {ROSTER_ROWS} 行；请分成几个名册上传",
            entries.len()
        )]);
    }
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut bad_rows = 0;
    for entry in entries {
        let prepared = entry.and_then(|e| {
            crate::pipeline::prepare(
                e,
                LayoutOptions {
                    copies: 2,
                    draft: true,
                },
            )
        });
        match prepared {
            Ok(p) if p.stamp.serial.is_some() || p.stamp.uuid.is_some() => {
                bad_rows += 1;
                problems.push(format!(
                    "{}：编号和记录标识由宣传统战部备案时分配，请删去这两列",
                    p.origin.name()
                ))
            }
            Ok(p) => records.push(p.record),
            Err(e) => {
                bad_rows += 1;
                problems.extend(row_problems(&e));
            }
        }
    }
    if records.is_empty() && problems.is_empty() {
        problems.push(format!("「{name}」中没有填写任何一行"));
    }
    match problems.is_empty() {
        true => Ok(records),
        false => {
            if bad_rows > 0 {
                problems.insert(0, format!("共 {bad_rows} 行有问题："));
            }
            Err(problems)
        }
    }
}

/// How many rows one roster may have: a department's year, with room.
pub const ROSTER_ROWS: usize = 300;

/// A row's problems as the page lists them: the row, then each field by
/// its printed name (no record paths, nothing about files on disk), each
/// line kept short.
fn row_problems(e: &Error) -> Vec<String> {
    let short = |s: String| -> String {
        match s.chars().count() {
            0..=300 => s,
            _ => s.chars().take(300).chain("……".chars()).collect(),
        }
    };
    match e {
        Error::Rejected { source, violations } => violations
            .iter()
            .map(|v| {
                let field = match (v.label.is_empty(), v.path.is_empty()) {
                    (false, _) => format!("「{}」", v.label),
                    (true, false) => format!("「{}」", v.path),
                    (true, true) => String::new(),
                };
                short(format!("{source}：{field}{}", v.message))
            })
            .collect(),
        Error::Many(errors) => errors.iter().flat_map(row_problems).collect(),
        e => e.to_string().lines().map(|l| short(l.to_owned())).collect(),
    }
}

/// Stores a roster's records under one receipt: its code.
pub fn store_roster(
    app: &crate::serve::App,
    records: &[crate::record::Record],
) -> Result<String, Error> {
    let (code, digest) = new_receipt()?;
    let texts: Vec<String> = records.iter().map(|r| r.to_toml()).collect();
    let origins: Vec<String> = (1..=records.len())
        .map(|i| format!("名册第 {i} 项"))
        .collect();
    let subs: Vec<NewSubmission> = records
        .iter()
        .zip(&texts)
        .zip(&origins)
        .map(|((r, text), origin)| NewSubmission {
            form: r.form,
            unit: &r.unit,
            name: r.subject_name(),
            record: text,
            origin,
        })
        .collect();
    let mut registry = app.registry();
    registry
        .submit(&digest, &subs, chrono::Local::now().fixed_offset())
        .map_err(|e| crate::commands::registry_error(registry.path(), e))?;
    Ok(code)
}

pub async fn roster_upload(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    if let Err(wait) = web::limit(&app, Action::Submit, &headers, peer) {
        return too_many_page(wait);
    }
    let refused =
        |status: StatusCode, problems: Vec<String>| page(status, pages::roster_page(&problems));
    let Ok(mut multipart) = multipart else {
        return refused(
            StatusCode::BAD_REQUEST,
            vec!["请选择名册文件后再上传".into()],
        );
    };
    let mut upload = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("roster") => {
                let name = field.file_name().unwrap_or("名册.xlsx").to_owned();
                match field.bytes().await {
                    Ok(bytes) => upload = Some((name, bytes)),
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return refused(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            vec![
                                "名册文件超过 5 MB；一个单位的名册不会这么大，请只保留要备案的行"
                                    .into(),
                            ],
                        );
                    }
                    Err(_) => {
                        return refused(
                            StatusCode::BAD_REQUEST,
                            vec!["名册文件没有传完整，请重新上传".into()],
                        );
                    }
                }
            }
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return refused(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    vec!["名册文件超过 5 MB；一个单位的名册不会这么大，请只保留要备案的行".into()],
                );
            }
            Err(_) => {
                return refused(
                    StatusCode::BAD_REQUEST,
                    vec!["名册文件没有传完整，请重新上传".into()],
                );
            }
        }
    }
    let Some((name, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return refused(
            StatusCode::BAD_REQUEST,
            vec!["请选择名册文件后再上传".into()],
        );
    };
    // Only the file's own name, never a path it claims.
    let name = name
        .rsplit(['/', '\\'])
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("名册.xlsx")
        .to_owned();
    let result = blocking(&app, move |app| match roster_records(&name, &bytes) {
        Ok(records) => store_roster(app, &records).map(Ok),
        Err(problems) => Ok(Err(problems)),
    })
    .await;
    match result {
        Ok(Ok(Ok(code))) => Redirect::to(&format!("/r/{code}")).into_response(),
        Ok(Ok(Err(problems))) => refused(StatusCode::UNPROCESSABLE_ENTITY, problems),
        Ok(Err(e)) => machine_fault(&e, false),
        Err(res) => res,
    }
}
