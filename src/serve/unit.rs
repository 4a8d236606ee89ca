//! The units' side: fill in a form (or upload a roster), preview it, submit
//! it, and follow it by its receipt. No account: the receipt code is the
//! unit's only key, and it shows only the submissions made with it.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::limit::Action;
use super::web::{self, blocking, file, machine_fault, page, problem_page, too_many_page};
use super::work::{self, Refusal};
use super::{Shared, fields, pages};
use crate::error::{Error, Violation};
use crate::record::validate::Medium;
use crate::record::{FormKind, Node};
use crate::registry::{NewSubmission, Submission, SubmissionStatus, sha256_hex};
use crate::render::Format;

type Posted = Vec<(String, String)>;

pub async fn home() -> Response {
    page(StatusCode::OK, pages::home())
}

/// A form's address opened by hand: home.
pub async fn home_again() -> Response {
    Redirect::to("/").into_response()
}

/// A resubmission's address opened by hand: its receipt.
pub async fn receipt_again(Path((code, _)): Path<(String, String)>) -> Response {
    Redirect::to(&format!("/r/{}", receipt_code(&code))).into_response()
}

/// A receipt code as typed or copied: case and spaces do not matter, and
/// nothing but hex digits is kept (so nothing else reaches a URL).
pub fn receipt_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `form` as a URL or a form says it.
fn form_of(key: &str) -> Option<FormKind> {
    FormKind::from_key(key)
}

pub async fn new_form(Path(form): Path<String>) -> Response {
    let Some(form) = form_of(&form) else {
        return web::not_found().await;
    };
    // A one-time code of this form: a second tap on 提交 (a slow phone)
    // finds the first one's receipt instead of filing it twice.
    let nonce = match super::auth::random_code(16) {
        Ok(n) => n,
        Err(e) => return machine_fault(&e, false),
    };
    page(
        StatusCode::OK,
        pages::form_page(form, "/submit", &[], &[], None, &[("nonce", &nonce)]),
    )
}

/// A posted form, or the page saying why it could not be read.
fn posted_form(
    posted: Result<Form<Posted>, FormRejection>,
) -> Result<(FormKind, Posted), Response> {
    let Form(pairs) = posted.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => problem_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "内容太长",
            "提交的内容超过 64 KB，一份表格不会有这么多文字；请检查是否粘贴了多余的内容。",
        ),
        _ => problem_page(
            StatusCode::BAD_REQUEST,
            "无法读取提交的表格",
            "请返回重新填写后提交。",
        ),
    })?;
    let form = fields::value(&pairs, "form")
        .and_then(form_of)
        .ok_or_else(|| {
            problem_page(
                StatusCode::BAD_REQUEST,
                "无法读取提交的表格",
                "缺少表格类型，请从首页重新填写。",
            )
        })?;
    Ok((form, pairs))
}

/// Counts the post against the client's limit, then reads its form: which
/// form, the fields as posted (to show again), and the record they are.
fn posted_record(
    app: &Shared,
    action: Action,
    headers: &HeaderMap,
    peer: SocketAddr,
    posted: Result<Form<Posted>, FormRejection>,
) -> Result<(FormKind, Posted, Node), Response> {
    web::limit(app, action, headers, peer).map_err(too_many_page)?;
    let (form, values) = posted_form(posted)?;
    let node = fields::record_of_form(form, &values);
    Ok((form, values, node))
}

/// The form again, with every problem beside its field (and the form's
/// own hidden fields kept).
fn refused_page(form: FormKind, action: &str, values: &Posted, problems: &[Violation]) -> Response {
    let hidden: Vec<(&str, &str)> = ["nonce", "seen"]
        .into_iter()
        .filter_map(|k| fields::value(values, k).map(|v| (k, v)))
        .collect();
    page(
        StatusCode::UNPROCESSABLE_ENTITY,
        pages::form_page(form, action, values, problems, None, &hidden),
    )
}

/// Where a preview's problems are shown again: the form it came from (a
/// new one, or a receipt's row being mended), never anywhere else.
fn back_of(values: &Posted) -> String {
    let back = fields::value(values, "back").unwrap_or("/submit");
    let row = back
        .strip_prefix("/r/")
        .and_then(|rest| rest.split_once('/'));
    match row {
        Some((code, seq))
            if code.len() == 32
                && code.chars().all(|c| c.is_ascii_hexdigit())
                && !seq.is_empty()
                && seq.chars().all(|c| c.is_ascii_digit()) =>
        {
            back.to_owned()
        }
        _ => "/submit".to_owned(),
    }
}

pub async fn preview(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    posted: Result<Form<Posted>, FormRejection>,
) -> Response {
    let (form, values, node) = match posted_record(&app, Action::Check, &headers, peer, posted) {
        Ok(p) => p,
        Err(res) => return res,
    };
    match web::draft_pdf(&app, node, Medium::Web).await {
        Ok(pdf) => file(pdf, web::PDF, "草稿.pdf", true),
        Err(Refusal::Record(problems)) => refused_page(form, &back_of(&values), &values, &problems),
        Err(Refusal::Machine(e)) => machine_fault(&e, false),
    }
}

/// The one-time codes of forms already submitted, with their receipts,
/// for an hour: a form sent twice gets its first receipt.
#[derive(Default)]
pub struct Sent {
    by_nonce: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, String)>>,
}

const SENT_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

impl Sent {
    pub fn get(&self, nonce: &str) -> Option<String> {
        let map = self.by_nonce.lock().unwrap_or_else(|p| p.into_inner());
        map.get(nonce)
            .filter(|(at, _)| at.elapsed() < SENT_FOR)
            .map(|(_, code)| code.clone())
    }

    pub fn put(&self, nonce: String, code: String) {
        let mut map = self.by_nonce.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (at, _)| at.elapsed() < SENT_FOR);
        // A nonce is the page's, at most 64 characters; more is not one.
        if nonce.len() <= 64 {
            map.insert(nonce, (std::time::Instant::now(), code));
        }
    }
}

/// A new receipt: its code (given to the unit once) and the digest kept.
pub(super) fn new_receipt() -> Result<(String, String), Error> {
    let code = super::auth::random_code(16)?;
    let digest = sha256_hex(&code);
    Ok((code, digest))
}

pub async fn submit(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    posted: Result<Form<Posted>, FormRejection>,
) -> Response {
    let (form, values, node) = match posted_record(&app, Action::Submit, &headers, peer, posted) {
        Ok(p) => p,
        Err(res) => return res,
    };
    let nonce = fields::value(&values, "nonce").map(str::to_owned);
    match store(&app, node, Medium::Web, nonce).await {
        Ok(code) => Redirect::to(&format!("/r/{code}")).into_response(),
        Err(Refusal::Record(problems)) => refused_page(form, "/submit", &values, &problems),
        Err(Refusal::Machine(e)) => machine_fault(&e, false),
    }
}

/// Checks a record and stores it as a new submission: its receipt code.
/// A `nonce` already used (the same form sent twice) gives the receipt of
/// the first, and stores nothing.
pub async fn store(
    app: &Shared,
    node: Node,
    medium: Medium,
    nonce: Option<String>,
) -> Result<String, Refusal> {
    let result = blocking(app, move |app| -> Result<String, Refusal> {
        let (record, _) = work::check(&node, medium).map_err(Refusal::Record)?;
        // Under the registry's lock: two taps at once are one submission.
        let mut registry = app.registry();
        if let Some(code) = nonce.as_deref().and_then(|n| app.sent.get(n)) {
            return Ok(code);
        }
        let (code, digest) = new_receipt()?;
        let text = record.to_toml();
        let sub = NewSubmission {
            form: record.form,
            unit: &record.unit,
            name: record.subject_name(),
            record: &text,
            origin: "网页填写",
        };
        registry
            .submit(&digest, &[sub], chrono::Local::now().fixed_offset())
            .map_err(|e| Refusal::Machine(crate::commands::registry_error(registry.path(), e)))?;
        if let Some(nonce) = nonce {
            app.sent.put(nonce, code.clone());
        }
        Ok(code)
    })
    .await;
    result.unwrap_or_else(|_| Err(Refusal::Machine(Error::Internal("处理请求时出错".into()))))
}

/// The submissions a receipt code holds; a code that is not 32 hex digits
/// is looked up all the same (and found nowhere), so that its form says
/// nothing.
pub async fn receipt_submissions(app: &Shared, code: &str) -> Result<Vec<Submission>, Response> {
    let digest = sha256_hex(receipt_code(code));
    blocking(app, move |app| {
        let registry = app.registry();
        registry
            .submissions_of_receipt(&digest)
            .map_err(|e| crate::commands::registry_error(registry.path(), e))
    })
    .await?
    .map_err(|e| machine_fault(&e, false))
}

fn no_receipt() -> Response {
    problem_page(
        StatusCode::NOT_FOUND,
        "找不到这张回执",
        "回执地址可能抄错了，请核对；如已遗失，请联系宣传统战部。",
    )
}

pub async fn receipt(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let code = receipt_code(&code);
    let origin = web::origin(&app, &headers, peer);
    match receipt_submissions(&app, &code).await {
        Ok(subs) if subs.is_empty() => no_receipt(),
        Ok(subs) => page(StatusCode::OK, pages::receipt(&origin, &code, &subs)),
        Err(res) => res,
    }
}

/// One submission of a receipt, by its row number.
async fn one_of(app: &Shared, code: &str, seq: u32) -> Result<Submission, Response> {
    receipt_submissions(app, code)
        .await?
        .into_iter()
        .find(|s| s.seq == seq)
        .ok_or_else(no_receipt)
}

pub async fn edit(State(app): State<Shared>, Path((code, seq)): Path<(String, u32)>) -> Response {
    let s = match one_of(&app, &code, seq).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    if s.status == SubmissionStatus::Filed {
        return Redirect::to(&format!("/r/{code}")).into_response();
    }
    let values = match work::stored_submission(&s) {
        Ok(node) => fields::values_of_record(&node),
        Err(e) => return machine_fault(&e, false),
    };
    // What was shown: if the office corrects it meanwhile, the unit's
    // changes to the old text are not saved over the correction.
    let seen = sha256_hex(&s.record);
    let reason = match s.status {
        SubmissionStatus::Returned => s.reason.as_deref(),
        _ => None,
    };
    page(
        StatusCode::OK,
        pages::form_page(
            s.form,
            &format!("/r/{code}/{seq}"),
            &values,
            &[],
            reason,
            &[("seen", &seen)],
        ),
    )
}

pub async fn resubmit(
    State(app): State<Shared>,
    Path((code, seq)): Path<(String, u32)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    posted: Result<Form<Posted>, FormRejection>,
) -> Response {
    if let Err(wait) = web::limit(&app, Action::Submit, &headers, peer) {
        return too_many_page(wait);
    }
    let s = match one_of(&app, &code, seq).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let (_, values) = match posted_form(posted) {
        Ok(p) => p,
        Err(res) => return res,
    };
    // The form is the submission's: a unit cannot turn a filing request
    // for an account into one for a group under the same row.
    let node = fields::record_of_form(s.form, &values);
    let action = format!("/r/{code}/{seq}");
    let seen = fields::value(&values, "seen").map(str::to_owned);
    let before = work::stored_submission(&s)
        .map(|n| fields::values_of_record(&n))
        .unwrap_or_default();
    let result = blocking(&app, move |app| -> Result<(), Refusal> {
        let (record, _) = work::check(&node, Medium::Web).map_err(Refusal::Record)?;
        let detail = fields::changed(record.form, &before, &fields::values_of_record(&node));
        let text = record.to_toml();
        let mut registry = app.registry();
        registry
            .resubmit(
                s.id,
                &text,
                &record.unit,
                record.subject_name(),
                &detail,
                seen.as_deref(),
                chrono::Local::now().fixed_offset(),
            )
            .map_err(|e| match e {
                crate::registry::RegistryError::NotPending { .. } => {
                    Refusal::Record(vec![work::whole(
                        "这份申请已经备案，不能再修改；如需更正，请联系宣传统战部".into(),
                    )])
                }
                crate::registry::RegistryError::SubmissionChanged { .. } => {
                    Refusal::Record(vec![work::whole(
                        "宣传统战部在您打开本页之后改动过这份申请，您的修改没有保存；请重新打开回执，看过改动后再修改"
                            .into(),
                    )])
                }
                e => Refusal::Machine(crate::commands::registry_error(registry.path(), e)),
            })
    })
    .await;
    match result {
        Ok(Ok(())) => Redirect::to(&format!("/r/{code}")).into_response(),
        Ok(Err(Refusal::Record(problems))) => refused_page(s.form, &action, &values, &problems),
        Ok(Err(Refusal::Machine(e))) => machine_fault(&e, false),
        Err(res) => res,
    }
}

/// A filed form, as the unit downloads it to print.
pub async fn download(
    State(app): State<Shared>,
    Path((code, seq, kind)): Path<(String, u32, String)>,
) -> Response {
    let (format, content_type) = match kind.as_str() {
        "pdf" => (Format::Pdf, web::PDF),
        "docx" => (Format::Docx { embed_fonts: false }, web::DOCX),
        _ => return web::not_found().await,
    };
    let s = match one_of(&app, &code, seq).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let Some(serial) = s
        .serial
        .clone()
        .filter(|_| s.status == SubmissionStatus::Filed)
    else {
        return problem_page(
            StatusCode::CONFLICT,
            "尚未备案",
            "这份申请还没有备案编号，备案后才能下载。",
        );
    };
    let result = web::rendering(&app, move |app| -> Result<Vec<u8>, Error> {
        let registry = app.registry();
        let filing = registry
            .latest(&serial)
            .map_err(|e| crate::commands::registry_error(registry.path(), e))?
            .ok_or_else(|| Error::Registry(format!("登记簿中没有 {serial}")))?;
        work::filed_output(&registry, &filing, format)
    })
    .await;
    let name = format!("{}.{}", s.serial.unwrap_or_default(), format.ext());
    match result {
        Ok(Ok(bytes)) => file(bytes, content_type, &name, false),
        Ok(Err(e)) => machine_fault(&e, false),
        Err(res) => res,
    }
}

/// For the JSON API: a response's content type.
pub fn pdf_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, web::PDF)], bytes).into_response()
}
