//! Forms as data at run time: an office's edited copy of the forms
//! (`beian forms export`, `--forms`), mistakes in it, and filings that keep
//! the wording they were filed with.

use crate::util::{pdf_pages_text, root, squash};

/// A scratch office: a registry and a place for forms and outputs.
struct Office(tempfile::TempDir);

impl Office {
    fn new() -> Office {
        Office(tempfile::tempdir().expect("tempdir"))
    }
    fn path(&self, rel: &str) -> String {
        self.0.path().join(rel).to_str().expect("utf-8").to_owned()
    }
    fn run(&self, args: &[&str]) -> crate::util::Run {
        let registry = self.path("beian.db");
        let mut all = args.to_vec();
        all.extend(["--registry", &registry]);
        crate::util::beian(&all)
    }
}

fn text_of(path: &str) -> String {
    squash(&pdf_pages_text(&std::fs::read(path).expect("pdf")).join(""))
}

#[test]
fn an_edited_contact_person_prints_and_older_filings_keep_theirs() {
    let office = Office::new();
    let account = root().join("examples/account.toml");
    let basic = root().join("tests/fixtures/good/account-new.toml");
    let first = office.run(&[
        "render",
        account.to_str().expect("utf-8"),
        "-o",
        &office.path("2026"),
    ]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let serial = first
        .stdout
        .split_whitespace()
        .find(|w| w.starts_with("XMT-"))
        .and_then(|w| w.split('（').next())
        .map(str::to_owned)
        .expect("a serial");
    let original = std::fs::read(office.path(&format!("2026/{serial}.pdf"))).expect("filed pdf");

    // The office exports the forms and changes its contact person.
    let export = office.run(&["forms", "export", &office.path("表格")]);
    assert_eq!(export.code, 0, "{}", export.stderr);
    let file = office.path("表格/account.toml");
    let text = std::fs::read_to_string(&file).expect("exported");
    assert!(text.contains("杨兵"));
    std::fs::write(&file, text.replace("杨兵", "王五")).expect("edit");
    // Exporting again never overwrites the edits.
    let again = office.run(&["forms", "export", &office.path("表格")]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("已存在"), "{}", again.stderr);

    let forms = office.path("表格");
    let next = office.run(&[
        "render",
        basic.to_str().expect("utf-8"),
        "--forms",
        &forms,
        "-o",
        &office.path("2027"),
    ]);
    assert_eq!(next.code, 0, "{}", next.stderr);
    let pdf = std::fs::read_dir(office.path("2027"))
        .expect("outputs")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .expect("a pdf");
    let printed = text_of(pdf.to_str().expect("utf-8"));
    assert!(
        printed.contains("王五") && !printed.contains("杨兵"),
        "{printed}"
    );

    // `forms =` in beian.toml does the same as --forms, relative to the file.
    std::fs::write(office.path("beian.toml"), "forms = \"表格\"\n").expect("settings");
    let draft = crate::util::beian_in(
        office.0.path(),
        &[
            "render",
            "--draft",
            basic.to_str().expect("utf-8"),
            "-o",
            "草稿",
        ],
        None,
    );
    assert_eq!(draft.code, 0, "{}", draft.stderr);
    assert!(text_of(&office.path("草稿/account-new.pdf")).contains("王五"));

    // The 2026 filing, regenerated with the edited forms in use, still
    // prints 2026's wording, byte for byte.
    let regen = office.run(&[
        "regen",
        &serial,
        "--forms",
        &forms,
        "-o",
        &office.path("again"),
    ]);
    assert_eq!(regen.code, 0, "{}", regen.stderr);
    assert!(regen.stdout.contains("逐字节一致"), "{}", regen.stdout);
    let regenerated =
        std::fs::read(office.path(&format!("again/{serial}.pdf"))).expect("regenerated");
    assert!(regenerated == original, "regen differs from the filed PDF");
    assert!(text_of(&office.path(&format!("again/{serial}.pdf"))).contains("杨兵"));
}

#[test]
fn a_mistake_in_a_form_file_is_named_with_its_line_and_nothing_is_written() {
    let office = Office::new();
    let forms = office.path("表格");
    assert_eq!(office.run(&["forms", "export", &forms]).code, 0);
    let file = office.path("表格/account.toml");
    let text = std::fs::read_to_string(&file).expect("exported");
    let broken = text
        .replace("{☐ account.platform=微博}", "{☐ account.platform=抖音}")
        .replace("{principal.name}", "{principal.nmae}");
    assert_ne!(broken, text);
    std::fs::write(&file, &broken).expect("edit");
    let group = office.path("表格/group.toml");
    let group_text = std::fs::read_to_string(&group).expect("exported");
    std::fs::write(&group, group_text.replacen("w = 15.0", "w = 25.0", 1)).expect("edit");

    let account = root().join("examples/account.toml");
    let run = office.run(&[
        "render",
        "--draft",
        account.to_str().expect("utf-8"),
        "--forms",
        &forms,
        "-o",
        &office.path("out"),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The first mistake of each file, with the file and the line it is on.
    let line = broken
        .lines()
        .position(|l| l.contains("account.platform=抖音"))
        .map(|i| i + 1)
        .expect("line");
    assert!(run.stderr.contains("account.toml"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("第 {line} 行")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("「抖音」不是 account.platform 的可选项"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("group.toml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("表格第 2 行的格子共宽 180.0 毫米"),
        "{}",
        run.stderr
    );
    assert!(!std::path::Path::new(&office.path("out")).exists());
    assert!(!std::path::Path::new(&office.path("beian.db")).exists());
}
