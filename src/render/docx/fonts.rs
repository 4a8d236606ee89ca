//! `word/fontTable.xml` and its relationships: the office, Latin, symbol and shipped fonts as Word describes them.

use std::collections::BTreeMap;

use skrifa::raw::TableProvider;
use skrifa::{MetadataProvider, string::StringId};

use super::DocxError;
use super::document::{LATIN_FONT, SYMBOL_FONT, Used};
use super::xml::{NS_PKG_RELS, NS_R, NS_W, Xml};
use crate::fonts;

/// How the font table describes a font (CT_Font).
struct FontInfo {
    name: String,
    alt: Option<String>,
    panose: String,
    charset: &'static str,
    family: &'static str,
    pitch: &'static str,
    /// usb0..usb3, csb0, csb1
    sig: Option<[u32; 6]>,
}

/// The font table's description of an office font. 宋体 as Word writes it;
/// the other common Chinese office fonts by their Windows names.
fn office_info(name: &str) -> FontInfo {
    let known: &[(&str, &str, &str, &str, &str)] = &[
        ("宋体", "SimSun", "02010600030101010101", "auto", "variable"),
        ("黑体", "SimHei", "02010609060101010101", "modern", "fixed"),
        (
            "仿宋",
            "FangSong",
            "02010609060101010101",
            "modern",
            "fixed",
        ),
        ("楷体", "KaiTi", "02010609060101010101", "modern", "fixed"),
    ];
    let found = known.iter().find(|k| k.0 == name);
    FontInfo {
        name: name.to_owned(),
        alt: found.map(|k| k.1.to_owned()),
        panose: found.map_or("02010600030101010101", |k| k.2).to_owned(),
        charset: "86",
        family: found.map_or("auto", |k| k.3),
        pitch: found.map_or("variable", |k| k.4),
        sig: (name == "宋体").then_some([0x0000_0003, 0x288F_0000, 0x0000_0016, 0, 0x0004_0001, 0]),
    }
}

/// The font table's description of a shipped font, from its own tables;
/// `alt` names the office font to locate where it is missing.
fn shipped_info(file: &str, alt: Option<String>, tag: Option<&str>) -> Result<FontInfo, DocxError> {
    let face =
        fonts::face(file).ok_or_else(|| DocxError::Font(format!("{file} is not shipped")))?;
    let font =
        skrifa::FontRef::new(face.data).map_err(|e| DocxError::Font(format!("{file}: {e}")))?;
    let name = family_name(&font).unwrap_or_else(|| file.to_owned());
    let name = match tag {
        Some(tag) => tagged(&name, tag),
        None => name,
    };
    let os2 = font.os2().ok();
    let panose = os2
        .as_ref()
        .map(|o| o.panose_10().iter().map(|b| format!("{b:02X}")).collect())
        .unwrap_or_else(|| "02020400000000000000".to_owned());
    let sig = os2.as_ref().map(|o| {
        [
            o.ul_unicode_range_1(),
            o.ul_unicode_range_2(),
            o.ul_unicode_range_3(),
            o.ul_unicode_range_4(),
            o.ul_code_page_range_1().unwrap_or(0),
            o.ul_code_page_range_2().unwrap_or(0),
        ]
    });
    Ok(FontInfo {
        name,
        alt,
        panose,
        charset: "86",
        family: "roman",
        pitch: "variable",
        sig,
    })
}

pub(super) fn family_name(font: &skrifa::FontRef<'_>) -> Option<String> {
    font.localized_strings(StringId::FAMILY_NAME)
        .english_or_first()
        .map(|s| s.to_string())
}

/// The family name of a shipped font file (its `name` table's, read once
/// per process), or the file's stem if it cannot be read.
pub(super) fn shipped_family(file: &str) -> String {
    static FAMILIES: std::sync::OnceLock<Vec<(&'static str, Option<String>)>> =
        std::sync::OnceLock::new();
    FAMILIES
        .get_or_init(|| {
            fonts::shipped()
                .iter()
                .map(|face| {
                    let family = skrifa::FontRef::new(face.data)
                        .ok()
                        .and_then(|font| family_name(&font));
                    (face.file, family)
                })
                .collect()
        })
        .iter()
        .find(|(f, _)| *f == file)
        .and_then(|(_, family)| family.clone())
        .unwrap_or_else(|| file.trim_end_matches(".otf").to_owned())
}

/// The font table's description of an office's Latin font: Times New Roman
/// as Word writes it, another by its name only.
fn latin_info(name: &str) -> FontInfo {
    let times = name == LATIN_FONT;
    FontInfo {
        name: name.to_owned(),
        alt: None,
        panose: if times {
            "02020603050405020304"
        } else {
            "00000000000000000000"
        }
        .into(),
        charset: "00",
        family: if times { "roman" } else { "auto" },
        pitch: "variable",
        sig: times.then_some([0xE000_2EFF, 0xC000_785B, 0x0000_0009, 0, 0x0000_01FF, 0]),
    }
}

fn symbol_info() -> FontInfo {
    FontInfo {
        name: SYMBOL_FONT.into(),
        alt: None,
        panose: "020B0502040204020203".into(),
        charset: "00",
        family: "swiss",
        pitch: "variable",
        sig: None,
    }
}

/// An embedded font part.
pub(super) struct Embedded {
    /// Family name, as the font table names it.
    pub(super) family: String,
    pub(super) bold: bool,
    pub(super) rel_id: String,
    pub(super) key: String,
    pub(super) part: String,
    pub(super) data: Vec<u8>,
}

/// The font table: office fonts, Times New Roman, the symbol font and the
/// shipped fonts (with their embedded subsets, if any). CT_Font children in
/// order: altName, panose1, charset, family, pitch, sig, embedRegular, embedBold.
pub(super) fn font_table(
    office: &[String],
    latin: &[String],
    used: &BTreeMap<String, Used>,
    embedded: &[Embedded],
    tag: Option<&str>,
) -> Result<String, DocxError> {
    let mut infos: Vec<FontInfo> = office.iter().map(|o| office_info(o)).collect();
    infos.extend(latin.iter().map(|l| latin_info(l)));
    infos.push(symbol_info());
    // A family is described by its regular face.
    let mut files: Vec<(&String, &Used)> = used.iter().collect();
    files.sort_by_key(|(_, u)| u.bold);
    for (file, u) in files {
        // Embedded, the shipped font is what runs name: the office font is
        // its alternative where the embedded font cannot be used.
        let alt = tag.map(|_| u.office.clone());
        let info = shipped_info(file, alt, tag)?;
        if !infos.iter().any(|i| i.name == info.name) {
            infos.push(info);
        }
    }
    let mut x = Xml::new();
    x.open("w:fonts", &[("xmlns:r", &NS_R), ("xmlns:w", &NS_W)]);
    for info in &infos {
        x.open("w:font", &[("w:name", &info.name.as_str())]);
        if let Some(alt) = &info.alt {
            x.val("w:altName", &alt.as_str());
        }
        x.val("w:panose1", &info.panose.as_str());
        x.val("w:charset", &info.charset);
        x.val("w:family", &info.family);
        x.val("w:pitch", &info.pitch);
        if let Some([u0, u1, u2, u3, c0, c1]) = info.sig {
            x.empty(
                "w:sig",
                &[
                    ("w:usb0", &format_args!("{u0:08X}")),
                    ("w:usb1", &format_args!("{u1:08X}")),
                    ("w:usb2", &format_args!("{u2:08X}")),
                    ("w:usb3", &format_args!("{u3:08X}")),
                    ("w:csb0", &format_args!("{c0:08X}")),
                    ("w:csb1", &format_args!("{c1:08X}")),
                ],
            );
        }
        for bold in [false, true] {
            if let Some(e) = embedded
                .iter()
                .find(|e| e.family == info.name && e.bold == bold)
            {
                x.empty(
                    if bold {
                        "w:embedBold"
                    } else {
                        "w:embedRegular"
                    },
                    &[
                        ("r:id", &e.rel_id.as_str()),
                        ("w:fontKey", &e.key.as_str()),
                        ("w:subsetted", &1),
                    ],
                );
            }
        }
        x.close("w:font");
    }
    x.close("w:fonts");
    Ok(x.finish())
}

pub(super) fn font_rels(embedded: &[Embedded]) -> String {
    let mut x = Xml::new();
    x.open("Relationships", &[("xmlns", &NS_PKG_RELS)]);
    for e in embedded {
        let target = e.part.trim_start_matches("word/");
        x.empty(
            "Relationship",
            &[
                ("Id", &e.rel_id.as_str()),
                (
                    "Type",
                    &"http://schemas.openxmlformats.org/officeDocument/2006/relationships/font",
                ),
                ("Target", &target),
            ],
        );
    }
    x.close("Relationships");
    x.finish()
}

/// A family name with a subset tag: `Noto Serif CJK SC ABCDEF`.
pub(super) fn tagged(family: &str, tag: &str) -> String {
    format!("{family} {tag}")
}
