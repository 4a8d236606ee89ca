//! The JSON API the pages use (and that scripts may use): check, preview
//! and submit a record, follow a receipt; the office's queue, approvals,
//! returns and register, behind the login and its CSRF token.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::limit::Action;
use super::office::{self, Office};
use super::web::{self, blocking, json_error};
use super::work::{self, Refusal};
use super::{Shared, unit};
use crate::error::{Error, Violation};
use crate::record::validate::Medium;
use crate::registry::{Submission, SubmissionStatus};

/// `?words=web`: messages in the words of the web page (「请选择「是」或
/// 「否」」) rather than of a record file (`true`/`false`); the page's live
/// check asks for them.
#[derive(Deserialize, Default)]
pub struct Words {
    words: Option<String>,
}

impl Words {
    fn medium(&self) -> Medium {
        match self.words.as_deref() {
            Some("web") => Medium::Web,
            _ => Medium::File,
        }
    }
}

/// A violation as the API says it.
#[derive(Serialize)]
struct Problem<'a> {
    /// Dotted record path; empty for the record as a whole.
    path: &'a str,
    /// The field as printed on the form.
    label: &'a str,
    message: &'a str,
    /// The whole line, as `beian check` prints it.
    text: String,
}

fn problems_json(violations: &[Violation]) -> serde_json::Value {
    let list: Vec<Problem> = violations
        .iter()
        .map(|v| Problem {
            path: &v.path,
            label: &v.label,
            message: &v.message,
            text: v.to_string(),
        })
        .collect();
    json!(list)
}

fn too_many(wait: u64) -> Response {
    let mut res = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("操作太频繁，请 {wait} 秒后再试"),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&wait.to_string()) {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    res
}

/// Counts the request against the client's limit, then reads its record.
fn limited_record(
    app: &Shared,
    action: Action,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<crate::record::Node, Response> {
    web::limit(app, action, headers, peer).map_err(too_many)?;
    body_record(body)
}

/// The record a request body holds (JSON, as `beian check` reads it).
fn body_record(body: Result<Bytes, BytesRejection>) -> Result<crate::record::Node, Response> {
    let bytes = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "记录超过 64 KB，一份表格不会有这么多文字",
        ),
        _ => json_error(StatusCode::BAD_REQUEST, "无法读取请求内容"),
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| json_error(StatusCode::BAD_REQUEST, "记录须是 UTF-8 编码的 JSON"))?;
    work::parse_json(text).map_err(|v| rejected(&v))
}

fn rejected(violations: &[Violation]) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "ok": false, "violations": problems_json(violations) })),
    )
        .into_response()
}

/// `POST /api/check`: a record → `{ok, violations}` (always 200 when the
/// body could be read: a record with problems is an answer, not an error).
pub async fn check(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(words): Query<Words>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let medium = words.medium();
    let node = match limited_record(&app, Action::Check, &headers, peer, body) {
        Ok(n) => n,
        Err(mut res) if res.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            // A syntax error is also an answer.
            *res.status_mut() = StatusCode::OK;
            return res;
        }
        Err(res) => return res,
    };
    let result = tokio::task::spawn_blocking(move || work::check(&node, medium).err()).await;
    match result {
        Ok(None) => Json(json!({ "ok": true, "violations": [] })).into_response(),
        Ok(Some(v)) => {
            Json(json!({ "ok": false, "violations": problems_json(&v) })).into_response()
        }
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// `POST /api/preview`: a record → its draft PDF, or 422 with violations.
pub async fn preview(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(words): Query<Words>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let medium = words.medium();
    let node = match limited_record(&app, Action::Check, &headers, peer, body) {
        Ok(n) => n,
        Err(res) => return res,
    };
    match web::draft_pdf(&app, node, medium).await {
        Ok(pdf) => unit::pdf_response(pdf),
        Err(Refusal::Record(v)) => rejected(&v),
        Err(Refusal::Machine(e)) => machine(&e),
    }
}

fn machine(e: &Error) -> Response {
    eprintln!("beian serve：{e}");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "服务器出现故障，请稍后再试；如一直如此，请联系宣传统战部",
    )
}

/// `POST /api/submissions`: a record → 201 `{receipt, url}`.
pub async fn submit(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(words): Query<Words>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let medium = words.medium();
    let node = match limited_record(&app, Action::Submit, &headers, peer, body) {
        Ok(n) => n,
        Err(res) => return res,
    };
    // A client that may send twice names its submission once.
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("api:{k}"));
    match unit::store(&app, node, medium, key).await {
        Ok(code) => (
            StatusCode::CREATED,
            Json(json!({
                "receipt": code,
                "url": format!("/r/{code}"),
                "status": SubmissionStatus::Pending.key(),
                "label": SubmissionStatus::Pending.label(),
            })),
        )
            .into_response(),
        Err(Refusal::Record(v)) => rejected(&v),
        Err(Refusal::Machine(e)) => machine(&e),
    }
}

/// A submission as a unit may see it.
fn unit_view(code: &str, s: &Submission) -> serde_json::Value {
    let filed = s.status == SubmissionStatus::Filed;
    json!({
        "seq": s.seq,
        "form": s.form.key(),
        "unit": s.unit,
        "name": s.name,
        "status": s.status.key(),
        "label": super::pages::status_text(s),
        "reason": s.reason,
        "serial": s.serial,
        "version": s.version,
        "submitted_at": s.submitted_at,
        "updated_at": s.updated_at,
        "pdf": filed.then(|| format!("/r/{code}/{}/pdf", s.seq)),
        "docx": filed.then(|| format!("/r/{code}/{}/docx", s.seq)),
    })
}

/// `GET /api/submissions/{receipt}`: the status of each submission under it.
pub async fn receipt(State(app): State<Shared>, Path(code): Path<String>) -> Response {
    let code = unit::receipt_code(&code);
    match unit::receipt_submissions(&app, &code).await {
        Ok(subs) if subs.is_empty() => json_error(StatusCode::NOT_FOUND, "没有这张回执"),
        Ok(subs) => Json(json!({
            "receipt": code,
            "submissions": subs.iter().map(|s| unit_view(&code, s)).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(_) => machine(&Error::Internal("读取回执失败".into())),
    }
}

// ---------------------------------------------------------------------------
// The office's endpoints: every one takes an `Office` (signed in); every
// POST also checks the session's CSRF token in `X-CSRF-Token`.
// ---------------------------------------------------------------------------

fn csrf(office: &Office, headers: &HeaderMap) -> Result<(), Response> {
    let given = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match super::auth::same_secret(given, &office.session.csrf) {
        true => Ok(()),
        false => Err(json_error(
            StatusCode::FORBIDDEN,
            "缺少或错误的 X-CSRF-Token：请重新登录后再试",
        )),
    }
}

/// `GET /api/office/session`: who is signed in, and the CSRF token a
/// script sends back in `X-CSRF-Token`.
pub async fn office_session(office: Office) -> Response {
    Json(json!({ "user": office.session.user, "csrf": office.session.csrf })).into_response()
}

#[derive(Deserialize)]
pub struct StatusQuery {
    status: Option<String>,
}

/// `GET /api/office/submissions?status=pending|filed|returned`.
pub async fn office_submissions(
    State(app): State<Shared>,
    _office: Office,
    Query(q): Query<StatusQuery>,
) -> Response {
    let status = match q.status.as_deref() {
        None | Some("" | "all") => None,
        Some(key) => match SubmissionStatus::from_key(key) {
            Some(s) => Some(s),
            None => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    "status 只能是 pending、filed 或 returned",
                );
            }
        },
    };
    let result = blocking(&app, move |app| {
        let registry = app.registry();
        registry
            .submissions(status)
            .map_err(|e| crate::commands::registry_error(registry.path(), e))
    })
    .await;
    match result {
        Ok(Ok(subs)) => Json(json!({ "submissions": subs })).into_response(),
        Ok(Err(e)) => office_fault(&e),
        Err(res) => res,
    }
}

fn office_fault(e: &Error) -> Response {
    eprintln!("beian serve：{e}");
    json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
}

/// `POST /api/office/submissions/{id}/approve` → `{serial, version}`.
pub async fn office_approve(
    State(app): State<Shared>,
    office: Office,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    if let Err(res) = csrf(&office, &headers) {
        return res;
    }
    match office::approve_one(&app, id, &office.session.user, None).await {
        Ok(filed) => {
            Json(json!({ "serial": filed.serial, "version": filed.version })).into_response()
        }
        Err(office::Outcome::Missing) => json_error(StatusCode::NOT_FOUND, "没有这份申请"),
        Err(office::Outcome::Refused(v)) => rejected(&v),
        Err(office::Outcome::Machine(e)) => office_fault(&e),
    }
}

#[derive(Deserialize)]
pub struct ReturnBody {
    reason: String,
}

/// `POST /api/office/submissions/{id}/return` with `{"reason": "…"}`.
pub async fn office_return(
    State(app): State<Shared>,
    office: Office,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<Json<ReturnBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(res) = csrf(&office, &headers) {
        return res;
    }
    let Ok(Json(body)) = body else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "请求须是 {\"reason\": \"退回理由\"}",
        );
    };
    match office::return_one(&app, id, &body.reason, &office.session.user).await {
        Ok(()) => Json(json!({ "status": SubmissionStatus::Returned.key() })).into_response(),
        Err(office::Outcome::Missing) => json_error(StatusCode::NOT_FOUND, "没有这份申请"),
        Err(office::Outcome::Refused(v)) => rejected(&v),
        Err(office::Outcome::Machine(e)) => office_fault(&e),
    }
}

/// `GET /api/office/filings?q=&form=&unit=&year=`: the register.
pub async fn office_filings(
    State(app): State<Shared>,
    _office: Office,
    Query(q): Query<office::RegisterQuery>,
) -> Response {
    if let Some(problem) = q.problem() {
        return json_error(StatusCode::BAD_REQUEST, &problem);
    }
    match office::search(&app, q).await {
        Ok(rows) => Json(json!({ "filings": rows })).into_response(),
        Err(e) => office_fault(&e),
    }
}

/// `GET /api/office/filings/{serial}`: every version and the history.
pub async fn office_filing(
    State(app): State<Shared>,
    _office: Office,
    Path(serial): Path<String>,
) -> Response {
    let result = blocking(&app, move |app| {
        let registry = app.registry();
        let err = |e| crate::commands::registry_error(registry.path(), e);
        let versions = registry.history(&serial).map_err(err)?;
        let events = registry.events_of_serial(&serial).map_err(err)?;
        Ok::<_, Error>((versions, events))
    })
    .await;
    match result {
        Ok(Ok((versions, _))) if versions.is_empty() => {
            json_error(StatusCode::NOT_FOUND, "登记簿中没有这个编号")
        }
        Ok(Ok((versions, events))) => {
            Json(json!({ "versions": versions, "history": events })).into_response()
        }
        Ok(Err(e)) => office_fault(&e),
        Err(res) => res,
    }
}
