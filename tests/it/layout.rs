//! The layout model, as a readable outline, for every good fixture.

use beian::io::Source;
use beian::layout::LayoutOptions;
use beian::pipeline::prepare_text;

use crate::util::fixtures;

#[test]
fn layout_snapshots() {
    for path in fixtures("good") {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("read");
        let (_, layout) = prepare_text(
            &Source::File(path.clone()),
            &text,
            None,
            LayoutOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        insta::assert_snapshot!(format!("layout_{name}"), layout.outline());
    }
}

#[test]
fn grid_resolves_merged_cells_like_the_original() {
    let text =
        std::fs::read_to_string(crate::util::fixture("good/account-basic.toml")).expect("read");
    let (_, layout) = prepare_text(&Source::Stdin, &text, None, LayoutOptions { copies: 1 })
        .unwrap_or_else(|e| panic!("{e}"));
    let table = layout.pages[0].table().expect("table");
    let ncols = table.columns.len();
    assert_eq!(table.rows.len(), 10);
    // 第一责任人 spans two rows; the slot below it is merged into it.
    let Some(beian::layout::Slot::Cell(c)) = table.slot(2, 0) else {
        panic!("cell")
    };
    assert_eq!((c.rowspan, c.colspan), (2, 1));
    assert_eq!(
        table.slot(3, 0),
        Some(&beian::layout::Slot::Merged { parent: 2 * ncols })
    );
    // Rows have their own cell edges: the grid is their union, wider than
    // any one row's eight cells.
    assert!(ncols > 8, "{ncols} columns");
}

/// Every record, typical and longest: each placed line inside its cell,
/// each cell inside the page, each seal area at least 45 mm, one page a copy.
#[test]
fn every_value_stays_inside_its_cell_and_every_cell_on_its_page() {
    for path in fixtures("good") {
        let text = std::fs::read_to_string(&path).expect("read");
        let (_, layout) = prepare_text(
            &Source::File(path.clone()),
            &text,
            None,
            LayoutOptions { copies: 2 },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let name = path.display();
        assert_eq!(layout.pages.len(), 2, "{name}");
        for page in &layout.pages {
            let bottom = page.height - page.margins[2] + 0.01;
            for p in page.paras() {
                for line in &p.lines {
                    for item in &line.items {
                        assert!(item.x >= page.margins[3] - 0.01, "{name}: {item:?}");
                        assert!(
                            item.x + item.width <= page.width - page.margins[1] + 0.01,
                            "{name}: {item:?}"
                        );
                    }
                    assert!(line.baseline < bottom, "{name}: {:?}", p.plain_text());
                }
            }
            let table = page.table().expect("table");
            assert!(table.y + table.rows.iter().sum::<f32>() <= bottom, "{name}");
            let mut seals = 0;
            for (area, cell) in table.cells() {
                for p in &cell.paras {
                    if p.seal {
                        seals += 1;
                        assert!(p.height / beian::layout::PT_PER_MM >= 45.0 - 1e-3, "{name}");
                        assert!(p.y + p.height <= area.y + area.height + 0.01, "{name}");
                    }
                    for line in &p.lines {
                        for item in &line.items {
                            assert!(
                                item.x >= area.x - 0.01
                                    && item.x + item.width <= area.x + area.width + 0.01,
                                "{name}: {:?} leaves its cell {area:?}",
                                item
                            );
                        }
                        assert!(
                            line.baseline > area.y && line.baseline < area.y + area.height,
                            "{name}: {:?} leaves its cell",
                            p.plain_text()
                        );
                    }
                }
            }
            assert_eq!(seals, 2, "{name}");
        }
    }
}

/// A filing lays its record out once and stamps it: the stamped layout is
/// exactly the one laid out with the stamp from the start, for every record,
/// with a short serial (the header keeps its height) and with a long
/// imported one (the header grows: laid out anew).
#[test]
fn a_stamped_layout_is_the_layout_with_the_stamp() {
    use beian::form::FormSpec;
    use beian::layout::{build_with, restamp};
    use beian::record::Stamp;
    for path in fixtures("good") {
        let text = std::fs::read_to_string(&path).expect("read");
        let (record, _, unstamped) = beian::pipeline::prepare_stamped(
            &Source::File(path.clone()),
            &text,
            None,
            LayoutOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let spec = FormSpec::get(record.form);
        for serial in [
            "XMT-2026-0042",
            "宣字〔2019〕第七号之一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十号",
        ] {
            let stamp = Stamp {
                serial: Some(serial.into()),
                uuid: Some("6f1c8a52-1d3e-4a8b-9a31-0c2f1b5e7d44".into()),
                filed_at: Some("2026-03-01T09:30:00+08:00".into()),
            };
            let direct = build_with(spec, &record, &stamp, LayoutOptions::default());
            let stamped = restamp(spec, &unstamped, &record, &stamp);
            assert!(direct == stamped, "{}: {serial}", path.display());
        }
    }
}

/// Prints the layout outline of the record in `BEIAN_OUTLINE` (a path), to
/// look at a layout without drawing it:
/// `BEIAN_OUTLINE=rec.toml cargo test --test it print_outline -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_outline() {
    let Some(path) = std::env::var_os("BEIAN_OUTLINE") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("read");
    match prepare_text(
        &Source::File(path.into()),
        &text,
        None,
        LayoutOptions { copies: 1 },
    ) {
        Ok((_, layout)) => println!("{}", layout.outline()),
        Err(e) => println!("{e}"),
    }
}
