//! Tests of filing: numbering, idempotency, corrections, imports, drift, batches, reservations.

use super::*;

#[test]
fn new_filings_count_up_and_restart_each_year() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let texts: Vec<String> = (0..5).map(content).collect();
    let serial = |reg: &mut Registry, i: usize, now| file(reg, &request(&texts[i], now)).serial;
    assert_eq!(serial(&mut reg, 0, at(2026, 1, 5)), "XMT-2026-0001");
    assert_eq!(serial(&mut reg, 1, at(2026, 12, 31)), "XMT-2026-0002");
    assert_eq!(serial(&mut reg, 2, at(2027, 1, 1)), "XMT-2027-0001");
    // A late filing dated in the old year continues that year's count.
    assert_eq!(serial(&mut reg, 3, at(2026, 12, 31)), "XMT-2026-0003");
    // The group form has its own sequence.
    let c = content(4);
    let mut req = request(&c, at(2026, 6, 1));
    req.form = FormKind::Group;
    assert_eq!(file(&mut reg, &req).serial, "QUN-2026-0001");

    let rec = reg.latest("XMT-2027-0001").expect("query").expect("exists");
    assert_eq!((rec.year, rec.seq, rec.version), (2027, Some(1), 1));
    assert_eq!(rec.filed_at, "2027-01-01T09:30:15+08:00");
    assert!(rec.canonical.starts_with("serial = \"XMT-2027-0001\"\n"));
    assert!(rec.canonical.ends_with(&texts[2]));
    assert_eq!(rec.content_sha256, sha256_hex(&texts[2]));
    assert_eq!(rec.outputs.len(), 1);
    assert_eq!(rec.outputs[0].sha256, sha256_hex(b"%PDF XMT-2027-0001 v1"));
    assert!(reg.integrity_check().expect("check"));
}

#[test]
fn template_changes_never_reuse_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.sqlite");
    let with = |account: &str| RegistryConfig {
        account: SerialFormat::parse(account).expect("template parses"),
        ..RegistryConfig::default()
    };
    let texts: Vec<String> = (0..4).map(content).collect();
    let mut serials = Vec::new();
    for (i, template) in [
        DEFAULT_ACCOUNT_TEMPLATE,
        "ACC-{year}-{seq:04}", // same sequence, new prefix
        "X{seq:05}",           // no {year}: one running sequence
        DEFAULT_ACCOUNT_TEMPLATE,
    ]
    .into_iter()
    .enumerate()
    {
        let mut reg = Registry::open_with_config(&path, with(template)).expect("open");
        serials.push(file(&mut reg, &request(&texts[i], at(2026, 3, 1))).serial);
    }
    // X00001 and X00002 would repeat (account, 2026, seq 1 and 2), and
    // back on the yearly sequence, number 3 is X00003's: both skipped.
    assert_eq!(
        serials,
        ["XMT-2026-0001", "ACC-2026-0002", "X00003", "XMT-2026-0004"]
    );
    let reg = Registry::open(&path).expect("open");
    let mut seqs: Vec<_> = reg
        .list(&ListFilter::default())
        .expect("list")
        .into_iter()
        .map(|r| r.seq)
        .collect();
    seqs.sort();
    assert_eq!(seqs, [Some(1), Some(2), Some(3), Some(4)]);
    assert!(reg.integrity_check().expect("check"));
}

#[test]
fn waits_for_a_writer_then_reports_busy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.sqlite");
    let mut reg = Registry::open(&path).expect("open");
    let mut blocker = Connection::open(&path).expect("second connection");
    let tx = blocker
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .expect("take the write lock");
    reg.conn
        .busy_timeout(Duration::from_millis(200))
        .expect("shorten timeout");
    let c = content(1);
    let started = Instant::now();
    let err = match reg.file(&request(&c, at(2026, 3, 1)), pdf) {
        Err(FileError::Registry(e)) => e,
        other => panic!("expected busy, got {other:?}"),
    };
    assert!(err.is_busy(), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(150), "it waited");
    drop(tx);
    assert_eq!(
        file(&mut reg, &request(&c, at(2026, 3, 1))).serial,
        "XMT-2026-0001"
    );
}

#[test]
fn same_content_twice_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let c = content(1);
    let first = file(&mut reg, &request(&c, at(2026, 3, 1)));
    assert!(first.is_new);
    // Later, and from a record that carries a uuid of its own.
    let mut again = request(&c, at(2026, 4, 1));
    again.uuid = Some("6f1c8a52-1d3e-4a8b-9a31-0c2f1b5e7d44");
    let second = file(&mut reg, &again);
    assert!(!second.is_new);
    assert_eq!(second.serial, first.serial);
    assert_eq!(second.version, 1);
    assert_eq!(second.uuid, first.uuid);
    assert_eq!(second.filed_at, first.filed_at);
    assert_eq!(reg.history(&first.serial).expect("history").len(), 1);
    // The number was not consumed twice.
    let c2 = content(2);
    assert_eq!(
        file(&mut reg, &request(&c2, at(2026, 4, 1))).serial,
        "XMT-2026-0002"
    );
}

#[test]
fn correction_keeps_serial_and_uuid_and_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let (c1, c2) = (content(1), content(2));
    let v1 = file(&mut reg, &request(&c1, at(2026, 3, 1)));

    let mut fix = request(&c2, at(2026, 3, 9));
    fix.serial = Some(&v1.serial);
    fix.unit = "信息工程学院";
    let v2 = file(&mut reg, &fix);
    assert!(v2.is_new);
    assert_eq!((v2.serial.as_str(), v2.version), (v1.serial.as_str(), 2));
    assert_eq!(v2.uuid, v1.uuid);
    assert_eq!(v2.filed_at, "2026-03-09T09:30:15+08:00");

    let history = reg.history(&v1.serial).expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].content_sha256, sha256_hex(&c1));
    assert_eq!(history[1].content_sha256, sha256_hex(&c2));
    assert_eq!(history[1].unit, "信息工程学院");
    assert_eq!(history[1].seq, Some(1));
    let latest = reg.latest(&v1.serial).expect("query").expect("exists");
    assert_eq!(latest.version, 2);
    let old = reg.version(&v1.serial, 1).expect("query").expect("exists");
    assert_eq!(old.unit, "信息学院");
    assert!(reg.version(&v1.serial, 3).expect("query").is_none());

    // Re-filing the corrected record is idempotent on version 2 …
    assert!(!file(&mut reg, &fix).is_new);
    // … and the list shows the latest version only.
    let listed = reg.list(&ListFilter::default()).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].version, 2);
}

#[test]
fn unknown_serial_needs_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let c = content(1);
    let mut req = request(&c, at(2026, 3, 1));
    req.serial = Some("XMT-2026-0001");
    match reg.file(&req, pdf) {
        Err(FileError::Registry(RegistryError::UnknownSerial(s))) => {
            assert_eq!(s, "XMT-2026-0001");
        }
        other => panic!("expected UnknownSerial, got {other:?}"),
    }
    assert!(reg.latest("XMT-2026-0001").expect("query").is_none());

    req.import = true;
    let filed = file(&mut reg, &req);
    assert_eq!((filed.serial.as_str(), filed.version), ("XMT-2026-0001", 1));
    let rec = reg.latest("XMT-2026-0001").expect("query").expect("stored");
    assert_eq!(rec.seq, None);
    assert_eq!(rec.year, 2026);

    // A hand-numbered serial in another scheme takes the filing's year.
    let c2 = content(2);
    let mut other = request(&c2, at(2025, 11, 2));
    other.serial = Some("院办备字2025第3号");
    other.import = true;
    file(&mut reg, &other);
    let rec = reg
        .latest("院办备字2025第3号")
        .expect("query")
        .expect("stored");
    assert_eq!((rec.year, rec.seq), (2025, None));

    // Allocation skips the number the import already took.
    let c3 = content(3);
    assert_eq!(
        file(&mut reg, &request(&c3, at(2026, 3, 2))).serial,
        "XMT-2026-0002"
    );

    // Imported serials must be usable as file names.
    let c4 = content(4);
    let mut evil = request(&c4, at(2026, 3, 2));
    evil.import = true;
    for serial in ["../x", "a b", "", "NUL", "x\u{0}"] {
        evil.serial = Some(serial);
        assert!(
            matches!(
                reg.file(&evil, pdf),
                Err(FileError::Registry(RegistryError::BadSerial(_)))
            ),
            "{serial:?}"
        );
    }
}

#[test]
fn serial_of_the_other_form_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let c = content(1);
    let filed = file(&mut reg, &request(&c, at(2026, 3, 1)));
    let c2 = content(2);
    let mut req = request(&c2, at(2026, 3, 2));
    req.form = FormKind::Group;
    req.serial = Some(&filed.serial);
    req.import = true;
    match reg.file(&req, pdf) {
        Err(FileError::Registry(RegistryError::WrongForm { serial, form })) => {
            assert_eq!(
                (serial.as_str(), form),
                ("XMT-2026-0001", FormKind::Account)
            );
        }
        other => panic!("expected WrongForm, got {other:?}"),
    }
    // Same content under the other form is not "the same filing".
    let mut group = request(&c, at(2026, 3, 2));
    group.form = FormKind::Group;
    assert_eq!(file(&mut reg, &group).serial, "QUN-2026-0001");
}

#[test]
fn render_error_rolls_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let c = content(1);
    let req = request(&c, at(2026, 3, 1));
    let mut seen = None;
    let result = reg.file(&req, |f| {
        seen = Some(f.serial.clone());
        Err::<Vec<Output>, _>("font missing")
    });
    assert!(matches!(result, Err(FileError::Render("font missing"))));
    assert_eq!(seen.as_deref(), Some("XMT-2026-0001"));
    assert!(reg.latest("XMT-2026-0001").expect("query").is_none());
    assert!(reg.list(&ListFilter::default()).expect("list").is_empty());

    let c2 = content(2);
    assert_eq!(
        file(&mut reg, &request(&c2, at(2026, 3, 1))).serial,
        "XMT-2026-0001"
    );
    // And the failed content files normally afterwards.
    assert_eq!(file(&mut reg, &req).serial, "XMT-2026-0002");
}

/// A batch is stamped in the order given (a repeat inside it is the filing
/// made moments before), rendered all at once, and committed whole or not
/// at all.
#[test]
fn a_batch_files_in_order_in_one_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let texts: Vec<String> = (1..=3).map(content).collect();
    let mut reqs: Vec<FilingRequest> = texts.iter().map(|c| request(c, at(2026, 3, 1))).collect();
    reqs.push(request(&texts[0], at(2026, 3, 1)));
    let failed = reg.file_all(&reqs, |_| Err::<Vec<Vec<Output>>, _>("disk"));
    assert!(matches!(failed, Err(FileError::Render("disk"))));
    assert!(reg.list(&ListFilter::default()).expect("list").is_empty());

    let mut given = Vec::new();
    let filed = reg
        .file_all(&reqs, |filed| {
            given = filed.iter().map(|f| (f.serial.clone(), f.is_new)).collect();
            filed.iter().map(pdf).collect()
        })
        .expect("files");
    let want = [
        ("XMT-2026-0001", true),
        ("XMT-2026-0002", true),
        ("XMT-2026-0003", true),
        ("XMT-2026-0001", false),
    ]
    .map(|(s, new)| (s.to_owned(), new));
    assert_eq!(given, want);
    assert_eq!(filed.len(), 4);
    assert_eq!(filed[3].1[0].bytes, b"%PDF XMT-2026-0001 v1");
    assert_eq!(reg.list(&ListFilter::default()).expect("list").len(), 3);

    // Outputs for another number of filings are a fault, rolled back.
    let more = content(4);
    let wrong = reg.file_all(&[request(&more, at(2026, 3, 1))], |_| {
        Ok::<_, Infallible>(Vec::new())
    });
    assert!(matches!(
        wrong,
        Err(FileError::Registry(RegistryError::Internal(_)))
    ));
    assert!(reg.latest("XMT-2026-0004").expect("query").is_none());
}

#[test]
fn drift_is_detected_and_nothing_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let c = content(1);
    let req = request(&c, at(2026, 3, 1));
    let out = |kind: &str, bytes: &[u8]| Output {
        kind: kind.into(),
        copies: 2,
        file_name: format!("XMT-2026-0001.{kind}"),
        bytes: bytes.to_vec(),
        text_sha256: sha256_hex("text"),
    };
    reg.file(&req, |_| Ok::<_, Infallible>(vec![out("pdf", b"one")]))
        .expect("first filing");

    // Same bytes again, plus a new kind: accepted, docx hash added.
    let (filed, _) = reg
        .file(&req, |_| {
            Ok::<_, Infallible>(vec![out("pdf", b"one"), out("docx", b"two")])
        })
        .expect("idempotent re-render");
    assert!(!filed.is_new);

    // Different pdf bytes for the same version: drift, rolled back.
    let result = reg.file(&req, |_| {
        Ok::<_, Infallible>(vec![out("html", b"new"), out("pdf", b"changed")])
    });
    match result {
        Err(FileError::Registry(RegistryError::Drift {
            serial,
            version,
            kind,
            copies,
        })) => {
            assert_eq!((serial.as_str(), version), ("XMT-2026-0001", 1));
            assert_eq!((kind.as_str(), copies), ("pdf", 2));
        }
        other => panic!("expected Drift, got {other:?}"),
    }
    let rec = reg.latest("XMT-2026-0001").expect("query").expect("exists");
    let kinds: Vec<_> = rec.outputs.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["docx", "pdf"],
        "the html of the failed run is rolled back"
    );
    assert_eq!(rec.outputs[1].sha256, sha256_hex(b"one"));
    assert_eq!(rec.outputs[1].size, 3);
}

#[test]
fn finds_outputs_by_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let (c1, c2) = (content(1), content(2));
    let v1 = file(&mut reg, &request(&c1, at(2026, 3, 1)));
    let mut fix = request(&c2, at(2026, 3, 2));
    fix.serial = Some(&v1.serial);
    file(&mut reg, &fix);

    let sha = sha256_hex(b"%PDF XMT-2026-0001 v1").to_ascii_uppercase();
    let found = reg.find_output_by_sha256(&sha).expect("query");
    assert_eq!(found.len(), 1);
    let m = &found[0];
    assert_eq!(
        (m.serial.as_str(), m.version, m.latest_version),
        ("XMT-2026-0001", 1, 2)
    );
    assert_eq!(
        (m.kind.as_str(), m.copies, m.file_name.as_str()),
        ("pdf", 1, "XMT-2026-0001.pdf")
    );
    assert!(
        reg.find_output_by_sha256(&sha256_hex(b"nope"))
            .expect("query")
            .is_empty()
    );
}

#[test]
fn lists_with_filters_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let texts: Vec<String> = (0..4).map(content).collect();
    let mut a = request(&texts[0], at(2027, 1, 2));
    a.unit = "外语学院";
    file(&mut reg, &a);
    file(&mut reg, &request(&texts[1], at(2026, 5, 1)));
    let mut g = request(&texts[2], at(2026, 5, 1));
    g.form = FormKind::Group;
    file(&mut reg, &g);
    file(&mut reg, &request(&texts[3], at(2026, 5, 2)));

    let all: Vec<_> = reg
        .list(&ListFilter::default())
        .expect("list")
        .into_iter()
        .map(|r| r.serial)
        .collect();
    assert_eq!(
        all,
        [
            "XMT-2026-0001",
            "XMT-2026-0002",
            "XMT-2027-0001",
            "QUN-2026-0001"
        ]
    );

    let serials = |f: ListFilter| -> Vec<String> {
        reg.list(&f)
            .expect("list")
            .into_iter()
            .map(|r| r.serial)
            .collect()
    };
    assert_eq!(
        serials(ListFilter {
            form: Some(FormKind::Group),
            ..ListFilter::default()
        }),
        ["QUN-2026-0001"]
    );
    assert_eq!(
        serials(ListFilter {
            year: Some(2027),
            ..ListFilter::default()
        }),
        ["XMT-2027-0001"]
    );
    assert_eq!(
        serials(ListFilter {
            unit: Some("外语".into()),
            ..ListFilter::default()
        }),
        ["XMT-2027-0001"]
    );
}

#[test]
fn rejects_bad_requests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let c = content(1);
    let mut req = request(&c, at(2026, 3, 1));
    req.uuid = Some("not-a-uuid");
    assert!(matches!(
        reg.file(&req, pdf),
        Err(FileError::Registry(RegistryError::BadUuid(_)))
    ));
    // A given uuid is kept (normalised).
    let mut req = request(&c, at(2026, 3, 1));
    req.uuid = Some("6F1C8A52-1D3E-4A8B-9A31-0C2F1B5E7D44");
    assert_eq!(
        file(&mut reg, &req).uuid,
        "6f1c8a52-1d3e-4a8b-9a31-0c2f1b5e7d44"
    );
}

/// Two filings naming one account (a key in common) cannot both get a
/// serial, even when their processes checked before either filed: the
/// second is refused inside its write transaction, naming the first.
#[test]
fn one_account_never_gets_two_serials() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let keys = vec!["account\u{0}微信\u{0}id\u{0}gh_1".to_owned()];
    let (a, b) = (content(1), content(2));
    let mut first = request(&a, at(2026, 3, 1));
    first.subjects = &keys;
    assert_eq!(file(&mut reg, &first).serial, "XMT-2026-0001");
    let mut second = request(&b, at(2026, 3, 1));
    second.subjects = &keys;
    match reg.file(&second, pdf) {
        Err(FileError::Registry(RegistryError::Duplicate { serial })) => {
            assert_eq!(serial, "XMT-2026-0001")
        }
        other => panic!("{other:?}"),
    }
    second.allow_duplicate = true;
    assert_eq!(file(&mut reg, &second).serial, "XMT-2026-0002");
}
