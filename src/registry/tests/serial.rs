//! Tests of serial templates: formatting, parsing back, configuration.

use super::*;

#[test]
fn formats_serials() {
    let f = SerialFormat::parse(DEFAULT_ACCOUNT_TEMPLATE).expect("default parses");
    assert_eq!(f.format(2026, 1), "XMT-2026-0001");
    assert_eq!(f.format(2026, 200), "XMT-2026-0200");
    assert_eq!(f.format(2026, 12345), "XMT-2026-12345");
    let g = SerialFormat::parse("群{year}_{seq}").expect("cjk literal parses");
    assert_eq!(g.format(2027, 7), "群2027_7");
    let h = SerialFormat::parse("{year}{seq:03}").expect("adjacent placeholders");
    assert_eq!(h.format(2026, 5), "2026005");
    assert!(
        !SerialFormat::parse("A{seq:02}")
            .expect("no year")
            .has_year()
    );
}

#[test]
fn parses_serials_back() {
    let f = SerialFormat::parse(DEFAULT_ACCOUNT_TEMPLATE).expect("default parses");
    assert_eq!(f.parse_serial("XMT-2026-0001"), Some((Some(2026), 1)));
    assert_eq!(f.parse_serial("XMT-2026-12345"), Some((Some(2026), 12345)));
    assert_eq!(f.parse_serial("XMT-2026-1"), None, "padding missing");
    assert_eq!(f.parse_serial("XMT-2026-00012"), None, "over-padded");
    assert_eq!(f.parse_serial("XMT-2026-0000"), None, "seq 0");
    assert_eq!(f.parse_serial("QUN-2026-0001"), None);
    assert_eq!(f.parse_serial("XMT-2026-0001x"), None);
    let h = SerialFormat::parse("{year}{seq:03}").expect("parses");
    assert_eq!(h.parse_serial("2026005"), Some((Some(2026), 5)));
    let n = SerialFormat::parse("A{seq}").expect("parses");
    assert_eq!(n.parse_serial("A42"), Some((None, 42)));
}

#[test]
fn rejects_bad_templates() {
    for bad in [
        "",
        "XMT-{year}",
        "{seq}{seq}",
        "{year}{year}{seq}",
        "XMT-{foo}-{seq}",
        "XMT-{seq:4}",
        "XMT-{seq:00}",
        "XMT-{seq:099}",
        "XMT {seq}",
        "XMT/{seq}",
        "XMT-{seq",
        "XMT}-{seq}",
        "-{seq}",
        ".{seq}",
        "{seq}.",
        "LPT{seq}",
        "备案：{seq}",
    ] {
        assert!(
            matches!(SerialFormat::parse(bad), Err(RegistryError::BadTemplate(_))),
            "{bad:?} should be rejected"
        );
    }
}

#[test]
fn config_beside_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("registry.sqlite");
    let config = RegistryConfig::load_beside(&db).expect("missing file is fine");
    assert_eq!(config, RegistryConfig::default());
    assert_eq!(config.group.format(2026, 3), "QUN-2026-0003");

    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        "[serial]\naccount = \"新媒体-{year}-{seq:03}\"\n",
    )
    .expect("write config");
    let config = RegistryConfig::load_beside(&db).expect("valid config");
    assert_eq!(config.account.format(2026, 3), "新媒体-2026-003");
    assert_eq!(config.group.template(), DEFAULT_GROUP_TEMPLATE);

    let mut reg = Registry::open(&db).expect("open");
    let c = content(1);
    assert_eq!(
        file(&mut reg, &request(&c, at(2026, 3, 1))).serial,
        "新媒体-2026-001"
    );

    for (text, unknown) in [
        ("[serial]\naccount = \"X{seq}\"\ncolour = \"red\"\n", true),
        ("[serials]\naccount = \"X{seq}\"\n", true),
        ("[serial]\naccount = \"X{nope}\"\n", false),
    ] {
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), text).expect("write config");
        let err = RegistryConfig::load_beside(&db).expect_err("must fail");
        if unknown {
            assert!(matches!(err, RegistryError::Config(_)), "{err}");
        } else {
            assert!(matches!(err, RegistryError::BadTemplate(_)), "{err}");
        }
    }
}
