//! The command line as a user meets it: exit codes, messages, and files
//! written (or, on bad input, not written).

use crate::util::{beian, beian_in, fixture, fixtures, listing, root};

#[test]
fn render_writes_one_pdf_per_record_named_by_serial_or_stem() {
    let out = tempfile::tempdir().expect("tempdir");
    let o = out.path().to_str().expect("utf-8 path");
    let run = beian(&[
        "render",
        "--draft",
        "examples/account.toml",
        "examples/group.toml",
        "examples/douyin.json",
        "-o",
        o,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        listing(out.path()),
        ["XMT-2026-0003 草稿.pdf", "account.pdf", "group.pdf"]
    );
    assert!(run.stdout.contains("account.pdf（2 页）"), "{}", run.stdout);
}

#[test]
fn every_bad_fixture_is_rejected_with_exit_1_and_nothing_written() {
    for path in fixtures("bad") {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let out = tempfile::tempdir().expect("tempdir");
        let target = out.path().join("out");
        let registry = out.path().join("beian.db");
        let run = beian(&[
            "render",
            path.to_str().expect("utf-8"),
            "-o",
            target.to_str().expect("utf-8"),
            "--registry",
            registry.to_str().expect("utf-8"),
        ]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{name}: {}", run.stdout);
        assert!(!target.exists(), "{name}: output directory was created");
        assert!(!registry.exists(), "{name}: a registry was created");
        let message = run.stderr.replace(&root().display().to_string(), "");
        insta::assert_snapshot!(format!("reject_{name}"), message);
    }
}

#[test]
fn check_reports_every_violation_of_a_record_at_once() {
    let run = beian(&["check", "tests/fixtures/bad/many.toml"]);
    assert_eq!(run.code, 1);
    for expected in [
        "principle：未知的项「principle」，是不是「principal」？",
        "unit（申请单位名称）：不能为空",
        "account.platform（新媒体类型）：「西瓜视频」不是可选的新媒体类型",
        "account.opened（开通时间）：「2019-02-30」不是有效日期",
        "admin.mobile（帐号管理员·手机）：「1380000」不是11位手机号",
        "admin.email（帐号管理员·邮箱）：「lisi@example」不是有效的邮箱地址",
        "account.interactive_reviewed（交互栏目是否有管理员审核）",
        "principal（第一责任人（单位负责人））：缺少 [principal] 一节",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in\n{}",
            run.stderr
        );
    }
}

#[test]
fn one_bad_record_among_good_ones_writes_nothing() {
    let out = tempfile::tempdir().expect("tempdir");
    let run = beian(&[
        "render",
        "--draft",
        "examples/account.toml",
        "tests/fixtures/bad/too-long.toml",
        "examples/group.toml",
        "tests/fixtures/bad/syntax.json",
        "-o",
        out.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("2 份记录需要修改，没有生成任何文件"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("too-long.toml"));
    assert!(run.stderr.contains("syntax.json:4:1"));
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn records_from_stdin_in_either_syntax() {
    let out = tempfile::tempdir().expect("tempdir");
    for (file, serial) in [
        ("examples/douyin.json", "XMT-2026-0003 草稿.pdf"),
        ("examples/group.toml", "record.pdf"),
    ] {
        let text = std::fs::read(root().join(file)).expect("read");
        let run = beian_in(out.path(), &["render", "--draft", "-"], Some(&text));
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        assert!(out.path().join(serial).exists(), "{file}");
    }
}

#[test]
fn usage_errors_exit_2_in_chinese() {
    for (args, expected) in [
        (
            &["render", "--copies", "0", "examples/account.toml"][..],
            "--copies",
        ),
        (
            &["render", "--bogus", "examples/account.toml"][..],
            "不认识的参数「--bogus」",
        ),
        (&["frobnicate"][..], "没有「frobnicate」这个命令"),
        (&["render"][..], "缺少参数"),
        (
            &[
                "render",
                "--draft",
                "examples/account.toml",
                "examples/account.toml",
            ][..],
            "都会写到",
        ),
        (&["render", "no/such/file.toml"][..], "文件或目录不存在"),
        (
            &["render", "--embed-fonts", "examples/account.toml"][..],
            "-f docx",
        ),
    ] {
        let run = beian(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
}

/// A build without the `embed-fonts` feature refuses the option in words,
/// before reading any record (`cargo test --no-default-features`).
#[test]
#[cfg(not(feature = "embed-fonts"))]
fn without_embed_fonts_the_option_is_a_usage_error() {
    let run = beian(&[
        "render",
        "--draft",
        "-f",
        "docx",
        "--embed-fonts",
        "examples/account.toml",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("embed-fonts"), "{}", run.stderr);
}

#[test]
fn an_unwritable_output_is_an_io_error_and_leaves_nothing() {
    let out = tempfile::tempdir().expect("tempdir");
    let blocker = out.path().join("file");
    std::fs::write(&blocker, b"x").expect("write");
    let run = beian(&[
        "render",
        "--draft",
        "examples/account.toml",
        "-o",
        blocker.join("sub").to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(listing(out.path()), ["file"]);
}

#[test]
fn help_is_in_chinese() {
    let run = beian(&["--help"]);
    assert_eq!(run.code, 0);
    for word in ["用法", "命令", "生成表格", "检查", "模板"] {
        assert!(run.stdout.contains(word), "{word}: {}", run.stdout);
    }
    let run = beian(&["render", "--help"]);
    assert!(
        run.stdout.contains("一式两份") || run.stdout.contains("第一联"),
        "{}",
        run.stdout
    );
}

#[test]
fn init_templates_name_every_field_as_printed_and_guide_the_user() {
    for (form, labels) in [
        (
            "account",
            &[
                "申请单位名称",
                "新媒体类型",
                "帐号用户名（新媒体名称）",
                "账号id",
                "是否认证",
                "开通时间",
                "平台是否设有交互栏目",
                "第一责任人（单位负责人）",
                "帐号管理员",
                "办公电话",
                "邮箱",
            ][..],
        ),
        (
            "group",
            &[
                "申请单位名称",
                "群类型",
                "群名称",
                "群号",
                "第一责任人（群主/辅导员）",
                "管理员",
            ][..],
        ),
    ] {
        let run = beian(&["init", form]);
        assert_eq!(run.code, 0);
        for label in labels {
            assert!(run.stdout.contains(label), "{form}: {label}");
        }
        // Units check and preview; numbering is the office's.
        for step in ["beian check", "beian render --draft", "交党委宣传统战部"] {
            assert!(run.stdout.contains(step), "{form}: {step}");
        }
        // The blank template is valid TOML, and checking it lists what to fill in.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new.toml");
        std::fs::write(&path, &run.stdout).expect("write");
        let check = beian(&["check", path.to_str().expect("utf-8")]);
        assert_eq!(check.code, 1, "{}", check.stderr);
        assert!(
            check.stderr.contains("unit（申请单位名称）：不能为空"),
            "{}",
            check.stderr
        );
        assert!(!check.stderr.contains("格式错误"), "{}", check.stderr);
    }
}

#[test]
fn check_accepts_every_good_fixture() {
    for path in fixtures("good") {
        let run = beian(&["check", path.to_str().expect("utf-8")]);
        assert_eq!(run.code, 0, "{}: {}", path.display(), run.stderr);
        assert!(run.stdout.contains("检查通过"));
    }
    assert!(fixture("good/account-rare.toml").exists());
}

/// Blank forms for filling by hand: every printed text, nothing filled in,
/// no box ticked; `--count` puts several in one PDF.
#[test]
fn blank_forms_have_every_text_and_nothing_filled_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (form, name) in [
        ("account", "新媒体帐号（附件1）"),
        ("group", "QQ群、微博群（附件2）"),
    ] {
        let run = crate::util::beian_in(
            dir.path(),
            &[
                "blank", form, "--count", "3", "-f", "pdf,docx", "-o", "空白",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let pdf = std::fs::read(dir.path().join(format!("空白/{name}空白表.pdf"))).expect("blank");
        let pages = crate::util::pdf_pages_text(&pdf);
        assert_eq!(pages.len(), 6, "{form}");
        let text = crate::util::squash(&pages[0]);
        for want in crate::util::forms_texts(form) {
            if want.starts_with("其他_") {
                continue;
            }
            assert!(text.contains(&want), "{form}: {want}");
        }
        // No box ticked: the DOCX's checkboxes are all unchecked.
        let docx = std::fs::read(dir.path().join(format!("空白/{name}空白表.docx"))).expect("docx");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("zip");
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("word/document.xml").expect("document"),
            &mut xml,
        )
        .expect("read");
        assert!(
            xml.contains("w14:checked w14:val=\"0\""),
            "{form}: no checkboxes"
        );
        assert!(
            !xml.contains("w14:checked w14:val=\"1\""),
            "{form}: a box is ticked"
        );
    }
}

#[test]
fn a_fifty_megabyte_file_and_odd_file_names_are_refused_plainly() {
    use std::io::Write;
    let chinese = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let dir = tempfile::tempdir().expect("tempdir");
    let example = std::fs::read(root().join("examples/account.toml")).expect("example");

    // (a) 50 MB: a valid record, then comment lines. Refused as too big, at once.
    let big = dir.path().join("big.toml");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&big).expect("create"));
        file.write_all(&example).expect("write");
        let line = format!("#{}\n", " ".repeat(1023));
        let chunk = line.repeat(1024);
        for _ in 0..50 {
            file.write_all(chunk.as_bytes()).expect("write");
        }
        file.flush().expect("flush");
    }
    assert!(std::fs::metadata(&big).expect("size").len() > 50 * 1024 * 1024);
    let target = dir.path().join("out");
    let registry = dir.path().join("beian.db");
    let run = crate::util::beian_home(
        dir.path(),
        dir.path(),
        &[
            "render",
            "big.toml",
            "-o",
            target.to_str().expect("utf-8"),
            "--registry",
            registry.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("文件太大"), "{}", run.stderr);
    assert!(chinese(&run.stderr), "{}", run.stderr);
    assert!(run.stderr.contains("big.toml"), "{}", run.stderr);
    assert!(!target.exists(), "output directory was created");
    assert!(!registry.exists(), "a registry was created");

    // (b) A record file whose name is not UTF-8: read like any other.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"\xff\xfe.toml");
        std::fs::write(dir.path().join(name), &example).expect("write record");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_beian"))
            .arg(std::ffi::OsStr::new("check"))
            .arg(name)
            .current_dir(dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .env("HOME", dir.path())
            .env_remove("BEIAN_REGISTRY")
            .output()
            .expect("run beian");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code().unwrap_or(-1);
        assert!(code == 0 || code == 1, "exit {code}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        if code != 0 {
            assert!(chinese(&stderr), "{stderr}");
            assert!(!stderr.contains("error:"), "{stderr}");
        }
    }
}
