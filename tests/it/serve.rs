//! `beian serve` over real HTTP on 127.0.0.1:0: every route, the login on
//! every office route, CSRF, limits, a submission's whole life to a PDF that
//! `beian verify` accepts, a return, rosters, and fifty units at once.

use std::path::PathBuf;

use beian::registry::Registry;
use beian::serve::limit::Limits;
use beian::serve::{Options, Running};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode, redirect};
use serde_json::{Value, json};

use crate::util::{beian_in, root};

const USER: &str = "张老师";
const PASSWORD: &str = "office-pass-2026";

/// A service on a fresh registry with one office user.
pub struct Service {
    /// Kept for its drop: the service stops with the test.
    _running: Running,
    pub dir: tempfile::TempDir,
    pub base: String,
    pub http: Client,
}

impl Service {
    pub fn start() -> Service {
        Service::with_limits(Limits::default())
    }

    pub fn with_limits(limits: Limits) -> Service {
        Service::with(limits, false)
    }

    pub fn with(limits: Limits, behind_proxy: bool) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let mut registry = Registry::open(dir.path().join("beian.db")).unwrap();
        let hash = beian::serve::auth::hash_password(PASSWORD).unwrap();
        registry
            .set_office_user(USER, &hash, chrono::Local::now().fixed_offset())
            .unwrap();
        let running = beian::serve::start(
            registry,
            Options {
                listen: "127.0.0.1:0".parse().unwrap(),
                behind_proxy,
                limits,
                quiet: true,
            },
        )
        .unwrap();
        let base = format!("http://{}", running.addr);
        let http = Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap();
        Service {
            _running: running,
            dir,
            base,
            http,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn registry_path(&self) -> PathBuf {
        self.dir.path().join("beian.db")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Submits a record through the API: its receipt code.
    pub async fn submit(&self, record: &Value) -> String {
        let res = self.post_json("/api/submissions", record).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        body["receipt"].as_str().unwrap().to_owned()
    }

    /// Signs the office in: its session.
    pub async fn login(&self) -> OfficeSession {
        let page = self.get("/office/login").await;
        let cookie = cookie_of(&page, "beian_login").expect("login cookie");
        let token = hidden(&page.text().await.unwrap(), "csrf");
        let res = self
            .http
            .post(self.url("/office/login"))
            .header(COOKIE, format!("beian_login={cookie}"))
            .form(&[("user", USER), ("password", PASSWORD), ("csrf", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login refused");
        let session = cookie_of(&res, "beian_office").expect("session cookie");
        let queue = self
            .http
            .get(self.url("/office"))
            .header(COOKIE, format!("beian_office={session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(queue.status(), StatusCode::OK);
        let csrf = hidden(&queue.text().await.unwrap(), "csrf");
        OfficeSession { session, csrf }
    }
}

/// A signed-in office: its cookie and its CSRF token.
pub struct OfficeSession {
    pub session: String,
    pub csrf: String,
}

impl OfficeSession {
    pub fn cookie(&self) -> String {
        format!("beian_office={}", self.session)
    }
}

impl Service {
    pub async fn office_get(&self, office: &OfficeSession, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .header(COOKIE, office.cookie())
            .send()
            .await
            .unwrap()
    }

    /// Posts an office form with its CSRF token.
    pub async fn office_post(
        &self,
        office: &OfficeSession,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &office.csrf));
        self.http
            .post(self.url(path))
            .header(COOKIE, office.cookie())
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// The office's pending submissions (API).
    pub async fn pending(&self, office: &OfficeSession) -> Vec<Value> {
        let res = self
            .office_get(office, "/api/office/submissions?status=pending")
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        body["submissions"].as_array().unwrap().clone()
    }

    pub async fn receipt(&self, code: &str) -> Value {
        let res = self.get(&format!("/api/submissions/{code}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }
}

fn cookie_of(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_owned())
        })
}

/// The value of the first hidden input named `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The account example as the API takes it.
pub fn account(name: &str, id: &str) -> Value {
    json!({
        "form": "account",
        "unit": "信息工程系",
        "account": {
            "platform": "微信",
            "name": name,
            "id": id,
            "verified": true,
            "opened": "2019-09-01",
            "interactive": true,
            "interactive_reviewed": true
        },
        "principal": {
            "name": "张三", "title": "系主任", "mobile": "13800000000",
            "office_phone": "0553-5971011", "email": "zhangsan@example.edu.cn"
        },
        "admin": {
            "name": "李四", "title": "团总支书记", "mobile": "13900000000",
            "office_phone": "0553-5971012", "email": "lisi@example.edu.cn"
        }
    })
}

/// The account example as the page posts it.
fn account_form(mobile: &str) -> Vec<(&'static str, String)> {
    [
        ("form", "account"),
        ("unit", "信息工程系"),
        ("account.platform", "微信"),
        ("account.name", "信息工程系学生会"),
        ("account.id", "gh_3f2a9c81d7e4"),
        ("account.verified", "true"),
        ("account.opened", "2019-09-01"),
        ("account.interactive", "true"),
        ("account.interactive_reviewed", "true"),
        ("principal.name", "张三"),
        ("principal.title", "系主任"),
        ("principal.mobile", mobile),
        ("principal.email", "zhangsan@example.edu.cn"),
        ("admin.name", "李四"),
        ("admin.title", "团总支书记"),
        ("admin.mobile", "13900000000"),
        ("admin.email", "lisi@example.edu.cn"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn every_unit_route_answers_in_chinese() {
    run(async {
        let s = Service::start();
        for (path, kind) in [
            ("/", "text/html"),
            ("/new/account", "text/html"),
            ("/new/group", "text/html"),
            ("/roster", "text/html"),
            ("/assets/app.js", "text/javascript"),
            ("/assets/style.css", "text/css"),
        ] {
            let res = s.get(path).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with(kind), "{path}: {ct}");
        }
        let template = s.get("/roster/template.xlsx").await;
        assert_eq!(template.status(), StatusCode::OK);
        assert!(template.bytes().await.unwrap().starts_with(b"PK"));
        // The page of each form shows the labels and choices of forms/*.toml.
        let page = s.get("/new/group").await.text().await.unwrap();
        for word in [
            "安徽商贸职业技术学院QQ群、微博群备案及审批表",
            "群类型",
            "QQ群",
            "微博群",
            "群号",
            "第一责任人（群主/辅导员）",
        ] {
            assert!(page.contains(word), "group page lacks {word}");
        }
        let missing = s.get("/no/such/page").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert!(missing.text().await.unwrap().contains("找不到这个页面"));
        let bad_form = s.get("/new/other").await;
        assert_eq!(bad_form.status(), StatusCode::NOT_FOUND);
    });
}

#[test]
fn every_answer_carries_the_security_headers() {
    run(async {
        let s = Service::start();
        for path in ["/", "/new/account", "/office/login", "/api/submissions/00"] {
            let res = s.get(path).await;
            let h = res.headers();
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(h["referrer-policy"], "no-referrer");
        }
        // No inline script anywhere: the CSP would block it.
        let page = s.get("/new/account").await.text().await.unwrap();
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert!(page.contains(r#"<script src="/assets/app.js""#));
        assert!(!page.contains(" onclick=") && !page.contains(" oninput="));
    });
}

/// Every office route: without a session, pages go to the login and the
/// API answers 401; a forged cookie is no session either.
#[test]
fn nothing_of_the_office_is_reachable_without_the_login() {
    run(async {
        let s = Service::start();
        let code = s
            .submit(&account("信息工程系学生会", "gh_3f2a9c81d7e4"))
            .await;
        assert_eq!(code.len(), 32);
        let gets = [
            "/office",
            "/office?status=filed",
            "/office/s/1",
            "/office/s/1/preview.pdf",
            "/office/register",
            "/office/register/export?format=csv",
            "/office/f/XMT-2026-0001",
            "/office/f/XMT-2026-0001/1/pdf",
        ];
        let posts = [
            "/office/logout",
            "/office/s/1/correct",
            "/office/s/1/approve",
            "/office/s/1/return",
            "/office/print",
        ];
        let api_gets = [
            "/api/office/session",
            "/api/office/submissions",
            "/api/office/filings",
            "/api/office/filings/XMT-2026-0001",
        ];
        let api_posts = [
            "/api/office/submissions/1/approve",
            "/api/office/submissions/1/return",
        ];
        // Every office route the router has is in these lists: a route
        // added later without its line here fails this test.
        let router = std::fs::read_to_string(root().join("src/serve/mod.rs")).unwrap();
        let tried: Vec<String> = gets
            .iter()
            .chain(&posts)
            .chain(&api_gets)
            .chain(&api_posts)
            .map(|p| p.split('?').next().unwrap().to_owned())
            .collect();
        for route in router
            .split(".route(\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap())
        {
            if !(route.starts_with("/office") || route.starts_with("/api/office"))
                || route == "/office/login"
            {
                continue;
            }
            let pattern: Vec<&str> = route.split('/').collect();
            let covered = tried.iter().any(|t| {
                let parts: Vec<&str> = t.split('/').collect();
                parts.len() == pattern.len()
                    && parts
                        .iter()
                        .zip(&pattern)
                        .all(|(a, b)| a == b || b.starts_with('{'))
            });
            assert!(covered, "office route {route} is not tried without a login");
        }
        for cookie in ["", "beian_office=forged0000000000000000000000000000"] {
            for path in gets {
                let res = s
                    .http
                    .get(s.url(path))
                    .header(COOKIE, cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::SEE_OTHER, "GET {path}");
                assert_eq!(res.headers()[LOCATION], "/office/login", "GET {path}");
            }
            for path in posts {
                let res = s
                    .http
                    .post(s.url(path))
                    .header(COOKIE, cookie)
                    .form(&[("csrf", "x"), ("reason", "x"), ("serial", "XMT-2026-0001")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST {path}");
                assert_eq!(res.headers()[LOCATION], "/office/login", "POST {path}");
            }
            for path in api_gets {
                let res = s
                    .http
                    .get(s.url(path))
                    .header(COOKIE, cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "GET {path}");
                let body: Value = res.json().await.unwrap();
                assert!(body["error"].as_str().unwrap().contains("请先登录"));
            }
            for path in api_posts {
                let res = s
                    .http
                    .post(s.url(path))
                    .header(COOKIE, cookie)
                    .json(&json!({"reason": "x"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "POST {path}");
            }
        }
        // Nothing happened to the submission.
        let receipt = s.receipt(&code).await;
        assert_eq!(receipt["submissions"][0]["status"], "pending");
    });
}

#[test]
fn the_login_takes_the_right_password_only_and_sets_a_strict_cookie() {
    run(async {
        let s = Service::start();
        let page = s.get("/office/login").await;
        let cookie = cookie_of(&page, "beian_login").unwrap();
        let token = hidden(&page.text().await.unwrap(), "csrf");
        let attempt = |password: &'static str, csrf: String, cookie: String| {
            s.http
                .post(s.url("/office/login"))
                .header(COOKIE, format!("beian_login={cookie}"))
                .form(&[("user", USER), ("password", password), ("csrf", &csrf)])
                .send()
        };
        let wrong = attempt("wrong-password", token.clone(), cookie.clone())
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert!(cookie_of(&wrong, "beian_office").is_none());
        assert!(wrong.text().await.unwrap().contains("用户名或口令不对"));
        // The login form's own token: a post from elsewhere has none.
        let forged = attempt(PASSWORD, "0".repeat(64), cookie.clone())
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let right = attempt(PASSWORD, token, cookie).await.unwrap();
        assert_eq!(right.status(), StatusCode::SEE_OTHER);
        let set: Vec<String> = right
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let session = set.iter().find(|c| c.starts_with("beian_office=")).unwrap();
        assert!(session.contains("HttpOnly"), "{session}");
        assert!(session.contains("SameSite=Strict"), "{session}");
        assert!(!session.contains("Secure"), "plain HTTP: {session}");
        // Signing out ends the session.
        let token = session["beian_office=".len()..]
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let office = OfficeSession {
            csrf: hidden(
                &s.http
                    .get(s.url("/office"))
                    .header(COOKIE, format!("beian_office={token}"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap(),
                "csrf",
            ),
            session: token,
        };
        let out = s.office_post(&office, "/office/logout", &[]).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let after = s.office_get(&office, "/office").await;
        assert_eq!(after.headers()[LOCATION], "/office/login");
    });
}

#[test]
fn office_posts_without_their_csrf_token_change_nothing() {
    run(async {
        let s = Service::start();
        let code = s
            .submit(&account("信息工程系学生会", "gh_3f2a9c81d7e4"))
            .await;
        let office = s.login().await;
        for path in [
            "/office/s/1/approve",
            "/office/s/1/return",
            "/office/s/1/correct",
        ] {
            let res = s
                .http
                .post(s.url(path))
                .header(COOKIE, office.cookie())
                .form(&[("reason", "x"), ("csrf", "not-the-token")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
            assert!(res.text().await.unwrap().contains("请刷新页面后重试"));
        }
        let api = s
            .http
            .post(s.url("/api/office/submissions/1/approve"))
            .header(COOKIE, office.cookie())
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            s.receipt(&code).await["submissions"][0]["status"],
            "pending"
        );
        // With it, the API approves.
        let ok = s
            .http
            .post(s.url("/api/office/submissions/1/approve"))
            .header(COOKIE, office.cookie())
            .header("x-csrf-token", &office.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        let body: Value = ok.json().await.unwrap();
        assert!(body["serial"].as_str().unwrap().starts_with("XMT-"));
    });
}

#[test]
fn check_and_preview_speak_as_beian_check_does() {
    run(async {
        let s = Service::start();
        let mut bad = account("信息工程系学生会", "gh_3f2a9c81d7e4");
        bad["principal"]["mobile"] = json!("1380000");
        let res = s.post_json("/api/check", &bad).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["ok"], false);
        assert_eq!(body["violations"][0]["path"], "principal.mobile");
        assert_eq!(body["violations"][0]["label"], "第一责任人·手机");
        assert_eq!(
            body["violations"][0]["text"],
            "principal.mobile（第一责任人·手机）：「1380000」不是11位手机号"
        );
        // The page's words: choices to tick, not `true`/`false`.
        let mut unticked = account("a", "gh_1");
        unticked["account"]
            .as_object_mut()
            .unwrap()
            .remove("interactive");
        unticked["account"]
            .as_object_mut()
            .unwrap()
            .remove("interactive_reviewed");
        let file: Value = s
            .post_json("/api/check", &unticked)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            file["violations"][0]["message"],
            "缺少此项：填 true（是）或 false（否）"
        );
        let web: Value = s
            .post_json("/api/check?words=web", &unticked)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(web["violations"][0]["message"], "请选择「是」或「否」");
        let mut form = account_form("13800000000");
        form.retain(|(k, _)| !k.starts_with("account.interactive"));
        let page = s
            .http
            .post(s.url("/submit"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("请选择「是」或「否」"), "{page}");
        let good = s.post_json("/api/check", &account("a", "gh_1")).await;
        assert_eq!(good.json::<Value>().await.unwrap()["ok"], true);
        // A record with a serial: the office assigns it.
        let mut stamped = account("a", "gh_1");
        stamped["serial"] = json!("XMT-2026-0001");
        let body: Value = s
            .post_json("/api/check", &stamped)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["violations"][0]["path"], "serial");
        // JSON that does not parse is said with its place.
        let broken = s
            .http
            .post(s.url("/api/check"))
            .body("{\"form\": \"account\",")
            .send()
            .await
            .unwrap();
        let body: Value = broken.json().await.unwrap();
        assert!(
            body["violations"][0]["text"]
                .as_str()
                .unwrap()
                .contains("第 1 行"),
            "{body}"
        );

        let pdf = s.post_json("/api/preview", &account("a", "gh_1")).await;
        assert_eq!(pdf.status(), StatusCode::OK);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        let bytes = pdf.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let text = crate::util::pdf_pages_text(&bytes).join("\n");
        assert!(text.contains("草稿"), "{text}");
        let refused = s.post_json("/api/preview", &bad).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // The page's own preview (a plain form post, no script).
        let page_pdf = s
            .http
            .post(s.url("/preview"))
            .form(&account_form("13800000000"))
            .send()
            .await
            .unwrap();
        assert_eq!(page_pdf.headers()["content-type"], "application/pdf");
        let page_bad = s
            .http
            .post(s.url("/preview"))
            .form(&account_form("1380000"))
            .send()
            .await
            .unwrap();
        assert_eq!(page_bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = page_bad.text().await.unwrap();
        assert!(html.contains("「1380000」不是11位手机号"), "{html}");
        // The values typed are kept.
        assert!(html.contains("value=\"1380000\""));
    });
}

#[test]
fn bodies_are_limited_and_said_so() {
    run(async {
        let s = Service::start();
        let mut big = account("a", "gh_1");
        big["unit"] = json!("系".repeat(30_000));
        let res = s.post_json("/api/check", &big).await;
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("64 KB"));
        let mut form = account_form("13800000000");
        form.push(("unit", "系".repeat(30_000)));
        let res = s
            .http
            .post(s.url("/submit"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(res.text().await.unwrap().contains("64 KB"));
        // A roster may be up to 5 MB, not more.
        // (A client of its own: the server answers before it has read it
        // all and closes, so the client may see its write cut off first;
        // tried until it reads the answer.)
        let mut answer = None;
        for _ in 0..10 {
            let sent = Client::new()
                .post(s.url("/roster"))
                .multipart(
                    reqwest::multipart::Form::new().part(
                        "roster",
                        reqwest::multipart::Part::bytes(vec![b'a'; 6 * 1024 * 1024])
                            .file_name("名册.csv"),
                    ),
                )
                .send()
                .await;
            if let Ok(res) = sent {
                answer = Some(res);
                break;
            }
        }
        let res = answer.expect("an answer to an oversized roster");
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(res.text().await.unwrap().contains("5 MB"));
        let office = s.login().await;
        assert!(s.pending(&office).await.is_empty(), "nothing stored");
    });
}

#[test]
fn logins_and_submissions_are_rate_limited_per_address() {
    run(async {
        let s = Service::with_limits(Limits {
            logins: 3,
            submissions: 2,
            checks: 1000,
        });
        for _ in 0..3 {
            let res = s
                .http
                .post(s.url("/office/login"))
                .form(&[("user", USER), ("password", "guess"), ("csrf", "x")])
                .send()
                .await
                .unwrap();
            assert_ne!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        }
        let res = s
            .http
            .post(s.url("/office/login"))
            .form(&[("user", USER), ("password", PASSWORD), ("csrf", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().contains_key("retry-after"));
        assert!(res.text().await.unwrap().contains("操作太频繁"));
        s.submit(&account("一", "gh_1")).await;
        s.submit(&account("二", "gh_2")).await;
        let third = s
            .post_json("/api/submissions", &account("三", "gh_3"))
            .await;
        assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    });
}

/// Submit → approve → the receipt shows the serial → download → the PDF
/// verifies with `beian verify`; `list` and `show` see the filing.
#[test]
fn a_submission_lives_from_the_page_to_a_verified_pdf() {
    run(async {
        let s = Service::start();
        // The unit's page, as a plain post: the answer is the receipt.
        let res = s
            .http
            .post(s.url("/submit"))
            .form(&account_form("13800000000"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
        let code = location.strip_prefix("/r/").unwrap().to_owned();
        assert!(
            code.len() == 32 && code.chars().all(|c| c.is_ascii_hexdigit()),
            "{code}"
        );
        let receipt = s.get(&location).await.text().await.unwrap();
        assert!(receipt.contains("待审核"));
        assert!(!receipt.contains("download-pdf-1"));
        // Not filed yet: nothing to download.
        assert_eq!(
            s.get(&format!("/r/{code}/1/pdf")).await.status(),
            StatusCode::CONFLICT
        );

        let office = s.login().await;
        let queue = s.office_get(&office, "/office").await.text().await.unwrap();
        assert!(queue.contains("信息工程系学生会") && queue.contains("open-submission"));
        assert!(
            queue.contains("待审核（1）") && queue.contains("已备案（0）"),
            "{queue}"
        );
        let review = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        assert!(review.contains("id=\"approve\""));
        let preview = s.office_get(&office, "/office/s/1/preview.pdf").await;
        assert!(preview.bytes().await.unwrap().starts_with(b"%PDF"));
        let approved = s.office_post(&office, "/office/s/1/approve", &[]).await;
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        let year = chrono::Local::now().format("%Y").to_string();
        let serial = format!("XMT-{year}-0001");
        let review = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        assert!(review.contains(&serial), "{review}");
        // Approving twice files once.
        let again = s.office_post(&office, "/office/s/1/approve", &[]).await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let body = s.receipt(&code).await;
        assert_eq!(body["submissions"][0]["status"], "filed");
        assert_eq!(body["submissions"][0]["serial"], serial.as_str());
        assert_eq!(body["submissions"][0]["label"], format!("已备案 {serial}"));
        let page = s.get(&location).await.text().await.unwrap();
        assert!(page.contains(&format!("已备案 {serial}")) && page.contains("download-pdf-1"));
        let pdf = s.get(&format!("/r/{code}/1/pdf")).await;
        assert_eq!(pdf.status(), StatusCode::OK);
        let pdf = pdf.bytes().await.unwrap();
        let docx = s
            .get(&format!("/r/{code}/1/docx"))
            .await
            .bytes()
            .await
            .unwrap();
        assert!(docx.starts_with(b"PK"));
        let text = crate::util::pdf_pages_text(&pdf).join("\n");
        assert!(text.contains(&serial) && !text.contains("草稿"), "{text}");

        // The command line, beside the running service, sees the filing.
        let dir = s.dir.path();
        std::fs::write(dir.join("form.pdf"), &pdf).unwrap();
        std::fs::write(dir.join("form.docx"), &docx).unwrap();
        let registry = s.registry_path();
        let registry = registry.to_str().unwrap();
        let verify = beian_in(
            dir,
            &["--registry", registry, "verify", "form.pdf", "form.docx"],
            None,
        );
        assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
        assert!(verify.stdout.contains(&serial), "{}", verify.stdout);
        let list = beian_in(dir, &["--registry", registry, "list"], None);
        assert!(list.stdout.contains(&serial) && list.stdout.contains("信息工程系学生会"));
        let show = beian_in(dir, &["--registry", registry, "show", &serial], None);
        assert!(
            show.stdout.contains("经办记录") && show.stdout.contains(USER),
            "{}",
            show.stdout
        );
        let regen = beian_in(
            dir,
            &["--registry", registry, "regen", &serial, "-o", "again"],
            None,
        );
        assert_eq!(regen.code, 0, "{}", regen.stderr);
        assert_eq!(
            std::fs::read(dir.join("again").join(format!("{serial}.pdf"))).unwrap(),
            pdf.to_vec()
        );

        // The office's view of the filing: versions, history, files.
        let filing = s
            .office_get(&office, &format!("/office/f/{serial}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(filing.contains("批准备案") && filing.contains("提交"));
        let api: Value = s
            .office_get(&office, &format!("/api/office/filings/{serial}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(api["history"].as_array().unwrap().len(), 2, "{api}");
        let file = s
            .office_get(&office, &format!("/office/f/{serial}/1/pdf"))
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(file, pdf);

        // Corrected later from the command line: the submission's page
        // shows the form as it is now.
        let filed =
            std::fs::read_to_string(dir.join("again").join(format!("{serial}.toml"))).unwrap();
        std::fs::write(dir.join("fix.toml"), filed.replace("李四", "李四海")).unwrap();
        let fix = beian_in(
            dir,
            &["--registry", registry, "render", "fix.toml", "-o", "fixed"],
            None,
        );
        assert_eq!(fix.code, 0, "{}", fix.stderr);
        let review = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            review.contains(&format!("/office/f/{serial}/2/pdf")),
            "{review}"
        );
    });
}

#[test]
fn a_returned_submission_is_mended_and_filed() {
    run(async {
        let s = Service::start();
        let code = s
            .submit(&account("信息工程系学生会", "gh_3f2a9c81d7e4"))
            .await;
        let office = s.login().await;
        let res = s
            .office_post(
                &office,
                "/office/s/1/return",
                &[("reason", "帐号管理员应为在职教师")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let body = s.receipt(&code).await;
        assert_eq!(body["submissions"][0]["status"], "returned");
        assert_eq!(
            body["submissions"][0]["label"],
            "退回（帐号管理员应为在职教师）"
        );
        let page = s.get(&format!("/r/{code}")).await.text().await.unwrap();
        assert!(page.contains("退回（帐号管理员应为在职教师）"));
        // A returned submission cannot be approved.
        let refused = s.office_post(&office, "/office/s/1/approve", &[]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // The unit mends it under the same receipt.
        let edit = s
            .get(&format!("/r/{code}/1/edit"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            edit.contains("宣传统战部退回的理由")
                && edit.contains("帐号管理员应为在职教师")
                && edit.contains("value=\"李四\"")
        );
        let mut form = account_form("13800000000");
        form.retain(|(k, _)| *k != "admin.name");
        form.push(("admin.name", "王老师".into()));
        let res = s
            .http
            .post(s.url(&format!("/r/{code}/1")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            s.receipt(&code).await["submissions"][0]["status"],
            "pending"
        );
        let history = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            history.contains("帐号管理员·姓名"),
            "what the unit changed is kept"
        );
        let ok = s.office_post(&office, "/office/s/1/approve", &[]).await;
        assert_eq!(ok.status(), StatusCode::SEE_OTHER);
        let body = s.receipt(&code).await;
        assert_eq!(body["submissions"][0]["status"], "filed");
        let review = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        for step in ["提交", "退回", "重新提交", "批准备案"] {
            assert!(review.contains(step), "history lacks {step}");
        }
        // A filed one cannot be edited by the unit any more.
        let res = s
            .http
            .post(s.url(&format!("/r/{code}/1")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    });
}

#[test]
fn the_office_corrects_a_typo_before_filing() {
    run(async {
        let s = Service::start();
        s.submit(&account("信息工程系学生会", "gh_3f2a9c81d7e4"))
            .await;
        let office = s.login().await;
        let mut form: Vec<(&str, String)> = account_form("13800000000");
        form.retain(|(k, _)| *k != "account.name" && *k != "form");
        form.push(("account.name", "信息工程系团委".into()));
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = s.office_post(&office, "/office/s/1/correct", &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let review = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        assert!(review.contains("信息工程系团委") && review.contains("更正"));
        // A correction with a problem is refused beside its field.
        let mut bad = fields.clone();
        bad.retain(|(k, _)| *k != "principal.mobile");
        bad.push(("principal.mobile", "1380000"));
        let res = s.office_post(&office, "/office/s/1/correct", &bad).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("不是11位手机号"));
    });
}

#[test]
fn a_unit_sees_only_its_own_submission() {
    run(async {
        let s = Service::start();
        let a = s.submit(&account("甲", "gh_a")).await;
        let b = s.submit(&account("乙", "gh_b")).await;
        let body = s.receipt(&a).await;
        let subs = body["submissions"].as_array().unwrap();
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0]["name"], "甲");
        assert!(!serde_json::to_string(&body).unwrap().contains("乙"));
        assert_ne!(a, b);
        for code in ["0".repeat(32), "x".into(), a[..31].to_owned()] {
            assert_eq!(
                s.get(&format!("/api/submissions/{code}")).await.status(),
                StatusCode::NOT_FOUND
            );
            assert_eq!(
                s.get(&format!("/r/{code}")).await.status(),
                StatusCode::NOT_FOUND
            );
            assert_eq!(
                s.get(&format!("/r/{code}/1/pdf")).await.status(),
                StatusCode::NOT_FOUND
            );
        }
        assert_eq!(
            s.get(&format!("/r/{a}/2/pdf")).await.status(),
            StatusCode::NOT_FOUND
        );
    });
}

#[test]
fn a_roster_is_submitted_whole_or_refused_with_every_bad_row() {
    run(async {
        let s = Service::start();
        let upload = |bytes: Vec<u8>, name: &'static str| {
            let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
            s.http
                .post(s.url("/roster"))
                .multipart(reqwest::multipart::Form::new().part("roster", part))
                .send()
        };
        let mut csv = std::fs::read_to_string(root().join("examples/roster.csv")).unwrap();
        let good_rows = csv.lines().count() - 1;
        csv = csv.replacen("13700000000", "1370000", 1);
        csv = csv.replacen("873462901", "87346290x", 1);
        let bad = upload(csv.into_bytes(), "名册.csv").await.unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = bad.text().await.unwrap();
        assert!(page.contains("「1370000」不是11位手机号"), "{page}");
        assert!(page.contains("87346290x"), "{page}");
        let office = s.login().await;
        assert!(
            s.pending(&office).await.is_empty(),
            "a refused roster stores nothing"
        );

        let xlsx = std::fs::read(root().join("examples/roster.xlsx")).unwrap();
        let res = upload(xlsx, "名册.xlsx").await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let code = res.headers()[LOCATION]
            .to_str()
            .unwrap()
            .trim_start_matches("/r/")
            .to_owned();
        let body = s.receipt(&code).await;
        let subs = body["submissions"].as_array().unwrap();
        assert!(subs.len() >= good_rows.min(2), "{body}");
        assert!(subs.iter().all(|s| s["status"] == "pending"));
        assert_eq!(s.pending(&office).await.len(), subs.len());
    });
}

#[test]
fn the_register_searches_prints_and_exports() {
    run(async {
        let s = Service::start();
        let office = s.login().await;
        for (name, id) in [("甲", "gh_a"), ("乙", "gh_b"), ("丙", "gh_c")] {
            s.submit(&account(name, id)).await;
        }
        for id in 1..=3 {
            let res = s
                .office_post(&office, &format!("/office/s/{id}/approve"), &[])
                .await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
        }
        let year = chrono::Local::now().format("%Y").to_string();
        let all = s
            .office_get(&office, "/office/register")
            .await
            .text()
            .await
            .unwrap();
        assert!(all.contains(&format!("XMT-{year}-0003")));
        let api: Value = s
            .office_get(&office, "/api/office/filings?q=gh_b")
            .await
            .json()
            .await
            .unwrap();
        let rows = api["filings"].as_array().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["name"], "乙");
        let none: Value = s
            .office_get(&office, "/api/office/filings?form=group")
            .await
            .json()
            .await
            .unwrap();
        assert!(none["filings"].as_array().unwrap().is_empty());
        let s1 = format!("XMT-{year}-0001");
        let s3 = format!("XMT-{year}-0003");
        let job = s
            .office_post(
                &office,
                "/office/print",
                &[("serial", &s1), ("serial", &s3), ("duplex", "1")],
            )
            .await;
        assert_eq!(job.status(), StatusCode::OK);
        let pages = crate::util::pdf_pages_text(&job.bytes().await.unwrap());
        // Two forms, two copies each, every copy's back left blank.
        assert_eq!(pages.len(), 8);
        assert!(pages[0].contains(&s1) && pages[4].contains(&s3));
        // Everything the search lists, ticked or not: the page's own list.
        let register = s
            .office_get(&office, "/office/register?q=gh_")
            .await
            .text()
            .await
            .unwrap();
        assert!(register.contains("打印列出的全部 3 份"));
        let listed: Vec<String> = register
            .match_indices(r#"name="listed" value=""#)
            .map(|(i, m)| {
                register[i + m.len()..]
                    .split('"')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let mut fields: Vec<(&str, &str)> = listed.iter().map(|v| ("listed", v.as_str())).collect();
        fields.push(("all", "1"));
        let all = s.office_post(&office, "/office/print", &fields).await;
        let pages = crate::util::pdf_pages_text(&all.bytes().await.unwrap());
        assert_eq!(pages.len(), 6, "three forms, two copies, no duplex");
        for (format, magic) in [
            ("pdf", &b"%PDF"[..]),
            ("xlsx", b"PK"),
            ("csv", "\u{feff}".as_bytes()),
        ] {
            let res = s
                .office_get(
                    &office,
                    &format!("/office/register/export?format={format}&q=gh_"),
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK, "{format}");
            assert!(res.bytes().await.unwrap().starts_with(magic), "{format}");
        }
        let csv = s
            .office_get(&office, "/office/register/export?format=csv&q=gh_b")
            .await
            .text()
            .await
            .unwrap();
        assert!(csv.contains("乙") && !csv.contains("甲"), "{csv}");
    });
}

/// Fifty units submit at the same moment: each stored once; approved, the
/// serials run 1 to 50 without a gap.
#[test]
fn fifty_units_submit_at_once() {
    run(async {
        let s = Service::with_limits(Limits {
            logins: 10,
            submissions: 1000,
            checks: 10_000,
        });
        let mut tasks = Vec::new();
        for i in 0..50 {
            let http = s.http.clone();
            let url = s.url("/api/submissions");
            let record = account(&format!("帐号{i:02}"), &format!("gh_{i:04}"));
            tasks.push(tokio::spawn(async move {
                let res = http.post(url).json(&record).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::CREATED);
                res.json::<Value>().await.unwrap()["receipt"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }));
        }
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap());
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 50);
        let office = s.login().await;
        let pending = s.pending(&office).await;
        assert_eq!(pending.len(), 50);
        let mut names: Vec<&str> = pending
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 50, "each stored once");
        // Approved by two office clients at once.
        let ids: Vec<i64> = pending.iter().map(|p| p["id"].as_i64().unwrap()).collect();
        let mut tasks = Vec::new();
        for id in ids.iter().chain(&ids) {
            let http = s.http.clone();
            let url = s.url(&format!("/api/office/submissions/{id}/approve"));
            let (cookie, csrf) = (office.cookie(), office.csrf.clone());
            tasks.push(tokio::spawn(async move {
                http.post(url)
                    .header(COOKIE, cookie)
                    .header("x-csrf-token", csrf)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                StatusCode::OK => ok += 1,
                StatusCode::UNPROCESSABLE_ENTITY => {}
                other => panic!("approve answered {other}"),
            }
        }
        assert_eq!(ok, 50, "each approved once");
        let registry = Registry::open(s.registry_path()).unwrap();
        let mut serials = registry.serials().unwrap();
        serials.sort();
        let year = chrono::Local::now().format("%Y").to_string();
        let expected: Vec<String> = (1..=50).map(|n| format!("XMT-{year}-{n:04}")).collect();
        assert_eq!(serials, expected);
    });
}

fn group(name: &str, number: &str) -> Value {
    json!({
        "form": "group",
        "unit": "电子商务系",
        "group": {"type": "QQ群", "name": name, "number": number, "verified": false, "opened": "2025-09-06"},
        "principal": {"name": "王芳", "title": "辅导员", "mobile": "13700000000", "email": "wangfang@example.edu.cn"},
        "admin": {"name": "赵磊", "title": "班长", "mobile": "13600000000", "email": "zhaolei@example.edu.cn"}
    })
}

#[test]
fn the_office_api_names_groups_by_number_and_refuses_a_second_filing_of_one_account() {
    run(async {
        let s = Service::start();
        let office = s.login().await;
        // A script's way to the CSRF token.
        let me: Value = s
            .office_get(&office, "/api/office/session")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["user"], USER);
        assert_eq!(me["csrf"], office.csrf.as_str());
        s.submit(&group("2025级电子商务3班", "873462915")).await;
        s.submit(&account("信息工程系学生会", "gh_3f2a9c81d7e4"))
            .await;
        // The same account again, under another name for it.
        s.submit(&account("信息工程系学生会（新）", "gh_3f2a9c81d7e4"))
            .await;
        for id in 1..=2 {
            let res = s
                .office_post(&office, &format!("/office/s/{id}/approve"), &[])
                .await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
        }
        let again = s.office_post(&office, "/office/s/3/approve", &[]).await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = again.text().await.unwrap();
        assert!(
            page.contains("不能重复备案") && !page.contains("--allow-duplicate"),
            "{page}"
        );
        let rows: Value = s
            .office_get(&office, "/api/office/filings?form=group")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rows["filings"][0]["id"], "873462915");
        assert_eq!(rows["filings"][0]["form"], "group");
        assert_eq!(rows["filings"][0]["form_label"], "附件2");
        let found: Value = s
            .office_get(&office, "/api/office/filings?q=873462915")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(found["filings"].as_array().unwrap().len(), 1);
        for bad in ["form=other", "year=26", "year=x"] {
            let res = s
                .office_get(&office, &format!("/api/office/filings?{bad}"))
                .await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
            let page = s
                .office_get(&office, &format!("/office/register?{bad}"))
                .await;
            assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
    });
}

#[test]
fn behind_nginx_over_tls_the_cookies_are_secure() {
    run(async {
        let s = Service::with(Limits::default(), true);
        let res = s
            .http
            .get(s.url("/office/login"))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(cookie.contains("; Secure"), "{cookie}");
        let plain = s.get("/office/login").await;
        assert!(
            !plain.headers()[SET_COOKIE]
                .to_str()
                .unwrap()
                .contains("Secure")
        );
        // The rate limit counts the address nginx gives.
        let s = Service::with(
            Limits {
                logins: 1,
                submissions: 1,
                checks: 10,
            },
            true,
        );
        for (ip, expected) in [
            ("10.1.1.1", StatusCode::CREATED),
            ("10.1.1.2", StatusCode::CREATED),
            ("10.1.1.1", StatusCode::TOO_MANY_REQUESTS),
        ] {
            let res = s
                .http
                .post(s.url("/api/submissions"))
                .header("x-real-ip", ip)
                .json(&account(
                    &format!("帐号{ip}"),
                    &format!("gh_{}", ip.replace('.', "")),
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), expected, "{ip}");
        }
    });
}

/// The command line files beside the running service, into the same
/// registry: the numbers of the two never collide.
#[test]
fn the_command_line_files_beside_the_running_service() {
    run(async {
        let s = Service::start();
        let office = s.login().await;
        s.submit(&account("信息工程系学生会", "gh_3f2a9c81d7e4"))
            .await;
        let dir = s.dir.path();
        let registry = s.registry_path();
        let registry = registry.to_str().unwrap();
        let example = root().join("examples/account.toml");
        let mut text = std::fs::read_to_string(&example).unwrap();
        text = text
            .replace("gh_3f2a9c81d7e4", "gh_cli000000001")
            .replace("信息工程系学生会", "信息工程系团委");
        std::fs::write(dir.join("cli.toml"), text).unwrap();
        let cli = beian_in(
            dir,
            &["--registry", registry, "render", "cli.toml", "-o", "out"],
            None,
        );
        assert_eq!(cli.code, 0, "{}", cli.stderr);
        let res = s.office_post(&office, "/office/s/1/approve", &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let year = chrono::Local::now().format("%Y").to_string();
        assert!(
            cli.stdout.contains(&format!("XMT-{year}-0001")),
            "{}",
            cli.stdout
        );
        // The command line's filing is in the history too, and so is its
        // correction.
        let year_serial = format!("XMT-{year}-0001");
        let history: Value = s
            .office_get(&office, &format!("/api/office/filings/{year_serial}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(history["history"][0]["action"], "filed", "{history}");
        assert!(
            history["history"][0]["actor"]
                .as_str()
                .unwrap()
                .starts_with("命令行")
        );
        let filed =
            std::fs::read_to_string(dir.join("out").join(format!("{year_serial}.toml"))).unwrap();
        std::fs::write(
            dir.join("fix.toml"),
            filed.replace("信息工程系团委", "信息工程系团总支"),
        )
        .unwrap();
        let fix = beian_in(
            dir,
            &["--registry", registry, "render", "fix.toml", "-o", "out"],
            None,
        );
        assert_eq!(fix.code, 0, "{}", fix.stderr);
        let page = s
            .office_get(&office, &format!("/office/f/{year_serial}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("更正为第 2 版"), "{page}");
        let web = s.receipt(&s.submit(&account("x", "gh_x")).await).await;
        assert_eq!(web["submissions"][0]["status"], "pending");
        let review = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        assert!(review.contains(&format!("XMT-{year}-0002")), "{review}");
    });
}

/// The office files what it looked at: a unit's change after the office
/// opened the submission stops the approval.
#[test]
fn an_approval_files_the_record_the_office_saw() {
    run(async {
        let s = Service::start();
        let code = s
            .submit(&account("信息工程系学生会", "gh_3f2a9c81d7e4"))
            .await;
        let office = s.login().await;
        let page = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        let seen = hidden(&page, "seen");
        let mut form = account_form("13800000000");
        form.retain(|(k, _)| *k != "account.name");
        form.push(("account.name", "信息工程系学生会（改）".into()));
        let res = s
            .http
            .post(s.url(&format!("/r/{code}/1")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let stale = s
            .office_post(&office, "/office/s/1/approve", &[("seen", &seen)])
            .await;
        assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(stale.text().await.unwrap().contains("被修改过"));
        assert_eq!(
            s.receipt(&code).await["submissions"][0]["status"],
            "pending"
        );
        let page = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        let seen = hidden(&page, "seen");
        let ok = s
            .office_post(&office, "/office/s/1/approve", &[("seen", &seen)])
            .await;
        assert_eq!(ok.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            s.receipt(&code).await["submissions"][0]["name"],
            "信息工程系学生会（改）"
        );
    });
}

/// Submissions made through the service after a backup are not lost by a
/// restore unless the office insists.
#[test]
fn a_restore_keeps_web_submissions_made_after_the_backup() {
    run(async {
        let s = Service::start();
        s.submit(&account("甲", "gh_a")).await;
        let dir = s.dir.path();
        let registry = s.registry_path();
        let registry = registry.to_str().unwrap();
        let backup = beian_in(dir, &["--registry", registry, "backup", "backup.db"], None);
        assert_eq!(backup.code, 0, "{}", backup.stderr);
        let code = s.submit(&account("乙", "gh_b")).await;
        let refused = beian_in(dir, &["--registry", registry, "restore", "backup.db"], None);
        assert_eq!(refused.code, 2, "{}", refused.stdout);
        assert!(
            refused.stderr.contains("网上申请的经办记录"),
            "{}",
            refused.stderr
        );
        assert_eq!(s.receipt(&code).await["submissions"][0]["name"], "乙");
    });
}

/// A second tap on 提交 (or a client sending twice) is one submission.
#[test]
fn a_form_sent_twice_is_stored_once() {
    run(async {
        let s = Service::start();
        let page = s.get("/new/account").await.text().await.unwrap();
        let nonce = hidden(&page, "nonce");
        assert_eq!(nonce.len(), 32);
        let mut form = account_form("13800000000");
        form.push(("nonce", nonce.clone()));
        let first = s
            .http
            .post(s.url("/submit"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let again = s
            .http
            .post(s.url("/submit"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(first.headers()[LOCATION], again.headers()[LOCATION]);
        let record = account("乙", "gh_b");
        let mut codes = Vec::new();
        for _ in 0..2 {
            let res = s
                .http
                .post(s.url("/api/submissions"))
                .header("idempotency-key", "unit-42")
                .json(&record)
                .send()
                .await
                .unwrap();
            codes.push(res.json::<Value>().await.unwrap()["receipt"].clone());
        }
        assert_eq!(codes[0], codes[1]);
        let office = s.login().await;
        assert_eq!(s.pending(&office).await.len(), 2);
        // A receipt code as written down: case does not matter.
        let code = first.headers()[LOCATION]
            .to_str()
            .unwrap()
            .trim_start_matches("/r/")
            .to_uppercase();
        assert_eq!(s.get(&format!("/r/{code}")).await.status(), StatusCode::OK);
    });
}

/// Returned, the reason stands apart from the problems (the live check
/// redraws those); a preview of the mended form keeps to that form.
#[test]
fn a_returned_form_keeps_its_reason_and_its_place() {
    run(async {
        let s = Service::start();
        let code = s
            .submit(&account("信息工程系学生会", "gh_3f2a9c81d7e4"))
            .await;
        let office = s.login().await;
        s.office_post(&office, "/office/s/1/return", &[("reason", "名称写错了")])
            .await;
        let edit = s
            .get(&format!("/r/{code}/1/edit"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            edit.contains(r#"id="returned""#) && edit.contains("名称写错了"),
            "{edit}"
        );
        assert!(edit.contains(&format!(r#"name="back" value="/r/{code}/1""#)));
        let seen = hidden(&edit, "seen");
        // The preview of a form with a problem comes back to the same row.
        let mut form = account_form("1380000");
        form.push(("back", format!("/r/{code}/1")));
        form.push(("seen", seen.clone()));
        let page = s
            .http
            .post(s.url("/preview"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!(r#"action="/r/{code}/1""#)), "{page}");
        assert!(page.contains(&format!(r#"name="seen" value="{seen}""#)));
        // Anywhere else is not a place to go back to.
        let mut form = account_form("1380000");
        form.push(("back", "https://evil.example/x".into()));
        let page = s
            .http
            .post(s.url("/preview"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"action="/submit""#));
        // The office corrects meanwhile: the unit's edit of the old text is
        // not saved over it.
        let review = s
            .office_get(&office, "/office/s/1")
            .await
            .text()
            .await
            .unwrap();
        assert!(!review.contains("id=\"approve\""), "returned: no approve");
        let mut form = account_form("13800000000");
        form.retain(|(k, _)| *k != "form");
        let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fields.push(("account.name", "宣传部改的名称"));
        let office_seen = hidden(&review, "seen");
        fields.push(("seen", &office_seen));
        let res = s.office_post(&office, "/office/s/1/correct", &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let mut form = account_form("13800000000");
        form.push(("seen", seen));
        let stale = s
            .http
            .post(s.url(&format!("/r/{code}/1")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(stale.text().await.unwrap().contains("改动过这份申请"));
        // And the office's stale correction is refused the same way.
        let res = s.office_post(&office, "/office/s/1/correct", &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("被单位修改过"));
    });
}

/// Addresses typed wrong, opened by hand or reloaded: Chinese pages, never
/// axum's English, and the page they belong to where there is one.
#[test]
fn wrong_addresses_are_said_in_chinese() {
    run(async {
        let s = Service::start();
        let code = s.submit(&account("甲", "gh_a")).await;
        for path in [
            format!("/r/{code}/abc/edit"),
            format!("/r/{code}/99999999999/pdf"),
            "/office/login?x=1".replace("?x=1", "/nope"),
        ] {
            let res = s.get(&path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            let text = res.text().await.unwrap();
            assert!(
                text.contains("找不到") && !text.contains("Invalid URL"),
                "{path}: {text}"
            );
        }
        let api = s.get("/api/submissions/zz/x").await;
        assert!(api.status().is_client_error());
        for (path, to) in [
            ("/submit", "/".to_owned()),
            ("/preview", "/".to_owned()),
            (&*format!("/r/{code}/1"), format!("/r/{code}")),
        ] {
            let res = s.get(path).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(res.headers()[LOCATION], to.as_str());
        }
        let office = s.login().await;
        for path in [
            "/office/s/abc",
            "/office/s/999",
            "/office/f/XMT-2026-0009",
            "/office/f/XMT-2026-0009/9/pdf",
            "/office/register?q=a&q=b",
        ] {
            let res = s.office_get(&office, path).await;
            assert!(
                res.status() == StatusCode::NOT_FOUND || res.status() == StatusCode::BAD_REQUEST,
                "{path}: {}",
                res.status()
            );
            let text = res.text().await.unwrap();
            assert!(
                !text.contains("Failed to") && !text.contains("Invalid URL"),
                "{path}: {text}"
            );
        }
        let res = s.office_get(&office, "/office/s/1/approve").await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(res.text().await.unwrap().contains("不能直接打开"));
        let res = s
            .office_post(&office, "/office/print", &[("serial", "XMT-2026-0009")])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    });
}

#[test]
fn a_roster_says_each_bad_row_by_its_printed_fields() {
    run(async {
        let s = Service::start();
        let upload = |bytes: Vec<u8>| {
            let part = reqwest::multipart::Part::bytes(bytes).file_name("名册.csv");
            s.http
                .post(s.url("/roster"))
                .multipart(reqwest::multipart::Form::new().part("roster", part))
                .send()
        };
        let csv = std::fs::read_to_string(root().join("examples/roster.csv")).unwrap();
        let bad = csv
            .replacen("13700000000", "1370000", 1)
            .replacen("873462902", "87346290x", 1);
        let page = upload(bad.into_bytes())
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("共 2 行有问题"), "{page}");
        assert!(
            page.contains("「第一责任人·手机」「1370000」不是11位手机号"),
            "{page}"
        );
        assert!(
            !page.contains("没有生成") && !page.contains("principal.mobile"),
            "{page}"
        );
        let mut lines: Vec<&str> = csv.lines().collect();
        let row = lines[1].to_owned();
        let many: Vec<String> = (0..301)
            .map(|i| row.replace("gh_7c1e2a9b3d04", &format!("gh_{i:012}")))
            .collect();
        lines.truncate(1);
        let big = format!("{}\n{}\n", lines[0], many.join("\n"));
        let page = upload(big.into_bytes())
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("一次最多上传 300 行"), "{page}");
    });
}

/// Every office form takes its token: print, sign out, the API's return.
#[test]
fn every_office_post_checks_its_token() {
    run(async {
        let s = Service::start();
        s.submit(&account("甲", "gh_a")).await;
        let office = s.login().await;
        for path in [
            "/office/print",
            "/office/logout",
            "/office/s/1/approve",
            "/office/s/1/return",
            "/office/s/1/correct",
        ] {
            let res = s
                .http
                .post(s.url(path))
                .header(COOKIE, office.cookie())
                .form(&[
                    ("serial", "XMT-2026-0001"),
                    ("reason", "x"),
                    ("csrf", "wrong"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        }
        for path in [
            "/api/office/submissions/1/return",
            "/api/office/submissions/1/approve",
        ] {
            let res = s
                .http
                .post(s.url(path))
                .header(COOKIE, office.cookie())
                .header("x-csrf-token", "wrong")
                .json(&json!({"reason": "x"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        }
        // Still signed in, nothing changed.
        assert_eq!(s.pending(&office).await.len(), 1);
    });
}

/// A new password, or a user removed from the command line, ends that
/// user's open sessions at once — no restart.
#[test]
fn a_changed_password_or_a_removed_user_ends_their_sessions() {
    run(async {
        let s = Service::start();
        let office = s.login().await;
        assert_eq!(
            s.office_get(&office, "/office").await.status(),
            StatusCode::OK
        );
        let dir = s.dir.path();
        let registry = s.registry_path();
        let registry = registry.to_str().unwrap();
        let set = beian_in(
            dir,
            &[
                "--registry",
                registry,
                "serve",
                "--set-password",
                "--user",
                USER,
            ],
            Some("another-pass-2027\n".as_bytes()),
        );
        assert_eq!(set.code, 0, "{}", set.stderr);
        let res = s.office_get(&office, "/office").await;
        assert_eq!(
            res.headers()[LOCATION],
            "/office/login",
            "the old session ended"
        );
        let api = s.office_get(&office, "/api/office/session").await;
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

        let office = {
            // Signed in again with the new password.
            let page = s.get("/office/login").await;
            let cookie = cookie_of(&page, "beian_login").unwrap();
            let token = hidden(&page.text().await.unwrap(), "csrf");
            let res = s
                .http
                .post(s.url("/office/login"))
                .header(COOKIE, format!("beian_login={cookie}"))
                .form(&[
                    ("user", USER),
                    ("password", "another-pass-2027"),
                    ("csrf", &token),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            OfficeSession {
                session: cookie_of(&res, "beian_office").unwrap(),
                csrf: String::new(),
            }
        };
        assert_eq!(
            s.office_get(&office, "/office").await.status(),
            StatusCode::OK
        );
        let removed = beian_in(
            dir,
            &["--registry", registry, "serve", "--remove-user", USER],
            None,
        );
        assert_eq!(removed.code, 0, "{}", removed.stderr);
        assert!(removed.stdout.contains("已删除"));
        assert_eq!(
            s.office_get(&office, "/office").await.headers()[LOCATION],
            "/office/login"
        );
        let unknown = beian_in(
            dir,
            &["--registry", registry, "serve", "--remove-user", "无此人"],
            None,
        );
        assert_eq!(unknown.code, 2);
        assert!(
            unknown.stderr.contains("没有名为「无此人」的办公室用户"),
            "{}",
            unknown.stderr
        );
    });
}
