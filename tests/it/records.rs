//! Records: TOML and JSON are two spellings of one record.

use beian::io::Source;
use beian::layout::LayoutOptions;
use beian::pipeline::prepare_text;
use beian::record::Syntax;

use crate::util::{fixture, fixtures, root};

fn load(text: &str, syntax: Syntax) -> beian::record::Record {
    let source = Source::File("record".into());
    prepare_text(&source, text, Some(syntax), LayoutOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

#[test]
fn every_good_record_round_trips_through_toml_and_json() {
    for path in fixtures("good") {
        let text = std::fs::read_to_string(&path).expect("read");
        let syntax = if path.extension().is_some_and(|e| e == "json") {
            Syntax::Json
        } else {
            Syntax::Toml
        };
        let record = load(&text, syntax);
        let as_json = record.to_json();
        let as_toml = record.to_toml();
        assert_eq!(
            load(&as_json, Syntax::Json),
            record,
            "{}: via JSON",
            path.display()
        );
        assert_eq!(
            load(&as_toml, Syntax::Toml),
            record,
            "{}: via TOML",
            path.display()
        );
        // Canonical text is a fixed point.
        assert_eq!(load(&as_toml, Syntax::Toml).to_toml(), as_toml);
        assert_eq!(load(&as_json, Syntax::Json).to_json(), as_json);
    }
}

#[test]
fn normalisation_of_what_people_type() {
    let text = std::fs::read_to_string(fixture("good/account-json.json")).expect("read");
    let record = load(&text, Syntax::Json);
    assert_eq!(record.principal.mobile, "13800001111");
    assert_eq!(record.admin.mobile, "13900002222");
    assert_eq!(record.principal.email, "zhengjie@example.edu.cn");
    assert_eq!(
        record.principal.office_phone.as_deref(),
        Some("0553-5971050")
    );
    assert_eq!(record.admin.office_phone, None);
    assert_eq!(
        record.field("account.opened").as_deref(),
        Some("2020年5月20日")
    );
    let account = record.account.expect("account");
    assert_eq!(account.platform, "微信");
    assert_eq!(account.verified, Some(true));
}

/// Values as people write them print in their normal form, in both forms.
#[test]
fn values_as_people_write_them_print_normalised() {
    for (file, expected) in [
        (
            "good/account-values.toml",
            &[
                ("account.platform", "其他"),
                ("account.platform_other", "抖音"),
                ("account.verified", "是"),
                ("account.opened", "2019年9月1日"),
                ("account.interactive", "是"),
                ("account.interactive_reviewed", "是"),
                ("principal.mobile", "13500000000"),
                ("principal.office_phone", "0553-5971011转8023/5971012"),
                ("admin.mobile", "13400000000"),
                ("admin.office_phone", ""),
            ][..],
        ),
        (
            "good/account-values.json",
            &[
                ("account.platform", "其他"),
                ("account.platform_other", "哔哩哔哩"),
                ("account.verified", "否"),
                ("account.opened", "2021年3月"),
                ("account.interactive_reviewed", "否"),
                ("principal.office_phone", "0553-5971011/5971012"),
                ("admin.mobile", "13900000000"),
            ][..],
        ),
        (
            "good/account-fullwidth.toml",
            &[
                ("account.platform", "QQ/QQ空间"),
                ("account.id", "285301947"),
                ("account.verified", "是"),
                ("account.opened", "2020年5月20日"),
                ("principal.mobile", "13800012222"),
                ("principal.office_phone", "0553-5971022"),
            ][..],
        ),
        (
            "good/group-values.toml",
            &[
                ("group.type", "其他"),
                ("group.type_other", "微信群"),
                ("group.verified", "否"),
                ("group.opened", "2023年9月"),
                ("principal.mobile", "13300000000"),
                ("admin.office_phone", ""),
            ][..],
        ),
        (
            "good/group-values.json",
            &[
                ("group.type", "QQ群"),
                ("group.number", "873462916"),
                ("group.opened", "2024年9月1日"),
                ("principal.office_phone", "0553-5971020转8001"),
            ][..],
        ),
        (
            "good/group-weibo.toml",
            &[
                ("group.type", "微博群"),
                ("group.verified", "是"),
                ("group.opened", "2022年10月8日"),
            ][..],
        ),
    ] {
        let path = fixture(file);
        let syntax = if file.ends_with(".json") {
            Syntax::Json
        } else {
            Syntax::Toml
        };
        let record = load(&std::fs::read_to_string(&path).expect("read"), syntax);
        for (field, printed) in expected {
            assert_eq!(
                record.field(field).as_deref(),
                Some(*printed),
                "{file}: {field}"
            );
        }
    }
    // A month-only 开通时间 is written out as a month.
    let text = std::fs::read_to_string(fixture("good/group-values.toml")).expect("read");
    assert!(
        load(&text, Syntax::Toml)
            .to_toml()
            .contains("opened = \"2023-09\"")
    );
}

/// The list of texts the PDF tests look for is the one FORMS.md quotes.
#[test]
fn forms_texts_fixture_matches_forms_md() {
    let Ok(md) = std::fs::read_to_string(root().join("../shared/FORMS.md")) else {
        eprintln!("../shared/FORMS.md not present: skipped");
        return;
    };
    let fixture = std::fs::read_to_string(fixture("forms_texts.toml")).expect("fixture");
    let table: toml::Table = toml::from_str(&fixture).expect("toml");
    let sections = [
        ("account", "## Attachment 1", "## Attachment 2"),
        ("group", "## Attachment 2", "## What the notice says"),
    ];
    for (form, start, end) in sections {
        let from = md.find(start).expect("section start");
        let to = md.find(end).expect("section end");
        let mut quoted: Vec<String> = Vec::new();
        for piece in md[from..to].split('「').skip(1) {
            if let Some((q, _)) = piece.split_once('」')
                && !quoted.iter().any(|x| x == q)
            {
                quoted.push(q.to_owned());
            }
        }
        let listed: Vec<String> = table[form]
            .as_array()
            .expect("array")
            .iter()
            .map(|v| v.as_str().expect("str").to_owned())
            .collect();
        assert_eq!(listed, quoted, "{form}");
    }
}

/// The canonical text of a record — what the registry hashes to know a
/// record it has filed — is the text the first beian wrote
/// (`tests/fixtures/canonical/`, made by beian 0.1.0): an office that
/// upgrades gets its filings back, not second serials or false corrections.
#[test]
fn canonical_text_is_what_the_first_beian_wrote() {
    for (record, canonical) in [
        ("examples/account.toml", "account.toml"),
        ("examples/group.toml", "group.toml"),
        ("tests/fixtures/good/account-new.toml", "account-new.toml"),
    ] {
        let text = std::fs::read_to_string(crate::util::root().join(record)).expect("read");
        let written = load(&text, Syntax::Toml).to_toml();
        let pinned =
            std::fs::read_to_string(crate::util::fixture(&format!("canonical/{canonical}")))
                .expect("pinned");
        assert_eq!(written, pinned, "{record}");
    }
}

/// Record files as Chinese Windows programs save them — GBK (Notepad's
/// "ANSI"), UTF-16 with a BOM (PowerShell's `>`, Notepad's "Unicode"),
/// UTF-8 with a BOM, old Mac line ends — are read, not refused: each gives
/// the very form its UTF-8 original gives.
#[test]
fn record_files_in_every_encoding_windows_writes_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = crate::util::beian(&[
        "render",
        "--draft",
        "examples/group.toml",
        "-o",
        dir.path().join("utf8").to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let want = std::fs::read(dir.path().join("utf8/group.pdf")).expect("pdf");
    for path in crate::util::fixtures("encodings") {
        let name = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let out = dir.path().join(&name);
        let run = crate::util::beian(&[
            "render",
            "--draft",
            path.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let got = std::fs::read(out.join(format!("{name}.pdf"))).expect("pdf");
        assert!(
            got == want,
            "{name}: another form than the UTF-8 original's"
        );
    }
}
