//! One filing: its versions, their files, its history.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::{Office, fault, history, nav, time};
use crate::commands::registry_error;
use crate::error::Error;
use crate::render::Format;
use crate::serve::Shared;
use crate::serve::pages::layout;
use crate::serve::web::{self, blocking, file, page, problem_page};
use crate::serve::work::{self};

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
