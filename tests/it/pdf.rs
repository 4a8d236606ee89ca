//! The PDFs themselves: text, fonts, pages, determinism. Pure Rust, so
//! `cargo test` needs no external tool.

use beian::io::Source;
use beian::layout::{LayoutOptions, build};
use beian::pipeline::{prepare_stamped, prepare_text};
use beian::record::Stamped;
use beian::render::pdf::{PdfOptions, render};

use crate::util::{assert_shows_form, beian, fixtures, pdf_pages_text, read, squash};

fn pdf_of(path: &std::path::Path, copies: usize) -> (beian::record::Record, Vec<u8>) {
    let (record, layout) = crate::util::layout_of(path, copies);
    let pdf = render(&layout, &PdfOptions::default()).expect("render");
    (record, pdf)
}

#[test]
fn every_form_text_and_value_is_on_every_copy() {
    for path in fixtures("good") {
        let (record, pdf) = pdf_of(&path, 2);
        let pages = pdf_pages_text(&pdf);
        assert_eq!(pages.len(), 2, "{}", path.display());
        let form = record.form.key();
        for (i, page) in pages.iter().enumerate() {
            let place = format!("{} page {}", path.display(), i + 1);
            assert_shows_form(&squash(page), &record, &place);
        }
        let marks = if form == "account" {
            ["第一联党委宣传统战部留存", "第二联主办单位留存"]
        } else {
            ["第一联党委宣传统战部留存", "第二联负责人留存"]
        };
        assert!(squash(&pages[0]).contains(marks[0]), "{}", path.display());
        assert!(squash(&pages[1]).contains(marks[1]), "{}", path.display());
        assert!(!squash(&pages[0]).contains(marks[1]));
    }
}

/// The benchmark's record stays within its size budget.
#[test]
fn the_example_form_is_at_most_60_kb() {
    let (_, pdf) = pdf_of(&crate::util::root().join("examples/account.toml"), 2);
    assert!(pdf.len() <= 60 * 1024, "{} bytes", pdf.len());
}

#[test]
fn one_copy_is_one_unmarked_page() {
    let path = crate::util::fixture("good/group-qq.toml");
    let (_, pdf) = pdf_of(&path, 1);
    let pages = pdf_pages_text(&pdf);
    assert_eq!(pages.len(), 1);
    assert!(!pages[0].contains("第一联"), "{}", pages[0]);
}

#[test]
fn pages_are_a4_portrait_and_fonts_are_embedded_subsets() {
    for path in fixtures("good") {
        let (_, pdf) = pdf_of(&path, 2);
        let doc = lopdf::Document::load_mem(&pdf).expect("parse");
        for (_, id) in doc.get_pages() {
            let page = doc.get_dictionary(id).expect("page");
            let media: Vec<f32> = page
                .get(b"MediaBox")
                .and_then(|m| m.as_array())
                .expect("MediaBox")
                .iter()
                .map(|v| v.as_float().expect("number"))
                .collect();
            assert!(
                (media[2] - 595.28).abs() < 0.1 && (media[3] - 841.89).abs() < 0.1,
                "{media:?}"
            );
        }
        let mut fonts = 0;
        for object in doc.objects.values() {
            let Ok(dict) = object.as_dict() else { continue };
            if dict.get(b"Type").ok().and_then(|t| t.as_name().ok()) != Some(b"FontDescriptor") {
                continue;
            }
            fonts += 1;
            let name = dict
                .get(b"FontName")
                .and_then(|n| n.as_name())
                .expect("FontName");
            let name = String::from_utf8_lossy(name);
            assert!(
                name.len() > 7
                    && name.as_bytes()[6] == b'+'
                    && name[..6].chars().all(|c| c.is_ascii_uppercase()),
                "not marked as a subset: {name}"
            );
            assert!(name.contains("NotoSerifCJKsc"), "{name}");
            assert!(
                dict.has(b"FontFile3") || dict.has(b"FontFile2"),
                "{name} is not embedded"
            );
        }
        assert_eq!(fonts, 2, "{}: body and title faces", path.display());
        // Subsets, not whole fonts (those are megabytes).
        assert!(
            pdf.len() < 100 * 1024,
            "{}: {} bytes",
            path.display(),
            pdf.len()
        );
    }
}

#[test]
fn same_record_same_bytes_in_one_process_and_across_syntaxes() {
    let path = crate::util::fixture("good/account-rare.toml");
    let (record, first) = pdf_of(&path, 2);
    // Another record in between must not disturb the next output.
    let _ = pdf_of(&crate::util::fixture("good/group-other.json"), 2);
    let (_, again) = pdf_of(&path, 2);
    assert!(first == again, "not byte-identical within one process");

    // The same record written as JSON gives the same bytes.
    let text = std::fs::read_to_string(&path).expect("read");
    let (_, stamp, _) = prepare_stamped(
        &Source::File(path.clone()),
        &text,
        None,
        LayoutOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("rare.json");
    let stamped = Stamped {
        stamp: &stamp,
        record: &record,
    };
    std::fs::write(&json, stamped.to_json()).expect("write");
    let (_, from_json) = pdf_of(&json, 2);
    assert!(first == from_json, "TOML and JSON differ");

    // A filed record (with a date) is written as PDF/A-2b with that date.
    let doc = String::from_utf8_lossy(&first);
    assert!(
        doc.contains("pdfaid:part") || doc.contains("pdfaid"),
        "no PDF/A identification"
    );
    let layout = build(&record, &stamp, LayoutOptions::default()).expect("layout");
    assert_eq!(
        layout.meta.date.as_deref(),
        Some("2026-03-02T09:30:00+08:00")
    );
}

#[test]
fn the_binary_is_deterministic_across_processes() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    for dir in [&a, &b] {
        let run = beian(&[
            "render",
            "--draft",
            "examples/account.toml",
            "examples/douyin.json",
            "-o",
            dir.path().to_str().expect("utf-8"),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    for name in ["account.pdf", "XMT-2026-0003 草稿.pdf"] {
        assert!(
            read(a.path(), name) == read(b.path(), name),
            "{name} differs between runs"
        );
    }
}

/// Checkboxes are drawn as paths, ticked as the record says; no glyph
/// stands in for them.
#[test]
fn checkboxes_are_drawn_not_glyphs() {
    use beian::layout::ItemKind;
    let text =
        std::fs::read_to_string(crate::util::fixture("good/account-basic.toml")).expect("read");
    let (_, layout) = prepare_text(
        &Source::Stdin,
        &text,
        None,
        LayoutOptions {
            copies: 1,
            ..Default::default()
        },
    )
    .expect("ok");
    let boxes: Vec<bool> = layout.pages[0]
        .paras()
        .flat_map(|p| p.lines.iter().flat_map(|l| l.items.iter()))
        .filter_map(|i| match i.kind {
            ItemKind::Check { checked, .. } => Some(checked),
            _ => None,
        })
        .collect();
    // 6 platforms + 是/否 of 交互栏目 + 是/否 of 管理员审核; 微信, 是, 是 ticked.
    assert_eq!(boxes.len(), 10);
    assert_eq!(boxes.iter().filter(|b| **b).count(), 3);

    let pdf = render(
        &layout,
        &PdfOptions {
            compress: false,
            archival: false,
        },
    )
    .expect("render");
    let extracted = squash(&pdf_pages_text(&pdf)[0]);
    for glyph in ['☐', '☑', '□', '✓'] {
        assert!(!extracted.contains(glyph));
    }
    let doc = lopdf::Document::load_mem(&pdf).expect("parse");
    let page = *doc.get_pages().values().next().expect("page");
    let content = lopdf::content::Content::decode(&doc.get_page_content(page).expect("content"))
        .expect("ops");
    let strokes = content
        .operations
        .iter()
        .filter(|o| o.operator == "S")
        .count();
    // One stroke for the table's rules, one per box.
    assert_eq!(strokes, 1 + boxes.len());
}
