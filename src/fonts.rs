//! The fonts beian ships, compiled into the binary so that it works from any
//! directory after `cargo install`, and their metrics.
//!
//! Text is set glyph by glyph from the `cmap` and `hmtx` tables: CJK text needs
//! no shaping, and doing it ourselves keeps measuring (layout) and drawing
//! (render) on exactly the same advances.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::raw::TableProvider;
use skrifa::{FontRef, GlyphId, MetadataProvider};

/// One shipped font file.
pub struct Face {
    /// File name under `fonts/`, as `forms/*.toml` names it.
    pub file: &'static str,
    /// The bytes of the font (an OpenType/CFF file).
    pub data: &'static [u8],
    /// Selected once: choosing the cmap subtable on every lookup was a
    /// tenth of a print job's time.
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    upem: f32,
    /// Top of the ideographic em box above the baseline, in em.
    pub ascent: f32,
    /// Characters looked up so far (see [`Face::glyph`]).
    cache: Box<[AtomicU64]>,
}

/// Slots of a face's glyph cache: direct-mapped by the character's low
/// bits, each slot holding the character it is for, so a clash just looks
/// up again. A form sets the same few hundred characters on every copy
/// and, in a batch, thousands of times; a cached glyph is a load, not a
/// cmap search and an hmtx read (a third of laying a form out).
const CACHE_SLOTS: usize = 4096;
/// A slot holds: bit 63 filled, bit 62 the face has the glyph, bits 32..53
/// the character, 16..32 the glyph id, 0..16 the advance in font units.
const FILLED: u64 = 1 << 63;
const HAS_GLYPH: u64 = 1 << 62;

/// A glyph of a face with its advance in em.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Glyph {
    pub id: u32,
    pub advance: f32,
}

impl Face {
    fn load(file: &'static str, data: &'static [u8]) -> Option<Face> {
        let font = FontRef::new(data).ok()?;
        let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(font.head().ok()?.units_per_em());
        // The OS/2 typographic ascender of a CJK font is the top of the em box.
        let ascent = font
            .os2()
            .map(|os2| f32::from(os2.s_typo_ascender()) / upem)
            .unwrap_or(0.88);
        Some(Face {
            file,
            data,
            charmap: font.charmap(),
            metrics,
            upem,
            ascent,
            cache: (0..CACHE_SLOTS).map(|_| AtomicU64::new(0)).collect(),
        })
    }

    /// The glyph for a character, if the face has one.
    pub fn glyph(&self, ch: char) -> Option<Glyph> {
        // There are CACHE_SLOTS slots; were one missing, every lookup would
        // just go to the tables.
        let slot = self.cache.get(ch as usize % CACHE_SLOTS);
        let held = slot.map_or(0, |slot| slot.load(Ordering::Relaxed));
        if held & FILLED != 0 && (held >> 32) & 0x1F_FFFF == u64::from(ch) {
            return (held & HAS_GLYPH != 0).then(|| Glyph {
                id: ((held >> 16) & 0xFFFF) as u32,
                advance: (held & 0xFFFF) as f32 / self.upem,
            });
        }
        let found = self.look_up(ch);
        let units = found.map(|(id, units)| (id.to_u32(), units));
        match (slot, units) {
            (None, _) => {}
            (Some(slot), None) => slot.store(FILLED | u64::from(ch) << 32, Ordering::Relaxed),
            // Only what a slot holds exactly: a glyph id and a whole
            // advance that fit in 16 bits (every advance of the shipped
            // faces does).
            (Some(slot), Some((id, units)))
                if id <= 0xFFFF && units.fract() == 0.0 && (0.0..=65535.0).contains(&units) =>
            {
                slot.store(
                    FILLED | HAS_GLYPH | u64::from(ch) << 32 | u64::from(id) << 16 | units as u64,
                    Ordering::Relaxed,
                );
            }
            (Some(_), Some(_)) => {}
        }
        units.map(|(id, units)| Glyph {
            id,
            advance: units / self.upem,
        })
    }

    /// The glyph id and its advance in font units, from the font's tables.
    fn look_up(&self, ch: char) -> Option<(GlyphId, f32)> {
        let id = self.charmap.map(ch)?;
        if id == GlyphId::NOTDEF {
            return None;
        }
        Some((id, self.metrics.advance_width(id).unwrap_or(self.upem)))
    }

    /// Whether the face can draw `ch`.
    pub fn covers(&self, ch: char) -> bool {
        self.glyph(ch).is_some()
    }

    /// Width of `text` in em (characters the face lacks count as one em;
    /// validation has rejected them before layout).
    pub fn width(&self, text: &str) -> f32 {
        text.chars()
            .map(|c| self.glyph(c).map_or(1.0, |g| g.advance))
            .sum()
    }
}

const SHIPPED: &[(&str, &[u8])] = &[
    (
        "NotoSerifCJKsc-Regular.otf",
        include_bytes!("../fonts/NotoSerifCJKsc-Regular.otf"),
    ),
    (
        "NotoSerifCJKsc-Bold.otf",
        include_bytes!("../fonts/NotoSerifCJKsc-Bold.otf"),
    ),
];

/// The shipped faces, parsed once per process.
pub fn shipped() -> &'static [Face] {
    static FACES: OnceLock<Vec<Face>> = OnceLock::new();
    FACES.get_or_init(|| {
        SHIPPED
            .iter()
            .filter_map(|(file, data)| Face::load(file, data))
            .collect()
    })
}

/// The first shipped face (the regular body face): what a form's font falls
/// back to.
pub fn body() -> &'static Face {
    // The faces are compiled in and `every_shipped_font_loads` parses each: there is a first.
    #[allow(clippy::indexing_slicing)]
    &shipped()[0]
}

/// The shipped face stored under `file`.
pub fn face(file: &str) -> Option<&'static Face> {
    shipped().iter().find(|f| f.file == file)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache gives what the tables give: first and second lookups,
    /// characters whose slots clash (U+4E00 and U+5E00), and characters the
    /// face lacks.
    #[test]
    fn cached_glyphs_are_the_tables_glyphs() {
        let face = face("NotoSerifCJKsc-Regular.otf").expect("body face");
        let table = |ch: char| {
            face.look_up(ch).map(|(id, units)| Glyph {
                id: id.to_u32(),
                advance: units / face.upem,
            })
        };
        let chars = ('\u{4E00}'..'\u{4F00}')
            .chain('\u{5E00}'..'\u{5F00}')
            .chain(' '..'~')
            .chain(['（', '）', '☐', '\u{E000}', '\u{10FFFF}', '𠀀']);
        for round in 0..3 {
            for ch in chars.clone() {
                assert_eq!(face.glyph(ch), table(ch), "{ch:?}, round {round}");
            }
        }
        assert!(face.glyph('\u{E000}').is_none());
    }

    #[test]
    fn every_shipped_font_loads() {
        assert_eq!(shipped().len(), SHIPPED.len());
    }

    #[test]
    fn body_face_covers_rare_name_characters() {
        let body = face("NotoSerifCJKsc-Regular.otf").expect("body face");
        for ch in "䶮堃喆犇淼龘㐀（）「」，。：；、·＠&<>\"".chars() {
            assert!(body.covers(ch), "{ch} not covered");
        }
        assert!(!body.covers('\u{E000}'));
        let w = body.glyph('中').expect("中").advance;
        assert!(
            (w - 1.0).abs() < 1e-6,
            "ideographs are one em wide, got {w}"
        );
        assert!(body.ascent > 0.8 && body.ascent < 0.9);
    }
}
