//! The register: filings searched and filtered, printed many at once as
//! one PDF, exported as PDF, XLSX or CSV.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::{Deserialize, Serialize};

use super::{Office, checked, fault, nav};
use crate::commands::registry_error;
use crate::error::Error;
use crate::record::{FormKind, Record};
use crate::registry::{FilingRecord, ListFilter};
use crate::serve::Shared;
use crate::serve::pages::layout;
use crate::serve::web::{self, blocking, file, page, problem_page};
use crate::serve::work::{self};

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
