//! `beian serve`: the filing service on the campus network. Units fill in a
//! form (or upload a roster) in a browser and get a receipt; the office signs
//! in, reviews, files (the serial is assigned then) and prints. Everything
//! lives in the one registry the command line uses.
//!
//! The pages are HTML rendered on the server (maud escapes every value),
//! with one small script for live checks; every form also works as a plain
//! post without it. Every asset comes from the binary.

// Handlers answer `Result<_, Response>`: the error is the answer itself,
// sent at once, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
pub mod fields;
pub mod limit;
pub mod office;
pub mod pages;
pub mod roster;
pub mod unit;
pub mod web;
pub mod work;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::error::Error;
use crate::registry::Registry;
use auth::Sessions;
use limit::{Limiter, Limits};

/// A record is a few kilobytes; 64 KB is room for any honest one.
pub const RECORD_LIMIT: usize = 64 * 1024;
/// A department's roster workbook.
pub const ROSTER_LIMIT: usize = 5 * 1024 * 1024;

/// How the service runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    /// Behind nginx on this machine: the client's address is the one nginx
    /// puts in `X-Real-IP` (trusted only from a loopback peer), and cookies
    /// are `Secure` when nginx says the request came over TLS.
    pub behind_proxy: bool,
    pub limits: Limits,
    /// No request log on stderr (tests).
    pub quiet: bool,
}

/// What every handler shares.
pub struct App {
    registry: Mutex<Registry>,
    pub sessions: Sessions,
    pub limiter: Limiter,
    pub options: Options,
    /// One permit per core for the work that renders a PDF or DOCX: with
    /// fifty previews rendering at once on two cores, a live check (half a
    /// millisecond of work) waited behind all of them (BENCHMARKS.md).
    pub renders: tokio::sync::Semaphore,
    /// Forms already submitted, by their one-time code.
    pub sent: unit::Sent,
}

pub type Shared = Arc<App>;

impl App {
    pub fn new(registry: Registry, options: Options) -> App {
        App {
            registry: Mutex::new(registry),
            sessions: Sessions::default(),
            limiter: Limiter::new(options.limits),
            options,
            sent: unit::Sent::default(),
            renders: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
        }
    }

    /// The registry, for one piece of blocking work. A panic in another
    /// handler while it held the lock rolled its transaction back, so the
    /// registry is still sound.
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn registry_path(&self) -> PathBuf {
        self.registry().path().to_owned()
    }
}

/// Every route of the service.
pub fn router(app: Shared) -> Router {
    let unit = Router::new()
        .route("/", get(unit::home))
        .route("/new/{form}", get(unit::new_form))
        // Opened by hand (reloaded, bookmarked, 「在浏览器打开」 in WeChat):
        // the page they belong to.
        .route("/submit", post(unit::submit).get(unit::home_again))
        .route("/preview", post(unit::preview).get(unit::home_again))
        .route("/r/{code}", get(unit::receipt))
        .route("/r/{code}/{seq}/edit", get(unit::edit))
        .route(
            "/r/{code}/{seq}",
            post(unit::resubmit).get(unit::receipt_again),
        )
        .route("/r/{code}/{seq}/{file}", get(unit::download))
        .route("/roster", get(roster::roster_page))
        .route("/roster/template.xlsx", get(roster::roster_template))
        .route(
            "/roster",
            post(roster::roster_upload).layer(DefaultBodyLimit::max(ROSTER_LIMIT)),
        )
        .route("/assets/{name}", get(web::asset))
        .route("/api/check", post(api::check))
        .route("/api/preview", post(api::preview))
        .route("/api/submissions", post(api::submit))
        .route("/api/submissions/{receipt}", get(api::receipt));
    let office = Router::new()
        .route("/office/login", get(office::login_page).post(office::login))
        .route("/office/logout", post(office::logout))
        .route("/office", get(office::queue))
        .route("/office/s/{id}", get(office::submission))
        .route("/office/s/{id}/preview.pdf", get(office::submission_pdf))
        .route("/office/s/{id}/correct", post(office::correct))
        .route("/office/s/{id}/approve", post(office::approve))
        .route("/office/s/{id}/return", post(office::return_it))
        .route("/office/register", get(office::register))
        .route("/office/register/export", get(office::export))
        .route("/office/print", post(office::print))
        .route("/office/f/{serial}", get(office::filing))
        .route(
            "/office/f/{serial}/{version}/{file}",
            get(office::filing_file),
        )
        .route("/api/office/session", get(api::office_session))
        .route("/api/office/submissions", get(api::office_submissions))
        .route(
            "/api/office/submissions/{id}/approve",
            post(api::office_approve),
        )
        .route(
            "/api/office/submissions/{id}/return",
            post(api::office_return),
        )
        .route("/api/office/filings", get(api::office_filings))
        .route("/api/office/filings/{serial}", get(api::office_filing));
    unit.merge(office)
        .fallback(web::not_found)
        .layer(DefaultBodyLimit::max(RECORD_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            web::headers,
        ))
        .with_state(app)
}

/// A service bound to its address, running until it is dropped or
/// [`Running::stop`]ped: what `beian serve` runs, and what the tests start
/// on `127.0.0.1:0`.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), Error>>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub fn stop(mut self) -> Result<(), Error> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), Error> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::Internal("服务线程异常退出".into())),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// Binds `options.listen` and serves on a thread of its own.
pub fn start(registry: Registry, options: Options) -> Result<Running, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("beian-serve")
        .build()
        .map_err(|e| Error::Internal(format!("无法启动服务线程：{e}")))?;
    let listen = options.listen;
    // Bound here, with the standard library, so that a caller inside a
    // runtime of its own (a test) can start a service too; handed to tokio
    // on the service's thread.
    let listener = std::net::TcpListener::bind(listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| {
            Error::Usage(format!(
                "无法在 {listen} 上提供服务（{e}）：地址已被占用，或没有权限使用这个端口；换一个 --listen"
            ))
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Internal(format!("无法读取服务地址：{e}")))?;
    let app = Arc::new(App::new(registry, options));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("beian-serve".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .map_err(|e| Error::Internal(format!("服务出错：{e}")))?;
                let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
                axum::serve(listener, service)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .map_err(|e| Error::Internal(format!("服务出错：{e}")))
            })
        })
        .map_err(|e| Error::Internal(format!("无法启动服务线程：{e}")))?;
    Ok(Running {
        addr,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// `beian serve`: serves until Ctrl-C or SIGTERM (systemd's stop).
pub fn serve(
    registry: Registry,
    options: Options,
    say: crate::commands::Say<'_>,
) -> Result<(), Error> {
    let has_users = registry
        .has_office_users()
        .map_err(|e| crate::commands::registry_error(registry.path(), e))?;
    let path = registry.path().display().to_string();
    let running = start(registry, options)?;
    let shown = match running.addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            format!("本机各地址的 {} 端口", running.addr.port())
        }
        _ => format!("http://{}", running.addr),
    };
    say(&format!("beian 备案服务已启动：{shown}（登记簿 {path}）"));
    say("  各单位：打开上面的地址填写、提交；宣传统战部：地址后加 /office 登录审核");
    if !has_users {
        say(
            "  还没有设置办公室口令：另开终端运行 beian serve --set-password（否则无法登录 /office）",
        );
    }
    say("  按 Ctrl-C 停止");
    let stop = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("无法等待停止信号：{e}")))?;
    stop.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    });
    say("正在停止：等待进行中的请求完成");
    running.stop()?;
    say("已停止");
    Ok(())
}
