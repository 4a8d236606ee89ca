//! Signing the office in and out: the login form with a token of its own,
//! argon2id checked off the async threads, the session cookie.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{LOGIN, Office, SESSION, checked, fault};
use crate::commands::registry_error;
use crate::error::Error;
use crate::serve::Shared;
use crate::serve::auth::{self};
use crate::serve::limit::Action;
use crate::serve::pages::layout;
use crate::serve::web::{self, blocking, cookie, page, set_cookie};

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
