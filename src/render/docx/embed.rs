//! Embedded fonts: the shipped fonts subset, renamed to this document's tagged family and obfuscated.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use super::DocxError;
use super::document::Used;
use super::fonts::{Embedded, shipped_family, tagged};
use sha2::{Digest, Sha256};

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
        let font = renamed(&subset(face, &wanted)?, &original, &family, tag)?;
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
    Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + (b % 26)))
        .collect()
}

/// The font with its `name` table saying it is the tagged family: family
/// and full names, unique id and PostScript name (`ABCDEF+…`). Copyright,
/// licence and the other names are kept; Macintosh-platform names (not
/// UTF-16) are dropped. allsorts reads the tables and writes the font again
/// (`whole_font` keeps a CFF font's outlines as they are and computes the
/// checksums); only the `name` table is new.
fn renamed(font: &[u8], old: &str, new: &str, tag: &str) -> Result<Vec<u8>, DocxError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::binary::write::{WriteBinary, WriteBuffer};
    use allsorts::font_data::FontData;
    use allsorts::tables::{FontTableProvider, NameTable, owned};

    let err = |e: &dyn Display| DocxError::Font(format!("renaming {old}: {e}"));
    let data = ReadScope::new(font)
        .read::<FontData<'_>>()
        .map_err(|e| err(&e))?;
    let provider = data.table_provider(0).map_err(|e| err(&e))?;
    let name_data = provider
        .read_table_data(allsorts::tag::NAME)
        .map_err(|e| err(&e))?;
    let name = ReadScope::new(&name_data)
        .read::<NameTable<'_>>()
        .map_err(|e| err(&e))?;
    let mut name = owned::NameTable::try_from(&name).map_err(|e| err(&e))?;
    // Unicode and Windows names are UTF-16BE; the others are not renamed.
    name.name_records
        .retain(|r| r.platform_id == 0 || r.platform_id == 3);
    for record in &mut name.name_records {
        let (pairs, _odd) = record.string.as_chunks::<2>();
        let units: Vec<u16> = pairs.iter().map(|&p| u16::from_be_bytes(p)).collect();
        let text = String::from_utf16(&units).map_err(|e| err(&e))?;
        let text = match record.name_id {
            1 | 16 | 21 => new.to_owned(),
            4 | 18 => text.replacen(old, new, 1),
            3 => format!("{tag};{text}"),
            6 => format!("{tag}+{text}"),
            _ => continue,
        };
        record.string = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    }
    // The name records sorted as the OpenType specification asks.
    name.name_records
        .sort_by_key(|r| (r.platform_id, r.encoding_id, r.language_id, r.name_id));
    let mut table = WriteBuffer::new();
    owned::NameTable::write(&mut table, &name).map_err(|e| err(&e))?;
    let tags = provider
        .table_tags()
        .ok_or_else(|| err(&"no table directory"))?;
    let renamed = WithName {
        font: &provider,
        name: table.into_inner(),
    };
    allsorts::subset::whole_font(&renamed, &tags).map_err(|e| err(&e))
}

/// A font's tables with its `name` table replaced.
struct WithName<'a, P> {
    font: &'a P,
    name: Vec<u8>,
}

impl<P: allsorts::tables::FontTableProvider> allsorts::tables::FontTableProvider
    for WithName<'_, P>
{
    fn table_data(
        &self,
        tag: u32,
    ) -> Result<Option<std::borrow::Cow<'_, [u8]>>, allsorts::error::ParseError> {
        if tag == allsorts::tag::NAME {
            Ok(Some(std::borrow::Cow::Borrowed(&self.name)))
        } else {
            self.font.table_data(tag)
        }
    }

    fn has_table(&self, tag: u32) -> bool {
        self.font.has_table(tag)
    }

    fn table_tags(&self) -> Option<Vec<u32>> {
        self.font.table_tags()
    }
}

/// The face subset to the glyphs of `chars`, keeping a Unicode cmap.
fn subset(face: &fonts::Face, chars: &BTreeSet<char>) -> Result<Vec<u8>, DocxError> {
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
/// characters): the first 16 bytes of their SHA-256 as a UUID, so that it is
/// deterministic and different for different subsets.
/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`.
fn font_key(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut bytes = [0u8; 16];
    for (byte, d) in bytes.iter_mut().zip(digest.iter()) {
        *byte = *d;
    }
    format!("{:X}", uuid::Uuid::from_bytes(bytes).braced())
}

/// ECMA-376 Part 1 §17.8.1: the first 32 bytes of the font XORed with the
/// key's 16 bytes taken from the GUID's last hex pair to its first, twice.
fn obfuscate(mut data: Vec<u8>, key: &str) -> Result<Vec<u8>, DocxError> {
    let hex: Vec<u8> = key.bytes().filter(u8::is_ascii_hexdigit).collect();
    if hex.len() != 32 || data.len() < 32 {
        return Err(DocxError::Font(format!("bad font key {key}")));
    }
    let nibble = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    let (pairs, _) = hex.as_chunks::<2>();
    let guid: Vec<u8> = pairs
        .iter()
        .map(|&[high, low]| (nibble(high) << 4) | nibble(low))
        .collect();
    // Byte i takes key byte 15 - i % 16: the key backwards, twice.
    for (byte, k) in data.iter_mut().take(32).zip(guid.iter().rev().cycle()) {
        *byte ^= k;
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

    /// The OpenType checksum: the sum of the big-endian 32-bit words.
    fn checksum(data: &[u8]) -> u32 {
        data.chunks(4).fold(0u32, |sum, c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            sum.wrapping_add(u32::from_be_bytes(w))
        })
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
        assert_eq!(checksum(&font), 0xB1B0_AFBA);
        // Each table's checksum is right.
        let f = skrifa::FontRef::new(&font).expect("parses");
        for record in f.table_directory.table_records() {
            let tag = record.tag();
            if tag != skrifa::Tag::new(b"head") {
                let data = f.table_data(tag).expect("table");
                assert_eq!(record.checksum(), checksum(data.as_bytes()), "{tag}");
            }
        }
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
