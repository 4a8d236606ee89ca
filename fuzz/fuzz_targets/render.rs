//! Any bytes, read as a record from standard input: prepared (sniffed,
//! parsed, validated, laid out) and, when it passes, rendered to PDF and to
//! DOCX. A record that passed every check must render: a render error is
//! "a bug or a broken font, never the user's input" (render::pdf::PdfError,
//! render::docx::DocxError), so it fails the target like a panic.
#![no_main]

use beian::io::Source;
use beian::layout::LayoutOptions;
use beian::pipeline::prepare_text;
use beian::render::{docx, pdf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((_record, layout)) = prepare_text(&Source::Stdin, text, None, LayoutOptions::default())
    else {
        return;
    };
    if let Err(e) = pdf::render(&layout, &pdf::PdfOptions::default()) {
        panic!("a prepared record failed to render as PDF: {e}");
    }
    if let Err(e) = docx::render(&layout, &docx::DocxOptions { embed_fonts: false }) {
        panic!("a prepared record failed to render as DOCX: {e}");
    }
});
