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
    let (_, layout) = prepare_text(
        &Source::Stdin,
        &text,
        None,
        LayoutOptions {
            copies: 1,
            ..Default::default()
        },
    )
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
            LayoutOptions {
                copies: 2,
                ..Default::default()
            },
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
                version: Some(1),
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
        LayoutOptions {
            copies: 1,
            ..Default::default()
        },
    ) {
        Ok((_, layout)) => println!("{}", layout.outline()),
        Err(e) => println!("{e}"),
    }
}

/// The texts of a layout's value paragraphs showing `field`, line by line.
fn value_lines(layout: &beian::layout::Layout, field: &str) -> Vec<Vec<String>> {
    layout.pages[0]
        .paras()
        .filter(|p| p.fields.iter().any(|f| f == field))
        .map(|p| {
            p.lines
                .iter()
                .map(|l| {
                    l.items
                        .iter()
                        .filter_map(|i| match &i.kind {
                            beian::layout::ItemKind::Text(t) => Some(t.clone()),
                            _ => None,
                        })
                        .collect::<String>()
                })
                .collect()
        })
        .collect()
}

fn layout_of_record(text: &str) -> beian::layout::Layout {
    prepare_text(
        &Source::Stdin,
        text,
        None,
        LayoutOptions {
            copies: 1,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .1
}

/// At the body size a 6-character 职务 and an 8-character name never break,
/// and a 12-character class name breaks at most once, where a word ends.
#[test]
fn cells_are_wide_enough_for_what_people_write() {
    for form in ["account", "group"] {
        let example =
            std::fs::read_to_string(crate::util::root().join(format!("examples/{form}.toml")))
                .expect("example");
        let text = example
            .replacen("title = \"系主任\"", "title = \"党总支副书记\"", 1)
            .replacen("title = \"辅导员\"", "title = \"党总支副书记\"", 1)
            .replacen("name = \"张三\"", "name = \"阿卜杜·买买提江\"", 1)
            .replacen("name = \"王芳\"", "name = \"阿卜杜·买买提江\"", 1);
        assert_ne!(text, example, "{form}");
        let layout = layout_of_record(&text);
        for field in ["principal.title", "principal.name"] {
            let lines = value_lines(&layout, field);
            assert_eq!(lines.len(), 1, "{form} {field}");
            assert_eq!(lines[0].len(), 1, "{form} {field}: {lines:?}");
            assert!(
                lines[0][0].chars().count() >= 6,
                "{form} {field}: {lines:?}"
            );
        }
    }
    // 2023级电子商务10班 as a group's name, and as an account's name.
    let class =
        std::fs::read_to_string(crate::util::fixture("good/group-class.toml")).expect("read");
    let lines = value_lines(&layout_of_record(&class), "group.name");
    assert_eq!(lines, [["2023级电子商务10班"]]);
    let account = std::fs::read_to_string(crate::util::root().join("examples/account.toml"))
        .expect("example")
        .replacen(
            "name = \"信息工程系学生会\"",
            "name = \"2023级电子商务10班\"",
            1,
        );
    let lines = value_lines(&layout_of_record(&account), "account.name");
    assert!(
        lines == [vec!["2023级电子商务10班".to_owned()]]
            || lines == [vec!["2023级".to_owned(), "电子商务10班".to_owned()]],
        "{lines:?}"
    );
}

/// Each 签名/签字 line leaves at least 35 mm to sign in, and 年 月 日 stands
/// on a line of its own with at least 10 mm before 年 and between 年, 月, 日.
#[test]
fn there_is_room_to_sign_and_to_date_by_hand() {
    let mm = beian::layout::PT_PER_MM;
    for form in ["account", "group"] {
        let text =
            std::fs::read_to_string(crate::util::root().join(format!("examples/{form}.toml")))
                .expect("example");
        let layout = layout_of_record(&text);
        let table = layout.pages[0].table().expect("table");
        let mut signatures = 0;
        for (area, cell) in table.cells() {
            for (i, p) in cell.paras.iter().enumerate() {
                let text = p.plain_text();
                if !(text.ends_with("签名：") || text.ends_with("（公章）：")) {
                    continue;
                }
                signatures += 1;
                let end = p.lines[0]
                    .items
                    .iter()
                    .map(|i| i.x + i.width)
                    .fold(0.0, f32::max);
                assert!(area.x + area.width - end >= 35.0 * mm, "{form}: {text}");
                let date = cell.paras.get(i + 1).expect("a date line below");
                assert_eq!(
                    date.plain_text(),
                    "年\u{3000}\u{3000}\u{3000}月\u{3000}\u{3000}\u{3000}日"
                );
                // Three ideographic spaces between, at the body size.
                assert!(3.0 * date.size >= 10.0 * mm, "{form}");
                let start = date.lines[0]
                    .items
                    .iter()
                    .map(|i| i.x)
                    .fold(f32::MAX, f32::min);
                assert!(start - area.x >= 10.0 * mm, "{form}");
            }
        }
        assert_eq!(signatures, 3, "{form}");
    }
}
