//! Embedded fonts: the shipped fonts subset, renamed to this document's tagged family and obfuscated.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use super::DocxError;
use super::document::Used;
use super::fonts::{Embedded, shipped_family, tagged};
use crate::fonts;
use crate::layout::Layout;

/// Subsets and obfuscates each shipped font used.
pub(super) fn embed(used: &BTreeMap<String, Used>, tag: &str) -> Result<Vec<Embedded>, DocxError> {
    let mut out: Vec<Embedded> = Vec::new();
    for (n, (file, u)) in used.iter().enumerate() {
        let face =
            fonts::face(file).ok_or_else(|| DocxError::Font(format!("{file} is not shipped")))?;
        let original = shipped_family(file);
        let family = tagged(&original, tag);
        // One regular and one bold face per family in the font table.
        if out.iter().any(|e| e.family == family && e.bold == u.bold) {
            continue;
        }
        let mut wanted = u.chars.clone();
        // The digits too in the faces values are set in, so that a
        // corrected phone number or date still has its glyphs.
        if !u.bold {
            wanted.extend('0'..='9');
        }
        let key = font_key(format!("{file}\n{}", wanted.iter().collect::<String>()).as_bytes());
        let font = renamed(&subset(face, &wanted)?, &original, &family, tag)
            .ok_or_else(|| DocxError::Font(format!("{file}: cannot rename the subset")))?;
        let data = obfuscate(font, &key)?;
        out.push(Embedded {
            family,
            bold: u.bold,
            rel_id: format!("rId{}", n + 1),
            key,
            part: format!("fonts/font{}.odttf", n + 1),
            data,
        });
    }
    Ok(out)
}

/// Six capital letters naming this document's subsets, from its text: as a
/// PDF tags its subset fonts (`ABCDEF+Font`), so that two documents' subsets
/// are two fonts. (LibreOffice keeps the first embedded font of a name for
/// the whole session: a second form open at the same time would otherwise be
/// drawn with the first one's glyphs, its other characters missing.)
pub(super) fn subset_tag(layout: &Layout) -> String {
    let mut text = String::new();
    for page in &layout.pages {
        for p in page.paras() {
            text.push_str(&p.font.file);
            text.push('\u{0}');
            text.push_str(&p.plain_text());
            text.push('\n');
        }
    }
    let key = font_key(text.as_bytes());
    key.bytes()
        .filter(u8::is_ascii_hexdigit)
        .take(6)
        .map(|b| char::from(b'A' + (b % 26)))
        .collect()
}

/// The font with its `name` table saying it is the tagged family: family
/// and full names, unique id and PostScript name (`ABCDEF+…`). Copyright,
/// licence and the other names are kept; Macintosh-platform names (not
/// UTF-16) are dropped. `None` if the font or its `name` table is malformed.
pub(super) fn renamed(font: &[u8], old: &str, new: &str, tag: &str) -> Option<Vec<u8>> {
    let (version, tables) = sfnt_tables(font)?;
    let mut tables: Vec<([u8; 4], Vec<u8>)> =
        tables.into_iter().map(|(t, d)| (t, d.to_vec())).collect();
    let name = tables.iter_mut().find(|(t, _)| t == b"name")?;
    name.1 = rename_table(&name.1, old, new, tag)?;
    sfnt_build(version, tables)
}

pub(super) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(super) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// An OpenType table: its tag and its bytes.
pub(super) type SfntTable<'a> = ([u8; 4], &'a [u8]);

/// The sfnt version and the tables of an OpenType font, in directory order.
pub(super) fn sfnt_tables(font: &[u8]) -> Option<(u32, Vec<SfntTable<'_>>)> {
    let version = be32(font, 0)?;
    let count = usize::from(be16(font, 4)?);
    let mut tables = Vec::with_capacity(count);
    for i in 0..count {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let offset = usize::try_from(be32(font, rec + 8)?).ok()?;
        let length = usize::try_from(be32(font, rec + 12)?).ok()?;
        tables.push((tag, font.get(offset..offset.checked_add(length)?)?));
    }
    Some((version, tables))
}

pub(super) fn sfnt_checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

/// An OpenType font from its tables: directory sorted by tag, tables 4-byte
/// aligned, checksums and `head.checkSumAdjustment` computed.
pub(super) fn sfnt_build(version: u32, mut tables: Vec<([u8; 4], Vec<u8>)>) -> Option<Vec<u8>> {
    tables.sort_by_key(|t| t.0);
    let count = u16::try_from(tables.len()).ok()?;
    let log2 = 15 - count.max(1).leading_zeros() as u16;
    let search_range = 16u16.checked_shl(u32::from(log2))?;
    let mut out = Vec::new();
    out.extend(version.to_be_bytes());
    let range_shift = count.checked_mul(16)?.checked_sub(search_range)?;
    for v in [count, search_range, log2, range_shift] {
        out.extend(v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, data) in &mut tables {
        if tag == b"head" {
            // checkSumAdjustment is zero while checksums are computed.
            data.get_mut(8..12)?.fill(0);
            head_at = Some(offset);
        }
        out.extend(*tag);
        out.extend(sfnt_checksum(data).to_be_bytes());
        out.extend(u32::try_from(offset).ok()?.to_be_bytes());
        out.extend(u32::try_from(data.len()).ok()?.to_be_bytes());
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &tables {
        out.extend(data);
        out.resize(out.len().div_ceil(4) * 4, 0);
    }
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(sfnt_checksum(&out));
    let at = head_at? + 8;
    out.get_mut(at..at + 4)?
        .copy_from_slice(&adjustment.to_be_bytes());
    Some(out)
}

/// A `name` table (format 0) with the family renamed, see [`renamed`].
pub(super) fn rename_table(name: &[u8], old: &str, new: &str, tag: &str) -> Option<Vec<u8>> {
    let count = usize::from(be16(name, 2)?);
    let storage = usize::from(be16(name, 4)?);
    let mut records: Vec<([u16; 4], String)> = Vec::new();
    for i in 0..count {
        let rec = 6 + 12 * i;
        let ids = [
            be16(name, rec)?,
            be16(name, rec + 2)?,
            be16(name, rec + 4)?,
            be16(name, rec + 6)?,
        ];
        if ids[0] != 0 && ids[0] != 3 {
            continue; // not UTF-16BE
        }
        let len = usize::from(be16(name, rec + 8)?);
        let at = storage + usize::from(be16(name, rec + 10)?);
        let units: Vec<u16> = name
            .get(at..at + len)?
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        let text = String::from_utf16(&units).ok()?;
        let text = match ids[3] {
            1 | 16 | 21 => new.to_owned(),
            4 | 18 => text.replacen(old, new, 1),
            3 => format!("{tag};{text}"),
            6 => format!("{tag}+{text}"),
            _ => text,
        };
        records.push((ids, text));
    }
    records.sort();
    let count = u16::try_from(records.len()).ok()?;
    let mut out = Vec::new();
    let mut strings: Vec<u8> = Vec::new();
    out.extend(0u16.to_be_bytes());
    out.extend(count.to_be_bytes());
    out.extend(count.checked_mul(12)?.checked_add(6)?.to_be_bytes());
    for (ids, text) in &records {
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for v in ids {
            out.extend(v.to_be_bytes());
        }
        out.extend(u16::try_from(bytes.len()).ok()?.to_be_bytes());
        out.extend(u16::try_from(strings.len()).ok()?.to_be_bytes());
        strings.extend(bytes);
    }
    out.extend(strings);
    Some(out)
}

/// The face subset to the glyphs of `chars`, keeping a Unicode cmap.
pub(super) fn subset(face: &fonts::Face, chars: &BTreeSet<char>) -> Result<Vec<u8>, DocxError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile};

    let err = |e: &dyn Display| DocxError::Font(format!("{}: {e}", face.file));
    let mut gids: Vec<u16> = chars
        .iter()
        .filter_map(|&c| face.glyph(c))
        .filter_map(|g| u16::try_from(g.id).ok())
        .filter(|&g| g != 0)
        .collect();
    gids.sort_unstable();
    gids.dedup();
    gids.insert(0, 0);
    let data = ReadScope::new(face.data)
        .read::<FontData<'_>>()
        .map_err(|e| err(&e))?;
    let provider = data.table_provider(0).map_err(|e| err(&e))?;
    allsorts::subset::subset(
        &provider,
        &gids,
        &SubsetProfile::Minimal,
        CmapTarget::Unicode,
    )
    .map_err(|e| err(&e))
}

/// A GUID derived from what identifies a subset (its font file and its
/// characters): deterministic, and different for different subsets.
/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`.
pub(super) fn font_key(data: &[u8]) -> String {
    let fnv = |seed: u64| {
        data.iter().fold(seed, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    };
    let (a, b) = (fnv(0xCBF2_9CE4_8422_2325), fnv(0x6C62_272E_07BB_0142));
    let hex = format!("{a:016X}{b:016X}");
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// ECMA-376 Part 1 §17.8.1: the first 32 bytes of the font XORed with the
/// key's 16 bytes taken from the GUID's last hex pair to its first, twice.
pub(super) fn obfuscate(mut data: Vec<u8>, key: &str) -> Result<Vec<u8>, DocxError> {
    let hex: Vec<u8> = key.bytes().filter(u8::is_ascii_hexdigit).collect();
    if hex.len() != 32 || data.len() < 32 {
        return Err(DocxError::Font(format!("bad font key {key}")));
    }
    let nibble = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    let guid: Vec<u8> = hex
        .chunks(2)
        .map(|p| (nibble(p[0]) << 4) | nibble(p[1]))
        .collect();
    for i in 0..32 {
        data[i] ^= guid[15 - (i % 16)];
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use skrifa::MetadataProvider;
    use skrifa::string::StringId;

    use super::super::fonts::family_name;
    use super::super::tests::layout;
    use super::*;

    #[test]
    fn obfuscation_keys_by_the_guid_read_backwards() {
        // ECMA-376 Part 1 §17.8.1; LibreOffice reads the key the same way.
        let key = "{62E79491-959F-41E9-B76B-6B32631DEA5C}";
        let out = obfuscate(vec![0; 40], key).expect("obfuscate");
        let expected: [u8; 16] = [
            0x5C, 0xEA, 0x1D, 0x63, 0x32, 0x6B, 0x6B, 0xB7, 0xE9, 0x41, 0x9F, 0x95, 0x91, 0x94,
            0xE7, 0x62,
        ];
        assert_eq!(out[..16], expected);
        assert_eq!(out[16..32], expected);
        assert_eq!(out[32..], [0; 8]);
        // XOR twice restores the font.
        let font = b"OTTO and then the rest of a font file....".to_vec();
        let twice = obfuscate(obfuscate(font.clone(), key).expect("1"), key).expect("2");
        assert_eq!(twice, font);
    }

    #[test]
    fn font_keys_are_guids() {
        let key = font_key(b"some font bytes");
        assert_eq!(key.len(), 38);
        assert!(key.starts_with('{') && key.ends_with('}'));
        let dashes: Vec<usize> = key.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [9, 14, 19, 24]);
        assert!(
            key[1..37]
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_ne!(key, font_key(b"other font bytes"));
    }

    #[test]
    fn a_subset_keeps_a_unicode_cmap_and_is_small() {
        let face = fonts::face("NotoSerifCJKsc-Regular.otf").expect("face");
        let chars: BTreeSet<char> = "安徽商贸职业技术学院A1@".chars().collect();
        let data = subset(face, &chars).expect("subset");
        assert_eq!(&data[..4], b"OTTO");
        assert!(data.len() < 100_000, "{} bytes", data.len());
        let font = skrifa::FontRef::new(&data).expect("parses");
        let cmap = font.charmap();
        for c in chars {
            assert!(cmap.map(c).is_some_and(|g| g.to_u32() != 0), "{c}");
        }
        assert!(cmap.map('中').is_none());
        assert_eq!(family_name(&font).as_deref(), Some("Noto Serif CJK SC"));
    }

    #[test]
    fn a_renamed_subset_is_a_sound_font_of_the_tagged_family() {
        let face = fonts::face("NotoSerifCJKsc-Bold.otf").expect("face");
        let chars: BTreeSet<char> = "安徽商贸".chars().collect();
        let data = subset(face, &chars).expect("subset");
        let font = renamed(
            &data,
            "Noto Serif CJK SC",
            "Noto Serif CJK SC QWERTY",
            "QWERTY",
        )
        .expect("renamed");
        // The whole font sums to the magic number once head is adjusted.
        assert_eq!(sfnt_checksum(&font), 0xB1B0_AFBA);
        // Each table's checksum is right.
        let (_, tables) = sfnt_tables(&font).expect("tables");
        for (i, (tag, data)) in tables.iter().enumerate() {
            let stored = be32(&font, 12 + 16 * i + 4).expect("checksum");
            if tag != b"head" {
                assert_eq!(
                    stored,
                    sfnt_checksum(data),
                    "{}",
                    String::from_utf8_lossy(tag)
                );
            }
        }
        let f = skrifa::FontRef::new(&font).expect("parses");
        assert_eq!(family_name(&f).as_deref(), Some("Noto Serif CJK SC QWERTY"));
        let name = |id: StringId| {
            f.localized_strings(id)
                .english_or_first()
                .map(|s| s.to_string())
                .unwrap_or_default()
        };
        assert_eq!(name(StringId::FULL_NAME), "Noto Serif CJK SC QWERTY Bold");
        assert_eq!(
            name(StringId::POSTSCRIPT_NAME),
            "QWERTY+NotoSerifCJKsc-Bold"
        );
        assert!(name(StringId::COPYRIGHT_NOTICE).contains("Adobe"));
        assert!(name(StringId::LICENSE_DESCRIPTION).contains("Open Font License"));
        // No other name of the family is left (e.g. a Chinese-locale one).
        for s in f.localized_strings(StringId::FAMILY_NAME) {
            assert_eq!(s.to_string(), "Noto Serif CJK SC QWERTY");
        }
        for c in chars {
            assert!(f.charmap().map(c).is_some(), "{c}");
        }
    }

    #[test]
    fn subset_tags_are_six_capitals_that_follow_the_text() {
        let a = subset_tag(&layout(2));
        assert_eq!(a.len(), 6);
        assert!(a.chars().all(|c| c.is_ascii_uppercase()));
        assert_eq!(a, subset_tag(&layout(2)));
        assert_ne!(a, subset_tag(&layout(1)));
    }
}
