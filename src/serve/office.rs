//! The office's side, behind its login: the queue of submissions (each shown
//! as the printed form), corrections, approval (the serial is assigned
//! then), returns with a reason, the register with search, printing many
//! forms as one PDF, exports, and every filing's versions and history.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::auth::{self, Session};
use super::limit::Action;
use super::pages::{layout, record_form, status_text};
use super::web::{self, blocking, cookie, file, json_error, page, problem_page, set_cookie};
use super::work::{self, Refusal};
use super::{Shared, fields};
use crate::commands::registry_error;
use crate::error::{Error, Violation};
use crate::record::{FormKind, Record};
use crate::registry::{Event, Filed, FilingRecord, ListFilter, Submission, SubmissionStatus};
use crate::render::Format;

/// The session cookie of the office.
const SESSION: &str = "beian_office";
/// The login form's own CSRF cookie (there is no session yet to hold it).
const LOGIN: &str = "beian_login";

/// A signed-in office user: taking one is what puts a route behind the
/// login. Pages without it go to the login; the API answers 401.
pub struct Office {
    pub token: String,
    pub session: Session,
}

impl FromRequestParts<Shared> for Office {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Office, Response> {
        let refused = || match parts.uri.path().starts_with("/api/") {
            true => json_error(
                StatusCode::UNAUTHORIZED,
                "请先登录宣传统战部办公室（/office/login）",
            ),
            false => Redirect::to("/office/login").into_response(),
        };
        let Some(office) = cookie(&parts.headers, SESSION).and_then(|token| {
            app.sessions
                .get(&token)
                .map(|session| Office { token, session })
        }) else {
            return Err(refused());
        };
        // The password the session was opened with must still be the
        // user's: a new password, or a user removed (`serve --remove-user`),
        // ends their sessions at once, without a restart.
        let user = office.session.user.clone();
        let now = blocking(app, move |app| {
            app.registry().office_user_hash(&user).ok().flatten()
        })
        .await
        .ok()
        .flatten()
        .map(|phc| crate::registry::sha256_hex(&phc));
        match now {
            Some(digest) if auth::same_secret(&digest, &office.session.password) => Ok(office),
            _ => {
                app.sessions.close(&office.token);
                Err(refused())
            }
        }
    }
}

/// The form fields of an office post, with its CSRF token checked.
fn checked(
    office: &Office,
    posted: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Vec<(String, String)>, Response> {
    let Form(pairs) = posted.map_err(|_| {
        problem_page(
            StatusCode::BAD_REQUEST,
            "无法读取提交的内容",
            "请返回重试。",
        )
    })?;
    let token = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    match auth::same_secret(token, &office.session.csrf) {
        true => Ok(pairs),
        false => Err(problem_page(
            StatusCode::FORBIDDEN,
            "请求已过期",
            "页面已过期或不是从本系统提交的，请刷新页面后重试。",
        )),
    }
}

fn nav(office: &Office) -> Markup {
    html! {
        nav {
            a href="/office" { "待审核" }
            a href="/office/register" { "登记簿" }
            form.inline method="post" action="/office/logout" {
                input type="hidden" name="csrf" value=(office.session.csrf);
                button.link type="submit" { "退出（" (office.session.user) "）" }
            }
        }
    }
}

/// An error said to the office: a filing or version that is not there is
/// 404, anything else a fault of the machine, with its details.
fn fault(e: &Error) -> Response {
    match e {
        Error::Negative(m) => problem_page(StatusCode::NOT_FOUND, "找不到", m),
        e => web::machine_fault(e, true),
    }
}

// --- login ------------------------------------------------------------------

fn login_form(token: &str, message: Option<&str>) -> Markup {
    layout(
        "办公室登录",
        html! {},
        html! {
            h1 { "宣传统战部办公室" }
            @if let Some(m) = message { div.problems #problems { p { (m) } } }
            form #login method="post" action="/office/login" {
                input type="hidden" name="csrf" value=(token);
                label for="user" { "用户名" }
                input #user name="user" autocomplete="username" required;
                label for="password" { "口令" }
                input #password name="password" type="password" autocomplete="current-password" required;
                div.buttons { button #login-submit type="submit" { "登录" } }
            }
            p.hint { "口令由管理员在办公室电脑上用 beian serve --set-password 设置。" }
        },
    )
}

/// The login page, with a fresh token in a cookie and in the form.
fn login_response(secure: bool, status: StatusCode, message: Option<&str>) -> Response {
    let token = match auth::random_code(32) {
        Ok(t) => t,
        Err(e) => return fault(&e),
    };
    let mut res = page(status, login_form(&token, message));
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        LOGIN,
        &token,
        "/office/login",
        secure,
        Some(1800),
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_page(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    login_response(web::over_tls(&app, &headers, peer), StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct Login {
    user: String,
    password: String,
    csrf: String,
}

pub async fn login(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    posted: Result<Form<Login>, FormRejection>,
) -> Response {
    if let Err(wait) = web::limit(&app, Action::Login, &headers, peer) {
        return web::too_many_page(wait);
    }
    let secure = web::over_tls(&app, &headers, peer);
    let Ok(Form(login)) = posted else {
        return login_response(secure, StatusCode::BAD_REQUEST, Some("请填写用户名和口令"));
    };
    let expected = cookie(&headers, LOGIN).unwrap_or_default();
    if expected.is_empty() || !auth::same_secret(&login.csrf, &expected) {
        return login_response(
            secure,
            StatusCode::FORBIDDEN,
            Some("登录页已过期，请重新输入"),
        );
    }
    let user = login.user.trim().to_owned();
    let password = login.password;
    let lookup = user.clone();
    let result = blocking(&app, move |app| {
        let hash = {
            let registry = app.registry();
            registry
                .office_user_hash(&lookup)
                .map_err(|e| registry_error(registry.path(), e))?
        };
        // A user that does not exist costs the same as a wrong password,
        // so timing does not tell which names are users.
        match hash {
            Some(phc) if auth::verify_password(&phc, &password) => {
                Ok::<Option<String>, Error>(Some(crate::registry::sha256_hex(&phc)))
            }
            Some(_) => Ok(None),
            None => {
                auth::verify_password(auth::decoy_hash(), &password);
                Ok(None)
            }
        }
    })
    .await;
    match result {
        Ok(Ok(Some(password))) => match app.sessions.open(&user, &password) {
            Ok((token, _)) => {
                let mut res = Redirect::to("/office").into_response();
                for c in [
                    set_cookie(SESSION, &token, "/", secure, None),
                    set_cookie(LOGIN, "", "/office/login", secure, Some(0)),
                ] {
                    if let Ok(v) = HeaderValue::from_str(&c) {
                        res.headers_mut().append(header::SET_COOKIE, v);
                    }
                }
                res
            }
            Err(e) => fault(&e),
        },
        Ok(Ok(None)) => login_response(secure, StatusCode::UNAUTHORIZED, Some("用户名或口令不对")),
        Ok(Err(e)) => fault(&e),
        Err(res) => res,
    }
}

pub async fn logout(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    office: Office,
    posted: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    if let Err(res) = checked(&office, posted) {
        return res;
    }
    app.sessions.close(&office.token);
    let mut res = Redirect::to("/office/login").into_response();
    let c = set_cookie(
        SESSION,
        "",
        "/",
        web::over_tls(&app, &headers, peer),
        Some(0),
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

// --- the queue and one submission ---------------------------------------------

#[derive(Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
}

fn time(at: &str) -> String {
    at.get(..16).unwrap_or(at).replace('T', " ")
}

fn form_short(form: FormKind) -> &'static str {
    match form {
        FormKind::Account => "附件1",
        FormKind::Group => "附件2",
    }
}

pub async fn queue(
    State(app): State<Shared>,
    office: Office,
    Query(q): Query<QueueQuery>,
) -> Response {
    let status = q
        .status
        .as_deref()
        .and_then(SubmissionStatus::from_key)
        .unwrap_or(SubmissionStatus::Pending);
    let result = blocking(&app, move |app| {
        let registry = app.registry();
        let err = |e| registry_error(registry.path(), e);
        let subs = registry.submissions(Some(status)).map_err(err)?;
        let counts = registry.submission_counts().map_err(err)?;
        Ok::<_, Error>((subs, counts))
    })
    .await;
    let (mut subs, counts) = match result {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => return fault(&e),
        Err(res) => return res,
    };
    // A page stays a page: the newest, and how many more there are.
    let more = subs.len().saturating_sub(QUEUE_PAGE);
    subs.truncate(QUEUE_PAGE);
    let tabs = [
        SubmissionStatus::Pending,
        SubmissionStatus::Returned,
        SubmissionStatus::Filed,
    ];
    page(
        StatusCode::OK,
        layout(
            "申请",
            nav(&office),
            html! {
                h1 { "申请：" (status.label()) }
                nav.tabs {
                    @for t in tabs {
                        a href={"/office?status=" (t.key())} aria-current=[(t == status).then_some("page")] {
                            (t.label()) "（" (counts.iter().find(|(s, _)| *s == t).map_or(0, |(_, n)| *n)) "）"
                        }
                    }
                }
                @if more > 0 {
                    p.hint { "只列出最新的 " (QUEUE_PAGE) " 份，另有 " (more) " 份较早的；处理完这些后再看。" }
                }
                @if subs.is_empty() {
                    p.empty { "没有" (status.label()) "的申请。" }
                } @else {
                    table.list #queue {
                        thead { tr { th { "提交时间" } th { "表格" } th { "申请单位" } th { "名称" } th { "来源" } th { "状态" } } }
                        tbody {
                            @for s in &subs {
                                tr {
                                    td data-label="提交时间" { (time(&s.submitted_at)) }
                                    td data-label="表格" { (form_short(s.form)) }
                                    td data-label="申请单位" { (s.unit) }
                                    td data-label="名称" { a.open-submission href={"/office/s/" (s.id)} { (s.name) } }
                                    td data-label="来源" { (s.origin) }
                                    td data-label="状态" { (status_text(s)) }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}

/// How many submissions the queue lists at once.
const QUEUE_PAGE: usize = 200;

/// What happened to a submission or a filing, oldest first.
fn history(events: &[Event]) -> Markup {
    html! {
        @if !events.is_empty() {
            h2 { "经办记录" }
            table.list.history {
                thead { tr { th { "时间" } th { "经办人" } th { "事项" } th { "说明" } } }
                tbody {
                    @for e in events {
                        tr {
                            td data-label="时间" { (time(&e.at)) }
                            td data-label="经办人" { (e.actor) }
                            td data-label="事项" { (e.action_label()) }
                            td data-label="说明" { (e.detail) }
                        }
                    }
                }
            }
        }
    }
}

async fn load(app: &Shared, id: i64) -> Result<(Submission, Vec<Event>), Response> {
    let result = blocking(app, move |app| {
        let registry = app.registry();
        let err = |e| registry_error(registry.path(), e);
        let s = registry.submission(id).map_err(err)?;
        let events = registry.events_of_submission(id).map_err(err)?;
        Ok::<_, Error>(s.map(|s| (s, events)))
    })
    .await?;
    match result {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(problem_page(
            StatusCode::NOT_FOUND,
            "没有这份申请",
            "编号可能有误。",
        )),
        Err(e) => Err(fault(&e)),
    }
}

fn submission_page(
    office: &Office,
    s: &Submission,
    events: &[Event],
    values: &[(String, String)],
    problems: &[Violation],
) -> Markup {
    let csrf = office.session.csrf.as_str();
    let open = s.status != SubmissionStatus::Filed;
    // The record as shown: what an approval or a correction is of.
    let seen = crate::registry::sha256_hex(&s.record);
    layout(
        &s.name,
        nav(office),
        html! {
            h1 { (s.name) small { "　" (s.unit) } }
            p.status #status data-status=(s.status.key()) {
                @match &s.serial {
                    Some(serial) => { (s.status.label()) " " a.serial #serial href={"/office/f/" (serial)} { (serial) } }
                    None => (status_text(s)),
                }
            }
            p.meta { (crate::form::FormSpec::get(s.form).name) "　" (s.origin) "　提交于 " (time(&s.submitted_at)) }
            @if s.status == SubmissionStatus::Pending {
                div.actions {
                    form #approve-form method="post" action={"/office/s/" (s.id) "/approve"} {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="seen" value=(seen);
                        button #approve type="submit" { "批准备案（分配编号）" }
                    }
                    form #return-form method="post" action={"/office/s/" (s.id) "/return"} {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="reason" { "退回理由（单位会看到）" }
                        textarea #reason name="reason" rows="2" maxlength="500" required {}
                        button #return-submit.secondary type="submit" { "退回" }
                    }
                }
            }
            @if let Some(serial) = &s.serial {
                p.downloads {
                    a.button href={"/office/f/" (serial) "/" (s.version.unwrap_or(1)) "/pdf"} { "PDF" }
                    " "
                    a.button.secondary href={"/office/f/" (serial) "/" (s.version.unwrap_or(1)) "/docx"} { "Word" }
                }
            }
            div.review {
                div.paper {
                    @let shown = match (&s.serial, s.version) {
                        (Some(serial), Some(v)) => format!("/office/f/{serial}/{v}/pdf?view=1"),
                        _ => format!("/office/s/{}/preview.pdf", s.id),
                    };
                    h2 { @if s.serial.is_some() { "表格（已备案）" } @else { "表格（草稿）" } }
                    iframe.preview src=(shown) title="表格预览" {}
                    p { a href=(shown) target="_blank" { "在新窗口打开" } }
                }
                @if open {
                    div.correct {
                        h2 { "更正" }
                        (record_form(
                            s.form,
                            &format!("/office/s/{}/correct", s.id),
                            values,
                            problems,
                            &[("csrf", csrf), ("seen", &seen)],
                            html! { button #save type="submit" { "保存更正" } },
                        ))
                    }
                }
            }
            (history(events))
        },
    )
}

pub async fn submission(
    State(app): State<Shared>,
    office: Office,
    Path(id): Path<i64>,
) -> Response {
    let (mut s, events) = match load(&app, id).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    // Corrected since (from the command line): the form as it is now.
    if let Some(serial) = s.serial.clone() {
        let latest = blocking(&app, move |app| {
            app.registry().latest(&serial).ok().flatten()
        })
        .await;
        if let Ok(Some(latest)) = latest {
            s.version = Some(latest.version);
        }
    }
    let values = match work::stored_submission(&s) {
        Ok(node) => fields::values_of_record(&node),
        Err(e) => return fault(&e),
    };
    page(
        StatusCode::OK,
        submission_page(&office, &s, &events, &values, &[]),
    )
}

pub async fn submission_pdf(
    State(app): State<Shared>,
    _office: Office,
    Path(id): Path<i64>,
) -> Response {
    let (s, _) = match load(&app, id).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let node = match work::stored_submission(&s) {
        Ok(node) => node,
        Err(e) => return fault(&e),
    };
    match web::draft_pdf(&app, node, crate::record::validate::Medium::Web).await {
        Ok(pdf) => file(pdf, web::PDF, "草稿.pdf", true),
        Err(Refusal::Record(v)) => problem_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "这份申请有问题",
            &v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("；"),
        ),
        Err(Refusal::Machine(e)) => fault(&e),
    }
}

pub async fn correct(
    State(app): State<Shared>,
    office: Office,
    Path(id): Path<i64>,
    posted: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let values = match checked(&office, posted) {
        Ok(v) => v,
        Err(res) => return res,
    };
    let (s, events) = match load(&app, id).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let seen = values
        .iter()
        .find(|(k, _)| k == "seen")
        .map(|(_, v)| v.clone());
    let node = fields::record_of_form(s.form, &values);
    let user = office.session.user.clone();
    let before = work::stored_submission(&s)
        .map(|n| fields::values_of_record(&n))
        .unwrap_or_default();
    let result = blocking(&app, move |app| -> Result<(), Refusal> {
        let (record, _) =
            work::check(&node, crate::record::validate::Medium::Web).map_err(Refusal::Record)?;
        let detail = fields::changed(record.form, &before, &fields::values_of_record(&node));
        let mut registry = app.registry();
        let current = registry
            .submission(id)
            .map_err(|e| Refusal::Machine(registry_error(registry.path(), e)))?;
        if let (Some(seen), Some(current)) = (&seen, &current)
            && *seen != crate::registry::sha256_hex(&current.record)
        {
            return Err(Refusal::Record(vec![work::whole(
                "这份申请在您打开之后被单位修改过，您的更正没有保存；请看过修改后的内容再更正"
                    .to_owned(),
            )]));
        }
        registry
            .correct_submission(
                id,
                &record.to_toml(),
                &record.unit,
                record.subject_name(),
                &user,
                &detail,
                chrono::Local::now().fixed_offset(),
            )
            .map_err(|e| match e {
                // Approved by someone else meanwhile: said, not a fault.
                e @ crate::registry::RegistryError::NotPending { .. } => {
                    Refusal::Record(vec![work::whole(format!("{e}，更正没有保存"))])
                }
                e => Refusal::Machine(registry_error(registry.path(), e)),
            })
    })
    .await;
    match result {
        Ok(Ok(())) => Redirect::to(&format!("/office/s/{id}")).into_response(),
        Ok(Err(Refusal::Record(problems))) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            submission_page(&office, &s, &events, &values, &problems),
        ),
        Ok(Err(Refusal::Machine(e))) => fault(&e),
        Err(res) => res,
    }
}

/// Why an office action did not happen.
pub enum Outcome {
    Missing,
    Refused(Vec<Violation>),
    Machine(Error),
}

/// Files submission `id`: its serial, in one transaction with the filing.
///
/// `seen` is the digest of the record the office looked at (the page's
/// hidden `seen`): if the unit changed it since, nothing is filed.
pub async fn approve_one(
    app: &Shared,
    id: i64,
    user: &str,
    seen: Option<String>,
) -> Result<Filed, Outcome> {
    let user = user.to_owned();
    let result = web::rendering(app, move |app| {
        let mut registry = app.registry();
        let s = match registry.submission(id) {
            Ok(Some(s)) => s,
            Ok(None) => return Err(Outcome::Missing),
            Err(e) => return Err(Outcome::Machine(registry_error(registry.path(), e))),
        };
        if s.status != SubmissionStatus::Pending {
            return Err(Outcome::Refused(vec![work::whole(format!(
                "这份申请已是「{}」，不能再批准",
                status_text(&s)
            ))]));
        }
        if seen.is_some_and(|seen| seen != crate::registry::sha256_hex(&s.record)) {
            return Err(Outcome::Refused(vec![work::whole(
                "这份申请在您打开之后被修改过，没有备案；请看过修改后的内容再批准".to_owned(),
            )]));
        }
        work::approve(
            &mut registry,
            &s,
            &user,
            chrono::Local::now().fixed_offset(),
        )
        .map_err(|r| match r {
            Refusal::Record(v) => Outcome::Refused(v),
            Refusal::Machine(e) => Outcome::Machine(e),
        })
    })
    .await;
    result.unwrap_or_else(|_| Err(Outcome::Machine(Error::Internal("处理请求时出错".into()))))
}

/// Returns submission `id` to its unit with `reason`.
pub async fn return_one(app: &Shared, id: i64, reason: &str, user: &str) -> Result<(), Outcome> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Outcome::Refused(vec![work::whole(
            "请写明退回理由（500 字以内），单位会看到它".into(),
        )]));
    }
    let user = user.to_owned();
    let result = blocking(app, move |app| {
        let mut registry = app.registry();
        match registry.submission(id) {
            Ok(Some(s)) if s.status == SubmissionStatus::Pending => {}
            Ok(Some(s)) => {
                return Err(Outcome::Refused(vec![work::whole(format!(
                    "这份申请已是「{}」，不能退回",
                    status_text(&s)
                ))]));
            }
            Ok(None) => return Err(Outcome::Missing),
            Err(e) => return Err(Outcome::Machine(registry_error(registry.path(), e))),
        }
        registry
            .return_submission(id, &reason, &user, chrono::Local::now().fixed_offset())
            .map_err(|e| Outcome::Machine(registry_error(registry.path(), e)))
    })
    .await;
    result.unwrap_or_else(|_| Err(Outcome::Machine(Error::Internal("处理请求时出错".into()))))
}

async fn after_action(
    app: &Shared,
    office: &Office,
    id: i64,
    outcome: Result<(), Outcome>,
) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("/office/s/{id}")).into_response(),
        Err(Outcome::Missing) => {
            problem_page(StatusCode::NOT_FOUND, "没有这份申请", "编号可能有误。")
        }
        Err(Outcome::Refused(problems)) => {
            let (s, events) = match load(app, id).await {
                Ok(found) => found,
                Err(res) => return res,
            };
            let values = work::stored_submission(&s)
                .map(|n| fields::values_of_record(&n))
                .unwrap_or_default();
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                submission_page(office, &s, &events, &values, &problems),
            )
        }
        Err(Outcome::Machine(e)) => fault(&e),
    }
}

pub async fn approve(
    State(app): State<Shared>,
    office: Office,
    Path(id): Path<i64>,
    posted: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let values = match checked(&office, posted) {
        Ok(v) => v,
        Err(res) => return res,
    };
    let seen = values
        .iter()
        .find(|(k, _)| k == "seen")
        .map(|(_, v)| v.clone());
    let outcome = approve_one(&app, id, &office.session.user, seen)
        .await
        .map(|_| ());
    after_action(&app, &office, id, outcome).await
}

pub async fn return_it(
    State(app): State<Shared>,
    office: Office,
    Path(id): Path<i64>,
    posted: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let values = match checked(&office, posted) {
        Ok(v) => v,
        Err(res) => return res,
    };
    let reason = values
        .iter()
        .find(|(k, _)| k == "reason")
        .map_or("", |(_, v)| v.as_str());
    let outcome = return_one(&app, id, reason, &office.session.user).await;
    after_action(&app, &office, id, outcome).await
}

// --- the register ---------------------------------------------------------------

/// The register's filters: words to search for, and form, unit, year.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RegisterQuery {
    pub q: Option<String>,
    pub form: Option<String>,
    pub unit: Option<String>,
    pub year: Option<String>,
    /// `pdf`, `xlsx` or `csv` (export).
    pub format: Option<String>,
}

impl RegisterQuery {
    /// What is wrong with the query, if anything: a form or year that
    /// would silently match everything is said instead.
    pub fn problem(&self) -> Option<String> {
        let given = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        if let Some(f) = given(&self.form)
            && FormKind::from_key(&f).is_none()
        {
            return Some(format!(
                "表格类型「{f}」无效：只能是 account（附件1）或 group（附件2）"
            ));
        }
        if let Some(y) = given(&self.year)
            && y.parse::<i32>()
                .map_or(true, |y| !(1990..=9999).contains(&y))
        {
            return Some(format!("年份「{y}」无效：写四位年份，如 2026"));
        }
        None
    }

    fn filter(&self) -> ListFilter {
        let some = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        ListFilter {
            form: some(&self.form).and_then(|f| FormKind::from_key(&f)),
            year: some(&self.year).and_then(|y| y.parse().ok()),
            unit: some(&self.unit),
        }
    }

    /// Whether a filing matches the words searched for: unit, name, 账号id
    /// or 群号, the people's names and mobiles.
    fn matches(&self, f: &FilingRecord, record: &Record) -> bool {
        let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) else {
            return true;
        };
        let q = q.to_lowercase();
        let mut hay = vec![f.serial.clone(), f.unit.clone(), f.name.clone()];
        for path in [
            "account.id",
            "group.number",
            "principal.name",
            "principal.mobile",
            "admin.name",
            "admin.mobile",
        ] {
            hay.extend(record.field(path));
        }
        hay.iter().any(|h| h.to_lowercase().contains(&q))
    }

    /// The same filters as a query string (for the export links).
    fn query_string(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("form", &self.form),
            ("unit", &self.unit),
            ("year", &self.year),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_deref()
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", web::percent(v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A line of the register.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub serial: String,
    /// `account` or `group`, as everywhere else in the API.
    pub form: &'static str,
    /// 附件1 or 附件2, as the register prints it.
    pub form_label: &'static str,
    pub unit: String,
    pub name: String,
    pub id: String,
    pub principal: String,
    pub mobile: String,
    pub filed_at: String,
    pub version: u32,
}

/// The filings the query selects, latest version of each.
pub async fn search(app: &Shared, q: RegisterQuery) -> Result<Vec<Row>, Error> {
    let result = blocking(app, move |app| {
        let registry = app.registry();
        let filings = registry
            .list(&q.filter())
            .map_err(|e| registry_error(registry.path(), e))?;
        let mut rows = Vec::new();
        for f in &filings {
            let (record, _) = crate::commands::regen::stored_record(f, crate::form::current())?;
            if !q.matches(f, &record) {
                continue;
            }
            rows.push(Row {
                serial: f.serial.clone(),
                form: f.form.key(),
                form_label: match f.form {
                    FormKind::Account => "附件1",
                    FormKind::Group => "附件2",
                },
                unit: f.unit.clone(),
                name: f.name.clone(),
                id: ["account.id", "group.number"]
                    .into_iter()
                    .filter_map(|p| record.field(p))
                    .find(|v| !v.is_empty())
                    .unwrap_or_default(),
                principal: record.principal.name.clone(),
                mobile: record.principal.mobile.clone(),
                filed_at: f.filed_at.get(..10).unwrap_or(&f.filed_at).to_owned(),
                version: f.version,
            });
        }
        Ok(rows)
    })
    .await;
    result.unwrap_or_else(|_| Err(Error::Internal("处理请求时出错".into())))
}

pub async fn register(
    State(app): State<Shared>,
    office: Office,
    Query(q): Query<RegisterQuery>,
) -> Response {
    if let Some(problem) = q.problem() {
        return problem_page(StatusCode::BAD_REQUEST, "查找条件有误", &problem);
    }
    let rows = match search(&app, q.clone()).await {
        Ok(rows) => rows,
        Err(e) => return fault(&e),
    };
    let qs = q.query_string();
    let sep = if qs.is_empty() { "" } else { "&" };
    let val = |s: &Option<String>| s.clone().unwrap_or_default();
    page(
        StatusCode::OK,
        layout(
            "登记簿",
            nav(&office),
            html! {
                h1 { "登记簿" }
                form.search #search method="get" action="/office/register" {
                    input name="q" type="search" value=(val(&q.q)) placeholder="单位、名称、账号id/群号、姓名、手机";
                    select name="form" {
                        option value="" { "全部表格" }
                        option value="account" selected[q.form.as_deref() == Some("account")] { "附件1 新媒体帐号" }
                        option value="group" selected[q.form.as_deref() == Some("group")] { "附件2 QQ群、微博群" }
                    }
                    input name="unit" value=(val(&q.unit)) placeholder="申请单位";
                    input name="year" value=(val(&q.year)) placeholder="年份" inputmode="numeric" size="6";
                    button type="submit" { "查找" }
                }
                p.exports {
                    "导出（按当前筛选）："
                    a href={"/office/register/export?format=pdf" (sep) (qs)} { "PDF" } " "
                    a href={"/office/register/export?format=xlsx" (sep) (qs)} { "Excel" } " "
                    a href={"/office/register/export?format=csv" (sep) (qs)} { "CSV" }
                }
                @if rows.is_empty() {
                    p.empty { "没有符合条件的备案。" }
                } @else {
                    form #print-form method="post" action="/office/print" target="_blank" {
                        input type="hidden" name="csrf" value=(office.session.csrf);
                        table.list #register {
                            thead { tr { th { "选" } th { "编号" } th { "表格" } th { "申请单位" } th { "名称" } th { "账号id/群号" } th { "第一责任人" } th { "手机" } th { "备案日期" } th { "版本" } } }
                            tbody {
                                @for r in &rows {
                                    tr {
                                        td.pick { input type="checkbox" name="serial" value=(r.serial) aria-label={"选择 " (r.serial)}; }
                                        td data-label="编号" { a.serial href={"/office/f/" (r.serial)} { (r.serial) } }
                                        td data-label="表格" { (r.form_label) }
                                        td data-label="申请单位" { (r.unit) }
                                        td data-label="名称" { (r.name) }
                                        td data-label="账号id/群号" { (r.id) }
                                        td data-label="第一责任人" { (r.principal) }
                                        td data-label="手机" { (r.mobile) }
                                        td data-label="备案日期" { (r.filed_at) }
                                        td data-label="版本" { (r.version) }
                                    }
                                }
                            }
                        }
                        div.buttons {
                            label.option { input type="checkbox" name="duplex" value="1" checked; " 双面打印（每份表的背面留空）" }
                            button #print-selected type="submit" { "打印所选（合成一个 PDF）" }
                            // A department at once: everything the search
                            // lists, ticked or not (no script needed).
                            button #print-listed.secondary type="submit" name="all" value="1" {
                                "打印列出的全部 " (rows.len()) " 份"
                            }
                        }
                        @for r in &rows {
                            input type="hidden" name="listed" value=(r.serial);
                        }
                    }
                }
            },
        ),
    )
}

pub async fn export(
    State(app): State<Shared>,
    _office: Office,
    Query(q): Query<RegisterQuery>,
) -> Response {
    if let Some(problem) = q.problem() {
        return problem_page(StatusCode::BAD_REQUEST, "查找条件有误", &problem);
    }
    let (ext, kind) = match q.format.as_deref() {
        Some("xlsx") => ("xlsx", web::XLSX),
        Some("csv") => ("csv", "text/csv; charset=utf-8"),
        _ => ("pdf", web::PDF),
    };
    let result = web::rendering(&app, move |app| {
        let registry = app.registry();
        let printed = chrono::Local::now().format("%Y-%m-%d").to_string();
        crate::commands::register::register_bytes(
            &registry,
            &q.filter(),
            &|f, r| q.matches(f, r),
            ext,
            &printed,
        )
    })
    .await;
    match result {
        Ok(Ok((bytes, _))) => file(bytes, kind, &format!("登记簿.{ext}"), false),
        Ok(Err(e)) => fault(&e),
        Err(res) => res,
    }
}

pub async fn print(
    State(app): State<Shared>,
    office: Office,
    posted: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let values = match checked(&office, posted) {
        Ok(v) => v,
        Err(res) => return res,
    };
    let all = values.iter().any(|(k, _)| k == "all");
    let wanted = if all { "listed" } else { "serial" };
    let serials: Vec<String> = values
        .iter()
        .filter(|(k, _)| k == wanted)
        .map(|(_, v)| v.clone())
        .collect();
    let duplex = values.iter().any(|(k, _)| k == "duplex");
    if serials.is_empty() {
        return problem_page(
            StatusCode::BAD_REQUEST,
            "没有选择",
            "请在登记簿中勾选要打印的备案。",
        );
    }
    if serials.len() > 1000 {
        return problem_page(
            StatusCode::BAD_REQUEST,
            "选得太多",
            "一次最多打印 1000 份，请分批打印。",
        );
    }
    let result = web::rendering(&app, move |app| {
        let registry = app.registry();
        let mut filings = Vec::with_capacity(serials.len());
        for serial in &serials {
            match registry
                .latest(serial)
                .map_err(|e| registry_error(registry.path(), e))?
            {
                Some(f) => filings.push(f),
                None => return Err(Error::Negative(format!("登记簿中没有编号 {serial}"))),
            }
        }
        work::print_job(&registry, &filings, duplex)
    })
    .await;
    match result {
        Ok(Ok(bytes)) => file(bytes, web::PDF, "打印.pdf", true),
        Ok(Err(e)) => fault(&e),
        Err(res) => res,
    }
}

pub async fn filing(
    State(app): State<Shared>,
    office: Office,
    Path(serial): Path<String>,
) -> Response {
    let key = serial.clone();
    let result = blocking(&app, move |app| {
        let registry = app.registry();
        let err = |e| registry_error(registry.path(), e);
        Ok::<_, Error>((
            registry.history(&key).map_err(err)?,
            registry.events_of_serial(&key).map_err(err)?,
        ))
    })
    .await;
    let (versions, events) = match result {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => return fault(&e),
        Err(res) => return res,
    };
    let Some(latest) = versions.last() else {
        return problem_page(
            StatusCode::NOT_FOUND,
            "登记簿中没有这个编号",
            "编号可能有误。",
        );
    };
    page(
        StatusCode::OK,
        layout(
            &serial,
            nav(&office),
            html! {
                h1 #serial { (serial) small { "　" (latest.name) "　" (latest.unit) } }
                h2 { "各版本" }
                table.list #versions {
                    thead { tr { th { "版本" } th { "备案时间" } th { "名称" } th { "文件" } } }
                    tbody {
                        @for v in versions.iter().rev() {
                            tr {
                                td data-label="版本" { "第 " (v.version) " 版" }
                                td data-label="备案时间" { (time(&v.filed_at)) }
                                td data-label="名称" { (v.name) }
                                td data-label="文件" {
                                    a href={"/office/f/" (serial) "/" (v.version) "/pdf"} { "PDF" } " "
                                    a href={"/office/f/" (serial) "/" (v.version) "/docx"} { "Word" }
                                }
                            }
                        }
                    }
                }
                (history(&events))
                details {
                    summary { "第 " (latest.version) " 版的记录（TOML）" }
                    pre { (latest.canonical) }
                }
            },
        ),
    )
}

/// `?view=1`: shown in the page rather than downloaded.
#[derive(Deserialize)]
pub struct View {
    view: Option<String>,
}

pub async fn filing_file(
    State(app): State<Shared>,
    _office: Office,
    Path((serial, version, kind)): Path<(String, u32, String)>,
    Query(view): Query<View>,
) -> Response {
    let (format, content_type) = match kind.as_str() {
        "pdf" => (Format::Pdf, web::PDF),
        "docx" => (Format::Docx { embed_fonts: false }, web::DOCX),
        _ => return web::not_found().await,
    };
    let key = serial.clone();
    let result = web::rendering(&app, move |app| {
        let registry = app.registry();
        let filing = registry
            .version(&key, version)
            .map_err(|e| registry_error(registry.path(), e))?
            .ok_or_else(|| Error::Negative(format!("登记簿中没有 {key} 第 {version} 版")))?;
        work::filed_output(&registry, &filing, format)
    })
    .await;
    match result {
        Ok(Ok(bytes)) => file(
            bytes,
            content_type,
            &format!("{serial}.{}", format.ext()),
            view.view.is_some() && format == Format::Pdf,
        ),
        Ok(Err(e)) => fault(&e),
        Err(res) => res,
    }
}
