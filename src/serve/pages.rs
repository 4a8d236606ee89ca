//! The pages units see, and the parts every page shares: rendered on the
//! server by maud, which escapes every value it is given.

use maud::{DOCTYPE, Markup, html};

use super::fields::{self, Field, Kind};
use crate::error::Violation;
use crate::form::FormSpec;
use crate::record::FormKind;
use crate::registry::{Submission, SubmissionStatus};

/// The page around every page's content.
pub fn layout(title: &str, nav: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · 新媒体备案" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "新媒体、QQ群、微博群备案" }
                    (nav)
                }
                main { (body) }
            }
        }
    }
}

/// A page saying one thing, with a way home.
pub fn message_page(title: &str, message: &str) -> Markup {
    layout(
        title,
        html! {},
        html! {
            h1 { (title) }
            p { (message) }
            p { a href="/" { "返回首页" } }
        },
    )
}

/// The home page: which form, or a roster.
pub fn home() -> Markup {
    let account = FormSpec::get(FormKind::Account);
    let group = FormSpec::get(FormKind::Group);
    layout(
        "首页",
        html! {},
        html! {
            h1 { "新媒体备案" }
            p.lead {
                "以学校名义开设的新媒体帐号和QQ群、微博群，须填写备案及审批表，经宣传统战部审核备案、编号后，打印一式两份，签字盖章。"
            }
            div.choices {
                a.choice #new-account href="/new/account" {
                    strong { (account.name) }
                    span { "微信公众号、微博、QQ、抖音、客户端等帐号" }
                }
                a.choice #new-group href="/new/group" {
                    strong { (group.name) }
                    span { "以学校、院系、班级、社团名义建立的QQ群、微博群" }
                }
                a.choice #roster href="/roster" {
                    strong { "上传名册（Excel）" }
                    span { "一个单位一次提交多个帐号或群" }
                }
            }
            p.hint { "提交后会得到一个回执链接：请收藏或记下，凭它查看审核结果、下载编号后的表格。" }
        },
    )
}

/// The problems of one field, joined.
fn problems_of(problems: &[Violation], path: &str) -> String {
    problems
        .iter()
        .filter(|v| v.path == path)
        .map(|v| v.message.as_str())
        .collect::<Vec<_>>()
        .join("；")
}

/// One field, with its label as printed and its problem under it.
fn field(
    spec: &FormSpec,
    f: &Field,
    values: &[(String, String)],
    problems: &[Violation],
) -> Markup {
    let value = fields::value(values, f.path).unwrap_or("");
    let problem = problems_of(problems, f.path);
    let id = format!("f-{}", f.path.replace('.', "-"));
    let label = fields::short_label(spec, f.path);
    let invalid = (!problem.is_empty()).then_some("true");
    let input_type = match f.kind {
        Kind::Mobile | Kind::Phone => "tel",
        Kind::Email => "email",
        _ => "text",
    };
    html! {
        div.field.wide[matches!(f.kind, Kind::Choice) || f.path == "unit"] data-field=(f.path) {
            @match f.kind {
                Kind::Choice | Kind::YesNo => {
                    fieldset {
                        legend { (label) @if !f.optional { span.req { "*" } } }
                        div.options {
                            @for (shown, posted) in options(spec, f) {
                                label.option {
                                    input type="radio" name=(f.path) value=(posted)
                                        checked[value == posted || value == shown]
                                        aria-invalid=[invalid];
                                    " " (shown)
                                }
                            }
                        }
                    }
                }
                _ => {
                    label for=(id) { (label) @if !f.optional { span.req { "*" } } }
                    input id=(id) name=(f.path) type=(input_type) value=(value)
                        autocomplete="off" aria-invalid=[invalid]
                        inputmode=[match f.kind { Kind::Mobile => Some("numeric"), _ => None }]
                        placeholder=[hint(f)];
                }
            }
            p.problem data-problem=(f.path) aria-live="polite" { (problem) }
        }
    }
}

/// The choices of a radio field: (shown, posted).
fn options(spec: &FormSpec, f: &Field) -> Vec<(String, String)> {
    match f.kind {
        Kind::YesNo => vec![("是".into(), "true".into()), ("否".into(), "false".into())],
        _ => spec
            .choices(f.path)
            .iter()
            .map(|c| (c.value.clone(), c.value.clone()))
            .collect(),
    }
}

/// What a field's box says before it is filled.
fn hint(f: &Field) -> Option<&'static str> {
    match (f.kind, f.path) {
        (Kind::Opened, _) => Some("如 2019-09-01，或只写年月 2019-09"),
        (Kind::Mobile, _) => Some("11位手机号"),
        (Kind::Phone, _) => Some("如 0553-5971011；没有可不填"),
        (Kind::Email, _) => Some("如 zhangsan@example.edu.cn"),
        (_, "account.platform_other") => Some("选「其他」时填写，如 抖音"),
        (_, "group.type_other") => Some("选「其他」时填写，如 微信群"),
        _ => None,
    }
}

/// The form of a record: its fields in the paper's order, grouped as the
/// paper groups them, with every problem next to its field and, at the
/// top, those of no one field.
pub fn record_form(
    form: FormKind,
    action: &str,
    values: &[(String, String)],
    problems: &[Violation],
    hidden: &[(&str, &str)],
    buttons: Markup,
) -> Markup {
    let spec = FormSpec::get(form);
    let paths = fields::paths(form);
    let general: Vec<&Violation> = problems
        .iter()
        .filter(|v| !paths.contains(&v.path.as_str()))
        .collect();
    html! {
        form #record method="post" action=(action) data-form=(form.key()) novalidate {
            input type="hidden" name="form" value=(form.key());
            // Where a preview's problems are shown again: the same form.
            input type="hidden" name="back" value=(action);
            @for (name, value) in hidden {
                input type="hidden" name=(name) value=(value);
            }
            div #problems .problems hidden[problems.is_empty()] aria-live="polite" {
                @if !problems.is_empty() {
                    p { "还有 " (problems.len()) " 处需要修改：" }
                }
                // What the server said of the record as a whole stays until
                // the next post; the script keeps its own list apart.
                ul.server {
                    @for v in &general { li { (v.to_string()) } }
                }
                ul.live {}
            }
            @for section in fields::sections(form) {
                section.group {
                    @if !section.key.is_empty() {
                        h2 { (spec.label(section.key)) }
                    }
                    @for f in &section.fields {
                        (field(spec, f, values, problems))
                    }
                }
            }
            div.buttons { (buttons) }
        }
    }
}

/// The buttons of a unit's form.
pub fn unit_buttons() -> Markup {
    html! {
        button #preview type="submit" formaction="/preview" formtarget="_blank" .secondary {
            "预览表格（PDF 草稿）"
        }
        button #submit type="submit" { "提交审核" }
    }
}

/// A unit's new (or corrected) record.
///
/// `note` is what the office said when it returned the record, shown
/// apart from the problems (which the live check redraws); `hidden` are
/// the form's own fields (its one-time `nonce`, the `seen` digest).
pub fn form_page(
    form: FormKind,
    action: &str,
    values: &[(String, String)],
    problems: &[Violation],
    note: Option<&str>,
    hidden: &[(&str, &str)],
) -> Markup {
    let spec = FormSpec::get(form);
    layout(
        spec.name.as_str(),
        html! {},
        html! {
            h1 { (spec.title) }
            p.sub { (spec.name) "　带 * 的必填；填写时下方即时提示问题。" }
            @if let Some(reason) = note {
                div.returned #returned { p { "宣传统战部退回的理由：" } p { strong { (reason) } } p { "请按理由修改后重新提交。" } }
            }
            (wechat_hint())
            (record_form(form, action, values, problems, hidden, unit_buttons()))
        },
    )
}

/// Inside WeChat (which shows no PDF and hides the address) the page says
/// how to get out of it; the script shows it there, and only there.
pub fn wechat_hint() -> Markup {
    html! {
        p.wechat hidden {
            "在微信里预览或下载 PDF 时如打不开，请点右上角「…」，选「在浏览器打开」。"
        }
    }
}

/// The status of one submission, as the unit sees it.
pub fn status_text(s: &Submission) -> String {
    match (s.status, &s.serial, &s.reason) {
        (SubmissionStatus::Filed, Some(serial), _) => format!("已备案 {serial}"),
        (SubmissionStatus::Returned, _, Some(reason)) => format!("退回（{reason}）"),
        (status, _, _) => status.label().to_owned(),
    }
}

/// The receipt: every submission under the code, its status, and the
/// filed forms to download.
pub fn receipt(origin: &str, code: &str, subs: &[Submission]) -> Markup {
    let base = format!("/r/{code}");
    layout(
        "回执",
        html! {},
        html! {
            h1 { "备案回执" }
            p.hint {
                "请收藏本页或记下地址：凭它查看审核结果，备案后在这里下载编号后的表格。地址就是凭证，请勿转发给无关人员。"
            }
            p.code #receipt-code { "回执地址：" (origin) "/r/" (code) }
            (wechat_hint())
            @for s in subs {
                article.submission {
                    h2 { (s.name) small { "　" (s.unit) } }
                    p.status #{"status-" (s.seq)} data-status=(s.status.key()) { (status_text(s)) }
                    p.meta { (s.origin) "　提交于 " (s.submitted_at.get(..16).unwrap_or(&s.submitted_at).replace('T', " ")) }
                    @match s.status {
                        SubmissionStatus::Filed => {
                            p.downloads {
                                a.button #{"download-pdf-" (s.seq)} href={(base) "/" (s.seq) "/pdf"} { "下载 PDF（一式两份，打印用）" }
                                " "
                                a.button.secondary #{"download-docx-" (s.seq)} href={(base) "/" (s.seq) "/docx"} { "下载 Word 文档" }
                            }
                            p.hint { "打印后请第一责任人、帐号管理员签字，单位盖章，一份交宣传统战部，一份本单位留存。" }
                        }
                        SubmissionStatus::Returned => {
                            p { a.button #{"edit-" (s.seq)} href={(base) "/" (s.seq) "/edit"} { "修改后重新提交" } }
                        }
                        SubmissionStatus::Pending => {
                            p.hint { "宣传统战部审核后，本页会显示编号；审核前也可以 " a href={(base) "/" (s.seq) "/edit"} { "修改" } "。" }
                        }
                    }
                }
            }
        },
    )
}

/// The roster upload page, and after a refused upload, every bad row.
pub fn roster_page(problems: &[String]) -> Markup {
    layout(
        "上传名册",
        html! {},
        html! {
            h1 { "上传名册" }
            p {
                "一个单位要备案多个帐号或群时，下载 " a #roster-template href="/roster/template.xlsx" { "名册模板（Excel）" }
                "，每行填一个，保存后在这里上传。有一行不对，整个名册都不提交，并列出所有问题。"
            }
            @if !problems.is_empty() {
                div.problems #problems {
                    p { "名册没有提交，请改好后重新上传：" }
                    ul { @for p in problems { li { (p) } } }
                }
            }
            form #roster-form method="post" action="/roster" enctype="multipart/form-data" {
                label for="roster-file" { "名册文件（.xlsx 或 .csv，最大 5 MB）" }
                input #roster-file type="file" name="roster" accept=".xlsx,.csv" required;
                div.buttons { button #roster-submit type="submit" { "上传并提交" } }
            }
        },
    )
}
