//! Any bytes, read as a record from standard input: prepared (sniffed,
//! parsed, validated, laid out) and, when it passes, rendered to PDF and to
//! DOCX. A record that carries a serial is rendered as its filed form is,
//! with the QR code (`layout::add_qr`, as `beian render` and `regen` do),
//! and the QR payload must read back as written. A record that passed every
//! check must render: a render error is "a bug or a broken font, never the
//! user's input" (render::pdf::PdfError, render::docx::DocxError), so it
//! fails the target like a panic.
#![no_main]

use beian::io::Source;
use beian::layout::{LayoutOptions, Payload, add_qr};
use beian::pipeline::prepare_stamped;
use beian::render::{docx, pdf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((record, stamp, mut layout)) =
        prepare_stamped(&Source::Stdin, text, None, LayoutOptions::default())
    else {
        return;
    };
    if let Some(serial) = &stamp.serial {
        let version = stamp.version.unwrap_or(1);
        let payload = Payload::of(&record, serial, version);
        assert_eq!(
            Payload::parse(&payload.text()),
            Some(payload.clone()),
            "QR payload {:?} does not read back",
            payload.text()
        );
        add_qr(&mut layout, &record, &stamp, version);
    }
    if let Err(e) = pdf::render(&layout, &pdf::PdfOptions::default()) {
        panic!("a prepared record failed to render as PDF: {e}");
    }
    if let Err(e) = docx::render(&layout, &docx::DocxOptions { embed_fonts: false }) {
        panic!("a prepared record failed to render as DOCX: {e}");
    }
});
