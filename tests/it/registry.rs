//! The filing registry through the command line: serials, idempotency,
//! corrections, regeneration, verification, concurrency and crashes.

use std::path::{Path, PathBuf};

use beian::registry::Registry;

use crate::util::{beian, beian_home, beian_in, listing, pdf_pages_text, root, squash};

/// A scratch directory with a registry in it.
struct Office {
    dir: tempfile::TempDir,
}

impl Office {
    fn new() -> Office {
        Office {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn registry(&self) -> PathBuf {
        self.path().join("beian.db")
    }
    fn out(&self) -> PathBuf {
        self.path().join("out")
    }
    /// `beian <args> --registry <ours>`, run in the repository root.
    fn run(&self, args: &[&str]) -> crate::util::Run {
        let reg = self.registry();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--registry", reg.to_str().expect("utf-8")]);
        beian(&all)
    }
    fn render(&self, records: &[&str]) -> crate::util::Run {
        let out = self.out();
        let mut args = vec!["render", "-o", out.to_str().expect("utf-8")];
        args.extend(records);
        self.run(&args)
    }
    fn serials(&self) -> Vec<String> {
        let reg = Registry::open(self.registry()).expect("open registry");
        let mut s: Vec<String> = reg
            .list(&Default::default())
            .expect("list")
            .into_iter()
            .map(|f| f.serial)
            .collect();
        s.sort();
        s
    }
}

fn year() -> i32 {
    use chrono::Datelike;
    chrono::Local::now().year()
}

#[test]
fn render_assigns_serials_prints_them_and_names_files_by_them() {
    let office = Office::new();
    let run = office.render(&["examples/account.toml", "examples/group.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (xmt, qun) = (
        format!("XMT-{}-0001", year()),
        format!("QUN-{}-0001", year()),
    );
    assert_eq!(
        listing(&office.out()),
        [
            format!("{qun}.pdf"),
            format!("{qun}.toml"),
            format!("{xmt}.pdf"),
            format!("{xmt}.toml")
        ]
    );
    let pdf = std::fs::read(office.out().join(format!("{xmt}.pdf"))).expect("pdf");
    for page in pdf_pages_text(&pdf) {
        assert!(squash(&page).contains(&format!("编号：{xmt}")), "{page}");
    }
    // The filed record is a self-contained source: it renders the same form.
    let filed = std::fs::read_to_string(office.out().join(format!("{xmt}.toml"))).expect("toml");
    assert!(
        filed.contains(&format!("serial = \"{xmt}\""))
            && filed.contains("uuid = ")
            && filed.contains("filed_at = ")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(office.registry())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "registry must be owner-only");
    }
}

#[test]
fn rendering_twice_files_once_and_gives_the_same_bytes() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let name = format!("XMT-{}-0001.pdf", year());
    let first = std::fs::read(office.out().join(&name)).expect("pdf");
    let again = office.render(&["examples/account.toml"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("已备案过"), "{}", again.stdout);
    assert!(std::fs::read(office.out().join(&name)).expect("pdf") == first);
    assert_eq!(office.serials().len(), 1);
}

#[test]
fn a_record_with_a_known_serial_is_a_correction_and_keeps_its_number() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/group.toml"]).code, 0);
    let serial = format!("QUN-{}-0001", year());
    let filed = std::fs::read_to_string(office.out().join(format!("{serial}.toml"))).expect("toml");
    let corrected = office.path().join("fix.toml");
    std::fs::write(&corrected, filed.replace("班长", "团支书")).expect("write");
    let run = office.render(&[corrected.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reg = Registry::open(office.registry()).expect("open");
    let history = reg.history(&serial).expect("history");
    assert_eq!(
        history.iter().map(|f| f.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(history[0].uuid, history[1].uuid);
    assert!(history[1].canonical.contains("团支书"));
    let show = office.run(&["show", &serial]);
    assert!(show.stdout.contains("第 2 版"), "{}", show.stdout);
}

#[test]
fn an_unknown_serial_needs_import() {
    let office = Office::new();
    let run = office.render(&["examples/douyin.json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("「XMT-2026-0003」不在登记簿"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--import"));
    assert!(!office.out().exists());
    assert!(
        !office.registry().exists(),
        "a refused batch creates no registry"
    );
    let run = office.render(&["--import", "examples/douyin.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(office.out().join("XMT-2026-0003.pdf").exists());
    // Numbering goes on around the imported serial.
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    assert!(office.serials().contains(&format!("XMT-{}-0001", year())));
}

#[test]
fn regen_rebuilds_the_same_bytes_and_verify_knows_originals() {
    let office = Office::new();
    assert_eq!(
        office
            .render(&["examples/account.toml", "examples/group.toml"])
            .code,
        0
    );
    let pdfs: Vec<PathBuf> = listing(&office.out())
        .into_iter()
        .filter(|n| n.ends_with(".pdf"))
        .map(|n| office.out().join(n))
        .collect();
    let originals: Vec<Vec<u8>> = pdfs
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();

    let paths: Vec<&str> = pdfs.iter().map(|p| p.to_str().expect("utf-8")).collect();
    let mut args = vec!["verify"];
    args.extend(&paths);
    let run = office.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.matches("是登记的原件").count(), 2);

    for p in &pdfs {
        std::fs::remove_file(p).expect("delete");
    }
    let serials = office.serials();
    let out = office.out();
    let mut args = vec!["regen", "-o", out.to_str().expect("utf-8")];
    args.extend(serials.iter().map(String::as_str));
    let run = office.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (p, original) in pdfs.iter().zip(&originals) {
        assert!(
            &std::fs::read(p).expect("regenerated") == original,
            "{} differs",
            p.display()
        );
    }

    // One byte changed: not an original.
    let mut tampered = originals[0].clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    let fake = office.path().join("tampered.pdf");
    std::fs::write(&fake, tampered).expect("write");
    let run = office.run(&["verify", fake.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("不是登记的原件"), "{}", run.stderr);
}

/// A filing made under another output revision (another beian that renders
/// differently) regenerates with the same text in other bytes, and says so;
/// `--exact` refuses, and a changed text is never passed off as the same.
#[test]
fn regen_under_another_output_revision_checks_the_text() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/group.toml"]).code, 0);
    let serial = office.serials().remove(0);
    // As if another beian had filed it: its bytes were different.
    let sql = |statement: &str| {
        rusqlite::Connection::open(office.registry())
            .expect("open")
            .execute_batch(statement)
            .expect("update");
    };
    sql(&format!(
        "UPDATE output SET revision = 9, sha256 = '{}'",
        "0".repeat(64)
    ));
    let out = office.path().join("again");
    let out = out.to_str().expect("utf-8");
    let run = office.run(&["regen", &serial, "-o", out]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let said = format!(
        "内容一致；版式修订 9 → {}，文件字节不同",
        beian::render::OUTPUT_REVISION
    );
    assert!(run.stdout.contains(&said), "{}", run.stdout);

    let exact = office.path().join("exact");
    let run = office.run(&[
        "regen",
        &serial,
        "--exact",
        "-o",
        exact.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("无法逐字节重现"), "{}", run.stderr);
    assert!(!exact.exists(), "--exact wrote files");

    sql(&format!(
        "UPDATE output SET text_sha256 = '{}'",
        "1".repeat(64)
    ));
    let changed = office.path().join("changed");
    let run = office.run(&["regen", &serial, "-o", changed.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("文字与备案时不一致"), "{}", run.stderr);
    assert!(!changed.exists());
}

#[test]
fn list_as_table_and_as_csv_for_excel() {
    let office = Office::new();
    assert_eq!(
        office
            .render(&["examples/account.toml", "examples/group.toml"])
            .code,
        0
    );
    let run = office.run(&["list"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("信息工程系学生会") && run.stdout.contains("共 2 份备案"),
        "{}",
        run.stdout
    );
    let run = office.run(&["list", "--form", "group"]);
    assert!(!run.stdout.contains("信息工程系学生会") && run.stdout.contains("共 1 份备案"));
    let run = office.run(&["list", "--csv"]);
    assert!(
        run.stdout.starts_with('\u{feff}'),
        "CSV needs a BOM for Excel"
    );
    assert!(run.stdout.contains("\r\n"));
}

#[test]
fn reading_commands_never_create_a_registry() {
    let office = Office::new();
    let run = office.run(&["list"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("还没有登记簿"), "{}", run.stderr);
    assert!(!office.registry().exists());
}

/// Without --registry, every folder beian runs in files into one registry:
/// the user's data directory's, or the one `beian.toml` names.
#[test]
fn one_registry_per_office_wherever_beian_runs() {
    let home = tempfile::tempdir().expect("tempdir");
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let account = root().join("examples/account.toml");
    let group = root().join("examples/group.toml");
    let in_a = beian_home(
        a.path(),
        home.path(),
        &["render", account.to_str().expect("utf-8")],
        None,
    );
    assert_eq!(in_a.code, 0, "{}", in_a.stderr);
    let registry = home.path().join("beian/beian.db");
    assert!(registry.exists(), "no registry in the data directory");
    assert!(
        in_a.stdout
            .contains(&format!("登记簿：{}（默认位置）", registry.display())),
        "{}",
        in_a.stdout
    );
    assert!(!a.path().join("beian.db").exists());
    // Another folder: the same registry, so the next number, not 0001 again.
    let in_b = beian_home(
        b.path(),
        home.path(),
        &["render", group.to_str().expect("utf-8")],
        None,
    );
    assert_eq!(in_b.code, 0, "{}", in_b.stderr);
    let again = beian_home(
        b.path(),
        home.path(),
        &["render", account.to_str().expect("utf-8")],
        None,
    );
    assert!(again.stdout.contains("已备案过"), "{}", again.stdout);
    let list = beian_home(b.path(), home.path(), &["list"], None);
    assert!(list.stdout.contains("共 2 份备案"), "{}", list.stdout);

    // beian.toml in the current folder names another registry, relative to itself.
    std::fs::write(
        b.path().join("beian.toml"),
        "registry = \"办公室/登记簿.db\"\n",
    )
    .expect("write");
    let named = beian_home(
        b.path(),
        home.path(),
        &["render", group.to_str().expect("utf-8")],
        None,
    );
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert!(b.path().join("办公室/登记簿.db").exists());
    assert!(
        named.stdout.contains("（beian.toml 指定）"),
        "{}",
        named.stdout
    );
    // Its [serial] numbers that registry.
    std::fs::write(
        b.path().join("beian.toml"),
        "registry = \"办公室/登记簿.db\"\n[serial]\naccount = \"ZH-{year}-{seq:03}\"\n",
    )
    .expect("write");
    let numbered = beian_home(
        b.path(),
        home.path(),
        &["render", account.to_str().expect("utf-8")],
        None,
    );
    assert!(
        numbered.stdout.contains("已备案 ZH-"),
        "{}",
        numbered.stdout
    );
}

/// 8 processes × 25 renders against one registry → 200 distinct serials, no gaps.
#[test]
fn concurrent_processes_get_distinct_gap_free_serials() {
    let office = Office::new();
    let template = std::fs::read_to_string(root().join("examples/account.toml")).expect("read");
    let records = office.path().join("records");
    std::fs::create_dir_all(&records).expect("mkdir");
    for p in 0..8 {
        for i in 0..25 {
            let text = template
                .replace("信息工程系学生会", &format!("学生会{p}号{i}"))
                .replace("gh_3f2a9c81d7e4", &format!("gh_3f2a9c81{p}{i:02}"));
            std::fs::write(records.join(format!("p{p}-{i}.toml")), text).expect("write");
        }
    }
    let registry = office.registry();
    let out = office.out();
    std::thread::scope(|scope| {
        for p in 0..8 {
            let (registry, out, records) = (&registry, &out, &records);
            scope.spawn(move || {
                for i in 0..25 {
                    let record = records.join(format!("p{p}-{i}.toml"));
                    let run = beian_in(
                        &root(),
                        &[
                            "render",
                            record.to_str().expect("utf-8"),
                            "-o",
                            out.to_str().expect("utf-8"),
                            "--registry",
                            registry.to_str().expect("utf-8"),
                        ],
                        None,
                    );
                    assert_eq!(run.code, 0, "{}", run.stderr);
                }
            });
        }
    });
    let expected: Vec<String> = (1..=200)
        .map(|n| format!("XMT-{}-{n:04}", year()))
        .collect();
    assert_eq!(office.serials(), expected);
    assert_eq!(
        listing(&out).iter().filter(|n| n.ends_with(".pdf")).count(),
        200
    );
}

/// kill -9 at random moments: the registry stays sound, serials stay unique
/// and gap-free, and no partial file is left under an output's name.
#[cfg(unix)]
#[test]
fn a_killed_render_leaves_no_damage() {
    use std::process::{Command, Stdio};
    let office = Office::new();
    let template = std::fs::read_to_string(root().join("examples/group.toml")).expect("read");
    let records = office.path().join("records");
    std::fs::create_dir_all(&records).expect("mkdir");
    let mut paths = Vec::new();
    for i in 0..12 {
        let path = records.join(format!("r{i:02}.toml"));
        std::fs::write(
            &path,
            template
                .replace("2025级电子商务3班", &format!("2025级电子商务{i}班"))
                .replace("873462915", &format!("8734629{i:02}")),
        )
        .expect("write");
        paths.push(path.to_str().expect("utf-8").to_owned());
    }
    let registry = office.registry();
    let out = office.out();
    let mut args = vec![
        "render".to_owned(),
        "-o".to_owned(),
        out.to_str().expect("utf-8").to_owned(),
        "--registry".to_owned(),
        registry.to_str().expect("utf-8").to_owned(),
    ];
    args.extend(paths);
    // Deterministic "random" delays, so a failure can be reproduced.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..15 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = std::time::Duration::from_millis(seed % 400);
        let mut child = Command::new(env!("CARGO_BIN_EXE_beian"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let reg = Registry::open(&registry).expect("registry opens after a kill");
        assert!(
            reg.integrity_check().expect("integrity check"),
            "PRAGMA integrity_check failed"
        );
        drop(reg);
        if registry.exists() {
            let serials = office.serials();
            let expected: Vec<String> = (1..=serials.len())
                .map(|n| format!("QUN-{}-{n:04}", year()))
                .collect();
            assert_eq!(serials, expected, "duplicated or skipped serial");
        }
        // Every file under an output's name is whole.
        for name in listing(&out).iter().filter(|n| n.ends_with(".pdf")) {
            let bytes = std::fs::read(out.join(name)).expect("read");
            assert!(
                lopdf::Document::load_mem(&bytes).is_ok(),
                "{name} is partial"
            );
            assert!(
                bytes.ends_with(b"%%EOF\n") || bytes.ends_with(b"%%EOF"),
                "{name} is truncated"
            );
        }
    }
    // A last, uninterrupted run completes every filing and clears leftovers.
    let status = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(&args)
        .stdout(Stdio::null())
        .status()
        .expect("run");
    assert!(status.success());
    assert_eq!(office.serials().len(), 12);
    let names = listing(&out);
    assert!(
        names.iter().all(|n| !n.starts_with(".beian-tmp")),
        "{names:?}"
    );
    assert_eq!(names.iter().filter(|n| n.ends_with(".pdf")).count(), 12);
}

/// A lost registry is rebuilt from the filed records (`render --import` of
/// the `<serial>.toml` files): each filing keeps its serial, uuid and filing
/// time, so the same PDF comes out and the original verifies again.
#[test]
fn a_lost_registry_is_rebuilt_from_the_filed_records() {
    let office = Office::new();
    assert_eq!(
        office
            .render(&["examples/group.toml", "examples/account.toml"])
            .code,
        0
    );
    let y = year();
    // The account is corrected: its filed record and form are version 2.
    let account = std::fs::read_to_string(root().join("examples/account.toml")).expect("read");
    let corrected = office.path().join("corrected.toml");
    std::fs::write(
        &corrected,
        format!(
            "serial = \"XMT-{y}-0001\"\n{}",
            account.replace("13800000000", "13800000001")
        ),
    )
    .expect("write");
    assert_eq!(office.render(&[corrected.to_str().expect("utf-8")]).code, 0);
    let filed =
        std::fs::read_to_string(office.out().join(format!("XMT-{y}-0001.toml"))).expect("toml");
    assert!(filed.contains("version = 2"), "{filed}");
    std::fs::remove_file(office.registry()).expect("lose the registry");
    for extra in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{extra}", office.registry().display()));
    }
    let again = office.path().join("again");
    let mut args = vec!["render", "--import", "-o", again.to_str().expect("utf-8")];
    let filed: Vec<String> = [format!("QUN-{y}-0001"), format!("XMT-{y}-0001")]
        .iter()
        .map(|s| {
            office
                .out()
                .join(format!("{s}.toml"))
                .to_str()
                .expect("utf-8")
                .to_owned()
        })
        .collect();
    args.extend(filed.iter().map(String::as_str));
    let run = office.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for serial in [format!("QUN-{y}-0001"), format!("XMT-{y}-0001")] {
        let original = std::fs::read(office.out().join(format!("{serial}.pdf"))).expect("filed");
        let rebuilt = std::fs::read(again.join(format!("{serial}.pdf"))).expect("rebuilt");
        assert!(original == rebuilt, "{serial}");
        let original_path = office.out().join(format!("{serial}.pdf"));
        let verify = office.run(&["verify", original_path.to_str().expect("utf-8")]);
        assert_eq!(verify.code, 0, "{}", verify.stderr);
        assert!(verify.stdout.contains("是登记的原件"), "{}", verify.stdout);
    }
}

/// Two records claiming one serial in a batch are refused, and nothing is filed.
#[test]
fn one_serial_twice_in_a_batch_is_refused_whole() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let serial = format!("XMT-{}-0001", year());
    let filed = std::fs::read_to_string(office.out().join(format!("{serial}.toml"))).expect("toml");
    let a = office.path().join("a.toml");
    let b = office.path().join("b.toml");
    std::fs::write(&a, filed.replace("信息工程系学生会", "甲")).expect("write");
    std::fs::write(&b, filed.replace("信息工程系学生会", "乙")).expect("write");
    let run = office.render(&[a.to_str().expect("utf-8"), b.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("在这一批中出现了两次"),
        "{}",
        run.stderr
    );
    let reg = Registry::open(office.registry()).expect("open");
    assert_eq!(reg.history(&serial).expect("history").len(), 1);
}

#[test]
fn regen_and_show_of_unknown_serials_say_so_plainly() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let run = office.run(&[
        "regen",
        "XMT-1999-0001",
        "-o",
        office.out().to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("没有编号「XMT-1999-0001」") && !run.stderr.contains("--import"),
        "{}",
        run.stderr
    );
    let serial = format!("XMT-{}-0001", year());
    let run = office.run(&["regen", &serial, "--version-of", "9"]);
    assert!(run.stderr.contains("没有第 9 版"), "{}", run.stderr);
}

/// The register for the archive: every filing with its people, as a
/// landscape PDF table and as CSV, and the gaps in the numbering.
#[test]
fn the_register_lists_every_filing_and_the_gaps_in_the_numbering() {
    let office = Office::new();
    assert_eq!(
        office
            .render(&["examples/roster.csv", "examples/account.toml"])
            .code,
        0
    );
    let pdf = office.path().join("汇总表.pdf");
    let run = office.run(&["register", "-o", pdf.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("共 6 份备案") && run.stdout.contains("编号连续"),
        "{}",
        run.stdout
    );
    let pages = pdf_pages_text(&std::fs::read(&pdf).expect("register"));
    let text = squash(&pages.concat());
    for want in [
        "备案登记簿",
        "2023级电子商务1班",
        "13700000001",
        "第1页，共1页",
    ] {
        assert!(text.contains(&squash(want)), "{want}: {text}");
    }
    // A filing gone from the register (say, a damaged copy restored without
    // it) leaves a gap in the numbers, which the register names.
    let y = year();
    let sql = rusqlite::Connection::open(office.registry()).expect("open");
    sql.execute_batch(&format!(
        "DELETE FROM output WHERE serial = 'QUN-{y}-0002'; DELETE FROM filing WHERE serial = 'QUN-{y}-0002';"
    ))
    .expect("delete");
    let csv = office.path().join("汇总表.csv");
    let run = office.run(&[
        "register",
        "-o",
        csv.to_str().expect("utf-8"),
        "--form",
        "group",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("缺号：QUN-{y}-0002")),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.starts_with("\u{feff}编号,表格,申请单位名称"), "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");
    // A serial numbered by hand and imported counts too: after 0002 the
    // registry holds 0001, 0003, and the imported 0006 → 0002, 0004, 0005.
    let imported = office.path().join("旧表.toml");
    let record = std::fs::read_to_string(root().join("tests/fixtures/good/group-qq.toml"))
        .expect("read")
        .replace("2025级", "2019级");
    std::fs::write(&imported, format!("serial = \"QUN-{y}-0006\"\n{record}")).expect("write");
    let run = office.run(&[
        "render",
        imported.to_str().expect("utf-8"),
        "--import",
        "-o",
        office.out().to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = office.run(&[
        "register",
        "-o",
        csv.to_str().expect("utf-8"),
        "--form",
        "group",
    ]);
    assert!(
        run.stdout
            .contains(&format!("缺号：QUN-{y}-0002、QUN-{y}-0004、QUN-{y}-0005")),
        "{}",
        run.stdout
    );
    // Filtered by unit, numbers are not checked: the others are other units'.
    let run = office.run(&[
        "register",
        "-o",
        csv.to_str().expect("utf-8"),
        "--unit",
        "电子商务",
    ]);
    assert!(run.stdout.contains("不核对编号"), "{}", run.stdout);
    // For Excel and WPS: every cell text (phones stay 11 digits), a filter
    // on the header, which repeats on every printed page.
    let xlsx = office.path().join("汇总表.xlsx");
    let run = office.run(&["register", "-o", xlsx.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(&xlsx).expect("xlsx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("a zip");
    let part = |zip: &mut zip::ZipArchive<_>, name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect(name), &mut text)
            .expect("utf-8");
        text
    };
    let sheet = part(&mut zip, "xl/worksheets/sheet1.xml");
    let doc = roxmltree::Document::parse(&sheet).expect("worksheet XML");
    let rows: Vec<Vec<String>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("row"))
        .map(|row| {
            row.children()
                .filter(|c| c.has_tag_name("c"))
                .map(|c| {
                    c.descendants()
                        .filter(|t| t.is_text())
                        .filter_map(|t| t.text())
                        .collect()
                })
                .collect()
        })
        .collect();
    assert!(rows[0][0].contains("备案登记簿"), "{rows:?}");
    assert!(rows[1][0].contains("共 6 份备案"), "{rows:?}");
    assert_eq!(rows[2][..3], ["编号", "表格", "申请单位名称"]);
    assert_eq!(rows.len(), 3 + 6, "{rows:?}");
    let first = rows
        .iter()
        .find(|r| r[0] == format!("QUN-{y}-0001"))
        .expect("QUN-0001 listed");
    assert!(first.contains(&"13700000001".to_owned()), "{first:?}");
    assert!(
        doc.descendants()
            .filter(|n| n.has_tag_name("c"))
            .all(|c| c.attribute("t") == Some("inlineStr")),
        "every cell is text"
    );
    assert!(sheet.contains(r#"<autoFilter ref="A3:L9"/>"#), "{sheet}");
    let workbook = part(&mut zip, "xl/workbook.xml");
    assert!(
        workbook.contains("_xlnm.Print_Titles") && workbook.contains("'登记簿'!$3:$3"),
        "{workbook}"
    );
    let txt = office.path().join("汇总表.txt");
    let run = office.run(&["register", "-o", txt.to_str().expect("utf-8")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(".xlsx（Excel、WPS）"), "{}", run.stderr);
    assert!(!txt.exists());
    // Three or more missing in a row are said as a range.
    let record = record.replace("2019级", "2018级");
    std::fs::write(&imported, format!("serial = \"QUN-{y}-0010\"\n{record}")).expect("write");
    let run = office.run(&[
        "render",
        imported.to_str().expect("utf-8"),
        "--import",
        "-o",
        office.out().to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = office.run(&["register", "-o", csv.to_str().expect("utf-8")]);
    assert!(
        run.stdout.contains(&format!(
            "缺号：QUN-{y}-0002、QUN-{y}-0004、QUN-{y}-0005、QUN-{y}-0007～QUN-{y}-0009（3 个）"
        )),
        "{}",
        run.stdout
    );
}

/// `blank --assign`: serials reserved in the registry and printed on blank
/// forms; the record filled in on one files under its number (no
/// `--import`), later filings never get a reserved number, and the register
/// counts the reserved ones apart from the missing ones.
#[test]
fn blank_forms_with_reserved_serials_are_claimed_by_their_records() {
    let office = Office::new();
    let y = year();
    let blanks = office.path().join("blanks");
    let blanks_arg = blanks.to_str().expect("utf-8");
    let run = office.run(&[
        "blank", "account", "--assign", "--count", "3", "-o", blanks_arg,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&format!("编号 XMT-{y}-0001～XMT-{y}-0003 已在登记簿中预留")),
        "{}",
        run.stdout
    );
    let files = listing(&blanks);
    assert_eq!(
        files,
        [format!(
            "XMT-{y}-0001～XMT-{y}-0003 新媒体帐号（附件1）空白表.pdf"
        )]
    );
    let pages = pdf_pages_text(&std::fs::read(blanks.join(&files[0])).expect("blanks"));
    assert_eq!(pages.len(), 6);
    assert!(pages[2].contains(&format!("XMT-{y}-0002")), "{}", pages[2]);

    // A DOCX cannot carry a reserved number: refused, nothing reserved.
    let run = office.run(&["blank", "group", "--assign", "-f", "docx", "-o", blanks_arg]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--assign 只生成 PDF"), "{}", run.stderr);

    // The form for 0002 comes back filled in by hand and is typed up.
    let account = std::fs::read_to_string(root().join("examples/account.toml")).expect("example");
    let claim = office.path().join("claim.toml");
    std::fs::write(&claim, format!("serial = \"XMT-{y}-0002\"\n{account}")).expect("write");
    let run = office.render(&[claim.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("已备案 XMT-{y}-0002")),
        "{}",
        run.stdout
    );
    // A group's record cannot take an account's reserved number.
    let group = std::fs::read_to_string(root().join("examples/group.toml")).expect("example");
    let wrong = office.path().join("wrong.toml");
    std::fs::write(&wrong, format!("serial = \"XMT-{y}-0003\"\n{group}")).expect("write");
    let run = office.render(&[wrong.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("是预留给新媒体帐号"), "{}", run.stderr);
    // A new filing gets the next number after the reserved ones.
    let run = office.render(&["tests/fixtures/good/account-people.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("已备案 XMT-{y}-0004")),
        "{}",
        run.stdout
    );

    let run = office.run(&["show", &format!("XMT-{y}-0003")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("预留给手工填写的空白表"),
        "{}",
        run.stdout
    );

    let csv = office.path().join("汇总表.csv");
    let run = office.run(&[
        "register",
        "-o",
        csv.to_str().expect("utf-8"),
        "--form",
        "account",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "共 2 份备案（每个编号的最新版）；编号连续，没有缺号；已预留给空白表、尚未登记 2 个：XMT-{y}-0001、XMT-{y}-0003）"
        )),
        "{}",
        run.stdout
    );
}

/// A registry row whose serial is a path (`../../x`, put there by hand or
/// by a damaged copy) makes `regen` write nothing at all, anywhere; the
/// files of a sound row are named by serial and format, not by the name
/// on record.
#[test]
fn regen_never_writes_outside_its_folder() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let y = year();
    let serial = format!("XMT-{y}-0001");
    let sql = rusqlite::Connection::open(office.registry()).expect("open");
    sql.execute_batch(&format!(
        "INSERT INTO filing SELECT '../../escaped', version, form, year, NULL, uuid, unit, name, canonical,
                content_sha256, filed_at, beian_version, output_revision, form_sha256
           FROM filing WHERE serial = '{serial}';
         INSERT INTO output SELECT '../../escaped', version, kind, copies, revision, '../../escaped.pdf',
                sha256, size, text_sha256 FROM output WHERE serial = '{serial}';
         UPDATE output SET file_name = '../../renamed.pdf' WHERE serial = '{serial}';"
    ))
    .expect("tamper");
    let deep = office.path().join("a/b/c");
    std::fs::create_dir_all(&deep).expect("mkdir");
    let run = office.run(&[
        "regen",
        "../../escaped",
        "-o",
        deep.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("不是 beian 写入的"), "{}", run.stderr);
    assert!(listing(&deep).is_empty());
    assert!(!office.path().join("a/escaped.pdf").exists());

    let run = office.run(&["regen", &serial, "-o", deep.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        listing(&deep),
        [format!("{serial}.pdf"), format!("{serial}.toml")]
    );
    assert!(!office.path().join("a/renamed.pdf").exists());
}

/// Filed outputs are owner-only like the registry, and a registry that
/// others can read (a copy, an old one) is pointed out with what to do.
#[cfg(unix)]
#[test]
fn outputs_are_private_and_an_open_registry_is_pointed_out() {
    use std::os::unix::fs::PermissionsExt;
    let office = Office::new();
    let run = office.render(&["examples/account.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("其他用户也能读取"), "{}", run.stdout);
    for name in listing(&office.out()) {
        let mode = std::fs::metadata(office.out().join(&name))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
    std::fs::set_permissions(office.registry(), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let run = office.render(&["examples/group.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("登记簿其他用户也能读取（权限 644）")
            && run.stdout.contains("chmod 600"),
        "{}",
        run.stdout
    );
}

/// A draft of a filed record (its `<serial>.toml`, say) never writes over
/// the filed files, and says 「草稿」 where the copy mark goes on every copy,
/// so that it cannot pass for the filed form; a draft of a new record stays
/// a clean form, 编号 blank.
#[test]
fn a_draft_of_a_numbered_record_is_marked_and_kept_apart() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let serial = format!("XMT-{}-0001", year());
    let filed_pdf = office.out().join(format!("{serial}.pdf"));
    let filed = std::fs::read(&filed_pdf).expect("filed");
    let toml = office.out().join(format!("{serial}.toml"));
    let out = office.out();
    let run = office.run(&[
        "render",
        "--draft",
        toml.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read(&filed_pdf).expect("filed"), filed);
    let draft = out.join(format!("{serial} 草稿.pdf"));
    let pages = pdf_pages_text(&std::fs::read(&draft).expect("draft"));
    assert_eq!(pages.len(), 2);
    for page in &pages {
        assert!(page.contains("草稿") && page.contains(&serial), "{page}");
        assert!(
            !page.contains("第一联") && !page.contains("第二联"),
            "{page}"
        );
    }
    // A filed record with its stamp deleted, its file still named by the
    // serial: its draft takes another name too.
    let unstamped: String = std::fs::read_to_string(&toml)
        .expect("filed")
        .lines()
        .filter(|l| {
            !["serial", "uuid", "filed_at", "version"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let tmpl = office.path().join("tmpl");
    std::fs::create_dir_all(&tmpl).expect("mkdir");
    std::fs::write(tmpl.join(format!("{serial}.toml")), unstamped).expect("write");
    let run = office.run(&[
        "render",
        "--draft",
        tmpl.join(format!("{serial}.toml")).to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read(&filed_pdf).expect("filed"), filed);
    // A new record's draft: no mark, no number.
    let run = office.run(&[
        "render",
        "--draft",
        "examples/group.toml",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pages = pdf_pages_text(&std::fs::read(out.join("group.pdf")).expect("draft"));
    assert!(
        pages[0].contains("第一联") && !pages[0].contains("草稿"),
        "{}",
        pages[0]
    );
}

/// After a correction, rendering the original record again is that
/// original (version 1): it never writes over version 2's files. A filed
/// record copied as a template with its uuid (serial deleted) is not taken
/// for the other account's filing: it is refused, saying what to delete.
#[test]
fn an_old_version_or_a_copied_uuid_never_replaces_a_filing() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let serial = format!("XMT-{}-0001", year());
    let account = std::fs::read_to_string(root().join("examples/account.toml")).expect("read");
    let corrected = office.path().join("corrected.toml");
    std::fs::write(
        &corrected,
        format!(
            "serial = \"{serial}\"\n{}",
            account.replace("13800000000", "13800000001")
        ),
    )
    .expect("write");
    let run = office.render(&[corrected.to_str().expect("utf-8")]);
    assert!(run.stdout.contains("第 2 版"), "{}", run.stdout);
    let pdf = office.out().join(format!("{serial}.pdf"));
    let v2 = std::fs::read(&pdf).expect("v2");

    let run = office.render(&["examples/account.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("已更正为第 2 版"), "{}", run.stdout);
    assert!(
        std::fs::read(&pdf).expect("pdf") == v2,
        "version 1 overwrote version 2"
    );
    // Version 1 regenerated into the same folder is named as version 1.
    let out = office.out();
    let run = office.run(&[
        "regen",
        &serial,
        "--version-of",
        "1",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        out.join(format!("{serial} 第1版.pdf")).exists(),
        "{:?}",
        listing(&out)
    );
    assert!(
        std::fs::read(&pdf).expect("pdf") == v2,
        "regen of version 1 overwrote version 2"
    );

    // The filed record copied as a template: serial deleted, uuid kept.
    let filed =
        std::fs::read_to_string(office.out().join(format!("{serial}.toml"))).expect("filed");
    let copy: String = filed
        .lines()
        .filter(|l| !l.starts_with("serial"))
        .map(|l| {
            l.replace("信息工程系学生会", "电子商务系学生会")
                .replace("gh_3f2a9c81d7e4", "gh_000000000001")
                + "\n"
        })
        .collect();
    let template = office.path().join("template.toml");
    std::fs::write(&template, copy).expect("write");
    let run = office.render(&[template.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("是 {serial}（信息工程系学生会）的记录标识"))
            && run
                .stderr
                .contains("请删去 serial、uuid、filed_at、version 各行"),
        "{}",
        run.stderr
    );
    // Same name, another platform and id: still another account.
    let copy: String = filed
        .lines()
        .filter(|l| !l.starts_with("serial"))
        .map(|l| {
            l.replace("微信", "微博")
                .replace("gh_3f2a9c81d7e4", "weibo_0001")
                + "\n"
        })
        .collect();
    std::fs::write(&template, copy).expect("write");
    let run = office.render(&[template.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(office.serials(), [serial]);
}

/// A new record naming an account already filed under another serial (the
/// same 账号id, or the same platform and name) is refused, naming that
/// serial and how to correct it; `--allow-duplicate` files it anyway.
/// The record of a filing, rendered again, is that filing, not a duplicate.
#[test]
fn an_account_filed_twice_is_refused_unless_allowed() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let serial = format!("XMT-{}-0001", year());
    let account = std::fs::read_to_string(root().join("examples/account.toml")).expect("read");
    let again = office.path().join("again.toml");
    std::fs::write(&again, account.replace("13800000000", "13800000009")).expect("write");
    let run = office.render(&[again.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "这个帐号（微信「信息工程系学生会」）已备案为 {serial}（信息工程系学生会）；要更正它，请在记录里写上 serial = \"{serial}\""
        )),
        "{}",
        run.stderr
    );
    assert_eq!(office.serials(), std::slice::from_ref(&serial));
    // The same record again is its filing.
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let run = office.render(&["--allow-duplicate", again.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(office.serials().len(), 2);
}

/// `beian backup` makes a consistent copy; a damaged registry is said to be
/// damaged (never "not an original" of a genuine form), with the command to
/// restore; `beian restore` puts it back, keeping the damaged one aside, and
/// the original verifies again.
#[test]
fn a_damaged_registry_is_said_and_restored_from_a_backup() {
    let office = Office::new();
    assert_eq!(
        office
            .render(&["examples/account.toml", "examples/group.toml"])
            .code,
        0
    );
    let backup = office.path().join("备份/beian-backup.db");
    let run = office.run(&["backup", backup.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("2 个编号"), "{}", run.stdout);
    let original = office.out().join(format!("XMT-{}-0001.pdf", year()));
    let original = original.to_str().expect("utf-8");

    // Damage the index verify looks files up by: its pages overwritten.
    let (page_size, root): (i64, i64) = {
        let sql = rusqlite::Connection::open(office.registry()).expect("open");
        sql.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .expect("checkpoint");
        let size = sql
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size");
        let root = sql
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'output_sha256'",
                [],
                |r| r.get(0),
            )
            .expect("index");
        (size, root)
    };
    let mut bytes = std::fs::read(office.registry()).expect("read");
    let at = usize::try_from((root - 1) * page_size).expect("offset");
    for b in &mut bytes[at..at + usize::try_from(page_size).expect("size")] {
        *b = 0xA5;
    }
    std::fs::write(office.registry(), &bytes).expect("damage");
    let run = office.run(&["verify", original]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("已损坏") && run.stderr.contains("beian restore"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("不是登记的原件"), "{}", run.stderr);

    let run = office.run(&["restore", backup.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("恢复前的登记簿另存为"),
        "{}",
        run.stdout
    );
    let run = office.run(&["verify", original]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("是登记的原件"), "{}", run.stdout);
    // And filing goes on from where the backup was.
    assert_eq!(office.render(&["examples/douyin.json", "--import"]).code, 0);
    assert_eq!(office.serials().len(), 3);

    // A sound registry with a filing the backup lacks is not replaced
    // without --force; with it, that filing's number is not handed out again.
    assert_eq!(
        office
            .render(&["tests/fixtures/good/account-people.toml"])
            .code,
        0
    );
    let before = office.serials();
    let run = office.run(&["restore", backup.to_str().expect("utf-8")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("备份之后备案的"), "{}", run.stderr);
    assert_eq!(office.serials(), before);
    let run = office.run(&["restore", backup.to_str().expect("utf-8"), "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        office
            .render(&["tests/fixtures/good/account-long.toml"])
            .code,
        0
    );
    let after = office.serials();
    let lost: Vec<&String> = before.iter().filter(|s| !after.contains(s)).collect();
    assert_eq!(lost.len(), 2, "{before:?} / {after:?}");
    for s in &lost {
        assert!(!after.contains(s), "{s} handed out again");
    }
    let newest = after.iter().max().expect("serials");
    assert!(before.iter().all(|b| b < newest), "{before:?} / {after:?}");
    // Something that is not a backup is refused, and changes nothing.
    let junk = office.path().join("junk.db");
    std::fs::write(&junk, "not a database").expect("write");
    let run = office.run(&["restore", junk.to_str().expect("utf-8")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(office.serials().len(), 3);
}

/// Reading commands open the registry read-only: they change nothing in
/// it (not even its journal mode or schema) and create nothing beside it.
#[test]
fn reading_commands_write_nothing() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    {
        let sql = rusqlite::Connection::open(office.registry()).expect("open");
        sql.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .expect("checkpoint");
    }
    let before = std::fs::read(office.registry()).expect("read");
    let serial = format!("XMT-{}-0001", year());
    let pdf = office.out().join(format!("{serial}.pdf"));
    let elsewhere = office.path().join("elsewhere");
    for args in [
        vec!["list"],
        vec!["show", serial.as_str()],
        vec!["verify", pdf.to_str().expect("utf-8")],
        vec![
            "regen",
            serial.as_str(),
            "-o",
            elsewhere.to_str().expect("utf-8"),
        ],
    ] {
        let run = office.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    assert!(std::fs::read(office.registry()).expect("read") == before);
}

/// A small disk of its own (tmpfs), where the machine allows mounting one
/// (root on Linux; skipped elsewhere): unmounted when dropped.
#[cfg(target_os = "linux")]
struct SmallDisk(PathBuf);

#[cfg(target_os = "linux")]
impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(dir.to_owned()))
    }
    fn read_only(&self) -> bool {
        std::process::Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }
}

#[cfg(target_os = "linux")]
impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// A full disk and a read-only disk, for real: each said in Chinese as a
/// fault of the machine with what to do (exit 2), never as an internal
/// error; on a read-only disk the reading commands still work.
#[cfg(target_os = "linux")]
#[test]
fn a_full_or_read_only_disk_is_said_as_such() {
    let office = Office::new();
    let Some(disk) = SmallDisk::mount(&office.path().join("disk"), "512k") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let registry = disk.0.join("beian.db");
    let out = disk.0.join("out");
    let render = |record: &str| {
        beian(&[
            "render",
            record,
            "-o",
            out.to_str().expect("utf-8"),
            "--registry",
            registry.to_str().expect("utf-8"),
        ])
    };
    assert_eq!(render("examples/account.toml").code, 0);
    // Fill the disk.
    let fill = disk.0.join("fill");
    let _ = std::fs::write(&fill, vec![0u8; 1024 * 1024]);
    let run = render("examples/group.toml");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("磁盘已满"), "{}", run.stderr);
    assert!(!run.stderr.contains("内部错误"), "{}", run.stderr);
    let _ = std::fs::remove_file(&fill);

    assert!(disk.read_only(), "remount read-only");
    let run = render("examples/group.toml");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("只读"), "{}", run.stderr);
    let pdf = out.join(format!("XMT-{}-0001.pdf", year()));
    let run = beian(&[
        "verify",
        pdf.to_str().expect("utf-8"),
        "--registry",
        registry.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = beian(&["list", "--registry", registry.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// An output folder that cannot be made (a file stands in its way) is said
/// before anything is filed: no serial is handed out, no registry created.
#[test]
fn an_unusable_output_folder_files_nothing() {
    let office = Office::new();
    let blocker = office.path().join("a-file");
    std::fs::write(&blocker, "x").expect("write");
    let out = blocker.join("out");
    let run = office.run(&[
        "render",
        "examples/account.toml",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("不是文件夹"), "{}", run.stderr);
    assert!(!office.registry().exists());
}

/// `verify` of a changed copy of a form names the serial it claims; a pipe
/// or a folder is refused, not waited on (exit 2); a file that cannot be
/// read is a fault (exit 2), not a verdict.
#[test]
fn verify_names_what_a_changed_file_claims_and_refuses_pipes() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let serial = format!("XMT-{}-0001", year());
    let mut pdf = std::fs::read(office.out().join(format!("{serial}.pdf"))).expect("pdf");
    // One byte changed inside the file, as an edit would.
    let at = pdf.len() / 2;
    pdf[at] ^= 0x20;
    let changed = office.path().join("changed.pdf");
    std::fs::write(&changed, &pdf).expect("write");
    let run = office.run(&["verify", changed.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("它自称是 {serial}（信息工程系学生会）")),
        "{}",
        run.stderr
    );
    let folder = office.path().join("a-folder");
    std::fs::create_dir(&folder).expect("mkdir");
    let run = office.run(&["verify", folder.to_str().expect("utf-8")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("不是普通文件"), "{}", run.stderr);
    #[cfg(unix)]
    {
        let fifo = office.path().join("pipe.pdf");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if made {
            let run = office.run(&["verify", fifo.to_str().expect("utf-8")]);
            assert_eq!(run.code, 2, "{}", run.stderr);
            assert!(run.stderr.contains("管道"), "{}", run.stderr);
        }
    }
    let missing = office.path().join("missing.pdf");
    let run = office.run(&["verify", missing.to_str().expect("utf-8")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// Turns `img` by `degrees` about its centre (white where nothing was) and
/// adds speckle noise: a scan fed in a little crooked, or a phone photo.
fn crooked(img: &image::GrayImage, degrees: f32, seed: u64) -> image::GrayImage {
    let (w, h) = img.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let mut state = seed;
    image::GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let (sx, sy) = (cos * dx + sin * dy + cx, -sin * dx + cos * dy + cy);
        let mut v = match (sx >= 0.0 && sy >= 0.0, sx as u32, sy as u32) {
            (true, sx, sy) if sx < w && sy < h => img.get_pixel(sx, sy).0[0],
            _ => 255,
        };
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let noise = (state >> 33) % 100;
        if noise < 1 {
            v = 255 - v / 2; // a speck
        } else if noise < 10 {
            v = v.saturating_add(((state >> 40) % 30) as u8);
        }
        image::Luma([v])
    })
}

/// A filed form carries a QR code (serial, version, digest); `verify` reads
/// it from a scan — rasterised at 150 and 300 dpi, turned a few degrees,
/// with noise — and says the paper is the registered version, then, after
/// a correction, a superseded one. A draft carries none; a picture without
/// the code is said to have none.
#[test]
fn a_scan_of_a_filed_form_is_checked_by_its_qr_code() {
    let office = Office::new();
    assert_eq!(office.render(&["examples/account.toml"]).code, 0);
    let serial = format!("XMT-{}-0001", year());
    let pdf = office.out().join(format!("{serial}.pdf"));
    // Draw the form's code as a scanner would see it: from the layout.
    let filed = std::fs::read_to_string(office.out().join(format!("{serial}.toml"))).expect("toml");
    let (record, stamp, mut layout) = beian::pipeline::prepare_stamped(
        &beian::io::Source::Stdin,
        &filed,
        None,
        Default::default(),
    )
    .expect("filed record");
    beian::layout::add_qr(&mut layout, &record, &stamp, 1);
    let qr = layout.pages[0]
        .qr
        .clone()
        .expect("a filed form has a QR code");
    assert!(
        qr.text.is_ascii() && qr.text.contains(&serial),
        "{}",
        qr.text
    );
    let mut scans = Vec::new();
    for (dpi, degrees) in [(150.0_f32, 2.5_f32), (300.0, -3.5)] {
        let px = qr.module * dpi / 72.0;
        let side = ((qr.size as f32 + 16.0) * px) as u32;
        let plain = image::GrayImage::from_fn(side, side, |x, y| {
            let (mx, my) = ((x as f32 / px) as i64 - 8, (y as f32 / px) as i64 - 8);
            let dark = mx >= 0
                && my >= 0
                && (mx as usize) < qr.size
                && (my as usize) < qr.size
                && qr.dark[my as usize * qr.size + mx as usize];
            image::Luma([if dark { 20 } else { 235 }])
        });
        let path = office.path().join(format!("scan-{dpi}.png"));
        crooked(&plain, degrees, dpi as u64)
            .save(&path)
            .expect("png");
        scans.push(path);
    }
    // And, where poppler is installed (CI), the real page rasterised at 150
    // and 300 dpi, turned and speckled, saved as JPEG as a phone would.
    for (dpi, degrees) in [("150", 2.0_f32), ("300", -3.0)] {
        let stem = office.path().join(format!("page{dpi}"));
        let made = std::process::Command::new("pdftoppm")
            .args(["-r", dpi, "-png", "-f", "1", "-l", "1"])
            .arg(&pdf)
            .arg(&stem)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            continue;
        }
        let page = image::open(office.path().join(format!("page{dpi}-1.png")))
            .expect("page")
            .to_luma8();
        let path = office.path().join(format!("page{dpi}-crooked.jpg"));
        crooked(&page, degrees, 7).save(&path).expect("jpg");
        scans.push(path);
    }
    for scan in &scans {
        let run = office.run(&["verify", scan.to_str().expect("utf-8")]);
        assert_eq!(run.code, 0, "{}: {}", scan.display(), run.stderr);
        assert!(
            run.stdout
                .contains(&format!("二维码核对一致 —— {serial} 第 1 版"))
                && run.stdout.contains("是现行版本"),
            "{}",
            run.stdout
        );
    }
    // A scan saved as PDF (a scanner's, or a phone app's): the picture in it.
    let picture = image::open(&scans[1]).expect("scan").to_luma8();
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageLuma8(picture.clone())
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
    let scan_pdf = office.path().join("scan.pdf");
    std::fs::write(
        &scan_pdf,
        pdf_of_jpeg(&jpeg, picture.width(), picture.height()),
    )
    .expect("pdf");
    let run = office.run(&["verify", scan_pdf.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("二维码核对一致"), "{}", run.stdout);
    // A correction makes that paper a superseded version.
    let account = std::fs::read_to_string(root().join("examples/account.toml")).expect("read");
    let corrected = office.path().join("corrected.toml");
    std::fs::write(
        &corrected,
        format!(
            "serial = \"{serial}\"\n{}",
            account.replace("13800000000", "13800000001")
        ),
    )
    .expect("write");
    assert_eq!(office.render(&[corrected.to_str().expect("utf-8")]).code, 0);
    let run = office.run(&["verify", scans[0].to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("已更正为第 2 版，这张是旧版"),
        "{}",
        run.stdout
    );
    // A draft has no code; a picture of it is said to have none.
    let blank = image::GrayImage::from_pixel(400, 300, image::Luma([240]));
    let nothing = office.path().join("nothing.png");
    blank.save(&nothing).expect("png");
    let run = office.run(&["verify", nothing.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("没有找到 beian 备案表的二维码"),
        "{}",
        run.stderr
    );
    let (_, draft) = beian::pipeline::prepare_text(
        &beian::io::Source::Stdin,
        &account,
        None,
        Default::default(),
    )
    .expect("draft");
    assert!(draft.pages.iter().all(|p| p.qr.is_none()));
}

/// A one-page PDF holding a JPEG, as a scanner writes one.
fn pdf_of_jpeg(jpeg: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let contents = format!("q {width} 0 0 {height} 0 0 cm /Im0 Do Q");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"
        )
        .into_bytes(),
        [
            format!(
                "<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
                jpeg.len()
            )
            .into_bytes(),
            jpeg.to_vec(),
            b"\nendstream".to_vec(),
        ]
        .concat(),
        format!("<< /Length {} >>\nstream\n{contents}\nendstream", contents.len()).into_bytes(),
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend(body);
        pdf.extend(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}
