//! DOCX output: the form as a real Word table that a unit secretary can open in Word or WPS.
//!
//! The secretary can correct and print it there.
//!
//! [`render`] is a pure function of a finished [`Layout`], like
//! [`crate::render::pdf::render`]: the same layout gives the same bytes, in
//! any process, at any time (zip entries dated 1980-01-01, parts in a fixed
//! order, ids counted from 1, document dates only from the filing time).
//!
//! # What the layout becomes
//!
//! - Each layout page (one copy) becomes one run of paragraphs and **one Word
//!   table**; copies after the first start with `w:pageBreakBefore`.
//! - The grid: `w:tblGrid` in twips from [`Table::columns`], fixed layout,
//!   `w:gridSpan` for horizontal merges, `w:vMerge` for vertical ones, row
//!   heights `w:hRule="atLeast"` the PDF's, cell vertical alignment, single
//!   black borders as wide as the PDF's rules, the PDF's cell padding.
//! - Paragraphs keep alignment, first-line and right indents, space before and
//!   after, and their line pitch as exact line spacing, so Word sets the same
//!   number of lines in the same height. A paragraph the layout puts in the
//!   top margin (the 第一联/第二联 mark) becomes a frame (`w:framePr`) at the
//!   same place, so it takes no room from the form and each copy stays one page.
//! - [`Span::Fill`] is a right tab stop at the paragraph's right edge and a
//!   `w:tab`; an empty [`Span::Blank`] is its underscores; a filled one is the
//!   value underlined, padded with no-break spaces (which Word underlines even
//!   at a line end) to about the blank's width; a seal paragraph is an empty
//!   paragraph as high as the clear area.
//! - [`Span::Check`] is a Word content-control checkbox (`w14:checkbox` in a
//!   `w:sdt`), ticked as the record says, which Word and WPS let the user
//!   toggle; its run is ☑/☐ in Segoe UI Symbol (on every Windows since 7), so
//!   it still shows where content controls are not understood.
//! - Every run states its size after any shrinking to fit (half-points) and
//!   its fonts: by default the font a Chinese office has (`w:eastAsia`, e.g.
//!   宋体, bold as `w:b`; Latin in Times New Roman). The font table describes
//!   them as Word does (panose, GB2312 charset 0x86, `w:altName` SimSun) and
//!   also lists the font beian ships, Noto Serif CJK SC.
//! - With [`DocxOptions::embed_fonts`] the shipped fonts are embedded
//!   (`word/fonts/*.odttf`, `w:embedRegular`/`w:embedBold` with a
//!   `w:fontKey`, `w:embedTrueTypeFonts`), subset to the characters used
//!   (and the digits), obfuscated as ECMA-376 Part 1 §17.8.1 prescribes.
//!   Runs then name the shipped font for all text, as the PDF sets it, and
//!   the font table gives the office font as its `w:altName`. (A word
//!   processor uses an embedded font only where a run names it: LibreOffice,
//!   given runs in 宋体 on a machine without 宋体, falls back to its own
//!   substitutes and never to the embedded font — tested in
//!   `.ci/docx-check.sh`.)
//!
//! # Why WordprocessingML written by hand
//!
//! docx-rs (the library the developer guide first named) writes some run and
//! paragraph properties out of schema order, always writes its own fixed font
//! table, cannot embed fonts and has no checkbox content controls; fixing that
//! means rewriting its output afterwards, i.e. parsing XML again. The subset
//! of WordprocessingML this form needs is small, so it is written directly:
//! a ~40-line escaping writer ([`xml::Xml`]) and one function per element, each
//! emitting its children in the order the schema's sequence gives (CT_PPr,
//! CT_RPr, CT_TblPr, CT_TcPr, CT_Settings, CT_Font), and the `zip` crate for
//! the package. No XML is parsed and nothing is post-processed.
//!
//! # Font subsetting
//!
//! The shipped fonts are CID-keyed CFF OpenType files of 64k glyphs. The
//! `subsetter` crate krilla uses keeps no `cmap` (fine in a PDF, useless to a
//! word processor); fontations' subsetter (klippa) is unpublished and has no
//! CFF support. `allsorts` (YesLogic, the engine of Prince) subsets CID-keyed
//! CFF and writes a Unicode `cmap`, `name`, `OS/2` and `post`: about 12 µs
//! per glyph, 2–4 ms for a form's ≈ 250 glyphs, 30–60 KB per face. It also
//! rewrites the `name` table and rebuilds the font for the subset's tagged
//! family name. allsorts is behind the default `embed-fonts` feature; a build
//! without it refuses `--embed-fonts`.

mod document;
#[cfg(feature = "embed-fonts")]
mod embed;
mod fonts;
mod package;
mod styles;
mod xml;

use std::fmt::{self, Display};

use crate::layout::Layout;
use document::{Body, LATIN_FONT, RunStyle};
use fonts::{font_rels, font_table};
use package::{DOCUMENT_RELS, DOCUMENT_RELS_QR, ROOT_RELS, app, content_types, core, package};
use styles::{settings, styles};

/// How to write the DOCX.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocxOptions {
    /// Embed the shipped fonts, subset to the characters used, so that the
    /// form looks the same where no Chinese font is installed.
    pub embed_fonts: bool,
}

/// Why a DOCX could not be written. A bug or a broken font, never the user's input.
#[derive(Debug)]
pub enum DocxError {
    /// A font the layout names is not shipped, or could not be subset.
    Font(String),
    /// Writing the zip package failed.
    Package(String),
    /// Fonts were to be embedded, but beian was built without the
    /// `embed-fonts` feature.
    NoEmbedding,
}

impl Display for DocxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocxError::Font(why) => write!(f, "docx font: {why}"),
            DocxError::Package(why) => write!(f, "docx package: {why}"),
            DocxError::NoEmbedding => write!(
                f,
                "docx fonts: this beian was built without the embed-fonts feature"
            ),
        }
    }
}

impl std::error::Error for DocxError {}

/// Writes a layout as a DOCX: one Word table per layout page (copy).
pub fn render(layout: &Layout, options: &DocxOptions) -> Result<Vec<u8>, DocxError> {
    let tag = subset_tag(layout, options)?;
    let mut body = Body::new(tag.clone());
    let document = body.document(layout);
    let embedded = match &tag {
        #[cfg(feature = "embed-fonts")]
        Some(tag) => embed::embed(&body.used, tag)?,
        _ => Vec::new(),
    };
    let (office, latin) = (body.office.clone(), body.latin.clone());
    let defaults = body.first_style.take().unwrap_or_else(|| RunStyle {
        latin: LATIN_FONT.into(),
        east_asia: "宋体".into(),
        bold: false,
        size: 21,
    });

    // A filed form's QR code: one picture, anchored on every copy.
    // (The drawings name the picture: it is always in the package when they
    // are, even should encoding it fail.)
    let qr = body.has_qr.then(|| {
        layout
            .pages
            .iter()
            .find_map(|p| p.qr.as_ref())
            .and_then(document::qr_png)
            .unwrap_or_default()
    });
    let mut parts: Vec<(String, Vec<u8>)> = vec![
        (
            "[Content_Types].xml".into(),
            content_types(!embedded.is_empty(), qr.is_some()).into(),
        ),
        ("_rels/.rels".into(), ROOT_RELS.into()),
        ("docProps/app.xml".into(), app(layout).into()),
        ("docProps/core.xml".into(), core(layout).into()),
        ("word/document.xml".into(), document.into()),
        (
            "word/_rels/document.xml.rels".into(),
            match qr.is_some() {
                true => DOCUMENT_RELS_QR,
                false => DOCUMENT_RELS,
            }
            .into(),
        ),
        ("word/styles.xml".into(), styles(&defaults).into()),
        (
            "word/settings.xml".into(),
            settings(!embedded.is_empty()).into(),
        ),
        (
            "word/fontTable.xml".into(),
            font_table(&office, &latin, &body.used, &embedded, tag.as_deref())?.into(),
        ),
    ];
    if let Some(png) = qr {
        parts.push(("word/media/qr.png".into(), png));
    }
    if !embedded.is_empty() {
        parts.push((
            "word/_rels/fontTable.xml.rels".into(),
            font_rels(&embedded).into(),
        ));
        for font in embedded {
            parts.push((format!("word/{}", font.part), font.data));
        }
    }
    package(&parts)
}

/// The tag of this document's font subsets, if fonts are embedded.
#[cfg(feature = "embed-fonts")]
fn subset_tag(layout: &Layout, options: &DocxOptions) -> Result<Option<String>, DocxError> {
    Ok(options.embed_fonts.then(|| embed::subset_tag(layout)))
}

/// Without the `embed-fonts` feature, asking to embed fonts is an error
/// (the command line refuses the option before this).
#[cfg(not(feature = "embed-fonts"))]
fn subset_tag(_: &Layout, options: &DocxOptions) -> Result<Option<String>, DocxError> {
    if options.embed_fonts {
        Err(DocxError::NoEmbedding)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::io::Source;
    use crate::layout::LayoutOptions;
    use crate::pipeline::prepare_text;

    pub(crate) fn layout(copies: usize) -> Layout {
        let text = include_str!("../../../examples/douyin.json");
        prepare_text(
            &Source::File("douyin.json".into()),
            text,
            None,
            LayoutOptions {
                copies,
                ..Default::default()
            },
        )
        .map(|(_, l)| l)
        .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) fn document(embed: bool) -> String {
        let mut body = Body::new(embed.then(|| "ABCDEF".to_owned()));
        body.document(&layout(2))
    }

    /// An element's name as the part writes it, with its prefix.
    fn prefixed(node: roxmltree::Node<'_, '_>) -> String {
        let name = node.tag_name();
        match name.namespace().and_then(|ns| node.lookup_prefix(ns)) {
            Some(prefix) if !prefix.is_empty() => format!("{prefix}:{}", name.name()),
            _ => name.name().to_owned(),
        }
    }

    /// Names of the child elements of every `<parent>` element, in order.
    fn children(xml: &str, parent: &str) -> Vec<Vec<String>> {
        let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
        doc.descendants()
            .filter(|n| n.is_element() && prefixed(*n) == parent)
            .map(|n| {
                n.children()
                    .filter(|c| c.is_element())
                    .map(prefixed)
                    .collect()
            })
            .collect()
    }

    /// Asserts that every `<parent>` lists its children in `order`.
    fn in_schema_order(xml: &str, parent: &str, order: &[&str]) {
        let lists = children(xml, parent);
        assert!(!lists.is_empty(), "no {parent}");
        for names in lists {
            let at: Vec<usize> = names
                .iter()
                .map(|n| {
                    order
                        .iter()
                        .position(|o| o == n)
                        .unwrap_or_else(|| panic!("{n} not expected in {parent}"))
                })
                .collect();
            assert!(at.windows(2).all(|w| w[0] < w[1]), "{parent}: {names:?}");
        }
    }

    #[test]
    fn properties_are_in_schema_order() {
        for embed in [false, true] {
            let xml = document(embed);
            // CT_RPr (the elements beian writes among them, in sequence order).
            in_schema_order(
                &xml,
                "w:rPr",
                &[
                    "w:rStyle",
                    "w:rFonts",
                    "w:b",
                    "w:bCs",
                    "w:i",
                    "w:iCs",
                    "w:color",
                    "w:kern",
                    "w:sz",
                    "w:szCs",
                    "w:highlight",
                    "w:u",
                    "w:lang",
                ],
            );
            // CT_PPr
            in_schema_order(
                &xml,
                "w:pPr",
                &[
                    "w:pStyle",
                    "w:keepNext",
                    "w:keepLines",
                    "w:pageBreakBefore",
                    "w:framePr",
                    "w:widowControl",
                    "w:tabs",
                    "w:autoSpaceDE",
                    "w:autoSpaceDN",
                    "w:spacing",
                    "w:ind",
                    "w:jc",
                    "w:rPr",
                ],
            );
            // CT_TblPr
            in_schema_order(
                &xml,
                "w:tblPr",
                &[
                    "w:tblStyle",
                    "w:tblW",
                    "w:jc",
                    "w:tblInd",
                    "w:tblBorders",
                    "w:tblLayout",
                    "w:tblCellMar",
                ],
            );
            in_schema_order(
                &xml,
                "w:tblBorders",
                &[
                    "w:top",
                    "w:left",
                    "w:bottom",
                    "w:right",
                    "w:insideH",
                    "w:insideV",
                ],
            );
            in_schema_order(
                &xml,
                "w:tblCellMar",
                &["w:top", "w:left", "w:bottom", "w:right"],
            );
            // CT_TcPr
            in_schema_order(
                &xml,
                "w:tcPr",
                &["w:tcW", "w:gridSpan", "w:vMerge", "w:vAlign"],
            );
            in_schema_order(&xml, "w:trPr", &["w:cantSplit", "w:trHeight"]);
            // CT_SdtPr: rPr, id, then the w14 extension.
            in_schema_order(&xml, "w:sdtPr", &["w:rPr", "w:id", "w14:checkbox"]);
            in_schema_order(
                &xml,
                "w14:checkbox",
                &["w14:checked", "w14:checkedState", "w14:uncheckedState"],
            );
            in_schema_order(&xml, "w:sectPr", &["w:pgSz", "w:pgMar"]);
        }
        in_schema_order(
            &settings(true),
            "w:settings",
            &[
                "w:zoom",
                "w:embedTrueTypeFonts",
                "w:saveSubsetFonts",
                "w:defaultTabStop",
                "w:characterSpacingControl",
                "w:compat",
                "w:themeFontLang",
                "w:decimalSymbol",
                "w:listSeparator",
            ],
        );
    }

    #[test]
    #[cfg(feature = "embed-fonts")]
    fn font_table_entries_are_in_schema_order() {
        use super::document::Used;
        use std::collections::BTreeMap;

        let used: BTreeMap<String, Used> = [
            ("NotoSerifCJKsc-Regular.otf", false),
            ("NotoSerifCJKsc-Bold.otf", true),
        ]
        .into_iter()
        .map(|(f, bold)| {
            (
                f.to_owned(),
                Used {
                    bold,
                    office: "宋体".into(),
                    chars: "安徽".chars().collect(),
                },
            )
        })
        .collect();
        let embedded = super::embed::embed(&used, "ABCDEF").expect("embed");
        let xml = font_table(
            &["宋体".into()],
            &[LATIN_FONT.into()],
            &used,
            &embedded,
            Some("ABCDEF"),
        )
        .expect("font table");
        assert!(xml.contains("<w:font w:name=\"Noto Serif CJK SC ABCDEF\">"));
        // Every entry, the embedded family's too.
        in_schema_order(
            &xml,
            "w:font",
            &[
                "w:altName",
                "w:panose1",
                "w:charset",
                "w:family",
                "w:pitch",
                "w:sig",
                "w:embedRegular",
                "w:embedBold",
            ],
        );
        // The family is described by its regular face.
        assert!(xml.contains("<w:panose1 w:val=\"02020400000000000000\"/>"));
        assert!(xml.contains("w:subsetted=\"1\""));
    }
}
