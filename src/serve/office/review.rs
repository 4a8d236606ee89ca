//! The queue of submissions and one submission: shown as the printed form,
//! corrected, approved (the serial assigned in the filing's transaction) or
//! returned with a reason.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Office, checked, fault, history, nav, time};
use crate::commands::registry_error;
use crate::error::{Error, Violation};
use crate::record::FormKind;
use crate::registry::{Event, Filed, Submission, SubmissionStatus};
use crate::serve::pages::{layout, record_form, status_text};
use crate::serve::web::{self, blocking, file, page, problem_page};
use crate::serve::work::{self, Refusal};
use crate::serve::{Shared, fields};

#[derive(Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
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
    let seen = fields::value(&values, "seen").map(str::to_owned);
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
        registry
            .correct_submission(
                id,
                &record.to_toml(),
                &record.unit,
                record.subject_name(),
                &user,
                &detail,
                seen.as_deref(),
                chrono::Local::now().fixed_offset(),
            )
            .map_err(|e| match e {
                // Approved by someone else meanwhile: said, not a fault.
                e @ crate::registry::RegistryError::NotPending { .. } => {
                    Refusal::Record(vec![work::whole(format!("{e}，更正没有保存"))])
                }
                crate::registry::RegistryError::SubmissionChanged { .. } => {
                    Refusal::Record(vec![work::whole(
                        "这份申请在您打开之后被单位修改过，您的更正没有保存；请看过修改后的内容再更正"
                            .to_owned(),
                    )])
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
    let seen = fields::value(&values, "seen").map(str::to_owned);
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
    let reason = fields::value(&values, "reason").unwrap_or("");
    let outcome = return_one(&app, id, reason, &office.session.user).await;
    after_action(&app, &office, id, outcome).await
}
