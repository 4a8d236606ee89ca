//! The fonts beian ships, compiled into the binary so that it works from any
//! directory after `cargo install`, and their metrics.
//!
//! Text is set glyph by glyph from the `cmap` and `hmtx` tables: CJK text needs
//! no shaping, and doing it ourselves keeps measuring (layout) and drawing
//! (render) on exactly the same advances.

use std::sync::OnceLock;

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
}

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
        })
    }

    /// The glyph for a character, if the face has one.
    pub fn glyph(&self, ch: char) -> Option<Glyph> {
        let id = self.charmap.map(ch)?;
        if id == GlyphId::NOTDEF {
            return None;
        }
        let advance = self.metrics.advance_width(id).unwrap_or(self.upem) / self.upem;
        Some(Glyph {
            id: id.to_u32(),
            advance,
        })
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

/// The shipped face stored under `file`.
pub fn face(file: &str) -> Option<&'static Face> {
    shipped().iter().find(|f| f.file == file)
}

#[cfg(test)]
mod tests {
    use super::*;

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
