//! Tests of the registry: serials, filing, corrections, concurrency.

use super::*;

mod database;
mod filing;
mod hash;
mod serial;
mod submission;
use chrono::TimeZone;
use std::convert::Infallible;

fn at(year: i32, month: u32, day: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600)
        .and_then(|tz| tz.with_ymd_and_hms(year, month, day, 9, 30, 15).single())
        .expect("valid test date")
}

fn content(n: usize) -> String {
    format!("[account]\nname = \"公众号{n}\"\n")
}

fn request<'a>(content: &'a str, now: DateTime<FixedOffset>) -> FilingRequest<'a> {
    FilingRequest {
        form: FormKind::Account,
        serial: None,
        import: false,
        uuid: None,
        unit: "信息学院",
        name: "学院公众号",
        content,
        now,
        filed_at: None,
        version: None,
        subjects: &[],
        allow_duplicate: false,
        beian_version: "0.1.0",
        output_revision: 1,
        form_spec: "# the account form",
    }
}

fn pdf(filed: &Filed) -> Result<Vec<Output>, Infallible> {
    Ok(vec![Output {
        kind: "pdf".into(),
        copies: 1,
        file_name: format!("{}.pdf", filed.serial),
        bytes: format!("%PDF {} v{}", filed.serial, filed.version).into_bytes(),
        text_sha256: sha256_hex(&filed.serial),
    }])
}

fn open(dir: &tempfile::TempDir) -> Registry {
    Registry::open(dir.path().join("registry.sqlite")).expect("open registry")
}

fn file(reg: &mut Registry, req: &FilingRequest<'_>) -> Filed {
    reg.file(req, pdf).expect("filing succeeds").0
}
