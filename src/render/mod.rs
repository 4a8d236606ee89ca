//! The output formats: each a pure function of a finished [`Layout`].
//!
//! A [`Format`] knows everything the commands need of it — its file
//! extension, how the registry records it, how users call it and how to
//! render it — so a new output is one new variant here.

pub mod docx;
pub mod pdf;
pub mod print_job;

use crate::layout::Layout;

/// The output revision: which bytes this build writes for a given layout.
///
/// Filed forms are an archival contract — `regen` must give the same bytes
/// years later — so the SHA-256 of the examples' outputs is pinned in
/// `tests/it/golden.rs`. Bump this whenever pinned output bytes change on
/// purpose (layout, wording, fonts, a dependency's compression), together
/// with the pinned hashes. It is stored with each filing and output, so
/// that a filing made under another revision is told apart from a corrupted
/// one.
///
/// 1. beian 0.1.0: PDF, DOCX and DOCX with embedded fonts.
/// 2. DOCX with embedded fonts: the font key is a UUID from the subset's
///    SHA-256, and the subset's name table is rewritten through allsorts
///    (PDF and plain DOCX unchanged).
/// 3. Real values on a faithful form (issue 8): values wrap in their cells
///    by words, rows grow, per-row cell widths as in the original, room to
///    sign and date, no character alone on a paragraph's last line.
/// 4. A QR code on every copy of a filed form (serial, version, digest of
///    the record; issue 10), in the right margin beside the copy mark: drawn
///    in the PDF, an anchored picture in the DOCX. Drafts unchanged.
pub const OUTPUT_REVISION: u32 = 4;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// The print-ready form (PDF/A-2b once filed).
    Pdf,
    /// The form as a Word table a secretary can correct; `embed_fonts`
    /// embeds the used glyphs of the shipped fonts.
    Docx { embed_fonts: bool },
}

/// Why an output could not be rendered: a bug or a broken installation,
/// never the user's input.
#[derive(Debug)]
pub struct RenderError {
    pub format: Format,
    pub message: String,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}：{}", self.format.label(), self.message)
    }
}

impl std::error::Error for RenderError {}

impl Format {
    /// Every format the registry may name.
    pub const ALL: [Format; 3] = [
        Format::Pdf,
        Format::Docx { embed_fonts: false },
        Format::Docx { embed_fonts: true },
    ];

    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx { .. } => "docx",
        }
    }

    /// How the registry records the format: enough to regenerate the bytes.
    pub fn kind(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx { embed_fonts: false } => "docx",
            Format::Docx { embed_fonts: true } => "docx+fonts",
        }
    }

    /// The format the registry recorded as `kind`.
    pub fn from_kind(kind: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.kind() == kind)
    }

    /// How users call it.
    pub fn label(self) -> &'static str {
        match self {
            Format::Pdf => "PDF",
            Format::Docx { embed_fonts: false } => "Word 文档",
            Format::Docx { embed_fonts: true } => "Word 文档（内嵌字体）",
        }
    }

    /// The bytes of a layout in this format. Pure: same layout, same bytes.
    pub fn render(self, layout: &Layout) -> Result<Vec<u8>, RenderError> {
        let failed = |message: String| RenderError {
            format: self,
            message,
        };
        match self {
            Format::Pdf => {
                pdf::render(layout, &pdf::PdfOptions::default()).map_err(|e| failed(e.to_string()))
            }
            Format::Docx { embed_fonts } => {
                docx::render(layout, &docx::DocxOptions { embed_fonts })
                    .map_err(|e| failed(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything the commands need of a format comes from `Format` itself:
    /// a new output is one new variant (and its arm in each method), and this
    /// test then covers it as it covers these.
    #[test]
    fn every_format_renders_and_round_trips_through_its_registry_kind() {
        use crate::io::Source;
        let text = include_str!("../../examples/account.toml");
        let (_, layout) = crate::pipeline::prepare_text(
            &Source::Stdin,
            text,
            None,
            crate::layout::LayoutOptions::default(),
        )
        .expect("the example lays out");
        let mut kinds = std::collections::BTreeSet::new();
        for f in Format::ALL {
            assert_eq!(Format::from_kind(f.kind()), Some(f));
            assert!(kinds.insert(f.kind()), "two formats named {}", f.kind());
            assert!(!f.label().is_empty() && !f.ext().is_empty());
            #[cfg(not(feature = "embed-fonts"))]
            if f == (Format::Docx { embed_fonts: true }) {
                continue;
            }
            let bytes = f.render(&layout).expect("renders");
            assert!(bytes.len() > 1000, "{}: {} bytes", f.label(), bytes.len());
        }
        assert_eq!(Format::from_kind("odt"), None);
    }
}
