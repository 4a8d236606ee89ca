//! The DOCX files: texts, values, the table's merged-cell structure against
//! the layout model, checkbox states, copies, escaping, determinism and a
//! snapshot of the document XML. Pure Rust (the zip crate and roxmltree),
//! so `cargo test` needs neither LibreOffice nor Python;
//! `.ci/docx-check.sh` checks the files with those.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use beian::layout::{Block, Layout, Slot, Span};
use beian::render::docx::{DocxOptions, render};

use crate::util::{assert_shows_form, fixtures, layout_of, layout_of_text, root, squash};

/// Every record the tests render: the examples and the good fixtures.
fn records() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = ["account.toml", "group.toml", "douyin.json"]
        .iter()
        .map(|n| root().join("examples").join(n))
        .collect();
    paths.extend(fixtures("good"));
    paths
}

fn docx(layout: &Layout, embed_fonts: bool) -> Vec<u8> {
    render(layout, &DocxOptions { embed_fonts }).expect("render docx")
}

/// The parts of a DOCX package, by name, in package order.
fn parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("entry");
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("inflate");
            (f.name().expect("entry name").into_owned(), data)
        })
        .collect()
}

fn part(bytes: &[u8], name: &str) -> String {
    let (_, data) = parts(bytes)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no part {name}"));
    String::from_utf8(data).expect("UTF-8 part")
}

// ---------------------------------------------------------------------------
// XML read back with roxmltree (which rejects malformed markup and unknown
// entities) as a stream of open/close/text events, names with their prefixes.

#[derive(Debug)]
enum Tok {
    Open(String, BTreeMap<String, String>),
    Close(String),
    Text(String),
}

/// A name as the part writes it: `w:p`, `Relationship`.
fn prefixed(node: roxmltree::Node<'_, '_>, ns: Option<&str>, local: &str) -> String {
    match ns.and_then(|ns| node.lookup_prefix(ns)) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{local}"),
        _ => local.to_owned(),
    }
}

/// The events of an XML part in document order; every element opens and
/// closes, self-closing or not.
fn tokens(xml: &str) -> Vec<Tok> {
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"),
        "XML declaration"
    );
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let mut out = Vec::new();
    walk(doc.root_element(), &mut out);
    out
}

fn walk(node: roxmltree::Node<'_, '_>, out: &mut Vec<Tok>) {
    if node.is_text() {
        out.push(Tok::Text(node.text().unwrap_or_default().to_owned()));
    }
    if !node.is_element() {
        return;
    }
    let name = prefixed(node, node.tag_name().namespace(), node.tag_name().name());
    let attrs = node
        .attributes()
        .map(|a| {
            (
                prefixed(node, a.namespace(), a.name()),
                a.value().to_owned(),
            )
        })
        .collect();
    out.push(Tok::Open(name.clone(), attrs));
    for child in node.children() {
        walk(child, out);
    }
    out.push(Tok::Close(name));
}

/// What the tests read back from `word/document.xml`.
#[derive(Debug, Default)]
struct Doc {
    /// Paragraph texts (w:t, w:tab as \t), grouped by copy: a copy starts at a
    /// paragraph with w:pageBreakBefore.
    copies: Vec<Vec<String>>,
    /// Per table: per row, the cells as (gridSpan, vMerge) with vMerge
    /// "restart", "continue" or "".
    tables: Vec<Vec<Vec<(usize, String)>>>,
    /// Per table: the grid columns (twips).
    grids: Vec<Vec<i64>>,
    /// Per table: row heights (twips) and their rule.
    heights: Vec<Vec<(i64, String)>>,
    checked: usize,
    unchecked: usize,
    page_breaks: usize,
    frames: usize,
    /// Every w:rFonts w:eastAsia value.
    east_asia: BTreeSet<String>,
}

fn read_doc(xml: &str) -> Doc {
    let mut doc = Doc {
        copies: vec![Vec::new()],
        ..Doc::default()
    };
    let mut para: Option<String> = None;
    let mut in_t = false;
    let mut row: Option<Vec<(usize, String)>> = None;
    let mut cell: Option<(usize, String)> = None;
    let mut depth_tbl = 0;
    for tok in tokens(xml) {
        match tok {
            Tok::Open(name, attrs) => match name.as_str() {
                "w:p" => para = Some(String::new()),
                "w:pageBreakBefore" => {
                    doc.page_breaks += 1;
                    doc.copies.push(Vec::new());
                }
                "w:framePr" => doc.frames += 1,
                "w:t" => in_t = true,
                "w:tab" if para.is_some() && attrs.is_empty() => {
                    if let Some(p) = para.as_mut() {
                        p.push('\t');
                    }
                }
                "w:tbl" => {
                    depth_tbl += 1;
                    assert_eq!(depth_tbl, 1, "nested table");
                    doc.tables.push(Vec::new());
                    doc.grids.push(Vec::new());
                    doc.heights.push(Vec::new());
                }
                "w:gridCol" => doc
                    .grids
                    .last_mut()
                    .expect("grid")
                    .push(attrs["w:w"].parse().expect("gridCol width")),
                "w:trHeight" => doc.heights.last_mut().expect("table").push((
                    attrs["w:val"].parse().expect("height"),
                    attrs.get("w:hRule").cloned().unwrap_or_default(),
                )),
                "w:tr" => row = Some(Vec::new()),
                "w:tc" => cell = Some((1, String::new())),
                "w:gridSpan" => {
                    if let Some(c) = cell.as_mut() {
                        c.0 = attrs["w:val"].parse().expect("gridSpan");
                    }
                }
                "w:vMerge" => {
                    if let Some(c) = cell.as_mut() {
                        c.1 = attrs
                            .get("w:val")
                            .cloned()
                            .unwrap_or_else(|| "continue".into());
                    }
                }
                "w14:checked" => match attrs["w14:val"].as_str() {
                    "1" => doc.checked += 1,
                    "0" => doc.unchecked += 1,
                    v => panic!("w14:checked {v}"),
                },
                "w:rFonts" => {
                    if let Some(f) = attrs.get("w:eastAsia") {
                        doc.east_asia.insert(f.clone());
                    }
                }
                _ => {}
            },
            Tok::Close(name) => match name.as_str() {
                "w:p" => {
                    if let Some(p) = para.take() {
                        doc.copies.last_mut().expect("copy").push(p);
                    }
                }
                "w:t" => in_t = false,
                "w:tc" => row.as_mut().expect("row").push(cell.take().expect("cell")),
                "w:tr" => doc
                    .tables
                    .last_mut()
                    .expect("table")
                    .push(row.take().expect("row")),
                "w:tbl" => depth_tbl -= 1,
                _ => {}
            },
            Tok::Text(t) => {
                if in_t {
                    para.as_mut().expect("w:t in a paragraph").push_str(&t);
                }
            }
        }
    }
    doc
}

/// The cells of a Word table as grid rectangles (row, col, rowspan, colspan):
/// gridSpan advances the column, a vMerge continuation extends the cell
/// above in the same column.
fn word_cells(rows: &[Vec<(usize, String)>]) -> BTreeSet<(usize, usize, usize, usize)> {
    let mut cells: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let mut c = 0;
        for (span, vmerge) in row {
            if vmerge == "continue" {
                let above = cells
                    .iter_mut()
                    .find(|(r0, c0, rs, _)| *c0 == c && r0 + rs == r)
                    .expect("a vMerge continuation under a cell");
                above.2 += 1;
            } else {
                cells.push((r, c, 1, *span));
            }
            c += span;
        }
    }
    cells.into_iter().collect()
}

/// The layout's cells as grid rectangles.
fn layout_cells(layout: &Layout, page: usize) -> BTreeSet<(usize, usize, usize, usize)> {
    let table = layout.pages[page].table().expect("a table");
    let mut cells: BTreeSet<_> = table
        .cells()
        .map(|(at, c)| (at.row, at.col, c.rowspan, c.colspan))
        .collect();
    // Slots no cell claims are empty cells of their own.
    for (i, s) in table.slots.iter().enumerate() {
        if *s == Slot::Empty {
            let (row, col) = table.position(i);
            cells.insert((row, col, 1, 1));
        }
    }
    cells
}

fn checks(layout: &Layout) -> (usize, usize) {
    let mut on = 0;
    let mut off = 0;
    for page in &layout.pages {
        for p in page.paras() {
            for s in &p.spans {
                match s {
                    Span::Check { checked: true } => on += 1,
                    Span::Check { checked: false } => off += 1,
                    _ => {}
                }
            }
        }
    }
    (on, off)
}

#[test]
fn every_form_text_and_value_is_in_every_copy() {
    for path in records() {
        let (record, layout) = layout_of(&path, 2);
        let doc = read_doc(&part(&docx(&layout, false), "word/document.xml"));
        assert_eq!(doc.copies.len(), 2, "{}", path.display());
        for (i, copy) in doc.copies.iter().enumerate() {
            // FORMS.md's □ are boxes, not text (forms_texts drops them).
            let text = squash(&copy.concat()).replace(['\u{2610}', '\u{2611}'], "");
            let place = format!("{} copy {}", path.display(), i + 1);
            assert_shows_form(&text, &record, &place);
            // Every paragraph of the layout, in order, as Word has it.
            let page = &layout.pages[i];
            let layout_text = squash(&page.paras().map(|p| p.plain_text()).collect::<String>());
            let mut docx_paras: Vec<String> = copy.clone();
            // The copy mark is a frame written after the first paragraph.
            if docx_paras.len() > 1
                && matches!(page.blocks.first(), Some(Block::Para(p)) if p.y < page.margins[0])
            {
                let mark = docx_paras.remove(1);
                docx_paras.insert(0, mark);
            }
            assert_eq!(
                squash(&docx_paras.concat()),
                layout_text,
                "{} copy {}",
                path.display(),
                i + 1
            );
        }
        assert!(squash(&doc.copies[0].concat()).contains("第一联"));
        assert!(squash(&doc.copies[1].concat()).contains("第二联"));
        assert_eq!(doc.frames, 2, "one copy mark per copy");
    }
}

#[test]
fn merged_cells_match_the_layout_grid() {
    for path in records() {
        let (_, layout) = layout_of(&path, 2);
        let xml = part(&docx(&layout, false), "word/document.xml");
        let doc = read_doc(&xml);
        assert_eq!(doc.tables.len(), layout.pages.len(), "one table per copy");
        for (i, rows) in doc.tables.iter().enumerate() {
            let table = layout.pages[i].table().expect("table");
            assert_eq!(rows.len(), table.rows.len());
            assert_eq!(
                word_cells(rows),
                layout_cells(&layout, i),
                "{} copy {}",
                path.display(),
                i + 1
            );
            // Every row covers the whole grid.
            for row in rows {
                assert_eq!(
                    row.iter().map(|(s, _)| s).sum::<usize>(),
                    table.columns.len()
                );
            }
            // Fixed layout: Word keeps the grid instead of fitting the text.
            assert!(xml.contains("<w:tblLayout w:type=\"fixed\"/>"));
            // The grid in twips, summing to the table's width.
            let grid = &doc.grids[i];
            assert_eq!(grid.len(), table.columns.len());
            for (w, c) in grid.iter().zip(&table.columns) {
                assert!((*w as f32 - c * 20.0).abs() <= 1.0, "{w} vs {c}pt");
            }
            let total: f32 = table.columns.iter().sum();
            assert_eq!(grid.iter().sum::<i64>(), (total * 20.0).round() as i64);
            // Rows at least as high as the PDF's.
            for ((h, rule), pdf) in doc.heights[i].iter().zip(&table.rows) {
                assert_eq!(rule, "atLeast");
                assert!(*h as f32 >= pdf * 20.0 - 0.01, "{h} < {pdf}pt");
            }
        }
    }
}

#[test]
fn checkboxes_are_content_controls_ticked_as_the_record_says() {
    for path in records() {
        let (_, layout) = layout_of(&path, 2);
        let xml = part(&docx(&layout, false), "word/document.xml");
        let doc = read_doc(&xml);
        let (on, off) = checks(&layout);
        assert!(on > 0 && off > 0, "{}", path.display());
        assert_eq!(
            (doc.checked, doc.unchecked),
            (on, off),
            "{}",
            path.display()
        );
        assert_eq!(xml.matches("<w14:checkbox>").count(), on + off);
        assert_eq!(xml.matches("<w:sdt>").count(), on + off);
        // The glyph shown matches the state.
        let text: String = doc.copies.concat().concat();
        assert_eq!(text.matches('\u{2611}').count(), on);
        assert_eq!(text.matches('\u{2610}').count(), off);
        assert!(xml.contains("mc:Ignorable=\"w14\""));
        assert!(xml.contains("xmlns:w14=\"http://schemas.microsoft.com/office/word/2010/wordml\""));
    }
}

#[test]
fn copies_are_tables_separated_by_page_breaks() {
    let path = root().join("examples/account.toml");
    for copies in [1, 2, 3] {
        let (_, layout) = layout_of(&path, copies);
        let doc = read_doc(&part(&docx(&layout, false), "word/document.xml"));
        assert_eq!(doc.tables.len(), copies);
        assert_eq!(doc.page_breaks, copies - 1);
        assert_eq!(doc.copies.len(), copies);
        // One copy has no mark; more have one each, in the top margin.
        assert_eq!(doc.frames, if copies == 1 { 0 } else { copies });
    }
}

#[test]
fn runs_name_the_office_font_or_the_embedded_one() {
    let (_, layout) = layout_of(&root().join("examples/account.toml"), 2);
    let plain = docx(&layout, false);
    let doc = read_doc(&part(&plain, "word/document.xml"));
    let want: BTreeSet<String> = ["宋体", "Segoe UI Symbol"].map(String::from).into();
    assert_eq!(doc.east_asia, want);
    let fonts = part(&plain, "word/fontTable.xml");
    assert!(fonts.contains("<w:font w:name=\"宋体\"><w:altName w:val=\"SimSun\"/><w:panose1 w:val=\"02010600030101010101\"/><w:charset w:val=\"86\"/>"));
    assert!(fonts.contains("<w:font w:name=\"Noto Serif CJK SC\">"));
    assert!(!fonts.contains("w:embedRegular"));
    assert!(!part(&plain, "word/settings.xml").contains("embedTrueTypeFonts"));

    let embedded = docx(&layout, true);
    let doc = read_doc(&part(&embedded, "word/document.xml"));
    // The shipped family, tagged for this document's subsets.
    let noto: Vec<&String> = doc
        .east_asia
        .iter()
        .filter(|f| *f != "Segoe UI Symbol")
        .collect();
    assert_eq!(noto.len(), 1, "{:?}", doc.east_asia);
    let tag = noto[0]
        .strip_prefix("Noto Serif CJK SC ")
        .expect("tagged Noto");
    assert!(tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()));
    let fonts = part(&embedded, "word/fontTable.xml");
    assert!(fonts.contains(&format!(
        "<w:font w:name=\"Noto Serif CJK SC {tag}\"><w:altName w:val=\"宋体\"/>"
    )));
    assert!(fonts.contains("<w:embedRegular r:id="));
    assert!(fonts.contains("<w:embedBold r:id="));
    assert!(part(&embedded, "word/settings.xml").contains("<w:embedTrueTypeFonts/>"));
    let names: Vec<String> = parts(&embedded).into_iter().map(|(n, _)| n).collect();
    let odttf: Vec<&String> = names.iter().filter(|n| n.ends_with(".odttf")).collect();
    assert_eq!(odttf.len(), 2);
    for (name, data) in parts(&embedded) {
        if name.ends_with(".odttf") {
            // Subsets: far smaller than the 24 MB fonts.
            assert!(data.len() < 1_000_000, "{name}: {} bytes", data.len());
            // Obfuscated: the sfnt tag is not in the clear.
            assert_ne!(&data[..4], b"OTTO");
        }
    }
    let types = part(&embedded, "[Content_Types].xml");
    assert!(types.contains(
        "<Default Extension=\"odttf\" ContentType=\"application/vnd.openxmlformats-officedocument.obfuscatedFont\"/>"
    ));
}

#[test]
fn xml_special_characters_appear_as_typed() {
    let record = r#"
form = "account"
unit = "信息工程系 R&D <实验室>"
[account]
platform = "其他"
platform_other = "A&B"
name = "\"会\"&<媒>"
id = "a<b>&c"
interactive = false
[principal]
name = "张三"
title = "主任&书记"
mobile = "13800000000"
email = "a&b@example.edu.cn"
[admin]
name = "李四"
title = "干事"
mobile = "13900000000"
email = "lisi@example.edu.cn"
"#;
    let (_, layout) = layout_of_text("xml.toml", record, 2);
    let bytes = docx(&layout, false);
    let xml = part(&bytes, "word/document.xml");
    // Escaped in the XML…
    assert!(xml.contains("R&amp;D &lt;实验室&gt;"));
    assert!(xml.contains("&quot;会&quot;&amp;&lt;媒&gt;"));
    assert!(!xml.contains("R&D"));
    // …and as typed once read back (the tokenizer rejects bad markup).
    let doc = read_doc(&xml);
    let text = doc.copies[0].concat();
    for typed in [
        "信息工程系 R&D <实验室>",
        "\"会\"&<媒>",
        "a<b>&c",
        "主任&书记",
        "a&b@example.edu.cn",
        "A&B",
    ] {
        assert!(
            squash(&text).contains(&squash(typed)),
            "{typed:?} in {text:?}"
        );
    }
    // The metadata too.
    let core = part(&bytes, "docProps/core.xml");
    assert!(core.contains("<dc:creator>信息工程系 R&amp;D &lt;实验室&gt;</dc:creator>"));
    tokens(&core);
}

#[test]
fn the_same_layout_gives_the_same_bytes() {
    for path in records() {
        let (_, layout) = layout_of(&path, 2);
        assert_eq!(docx(&layout, false), docx(&layout, false));
    }
    let (_, layout) = layout_of(&root().join("examples/douyin.json"), 2);
    assert_eq!(docx(&layout, true), docx(&layout, true));
}

#[test]
fn package_parts_are_complete_and_dated_1980() {
    let (_, layout) = layout_of(&root().join("examples/account.toml"), 2);
    for embed in [false, true] {
        let bytes = docx(&layout, embed);
        let names: Vec<String> = parts(&bytes).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names[0], "[Content_Types].xml");
        for want in [
            "_rels/.rels",
            "docProps/core.xml",
            "docProps/app.xml",
            "word/document.xml",
            "word/_rels/document.xml.rels",
            "word/styles.xml",
            "word/settings.xml",
            "word/fontTable.xml",
        ] {
            assert!(names.iter().any(|n| n == want), "{want}");
        }
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
        for i in 0..zip.len() {
            let f = zip.by_index(i).expect("entry");
            let t = f.last_modified().expect("a date");
            assert_eq!(
                (t.year(), t.month(), t.day()),
                (1980, 1, 1),
                "{:?}",
                f.name()
            );
        }
        // Every part is well-formed XML (except the fonts).
        for (name, data) in parts(&bytes) {
            if !name.ends_with(".odttf") {
                tokens(std::str::from_utf8(&data).expect("UTF-8"));
            }
        }
        // Every relationship target exists.
        for rels in names.iter().filter(|n| n.ends_with(".rels")) {
            let base = rels
                .trim_end_matches(".rels")
                .replace("_rels/", "")
                .rsplit_once('/')
                .map(|(d, _)| format!("{d}/"))
                .unwrap_or_default();
            let base = if rels == "_rels/.rels" {
                String::new()
            } else {
                base
            };
            for tok in tokens(&part(&bytes, rels)) {
                if let Tok::Open(n, a) = tok
                    && n == "Relationship"
                {
                    let target = format!("{base}{}", a["Target"]);
                    assert!(names.contains(&target), "{rels}: {target}");
                }
            }
        }
    }
}

#[test]
fn document_dates_come_from_the_filing_only() {
    let text = std::fs::read_to_string(root().join("examples/account.toml")).expect("read");
    let (_, layout) = layout_of_text("a.toml", &text, 1);
    assert!(!part(&docx(&layout, false), "docProps/core.xml").contains("dcterms:created"));
    let filed = format!("filed_at = \"2026-03-01T09:30:00+08:00\"\n{text}");
    let (_, layout) = layout_of_text("a.toml", &filed, 1);
    let core = part(&docx(&layout, false), "docProps/core.xml");
    assert!(core.contains(
        "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-03-01T01:30:00Z</dcterms:created>"
    ));
    assert!(core.contains(
        "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">2026-03-01T01:30:00Z</dcterms:modified>"
    ));
}

/// The embedded fonts of a DOCX, de-obfuscated: (family, bold) → font bytes.
fn embedded_fonts(bytes: &[u8]) -> BTreeMap<(String, bool), Vec<u8>> {
    let rels = part(bytes, "word/_rels/fontTable.xml.rels");
    let mut targets = BTreeMap::new();
    for tok in tokens(&rels) {
        if let Tok::Open(n, a) = tok
            && n == "Relationship"
        {
            targets.insert(a["Id"].clone(), format!("word/{}", a["Target"]));
        }
    }
    let all = parts(bytes);
    let mut out = BTreeMap::new();
    let mut family = String::new();
    for tok in tokens(&part(bytes, "word/fontTable.xml")) {
        let Tok::Open(n, a) = tok else { continue };
        match n.as_str() {
            "w:font" => family = a["w:name"].clone(),
            "w:embedRegular" | "w:embedBold" => {
                let (_, data) = all
                    .iter()
                    .find(|(name, _)| *name == targets[&a["r:id"]])
                    .expect("font part");
                // ECMA-376 §17.8.1, as LibreOffice reads it.
                let hex: Vec<u8> = a["w:fontKey"]
                    .bytes()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                let key: Vec<u8> = hex
                    .chunks(2)
                    .map(|p| {
                        u8::from_str_radix(std::str::from_utf8(p).expect("hex"), 16).expect("hex")
                    })
                    .collect();
                let mut font = data.clone();
                for i in 0..32 {
                    font[i] ^= key[15 - i % 16];
                }
                out.insert((family.clone(), n == "w:embedBold"), font);
            }
            _ => {}
        }
    }
    out
}

#[test]
fn embedded_subsets_cover_every_character_their_runs_show() {
    use skrifa::MetadataProvider;
    for path in records() {
        let (_, layout) = layout_of(&path, 2);
        let bytes = docx(&layout, true);
        let fonts = embedded_fonts(&bytes);
        assert_eq!(fonts.len(), 2, "{}: regular and bold", path.display());
        // The characters of each run, by the font and weight it names.
        let mut wanted: BTreeMap<(String, bool), BTreeSet<char>> = BTreeMap::new();
        let (mut font, mut bold, mut in_rpr, mut in_t) = (String::new(), false, false, false);
        for tok in tokens(&part(&bytes, "word/document.xml")) {
            match tok {
                Tok::Open(n, a) => match n.as_str() {
                    "w:r" => (font, bold) = (String::new(), false),
                    "w:rPr" => in_rpr = true,
                    "w:rFonts" if in_rpr => font = a["w:eastAsia"].clone(),
                    "w:b" if in_rpr => bold = true,
                    "w:t" => in_t = true,
                    _ => {}
                },
                Tok::Close(n) => match n.as_str() {
                    "w:rPr" => in_rpr = false,
                    "w:t" => in_t = false,
                    _ => {}
                },
                Tok::Text(t) if in_t && font != "Segoe UI Symbol" => wanted
                    .entry((font.clone(), bold))
                    .or_default()
                    .extend(t.chars()),
                Tok::Text(_) => {}
            }
        }
        assert_eq!(
            wanted.keys().collect::<Vec<_>>(),
            fonts.keys().collect::<Vec<_>>(),
            "{}",
            path.display()
        );
        for (key, chars) in &wanted {
            let data = &fonts[key];
            assert_eq!(&data[..4], b"OTTO", "{key:?}");
            let f = skrifa::FontRef::new(data).expect("an OpenType font");
            let family = f
                .localized_strings(skrifa::string::StringId::FAMILY_NAME)
                .english_or_first()
                .map(|s| s.to_string());
            assert_eq!(family.as_deref(), Some(key.0.as_str()), "internal name");
            for c in chars {
                assert!(
                    f.charmap().map(*c).is_some_and(|g| g.to_u32() != 0),
                    "{}: {c:?} missing from {key:?}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn two_documents_embed_two_differently_named_subsets() {
    let (_, a) = layout_of(&root().join("examples/account.toml"), 2);
    let (_, b) = layout_of(&root().join("examples/group.toml"), 2);
    let fa: BTreeSet<_> = embedded_fonts(&docx(&a, true)).into_keys().collect();
    let fb: BTreeSet<_> = embedded_fonts(&docx(&b, true)).into_keys().collect();
    assert!(fa.is_disjoint(&fb), "{fa:?} {fb:?}");
}

/// The document XML with a line per paragraph, run, row, cell and table, and
/// content-control ids replaced, for a readable snapshot.
fn readable(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find("w:id w:val=\"") {
        let start = i + "w:id w:val=\"".len();
        let end = rest[start..].find('"').expect("id end") + start;
        out.push_str(&rest[..start]);
        out.push_str("[id]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    for tag in [
        "<w:p>",
        "<w:r>",
        "<w:sdt>",
        "<w:tr>",
        "<w:tc>",
        "<w:tbl>",
        "</w:tbl>",
        "<w:sectPr>",
    ] {
        out = out.replace(tag, &format!("\n{tag}"));
    }
    out
}

#[test]
fn snapshot_of_the_document_xml() {
    let (_, layout) = layout_of(&root().join("examples/douyin.json"), 2);
    insta::assert_snapshot!(
        "douyin_document_xml",
        readable(&part(&docx(&layout, false), "word/document.xml"))
    );
}

/// A filed form's DOCX carries its QR code too: one PNG picture, anchored
/// on every copy at the layout's place, named by its relationship, with the
/// payload as its description; a draft's DOCX has none.
#[test]
fn a_filed_docx_carries_the_qr_code_as_a_picture() {
    let text = std::fs::read_to_string(root().join("examples/account.toml")).expect("read");
    let filed = format!(
        "serial = \"XMT-2026-0001\"\nuuid = \"00000000-0000-4000-8000-000000000001\"\nfiled_at = 2026-03-01T09:30:00+08:00\n{text}"
    );
    let (record, stamp, mut layout) = beian::pipeline::prepare_stamped(
        &beian::io::Source::Stdin,
        &filed,
        None,
        Default::default(),
    )
    .expect("filed record");
    let draft = docx(&layout, false);
    assert!(parts(&draft).iter().all(|(n, _)| !n.contains("media")));
    beian::layout::add_qr(&mut layout, &record, &stamp, 1);
    let bytes = docx(&layout, false);
    let png = parts(&bytes)
        .into_iter()
        .find(|(n, _)| n == "word/media/qr.png")
        .expect("the picture");
    let picture = image::load_from_memory(&png.1).expect("a PNG").to_luma8();
    assert_eq!(picture.width(), 25 * 8);
    let rels = part(&bytes, "word/_rels/document.xml.rels");
    assert!(
        rels.contains("Id=\"rId4\"") && rels.contains("media/qr.png"),
        "{rels}"
    );
    assert!(part(&bytes, "[Content_Types].xml").contains("Extension=\"png\""));
    let document = part(&bytes, "word/document.xml");
    let doc = roxmltree::Document::parse(&document).expect("xml");
    let anchors: Vec<_> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "docPr")
        .collect();
    assert_eq!(anchors.len(), layout.pages.len());
    for a in anchors {
        assert!(
            a.attribute("descr")
                .is_some_and(|d| d.starts_with("BEIAN:XMT-2026-0001:V1:")),
            "{a:?}"
        );
    }
}
