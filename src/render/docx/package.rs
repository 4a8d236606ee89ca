//! The package: content types, relationships, document properties and the zip.

use std::fmt::Display;
use std::io::Write as _;

use super::DocxError;
use super::xml::Xml;
use crate::layout::Layout;

pub(super) const ROOT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>",
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>",
    "</Relationships>"
);

/// The document's relationships with the QR code's picture (`rId4`).
pub(super) const DOCUMENT_RELS_QR: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>",
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>",
    "<Relationship Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"media/qr.png\"/>",
    "</Relationships>"
);

pub(super) const DOCUMENT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>",
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>",
    "</Relationships>"
);

pub(super) fn content_types(fonts: bool, png: bool) -> String {
    const WML: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml";
    let mut x = Xml::new();
    x.open(
        "Types",
        &[(
            "xmlns",
            &"http://schemas.openxmlformats.org/package/2006/content-types",
        )],
    );
    let mut default = |ext: &str, ty: &str| {
        x.empty("Default", &[("Extension", &ext), ("ContentType", &ty)]);
    };
    default(
        "rels",
        "application/vnd.openxmlformats-package.relationships+xml",
    );
    default("xml", "application/xml");
    if png {
        default("png", "image/png");
    }
    if fonts {
        default(
            "odttf",
            "application/vnd.openxmlformats-officedocument.obfuscatedFont",
        );
    }
    for (part, ty) in [
        ("/word/document.xml", format!("{WML}.document.main+xml")),
        ("/word/styles.xml", format!("{WML}.styles+xml")),
        ("/word/settings.xml", format!("{WML}.settings+xml")),
        ("/word/fontTable.xml", format!("{WML}.fontTable+xml")),
        (
            "/docProps/core.xml",
            "application/vnd.openxmlformats-package.core-properties+xml".into(),
        ),
        (
            "/docProps/app.xml",
            "application/vnd.openxmlformats-officedocument.extended-properties+xml".into(),
        ),
    ] {
        x.empty(
            "Override",
            &[("PartName", &part), ("ContentType", &ty.as_str())],
        );
    }
    x.close("Types");
    x.finish()
}

/// Core properties from the layout's metadata; dates only from the filing.
pub(super) fn core(layout: &Layout) -> String {
    let meta = &layout.meta;
    let mut x = Xml::new();
    x.open(
        "cp:coreProperties",
        &[
            (
                "xmlns:cp",
                &"http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
            ),
            ("xmlns:dc", &"http://purl.org/dc/elements/1.1/"),
            ("xmlns:dcterms", &"http://purl.org/dc/terms/"),
            ("xmlns:dcmitype", &"http://purl.org/dc/dcmitype/"),
            ("xmlns:xsi", &"http://www.w3.org/2001/XMLSchema-instance"),
        ],
    );
    x.leaf("dc:title", &[], &meta.title);
    x.leaf("dc:subject", &[], &meta.subject);
    x.leaf("dc:creator", &[], &meta.author);
    x.leaf("cp:keywords", &[], &meta.keywords.join(", "));
    x.leaf("dc:language", &[], &meta.language);
    if let Some(date) = meta.date.as_deref().and_then(w3cdtf) {
        for tag in ["dcterms:created", "dcterms:modified"] {
            x.leaf(tag, &[("xsi:type", &"dcterms:W3CDTF")], &date);
        }
    }
    x.close("cp:coreProperties");
    x.finish()
}

/// An RFC 3339 time in UTC, as W3CDTF.
fn w3cdtf(rfc3339: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(
        t.with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    )
}

pub(super) fn app(layout: &Layout) -> String {
    let mut x = Xml::new();
    x.open(
        "Properties",
        &[
            (
                "xmlns",
                &"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
            ),
            (
                "xmlns:vt",
                &"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
            ),
        ],
    );
    x.leaf(
        "Application",
        &[],
        concat!("beian ", env!("CARGO_PKG_VERSION")),
    );
    x.leaf("Pages", &[], &layout.pages.len().to_string());
    x.leaf("DocSecurity", &[], "0");
    x.close("Properties");
    x.finish()
}

/// The zip package: parts in the given order, deflated, dated 1980-01-01.
/// Fonts are deflated at the fastest level: within 4 % as small, five times
/// faster.
pub(super) fn package(parts: &[(String, Vec<u8>)]) -> Result<Vec<u8>, DocxError> {
    use zip::write::SimpleFileOptions;
    let err = |e: &dyn Display| DocxError::Package(e.to_string());
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        let options = if name.ends_with(".odttf") {
            options.compression_level(Some(1))
        } else {
            options
        };
        zip.start_file(name.as_str(), options)
            .map_err(|e| err(&e))?;
        zip.write_all(bytes).map_err(|e| err(&e))?;
    }
    Ok(zip.finish().map_err(|e| err(&e))?.into_inner())
}
