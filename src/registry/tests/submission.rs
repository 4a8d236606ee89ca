//! Tests of the filing service's store: submissions, their review and
//! approval, events, office users, and the migration that brought them.

use super::*;

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn receipt(code: &str) -> String {
    sha256_hex(code)
}

fn new_sub<'a>(record: &'a str, origin: &'a str) -> NewSubmission<'a> {
    NewSubmission {
        form: FormKind::Account,
        unit: "信息学院",
        name: "学院公众号",
        record,
        origin,
    }
}

/// A registry with one submission (of `record`) pending; its id.
fn one_pending(reg: &mut Registry, record: &str) -> i64 {
    let ids = reg
        .submit(
            &receipt("K7Q2-9PXM"),
            &[new_sub(record, "网页")],
            at(2026, 3, 1),
        )
        .expect("submit");
    ids[0]
}

fn actions(events: &[Event]) -> Vec<(&str, &str, &str)> {
    events
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str(), e.detail.as_str()))
        .collect()
}

#[test]
fn submissions_under_one_receipt_read_back_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let texts: Vec<String> = (0..4).map(content).collect();
    let key = receipt("K7Q2-9PXM");
    let subs: Vec<_> = texts[..3]
        .iter()
        .enumerate()
        .map(|(i, t)| NewSubmission {
            name: ["甲", "乙", "丙"][i],
            ..new_sub(t, "名册")
        })
        .collect();
    let ids = reg.submit(&key, &subs, at(2026, 3, 1)).expect("submit");
    assert_eq!(ids.len(), 3);

    // Looked up in any case: the key is the digest, not its spelling.
    let back = reg
        .submissions_of_receipt(&key.to_ascii_uppercase())
        .expect("query");
    assert_eq!(back.iter().map(|s| s.id).collect::<Vec<_>>(), ids);
    assert_eq!(back.iter().map(|s| s.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(
        back.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["甲", "乙", "丙"]
    );
    let first = &back[0];
    assert_eq!(first.record, texts[0]);
    assert_eq!(first.form, FormKind::Account);
    assert_eq!(first.unit, "信息学院");
    assert_eq!(first.origin, "名册");
    assert_eq!(first.status, SubmissionStatus::Pending);
    assert_eq!(
        (&first.reason, &first.serial, first.version),
        (&None, &None, None)
    );
    assert_eq!(first.submitted_at, "2026-03-01T09:30:15+08:00");
    assert_eq!(first.updated_at, first.submitted_at);
    assert_eq!(reg.submission(ids[1]).expect("query").as_ref(), back.get(1));
    assert_eq!(reg.submission(9999).expect("query"), None);
    assert!(
        reg.submissions_of_receipt(&receipt("other"))
            .expect("query")
            .is_empty()
    );

    // The same receipt again (a late row of the roster): numbered on.
    let more = reg
        .submit(&key, &[new_sub(&texts[3], "网页")], at(2026, 3, 2))
        .expect("submit more");
    assert_eq!(
        reg.submission(more[0]).expect("query").expect("kept").seq,
        4
    );

    // Newest first.
    let all = reg.submissions(None).expect("list");
    assert_eq!(
        all.iter().map(|s| s.id).collect::<Vec<_>>(),
        [more[0], ids[2], ids[1], ids[0]]
    );
    assert!(
        reg.submissions(Some(SubmissionStatus::Filed))
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        actions(&reg.events_of_submission(ids[0]).expect("events")),
        [("submitted", "单位", "名册")]
    );
    // The receipt's code itself is nowhere.
    let code_kept: bool = reg
        .conn
        .query_row(
            "SELECT count(*) > 0 FROM submission WHERE receipt_sha256 = 'K7Q2-9PXM'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert!(!code_kept);
    assert!(matches!(
        reg.submit("K7Q2-9PXM", &subs, at(2026, 3, 1)),
        Err(RegistryError::Internal(_))
    ));
}

#[test]
fn the_office_corrects_a_submission() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let id = one_pending(&mut reg, &content(1));
    reg.correct_submission(
        id,
        &content(2),
        "数学学院",
        "数学公众号",
        "张老师",
        "单位、名称",
        None,
        at(2026, 3, 2),
    )
    .expect("correct");
    let sub = reg.submission(id).expect("query").expect("kept");
    assert_eq!(
        (sub.record.as_str(), sub.unit.as_str(), sub.name.as_str()),
        (content(2).as_str(), "数学学院", "数学公众号")
    );
    assert_eq!(sub.status, SubmissionStatus::Pending);
    assert_eq!(sub.submitted_at, "2026-03-01T09:30:15+08:00");
    assert_eq!(sub.updated_at, "2026-03-02T09:30:15+08:00");
    assert_eq!(
        actions(&reg.events_of_submission(id).expect("events")),
        [
            ("submitted", "单位", "网页"),
            ("corrected", "张老师", "单位、名称")
        ]
    );
    assert!(matches!(
        reg.correct_submission(9, "", "", "", "张老师", "", None, at(2026, 3, 2)),
        Err(RegistryError::UnknownSubmission(9))
    ));
}

#[test]
fn a_returned_submission_is_submitted_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let id = one_pending(&mut reg, &content(1));
    reg.return_submission(id, "缺少负责人电话", "张老师", at(2026, 3, 2))
        .expect("return");
    let sub = reg.submission(id).expect("query").expect("kept");
    assert_eq!(sub.status, SubmissionStatus::Returned);
    assert_eq!(sub.reason.as_deref(), Some("缺少负责人电话"));
    let e = reg
        .return_submission(id, "again", "李老师", at(2026, 3, 2))
        .expect_err("returned already");
    assert_eq!(
        e.to_string(),
        format!("该申请（第{id}号）已不是待审核状态（退回）")
    );
    // The office may still correct it while the unit has it.
    reg.correct_submission(
        id,
        &content(3),
        "信息学院",
        "学院公众号",
        "张老师",
        "帐号名称",
        None,
        at(2026, 3, 3),
    )
    .expect("correct a returned one");
    assert_eq!(
        reg.submission(id).expect("query").expect("kept").status,
        SubmissionStatus::Returned
    );

    reg.resubmit(
        id,
        &content(4),
        "信息学院",
        "新公众号",
        "",
        None,
        at(2026, 3, 4),
    )
    .expect("resubmit");
    let sub = reg.submission(id).expect("query").expect("kept");
    assert_eq!(sub.status, SubmissionStatus::Pending);
    assert_eq!(sub.reason, None);
    assert_eq!((sub.record, sub.name), (content(4), "新公众号".to_owned()));
    assert_eq!(sub.updated_at, "2026-03-04T09:30:15+08:00");
    assert_eq!(
        actions(&reg.events_of_submission(id).expect("events")),
        [
            ("submitted", "单位", "网页"),
            ("returned", "张老师", "缺少负责人电话"),
            ("corrected", "张老师", "帐号名称"),
            ("resubmitted", "单位", ""),
        ]
    );
}

#[test]
fn a_unit_amends_a_pending_submission_but_not_a_filed_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let id = one_pending(&mut reg, &content(1));
    reg.resubmit(
        id,
        &content(2),
        "信息学院",
        "学院公众号",
        "",
        None,
        at(2026, 3, 2),
    )
    .expect("amend while pending");
    let sub = reg.submission(id).expect("query").expect("kept");
    assert_eq!(
        (sub.status, sub.record),
        (SubmissionStatus::Pending, content(2))
    );

    reg.approve_submission(id, "张老师", &request(&content(2), at(2026, 3, 3)), pdf)
        .expect("approve");
    let e = reg
        .resubmit(
            id,
            &content(3),
            "信息学院",
            "学院公众号",
            "",
            None,
            at(2026, 3, 4),
        )
        .expect_err("filed");
    assert!(
        matches!(&e, RegistryError::NotPending { id: i, status } if *i == id && status == "filed")
    );
    assert_eq!(
        reg.submission(id).expect("query").expect("kept").record,
        content(2)
    );
}

/// The office reviews a record; the unit amends it before the approval:
/// what was not reviewed is not filed.
#[test]
fn only_the_reviewed_record_is_approved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let id = one_pending(&mut reg, &content(1));
    let reviewed = reg.submission(id).expect("query").expect("kept");
    reg.resubmit(
        id,
        &content(2),
        "信息学院",
        "学院公众号",
        "",
        None,
        at(2026, 3, 2),
    )
    .expect("amend");
    let mut rendered = false;
    let e = reg
        .approve_as_reviewed(
            &reviewed,
            "张老师",
            &request(&content(1), at(2026, 3, 3)),
            |f| {
                rendered = true;
                pdf(f)
            },
        )
        .expect_err("changed since");
    assert!(matches!(
        &e,
        FileError::Registry(RegistryError::SubmissionChanged { id: i }) if *i == id
    ));
    assert_eq!(
        e.to_string(),
        format!("该申请（第{id}号）刚刚被修改过，请重新查看后再批准")
    );
    assert!(!rendered);
    assert!(reg.serials().expect("serials").is_empty());

    let reviewed = reg.submission(id).expect("query").expect("kept");
    let (filed, _) = reg
        .approve_as_reviewed(
            &reviewed,
            "张老师",
            &request(&content(2), at(2026, 3, 3)),
            pdf,
        )
        .expect("approve what was seen");
    assert_eq!(filed.serial, "XMT-2026-0001");
    assert_eq!(
        reg.submission(id).expect("query").expect("kept").status,
        SubmissionStatus::Filed
    );
}

#[test]
fn approval_files_the_submission() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let first = content(0);
    file(&mut reg, &request(&first, at(2026, 3, 1)));
    let c = content(1);
    let id = one_pending(&mut reg, &c);

    let (filed, outputs) = reg
        .approve_submission(id, "张老师", &request(&c, at(2026, 3, 5)), pdf)
        .expect("approve");
    assert_eq!((filed.serial.as_str(), filed.version), ("XMT-2026-0002", 1));
    assert!(filed.is_new);
    assert_eq!(outputs.len(), 1);
    let rec = reg.latest("XMT-2026-0002").expect("query").expect("filed");
    assert_eq!(rec.outputs[0].sha256, sha256_hex(&outputs[0].bytes));

    let sub = reg.submission(id).expect("query").expect("kept");
    assert_eq!(sub.status, SubmissionStatus::Filed);
    assert_eq!(sub.serial.as_deref(), Some("XMT-2026-0002"));
    assert_eq!(sub.version, Some(1));
    assert_eq!(sub.updated_at, "2026-03-05T09:30:15+08:00");
    let events = reg.events_of_submission(id).expect("events");
    assert_eq!(
        actions(&events),
        [
            ("submitted", "单位", "网页"),
            ("approved", "张老师", "XMT-2026-0002")
        ]
    );
    assert_eq!(events[1].serial.as_deref(), Some("XMT-2026-0002"));
    assert_eq!(events[1].at, "2026-03-05T09:30:15+08:00");

    // Filed: neither corrected nor returned here any more.
    assert!(matches!(
        reg.correct_submission(id, &c, "", "", "张老师", "", None, at(2026, 3, 6)),
        Err(RegistryError::NotPending { status, .. }) if status == "filed"
    ));
    assert!(matches!(
        reg.return_submission(id, "晚了", "张老师", at(2026, 3, 6)),
        Err(RegistryError::NotPending { .. })
    ));
    assert!(reg.integrity_check().expect("check"));
}

#[test]
fn a_second_approval_files_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let c = content(1);
    let id = one_pending(&mut reg, &c);
    reg.approve_submission(id, "张老师", &request(&c, at(2026, 3, 5)), pdf)
        .expect("approve");
    let sequences = reg.sequences().expect("sequences");

    // Other content too: were it filed, it would take a new serial.
    let other = content(2);
    let mut rendered = false;
    let e = reg
        .approve_submission(id, "李老师", &request(&other, at(2026, 3, 5)), |f| {
            rendered = true;
            pdf(f)
        })
        .expect_err("approved already");
    assert!(matches!(
        &e,
        FileError::Registry(RegistryError::NotPending { id: i, status }) if *i == id && status == "filed"
    ));
    assert_eq!(
        e.to_string(),
        format!("该申请（第{id}号）已不是待审核状态（已备案）")
    );
    assert!(!rendered, "refused before rendering");
    assert_eq!(reg.sequences().expect("sequences"), sequences);
    assert_eq!(reg.serials().expect("serials"), ["XMT-2026-0001"]);
    assert_eq!(reg.events_of_submission(id).expect("events").len(), 2);
}

/// Two office users approving at once: the second one has seen the
/// submission pending, waits on the write lock, and is refused under it.
#[test]
fn racing_approvals_file_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.sqlite");
    let c = [content(1), content(2)];
    let id = one_pending(&mut Registry::open(&path).expect("open"), &c[0]);
    let (started, wait_started) = std::sync::mpsc::channel();
    let (first, second) = std::thread::scope(|s| {
        let first = s.spawn(|| {
            let mut reg = Registry::open(&path).expect("open");
            reg.approve_submission(id, "张老师", &request(&c[0], at(2026, 3, 5)), |f| {
                // Holding the lock: let the other one look and queue.
                started.send(()).expect("send");
                std::thread::sleep(Duration::from_millis(1000));
                pdf(f)
            })
            .map(|(filed, _)| filed.serial)
        });
        wait_started.recv().expect("first is rendering");
        let second = s.spawn(|| {
            let mut reg = Registry::open(&path).expect("open");
            let mut rendered = false;
            let result = reg
                .approve_submission(id, "李老师", &request(&c[1], at(2026, 3, 5)), |f| {
                    rendered = true;
                    pdf(f)
                })
                .map(|(filed, _)| filed.serial);
            (result, rendered)
        });
        (first.join().expect("first"), second.join().expect("second"))
    });
    assert_eq!(first.expect("first approves"), "XMT-2026-0001");
    let (second, rendered) = second;
    assert!(
        matches!(
            second,
            Err(FileError::Registry(RegistryError::NotPending { .. }))
        ),
        "{second:?}"
    );
    assert!(rendered, "passed the first look, refused under the lock");
    let reg = Registry::open(&path).expect("open");
    assert_eq!(reg.serials().expect("serials"), ["XMT-2026-0001"]);
    assert_eq!(
        reg.sequences().expect("sequences"),
        [(FormKind::Account, 2026, 2)]
    );
    let events = reg.events_of_submission(id).expect("events");
    assert_eq!(
        actions(&events),
        [
            ("submitted", "单位", "网页"),
            ("approved", "张老师", "XMT-2026-0001")
        ]
    );
}

#[test]
fn a_failed_render_approves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let c = content(1);
    let id = one_pending(&mut reg, &c);
    let e = reg
        .approve_submission(id, "张老师", &request(&c, at(2026, 3, 5)), |_| {
            Err::<Vec<Output>, _>("字体缺失")
        })
        .expect_err("render fails");
    assert!(matches!(e, FileError::Render("字体缺失")));
    let sub = reg.submission(id).expect("query").expect("kept");
    assert_eq!(sub.status, SubmissionStatus::Pending);
    assert_eq!(sub.serial, None);
    assert!(reg.serials().expect("serials").is_empty());
    assert!(reg.sequences().expect("sequences").is_empty());
    assert_eq!(reg.events_of_submission(id).expect("events").len(), 1);
    // And it can be approved afterwards, taking the first number.
    let (filed, _) = reg
        .approve_submission(id, "张老师", &request(&c, at(2026, 3, 5)), pdf)
        .expect("approve");
    assert_eq!(filed.serial, "XMT-2026-0001");
}

#[test]
fn a_serial_tells_its_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let texts: Vec<String> = (0..3).map(content).collect();
    // Filed from the command line: no events.
    file(&mut reg, &request(&texts[0], at(2026, 3, 1)));
    assert!(
        reg.events_of_serial("XMT-2026-0001")
            .expect("events")
            .is_empty()
    );
    let ids = reg
        .submit(
            &receipt("K7Q2-9PXM"),
            &[
                new_sub(&texts[1], "名册 第2行"),
                new_sub(&texts[2], "名册 第3行"),
            ],
            at(2026, 3, 2),
        )
        .expect("submit");
    reg.correct_submission(
        ids[0],
        &texts[1],
        "信息学院",
        "学院公众号",
        "张老师",
        "负责人",
        None,
        at(2026, 3, 3),
    )
    .expect("correct");
    reg.set_office_user("张老师", HASH, at(2026, 3, 3))
        .expect("user");
    let (filed, _) = reg
        .approve_submission(ids[0], "张老师", &request(&texts[1], at(2026, 3, 4)), pdf)
        .expect("approve");
    reg.approve_submission(ids[1], "李老师", &request(&texts[2], at(2026, 3, 4)), pdf)
        .expect("approve the other");

    let events = reg.events_of_serial(&filed.serial).expect("events");
    assert_eq!(
        actions(&events),
        [
            ("submitted", "单位", "名册 第2行"),
            ("corrected", "张老师", "负责人"),
            ("approved", "张老师", "XMT-2026-0002"),
        ]
    );
    assert!(events.iter().all(|e| e.submission == Some(ids[0])));
    assert_eq!(
        reg.events_of_serial("XMT-2026-0003").expect("events").len(),
        2
    );
}

#[test]
fn office_users_are_set_replaced_and_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    assert!(!reg.has_office_users().expect("query"));
    assert!(reg.office_users().expect("query").is_empty());
    assert_eq!(reg.office_user_hash("张老师").expect("query"), None);

    reg.set_office_user("张老师", HASH, at(2026, 3, 1))
        .expect("set");
    reg.set_office_user("李老师", HASH, at(2026, 3, 1))
        .expect("set");
    let replaced = HASH.replace("aGFzaGhh", "bmV3bmV3");
    reg.set_office_user("张老师", &replaced, at(2026, 3, 2))
        .expect("replace");
    assert!(reg.has_office_users().expect("query"));
    // In SQLite's order (of the UTF-8 bytes): 张 U+5F20 before 李 U+674E.
    assert_eq!(reg.office_users().expect("query"), ["张老师", "李老师"]);
    assert_eq!(
        reg.office_user_hash("张老师").expect("query"),
        Some(replaced.clone())
    );
    let (created, updated): (String, String) = reg
        .conn
        .query_row(
            "SELECT created_at, updated_at FROM office_user WHERE name = '张老师'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("query");
    assert_eq!(
        (created.as_str(), updated.as_str()),
        ("2026-03-01T09:30:15+08:00", "2026-03-02T09:30:15+08:00")
    );

    // A password is never stored as it is, nor a hash in an event.
    assert!(matches!(
        reg.set_office_user("王老师", "hunter2", at(2026, 3, 2)),
        Err(RegistryError::Internal(_))
    ));
    assert!(reg.set_office_user(" ", HASH, at(2026, 3, 2)).is_err());
    let details: Vec<(String, String, String)> = reg
        .conn
        .prepare("SELECT actor, action, detail FROM event ORDER BY id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(details.len(), 3);
    assert!(
        details
            .iter()
            .all(|(_, action, detail)| action == "password" && detail == "设置口令")
    );
    assert_eq!(details[0].0, "张老师");
}

#[test]
fn a_schema_4_registry_migrates_keeping_its_filings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.sqlite");
    {
        let conn = Connection::open(&path).expect("create");
        for sql in &schema::MIGRATIONS[..4] {
            conn.execute_batch(sql).expect("schemas 1 to 4");
        }
        conn.execute_batch(&format!(
            "INSERT INTO filing (serial, version, form, year, seq, uuid, unit, name, canonical,
                                 content_sha256, filed_at, beian_version)
             VALUES ('XMT-2026-0001', 1, 'account', 2026, 1,
                     '6f1c8a52-1d3e-4a8b-9a31-0c2f1b5e7d44', '信息学院', '公众号',
                     'form = \"account\"', '{sha}', '2026-03-01T09:30:15+08:00', '0.1.0');
             INSERT INTO output (serial, version, kind, copies, revision, file_name, sha256, size)
             VALUES ('XMT-2026-0001', 1, 'pdf', 2, 1, 'XMT-2026-0001.pdf', '{sha}', 3);
             INSERT INTO sequence VALUES ('account', 2026, 2);
             INSERT INTO subject VALUES ('公众号', 'XMT-2026-0001');
             PRAGMA user_version = 4;",
            sha = sha256_hex("x")
        ))
        .expect("a filing of schema 4");
    }
    assert!(matches!(
        Registry::open_read_only(&path, RegistryConfig::default()),
        Err(RegistryError::SchemaTooOld { found: 4 })
    ));
    let mut reg = Registry::open(&path).expect("migrates");
    let version: i64 = reg
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, 5);
    let f = reg.latest("XMT-2026-0001").expect("query").expect("kept");
    assert_eq!((f.unit.as_str(), f.outputs.len()), ("信息学院", 1));
    assert_eq!(f.outputs[0].sha256, sha256_hex("x"));
    let next = content(2);
    let id = one_pending(&mut reg, &next);
    let (filed, _) = reg
        .approve_submission(id, "张老师", &request(&next, at(2026, 3, 2)), pdf)
        .expect("approve");
    assert_eq!(filed.serial, "XMT-2026-0002");
    assert!(reg.integrity_check().expect("check"));
}

#[test]
fn a_change_made_on_a_stale_page_is_refused_in_its_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reg = open(&dir);
    let id = one_pending(&mut reg, &content(1));
    let seen = crate::registry::sha256_hex(content(1));
    reg.resubmit(
        id,
        &content(2),
        "信息学院",
        "学院公众号",
        "",
        Some(&seen),
        at(2026, 3, 2),
    )
    .expect("the unit's change of what it saw");
    // The office opened it before that change.
    let stale = reg.correct_submission(
        id,
        &content(3),
        "信息学院",
        "学院公众号",
        "张老师",
        "名称",
        Some(&seen),
        at(2026, 3, 3),
    );
    assert!(
        matches!(stale, Err(RegistryError::SubmissionChanged { .. })),
        "{stale:?}"
    );
    let now = reg.submission(id).expect("read").expect("there");
    assert_eq!(now.record, content(2), "nothing changed");
    assert_eq!(reg.events_of_submission(id).expect("events").len(), 2);
}
