//! What every route needs of HTTP: the security headers and request log,
//! the client's address, cookies, the assets built into the binary, and the
//! shapes of an answer (a page, a file, a JSON error).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::Markup;

use super::limit::Action;
use super::{App, Shared, pages};
use crate::error::Error;

/// No script but our own file, no style but our own, nothing framed but
/// by us, nothing posted elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'self'; \
                   base-uri 'none'";

/// Adds the security headers to every answer, and logs each request by
/// its route (never its URL: receipt codes are secrets, and nothing of a
/// record is ever in a URL).
pub async fn headers(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let api = req.uri().path().starts_with("/api/");
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut res = in_chinese(next.run(req).await, api);
    let h = res.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        // Receipt links carry the code: never sent on to another site.
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "SAMEORIGIN"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        // Receipts, the queue and the register are nobody's cache's.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !app.options.quiet {
        eprintln!(
            "{} {} {} {} {:.1} ms",
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
            method,
            route.as_deref().unwrap_or("（其他）"),
            res.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    res
}

/// axum's own refusals (a path parameter that does not parse, a query
/// string it cannot read, a method the route does not take) are plain
/// English text, or nothing: said in Chinese instead, as a page or, under
/// `/api/`, as JSON.
fn in_chinese(res: Response, api: bool) -> Response {
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !plain {
        return res;
    }
    let (status, title, message) = match res.status() {
        StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND => (
            StatusCode::NOT_FOUND,
            "找不到这个页面",
            "地址可能抄错了，请核对；或从首页重新进入。",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            StatusCode::METHOD_NOT_ALLOWED,
            "这个地址不能直接打开",
            "它用于提交表格。请从首页重新进入，或返回上一页再提交。",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "内容太长",
            "提交的内容超过上限（一份表格 64 KB，名册 5 MB）。",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "无法读取提交的内容",
            "提交的格式不对，请从页面上的表格提交。",
        ),
        _ => return res,
    };
    match api {
        true => json_error(status, &format!("{title}：{message}")),
        false => problem_page(status, title, message),
    }
}

/// The client's address: the peer's, or behind nginx on this machine the
/// one nginx gives in `X-Real-IP`.
pub fn client(app: &App, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    let peer = peer.ip();
    if app.options.behind_proxy && peer.is_loopback() {
        let real = headers
            .get("x-real-ip")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        if let Some(ip) = real {
            return ip;
        }
    }
    peer
}

/// Counts an action against the client's limit: the answer to send when it
/// is one too many.
pub fn limit(app: &App, action: Action, headers: &HeaderMap, peer: SocketAddr) -> Result<(), u64> {
    app.limiter.take(action, client(app, headers, peer))
}

/// Whether the request came over TLS (nginx says so), for `Secure` cookies.
pub fn over_tls(app: &App, headers: &HeaderMap, peer: SocketAddr) -> bool {
    app.options.behind_proxy
        && peer.ip().is_loopback()
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The address the client reached the service at (`https://host`), for a
/// link to write down; empty when the request does not say its host.
pub fn origin(app: &App, headers: &HeaderMap, peer: SocketAddr) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
    match host {
        Some(host) => {
            let scheme = if over_tls(app, headers, peer) {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}")
        }
        None => String::new(),
    }
}

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, and Secure over TLS.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    secure: bool,
    max_age: Option<u64>,
) -> String {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// An HTML page.
pub fn page(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// A page saying what went wrong, with a way back.
pub fn problem_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(status, pages::message_page(title, message))
}

/// Too many requests: said, with how long to wait.
pub fn too_many_page(wait: u64) -> Response {
    let mut res = problem_page(
        StatusCode::TOO_MANY_REQUESTS,
        "操作太频繁",
        &format!("同一地址在一分钟内的操作次数已到上限，请 {wait} 秒后再试。"),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    res
}

/// A JSON error: `{"error": "…"}`.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// A fault of the machine, said to a unit without its details (which are
/// logged), and to the office with them.
pub fn machine_fault(e: &Error, office: bool) -> Response {
    eprintln!("beian serve：{e}");
    let message = match office {
        true => e.to_string(),
        false => "服务器出现故障，请稍后再试；如一直如此，请联系宣传统战部。".to_owned(),
    };
    problem_page(StatusCode::INTERNAL_SERVER_ERROR, "服务器故障", &message)
}

/// A file to download (or, `inline`, to show in the browser).
pub fn file(bytes: Vec<u8>, content_type: &'static str, name: &str, inline: bool) -> Response {
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            })
            .collect::<String>(),
        percent(name)
    );
    let mut res = (StatusCode::OK, Body::from(bytes)).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// Percent-encoding of everything but letters, digits and `-_.`: a file
/// name in `Content-Disposition` (RFC 5987), a value in a query string.
pub fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub const PDF: &str = "application/pdf";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Runs registry work on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    app: &Shared,
    work: impl FnOnce(&App) -> T + Send + 'static,
) -> Result<T, Response> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || work(&app))
        .await
        .map_err(|e| machine_fault(&Error::Internal(format!("处理请求时出错：{e}")), false))
}

/// [`blocking`] work that renders forms: it waits for one of the
/// per-core permits first, so that rendering never crowds out the rest.
pub async fn rendering<T: Send + 'static>(
    app: &Shared,
    work: impl FnOnce(&App) -> T + Send + 'static,
) -> Result<T, Response> {
    let _permit = app
        .renders
        .acquire()
        .await
        .map_err(|e| machine_fault(&Error::Internal(format!("处理请求时出错：{e}")), false))?;
    blocking(app, work).await
}

/// The draft PDF of a record: checked first (a record with problems never
/// waits for a permit), then rendered under one.
pub async fn draft_pdf(
    app: &Shared,
    node: crate::record::Node,
    medium: crate::record::validate::Medium,
) -> Result<Vec<u8>, super::work::Refusal> {
    use super::work::Refusal;
    let internal = |e: String| Refusal::Machine(Error::Internal(format!("处理请求时出错：{e}")));
    let checked = tokio::task::spawn_blocking(move || super::work::check(&node, medium))
        .await
        .map_err(|e| internal(e.to_string()))?;
    let (_, layout) = checked.map_err(Refusal::Record)?;
    let _permit = app
        .renders
        .acquire()
        .await
        .map_err(|e| internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || crate::render::Format::Pdf.render(&layout))
        .await
        .map_err(|e| internal(e.to_string()))?
        .map_err(|e| Refusal::Machine(e.into()))
}

/// The files under `/assets/`: built into the binary, so the campus network
/// needs no CDN.
pub async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind): (&'static str, &'static str) = match name.as_str() {
        "app.js" => (
            include_str!("assets/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "style.css" => (include_str!("assets/style.css"), "text/css; charset=utf-8"),
        _ => return not_found().await,
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn not_found() -> Response {
    problem_page(StatusCode::NOT_FOUND, "找不到这个页面", "地址可能有误。")
}
