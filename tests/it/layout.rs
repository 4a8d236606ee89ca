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
    assert_eq!(table.columns.len(), 8);
    assert_eq!(table.rows.len(), 10);
    // 第一责任人 spans two rows; the slot below it is merged into it.
    let Some(beian::layout::Slot::Cell(c)) = table.slot(2, 0) else {
        panic!("cell")
    };
    assert_eq!((c.rowspan, c.colspan), (2, 1));
    assert_eq!(
        table.slot(3, 0),
        Some(&beian::layout::Slot::Merged { parent: 2 * 8 })
    );
    // Every 意见 cell keeps at least 45 mm clear for a seal.
    let seals: Vec<f32> = table
        .cells()
        .flat_map(|(_, c)| c.paras.iter())
        .filter(|p| p.seal)
        .map(|p| p.height / beian::layout::PT_PER_MM)
        .collect();
    assert_eq!(seals.len(), 2);
    assert!(seals.iter().all(|h| *h >= 45.0 - 1e-3), "{seals:?}");
    // Nothing leaves its cell or the page.
    let page = &layout.pages[0];
    for (area, cell) in table.cells() {
        for p in &cell.paras {
            for line in &p.lines {
                for item in &line.items {
                    assert!(
                        item.x >= area.x && item.x + item.width <= area.x + area.width + 0.01,
                        "{:?}",
                        item
                    );
                }
                assert!(line.baseline > area.y && line.baseline < area.y + area.height);
            }
        }
    }
    assert!(table.y + table.rows.iter().sum::<f32>() < page.height - page.margins[2]);
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
