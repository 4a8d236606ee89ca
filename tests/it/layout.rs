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
