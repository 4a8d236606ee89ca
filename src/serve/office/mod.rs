//! The office's side, behind its login: what every office page shares —
//! the signed-in user ([`Office`], which puts a route behind the login), the
//! CSRF check of its forms, the navigation, the history table.
//!
//! - [`login`]: signing in and out;
//! - [`review`]: the queue, one submission, corrections, approval, returns;
//! - [`register`]: the register — search, print, export;
//! - [`filing`]: one filing's versions, files and history.

mod filing;
mod login;
mod register;
mod review;

pub use filing::{filing, filing_file};
pub use login::{login, login_page, logout};
pub use register::{RegisterQuery, Row, export, print, register, search};
pub use review::{
    Outcome, approve, approve_one, correct, queue, return_it, return_one, submission,
    submission_pdf,
};

use axum::Form;
use axum::extract::FromRequestParts;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use crate::error::Error;
use crate::registry::Event;
use crate::serve::Shared;
use crate::serve::auth::{self, Session};
use crate::serve::web::{self, blocking, cookie, json_error, problem_page};
/// The session cookie of the office.
pub(super) const SESSION: &str = "beian_office";
/// The login form's own CSRF cookie (there is no session yet to hold it).
pub(super) const LOGIN: &str = "beian_login";

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
pub(super) fn checked(
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
    let token = crate::serve::fields::value(&pairs, "csrf").unwrap_or("");
    match auth::same_secret(token, &office.session.csrf) {
        true => Ok(pairs),
        false => Err(problem_page(
            StatusCode::FORBIDDEN,
            "请求已过期",
            "页面已过期或不是从本系统提交的，请刷新页面后重试。",
        )),
    }
}

pub(super) fn nav(office: &Office) -> Markup {
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
pub(super) fn fault(e: &Error) -> Response {
    match e {
        Error::Negative(m) => problem_page(StatusCode::NOT_FOUND, "找不到", m),
        e => web::machine_fault(e, true),
    }
}

/// A stored time as the pages show it: minutes, no `T`.
pub(super) fn time(at: &str) -> String {
    at.get(..16).unwrap_or(at).replace('T', " ")
}

/// What happened to a submission or a filing, oldest first.
pub(super) fn history(events: &[Event]) -> Markup {
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
