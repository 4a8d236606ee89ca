//! Many records at once: CSV rosters in the encodings Chinese offices save
//! them in, JSON arrays, JSON Lines, folders; every message names the row.

use crate::util::{beian_in, listing, root};

/// A department's roster of `n` class groups, row `bad` rows with a short
/// mobile, saved as Chinese Excel saves CSV (GB18030).
fn department(n: usize, bad: &[usize]) -> Vec<u8> {
    let mut text = String::from(
        "申请单位名称,群类型,群名称,群号,是否认证,开通时间,第一责任人·姓名,第一责任人·职务,第一责任人·手机,第一责任人·邮箱,管理员·姓名,管理员·职务,管理员·手机,管理员·邮箱\r\n",
    );
    for i in 1..=n {
        let row = i + 1;
        let mobile = if bad.contains(&row) {
            "1380000"
        } else {
            "13800000000"
        };
        text.push_str(&format!(
            "电子商务系,QQ群,2023级电子商务{i}班,8734629{i:02},否,2023-09-06,李明,辅导员,{mobile},liming@example.edu.cn,学生{i},班长,13600000000,s{i}@example.edu.cn\r\n"
        ));
    }
    encoding_rs::GB18030.encode(&text).0.into_owned()
}

#[test]
fn a_gbk_roster_with_two_bad_rows_names_them_and_files_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("名单.csv"), department(35, &[7, 30])).expect("write");
    let check = beian_in(dir.path(), &["check", "名单.csv"], None);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(
        check.stderr.contains("2 份记录需要修改"),
        "{}",
        check.stderr
    );
    for (row, class) in [(7, 6), (30, 29)] {
        let said = format!("名单.csv 第 {row} 行（2023级电子商务{class}班）：有 1 处需要修改");
        assert!(check.stderr.contains(&said), "{said}\n{}", check.stderr);
    }
    assert!(
        check
            .stderr
            .contains("principal.mobile（第一责任人·手机）：「1380000」不是11位手机号"),
        "{}",
        check.stderr
    );
    let render = beian_in(
        dir.path(),
        &["render", "名单.csv", "-o", "out", "--registry", "beian.db"],
        None,
    );
    assert_eq!(render.code, 1, "{}", render.stderr);
    assert_eq!(
        listing(dir.path()),
        ["名单.csv"],
        "nothing is written or filed"
    );
}

#[test]
fn a_roster_files_its_rows_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("名单.csv"), department(12, &[])).expect("write");
    let run = beian_in(
        dir.path(),
        &["render", "名单.csv", "-o", "out", "--registry", "beian.db"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Row 2 gets the lowest number, row 13 the highest: 1班 … 12班.
    let filed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("已备案"))
        .collect();
    assert_eq!(filed.len(), 12);
    for (i, line) in filed.iter().enumerate() {
        let want = format!(
            "QUN-{}-{:04}（名单.csv 第 {} 行（2023级电子商务{}班））",
            year(),
            i + 1,
            i + 2,
            i + 1
        );
        assert!(line.contains(&want), "{line} / {want}");
    }
}

#[test]
fn the_example_roster_holds_accounts_and_groups_of_one_department() {
    for roster in ["examples/roster.csv", "examples/roster.xlsx"] {
        let run = crate::util::beian(&["check", roster]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout.matches("检查通过").count(), 5, "{}", run.stdout);
    }
}

#[test]
fn json_arrays_json_lines_and_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let account = std::fs::read_to_string(root().join("examples/account.toml")).expect("read");
    let group = std::fs::read_to_string(root().join("examples/group.toml")).expect("read");
    // The records as JSON, through the binary's own check of a TOML file.
    let as_json = |toml: &str| -> String {
        let source = beian::io::Source::Stdin;
        let options = beian::layout::LayoutOptions::default();
        let (record, _) = beian::pipeline::prepare_text(&source, toml, None, options)
            .unwrap_or_else(|e| panic!("{e}"));
        // One line, for JSON Lines.
        let value: serde_json::Value = serde_json::from_str(&record.to_json()).expect("json");
        value.to_string()
    };
    let (a, g) = (as_json(&account), as_json(&group));
    std::fs::create_dir_all(dir.path().join("系部/电子商务系")).expect("mkdir");
    std::fs::write(dir.path().join("系部/a.json"), format!("[{a}, {g}]")).expect("write");
    let lines = |extra: &str| format!("{g}\n\n{extra}");
    let jsonl = dir.path().join("系部/电子商务系/b.jsonl");
    std::fs::write(&jsonl, lines("")).expect("write");
    std::fs::write(dir.path().join("系部/电子商务系/c.toml"), &account).expect("write");
    let run = beian_in(dir.path(), &["check", "系部"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // In path order, each named by its place.
    let said: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        said,
        [
            "系部/a.json 第 1 项：检查通过",
            "系部/a.json 第 2 项：检查通过",
            "系部/电子商务系/b.jsonl 第 1 行：检查通过",
            "系部/电子商务系/c.toml：检查通过",
        ]
    );
    // A bad line is named by its line in the file.
    std::fs::write(&jsonl, lines("{\"form\": \"group\"}\n")).expect("write");
    let run = beian_in(dir.path(), &["check", "系部"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("系部/电子商务系/b.jsonl 第 3 行：有"),
        "{}",
        run.stderr
    );
}

fn year() -> i32 {
    use chrono::Datelike;
    chrono::Local::now().year()
}

/// `--keep-going` files the good rows and lists the bad ones (exit 1);
/// `--name-files` names each output by serial and name; a summary says
/// which class got which number.
#[test]
fn keep_going_files_the_good_rows_and_names_files_by_serial_and_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("名单.csv"), department(4, &[3])).expect("write");
    let run = beian_in(
        dir.path(),
        &[
            "render",
            "名单.csv",
            "-o",
            "out",
            "--registry",
            "beian.db",
            "--keep-going",
            "--name-files",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("名单.csv 第 3 行（2023级电子商务2班）"),
        "{}",
        run.stderr
    );
    let y = year();
    let pdfs: Vec<String> = listing(&dir.path().join("out"))
        .into_iter()
        .filter(|n| n.ends_with(".pdf"))
        .collect();
    assert_eq!(
        pdfs,
        [
            format!("QUN-{y}-0001 2023级电子商务1班.pdf"),
            format!("QUN-{y}-0002 2023级电子商务3班.pdf"),
            format!("QUN-{y}-0003 2023级电子商务4班.pdf"),
        ]
    );
    assert!(run.stdout.contains("编号"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("以下 1 份没有备案，需要修改；其余 3 份已备案"),
        "{}",
        run.stderr
    );
    // A row the registry refuses (an unknown 编号) is set aside too.
    let refused = tempfile::tempdir().expect("tempdir");
    let text = String::from_utf8(
        encoding_rs::GB18030
            .decode(&department(3, &[]))
            .0
            .into_owned()
            .into_bytes(),
    )
    .expect("text");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[0].push_str(",编号");
    lines[2].push_str(&format!(",QUN-{y}-0099"));
    std::fs::write(refused.path().join("名单.csv"), lines.join("\n")).expect("write");
    let run = beian_in(
        refused.path(),
        &[
            "render",
            "名单.csv",
            "-o",
            "out",
            "--registry",
            "beian.db",
            "--keep-going",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("不在登记簿"), "{}", run.stderr);
    assert_eq!(
        run.stdout.matches("已备案 QUN-").count(),
        2,
        "{}",
        run.stdout
    );
    // Without --keep-going the same roster files nothing.
    let strict = tempfile::tempdir().expect("tempdir");
    std::fs::write(strict.path().join("名单.csv"), department(4, &[3])).expect("write");
    let run = beian_in(
        strict.path(),
        &["render", "名单.csv", "-o", "out", "--registry", "beian.db"],
        None,
    );
    assert_eq!(run.code, 1);
    assert_eq!(listing(strict.path()), ["名单.csv"]);
}

/// `--combine` puts every form's copies into one PDF to print in one job;
/// `--duplex` leaves the back of every page blank; the file asks for
/// one-sided printing at actual size and has a bookmark per form.
/// A draft print job without `-o` is the print job alone: the office looks
/// at one file, not a folder of drafts; with `-o`, the drafts too.
#[test]
fn a_draft_print_job_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let roster = root().join("examples/roster.csv");
    let roster = roster.to_str().expect("utf-8");
    let run = beian_in(
        dir.path(),
        &["render", "--draft", roster, "--combine", "草稿.pdf"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(listing(dir.path()), ["草稿.pdf"]);
    let pages =
        crate::util::pdf_pages_text(&std::fs::read(dir.path().join("草稿.pdf")).expect("job"));
    assert_eq!(pages.len(), 10);
    let run = beian_in(
        dir.path(),
        &[
            "render",
            "--draft",
            roster,
            "--combine",
            "草稿.pdf",
            "-o",
            "drafts",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(listing(&dir.path().join("drafts")).len(), 5);
}

#[test]
fn a_department_prints_in_one_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let roster = root().join("examples/roster.csv");
    let run = beian_in(
        dir.path(),
        &[
            "render",
            roster.to_str().expect("utf-8"),
            "-o",
            "out",
            "--registry",
            "beian.db",
            "--combine",
            "打印.pdf",
            "--duplex",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("5 份表格，20 页"), "{}", run.stdout);
    let pdf = std::fs::read(dir.path().join("打印.pdf")).expect("print job");
    let pages = crate::util::pdf_pages_text(&pdf);
    assert_eq!(pages.len(), 20);
    for (i, page) in pages.iter().enumerate() {
        let blank = crate::util::squash(page).is_empty();
        assert_eq!(blank, i % 2 == 1, "page {}: {page:?}", i + 1);
    }
    // Forms in roster order, each as filed: copy 1 then copy 2.
    let y = year();
    assert!(pages[0].contains(&format!("XMT-{y}-0001")) && pages[0].contains("第一联"));
    assert!(pages[2].contains(&format!("XMT-{y}-0001")) && pages[2].contains("第二联"));
    assert!(pages[8].contains(&format!("QUN-{y}-0001")), "{}", pages[8]);
    // A print job is not a filed original, and `verify` says what it is.
    let verify = beian_in(
        dir.path(),
        &["verify", "打印.pdf", "--registry", "beian.db"],
        None,
    );
    assert_eq!(verify.code, 1, "{}", verify.stderr);
    assert!(
        verify.stderr.contains("这是合成的打印文件"),
        "{}",
        verify.stderr
    );
    let doc = lopdf::Document::load_mem(&pdf).expect("a sound PDF");
    let catalog = doc.catalog().expect("catalog");
    let prefs = catalog
        .get(b"ViewerPreferences")
        .and_then(lopdf::Object::as_dict)
        .expect("viewer preferences");
    assert_eq!(
        prefs.get(b"Duplex").and_then(lopdf::Object::as_name).ok(),
        Some(&b"Simplex"[..])
    );
    assert_eq!(
        prefs
            .get(b"PrintScaling")
            .and_then(lopdf::Object::as_name)
            .ok(),
        Some(&b"None"[..])
    );
    let outlines = catalog
        .get(b"Outlines")
        .and_then(lopdf::Object::as_reference)
        .and_then(|r| doc.get_dictionary(r))
        .expect("bookmarks");
    assert_eq!(
        outlines.get(b"Count").and_then(lopdf::Object::as_i64).ok(),
        Some(5)
    );
    // Fonts once for the whole file: not five times one form's size.
    let one = std::fs::read_dir(dir.path().join("out"))
        .expect("outputs")
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        .map(|e| std::fs::metadata(e.path()).expect("size").len())
        .expect("a filed pdf");
    assert!(
        (pdf.len() as u64) < 3 * one,
        "{} bytes for 5 forms, {one} for one",
        pdf.len()
    );
}

/// A minimal workbook as Excel writes one: sheets in a workbook, text in
/// shared strings, numbers (phones, 群号, dates) as numbers.
fn workbook(sheets: &[(&str, Vec<Vec<String>>)]) -> Vec<u8> {
    use std::io::Write;
    let mut shared: Vec<String> = Vec::new();
    let mut index = |s: &str| match shared.iter().position(|x| x == s) {
        Some(i) => i,
        None => {
            shared.push(s.to_owned());
            shared.len() - 1
        }
    };
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut entries = String::new();
    let mut rels = String::new();
    for (n, (name, rows)) in sheets.iter().enumerate() {
        let mut xml = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for (r, row) in rows.iter().enumerate() {
            xml.push_str(&format!("<row r=\"{}\">", r + 1));
            for (c, cell) in row.iter().enumerate() {
                let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
                if cell.is_empty() {
                    continue;
                }
                if cell.parse::<f64>().is_ok() {
                    xml.push_str(&format!("<c r=\"{at}\"><v>{cell}</v></c>"));
                } else {
                    let i = index(cell);
                    xml.push_str(&format!("<c r=\"{at}\" t=\"s\"><v>{i}</v></c>"));
                }
            }
            xml.push_str("</row>");
        }
        xml.push_str("</sheetData></worksheet>");
        parts.push((format!("xl/worksheets/sheet{}.xml", n + 1), xml));
        entries.push_str(&format!(
            "<sheet name=\"{}\" sheetId=\"{}\" r:id=\"rId{}\"/>",
            escape(name),
            n + 1,
            n + 1
        ));
        rels.push_str(&format!(
            "<Relationship Id=\"rId{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{}.xml\"/>",
            n + 1,
            n + 1
        ));
    }
    let strings: String = shared
        .iter()
        .map(|s| format!("<si><t>{}</t></si>", escape(s)))
        .collect();
    parts.push((
        "xl/sharedStrings.xml".into(),
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>"#),
    ));
    parts.push((
        "xl/workbook.xml".into(),
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{entries}</sheets></workbook>"#),
    ));
    parts.push((
        "xl/_rels/workbook.xml.rels".into(),
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#),
    ));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, xml) in parts {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("part");
        zip.write_all(xml.as_bytes()).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

/// An XLSX roster: a sheet per form, phone numbers and 群号 typed as
/// numbers, a date typed as a date; every row named by sheet and row.
#[test]
fn an_xlsx_roster_reads_numbers_as_typed() {
    let row = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    let groups = vec![
        row(&[
            "申请单位名称",
            "群类型",
            "群名称",
            "群号",
            "开通时间",
            "第一责任人姓名",
            "第一责任人职务",
            "第一责任人手机",
            "第一责任人邮箱",
            "管理员姓名",
            "管理员职务",
            "管理员手机",
            "管理员邮箱",
        ]),
        row(&[
            "电子商务系",
            "QQ群",
            "2023级电子商务1班",
            "873462901",
            "45175",
            "李明",
            "辅导员",
            "13700000001",
            "liming@example.edu.cn",
            "周杰",
            "班长",
            "13600000001",
            "zhoujie@example.edu.cn",
        ]),
        row(&[
            "电子商务系",
            "QQ群",
            "2023级电子商务2班",
            "873462902",
            "45175",
            "李明",
            "辅导员",
            "1370000",
            "liming@example.edu.cn",
            "吴敏",
            "班长",
            "13600000002",
            "wumin@example.edu.cn",
        ]),
    ];
    let accounts = vec![
        row(&[
            "申请单位名称",
            "新媒体类型",
            "帐号用户名",
            "平台是否设有交互栏目",
            "第一责任人姓名",
            "第一责任人职务",
            "第一责任人手机",
            "第一责任人邮箱",
            "帐号管理员姓名",
            "帐号管理员职务",
            "帐号管理员手机",
            "帐号管理员邮箱",
        ]),
        row(&[
            "电子商务系",
            "公众号",
            "电子商务系学生会",
            "否",
            "王芳",
            "党总支书记",
            "13700000000",
            "wangfang@example.edu.cn",
            "赵磊",
            "团总支书记",
            "13600000000",
            "zhaolei@example.edu.cn",
        ]),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("名单.xlsx"),
        workbook(&[
            ("新媒体帐号", accounts),
            ("群", groups),
            ("填写说明", vec![row(&["说明"])]),
        ]),
    )
    .expect("write");
    let run = beian_in(dir.path(), &["check", "名单.xlsx"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("名单.xlsx「群」第 3 行（2023级电子商务2班）：有 1 处需要修改"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("「1370000」不是11位手机号"),
        "{}",
        run.stderr
    );
    let draft = beian_in(
        dir.path(),
        &[
            "render",
            "--draft",
            "名单.xlsx",
            "--keep-going",
            "-o",
            "草稿",
        ],
        None,
    );
    assert_eq!(draft.code, 1, "{}", draft.stderr);
    let text = crate::util::pdf_pages_text(
        &std::fs::read(dir.path().join("草稿/名单-群-2.pdf")).expect("a draft"),
    );
    // 873462901 as typed, and 45175 days after 1899-12-30: 2023年9月6日.
    let page = crate::util::squash(&text[0]);
    assert!(
        page.contains("873462901") && page.contains("2023年9月6日"),
        "{page}"
    );
}

/// `beian init roster` writes the workbook units fill in: a sheet per form
/// headed by the form's labels, dropdowns, phones as text; filled in, beian
/// reads it back.
#[test]
fn the_fill_in_workbook_reads_back_once_filled() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let run = beian_in(dir.path(), &["init", "roster", "-o", "名单.xlsx"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(dir.path().join("名单.xlsx")).expect("workbook");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("a zip");
    let mut part = |name: &str| {
        let mut text = String::new();
        zip.by_name(name)
            .expect(name)
            .read_to_string(&mut text)
            .expect("read");
        text
    };
    let workbook = part("xl/workbook.xml");
    assert!(
        workbook.contains("新媒体帐号（附件1）") && workbook.contains("填写说明"),
        "{workbook}"
    );
    let groups = part("xl/worksheets/sheet2.xml");
    for want in [
        "群名称",
        "第一责任人·手机",
        "<formula1>\"QQ群,微博群,其他\"</formula1>",
        "state=\"frozen\"",
        "style=\"2\"",
    ] {
        assert!(groups.contains(want), "{want}");
    }
    // Nothing filled in yet: said so.
    let empty = beian_in(dir.path(), &["check", "名单.xlsx"], None);
    assert_eq!(empty.code, 1);
    assert!(empty.stderr.contains("名单中没有记录"), "{}", empty.stderr);
    // A row filled in, as Excel keeps it.
    let filled = groups.replace(
        "</row></sheetData>",
        "</row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>电子商务系</t></is></c><c r=\"B2\" t=\"inlineStr\"><is><t>QQ群</t></is></c><c r=\"D2\" t=\"inlineStr\"><is><t>2023级电子商务3班</t></is></c><c r=\"E2\" t=\"inlineStr\"><is><t>873462903</t></is></c><c r=\"H2\" t=\"inlineStr\"><is><t>李明</t></is></c><c r=\"I2\" t=\"inlineStr\"><is><t>辅导员</t></is></c><c r=\"J2\"><v>13700000001</v></c><c r=\"L2\" t=\"inlineStr\"><is><t>liming@example.edu.cn</t></is></c><c r=\"M2\" t=\"inlineStr\"><is><t>周杰</t></is></c><c r=\"N2\" t=\"inlineStr\"><is><t>班长</t></is></c><c r=\"O2\" t=\"inlineStr\"><is><t>13600000001</t></is></c><c r=\"Q2\" t=\"inlineStr\"><is><t>z@example.edu.cn</t></is></c></row></sheetData>",
    );
    assert_ne!(filled, groups);
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("a zip");
    for i in 0..source.len() {
        let mut f = source.by_index(i).expect("part");
        let name = f.name().expect("a name").to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("read");
        if name == "xl/worksheets/sheet2.xml" {
            data = filled.clone().into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(&data).expect("write");
    }
    std::fs::write(
        dir.path().join("已填.xlsx"),
        out.finish().expect("zip").into_inner(),
    )
    .expect("write");
    let check = beian_in(dir.path(), &["check", "已填.xlsx"], None);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check
            .stdout
            .contains("第 2 行（2023级电子商务3班）：检查通过"),
        "{}",
        check.stdout
    );
}

/// What the office gets wrong is said before anything is filed or written:
/// a print job that is no PDF, a workbook over a filled-in one; Excel's lock
/// files in a folder are passed over; an old .xls is named as such.
#[test]
fn mistakes_are_said_before_anything_is_filed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let roster = root().join("examples/roster.csv");
    let roster = roster.to_str().expect("utf-8");
    let run = beian_in(
        dir.path(),
        &[
            "render",
            roster,
            "-o",
            "out",
            "--registry",
            "db",
            "--combine",
            "打印.docx",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--combine 要写到一个 .pdf 文件"),
        "{}",
        run.stderr
    );
    assert_eq!(
        listing(dir.path()),
        Vec::<String>::new(),
        "nothing filed or written"
    );

    std::fs::write(dir.path().join("名单.xlsx"), b"filled in").expect("write");
    let run = beian_in(dir.path(), &["init", "roster", "-o", "名单.xlsx"], None);
    assert_eq!(run.code, 2);
    assert_eq!(
        std::fs::read(dir.path().join("名单.xlsx")).expect("kept"),
        b"filled in"
    );
    let run = beian_in(dir.path(), &["init", "roster", "-o", "名单.csv"], None);
    assert_eq!(run.code, 2);

    std::fs::create_dir(dir.path().join("系部")).expect("mkdir");
    std::fs::copy(
        root().join("examples/roster.csv"),
        dir.path().join("系部/名单.csv"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("系部/~$名单.xlsx"), b"lock").expect("write");
    let run = beian_in(dir.path(), &["check", "系部"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(dir.path().join("旧.xls"), b"\xd0\xcf\x11\xe0").expect("write");
    let run = beian_in(dir.path(), &["check", "旧.xls"], None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("旧版 Excel（.xls）"), "{}", run.stderr);
}

/// The whole job for one department, as the office does it: check a
/// 35-row GBK roster (two rows wrong), file the good rows and print them
/// in one two-sided job, then print the register for the archive.
#[test]
fn a_department_from_roster_to_register() {
    let csv = department(35, &[7, 30]);
    let text = encoding_rs::GB18030.decode(&csv).0.into_owned();
    let rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    department_chain("名单.csv", &csv);
    department_chain("名单.xlsx", &workbook(&[("群", rows)]));
}

/// [`a_department_from_roster_to_register`] for one roster file.
fn department_chain(roster: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(roster), bytes).expect("write");
    let check = beian_in(dir.path(), &["check", roster], None);
    assert_eq!(check.code, 1, "{roster}: {}", check.stderr);
    assert!(check.stderr.contains("第 7 行") && check.stderr.contains("第 30 行"));

    let render = beian_in(
        dir.path(),
        &[
            "render",
            roster,
            "-o",
            "out",
            "--registry",
            "beian.db",
            "--keep-going",
            "--combine",
            "打印.pdf",
            "--duplex",
        ],
        None,
    );
    assert_eq!(
        render.code, 1,
        "{roster}: two rows set aside: {}",
        render.stderr
    );
    assert!(
        render
            .stderr
            .contains("以下 2 份没有备案，需要修改；其余 33 份已备案"),
        "{}",
        render.stderr
    );
    let pages =
        crate::util::pdf_pages_text(&std::fs::read(dir.path().join("打印.pdf")).expect("job"));
    assert_eq!(
        pages.len(),
        33 * 4,
        "two copies of two pages, each with a blank back"
    );
    let y = year();
    // Serials follow the roster, skipping the set-aside rows: 6班 and 29班
    // have none, so 7班 is the sixth filing.
    let front = |n: usize| &pages[(n - 1) * 4];
    assert!(front(1).contains(&format!("QUN-{y}-0001")) && front(1).contains("2023级电子商务1班"));
    assert!(front(6).contains(&format!("QUN-{y}-0006")) && front(6).contains("2023级电子商务7班"));
    assert!(
        front(33).contains(&format!("QUN-{y}-0033")) && front(33).contains("2023级电子商务35班")
    );
    assert!(
        pages
            .iter()
            .all(|p| !p.contains("2023级电子商务6班") && !p.contains("2023级电子商务29班"))
    );

    let register = beian_in(
        dir.path(),
        &["register", "-o", "登记簿.csv", "--registry", "beian.db"],
        None,
    );
    assert_eq!(register.code, 0, "{}", register.stderr);
    let csv = std::fs::read(dir.path().join("登记簿.csv")).expect("register");
    let text = String::from_utf8_lossy(&csv);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&format!("QUN-{y}-")))
        .collect();
    assert_eq!(rows.len(), 33, "{text}");
    assert!(rows[5].contains("2023级电子商务7班"), "{}", rows[5]);
    let pdf = beian_in(
        dir.path(),
        &["register", "-o", "登记簿.pdf", "--registry", "beian.db"],
        None,
    );
    assert_eq!(pdf.code, 0, "{}", pdf.stderr);
    let pages =
        crate::util::pdf_pages_text(&std::fs::read(dir.path().join("登记簿.pdf")).expect("pdf"));
    let all = pages.join("\n");
    assert!(all.contains(&format!("QUN-{y}-0033")), "{all}");
    assert!(
        all.contains("共 33 份备案（每个编号的最新版）；编号连续，没有缺号"),
        "{all}"
    );
}

/// A roster too big to keep every layout (over 50 rows) lays each form out
/// again when it is rendered and printed: the same bytes as when kept, which
/// `regen` confirms byte for byte, and a print job of every form. Filed a
/// few dozen records a transaction and rendered on every core, each form is
/// what rendering it alone gives (`regen`, one process per form), on both
/// sides of a transaction's edge (32 records).
#[test]
fn a_big_roster_keeps_records_not_layouts_and_prints_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("名单.csv"), department(60, &[])).expect("write");
    let run = beian_in(
        dir.path(),
        &[
            "render",
            "名单.csv",
            "-o",
            "out",
            "--registry",
            "beian.db",
            "--combine",
            "打印.pdf",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("60 份表格，120 页"), "{}", run.stdout);
    let y = year();
    for n in [1, 2, 32, 33, 59, 60] {
        let serial = format!("QUN-{y}-{n:04}");
        let regen = beian_in(
            dir.path(),
            &["regen", &serial, "-o", "again", "--registry", "beian.db"],
            None,
        );
        assert_eq!(regen.code, 0, "{}", regen.stderr);
        assert!(
            regen.stdout.contains("与备案时逐字节一致"),
            "{}",
            regen.stdout
        );
        assert_eq!(
            std::fs::read(dir.path().join(format!("again/{serial}.pdf"))).expect("regen"),
            std::fs::read(dir.path().join(format!("out/{serial}.pdf"))).expect("filed"),
        );
    }
    let pages =
        crate::util::pdf_pages_text(&std::fs::read(dir.path().join("打印.pdf")).expect("job"));
    assert!(
        pages[118].contains(&format!("QUN-{y}-0060")),
        "{}",
        pages[118]
    );
    assert!(pages[118].contains("2023级电子商务60班"), "{}", pages[118]);
}

/// Two new records of one batch with the same uuid would be two filings
/// under one uuid: refused, naming the other, and nothing filed.
#[test]
fn one_uuid_twice_in_a_batch_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = std::fs::read_to_string(root().join("tests/fixtures/good/account-rare.toml"))
        .expect("fixture")
        .lines()
        .filter(|l| !l.starts_with("serial"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::create_dir(dir.path().join("in")).expect("mkdir");
    std::fs::write(dir.path().join("in/a.toml"), &record).expect("write");
    let other = record
        .replace("6F1C2A70", "6f1c2a70")
        .replacen("unit = \"", "unit = \"另一", 1);
    std::fs::write(dir.path().join("in/b.toml"), other).expect("write");
    let run = beian_in(
        dir.path(),
        &["render", "in", "-o", "out", "--registry", "beian.db"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("在这一批中出现了两次（另一份是 in/a.toml）"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("out").exists(), "nothing written");
    // Refused before the registry was needed: none is created.
    assert!(!dir.path().join("beian.db").exists(), "no registry created");
}

/// A roster with a heading in other words, a class group listed twice with
/// other content, a row that fills the other form's choice, and a row with
/// no people: each said in the words of a roster (columns, 是/否, 附件2),
/// never of a record file's `[sections]`.
#[test]
fn roster_mistakes_are_said_in_roster_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "申请单位,表格,群类型,新媒体类型,群名称,群号码,帐号用户名,平台是否设有交互栏目,第一责任人姓名,第一责任人职务,第一责任人手机号码,第一责任人电子邮箱,管理员姓名,管理员职务,管理员手机号,管理员邮箱\r\n\
        电子商务系,附件2,QQ群,,2023级电子商务1班,873462901,,,李明,辅导员,13800000000,liming@example.edu.cn,学生1,班长,13600000000,s1@example.edu.cn\r\n\
        电子商务系,附件2,QQ群,,2023级电子商务1班（新）,873462901,,,李明,辅导员,13800000000,liming@example.edu.cn,学生1,班长,13600000000,s1@example.edu.cn\r\n\
        电子商务系,附件1,,QQ群,,,电商之家,否,李明,辅导员,13800000000,liming@example.edu.cn,学生1,班长,13600000000,s1@example.edu.cn\r\n\
        电子商务系,附件2,QQ群,,2023级电子商务2班,873462902,,,,,,,学生2,班长,13600000000,s2@example.edu.cn\r\n\
        电子商务系,附件2,QQ群,,2023级电子商务1班,873462901,,,李明,辅导员,13800000000,liming@example.edu.cn,学生1,班长,13600000000,s1@example.edu.cn\r\n";
    std::fs::write(dir.path().join("名单.csv"), text).expect("write");
    let run = beian_in(dir.path(), &["check", "名单.csv"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for want in [
        "名单.csv 第 3 行（2023级电子商务1班（新））",
        "group.number（群号）：与名单.csv 第 2 行（2023级电子商务1班）是同一个群（群号 873462901），内容却不同",
        "account.platform（新媒体类型）：这是群，用附件2：「QQ群」是群类型，请写在「群类型」一列",
        "principal（第一责任人（群主/辅导员））：这一行没有填第一责任人（群主/辅导员）：姓名、职务、手机、邮箱各列都是空的",
        "3 份记录需要修改",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("一节"), "{}", run.stderr);
    // Row 6 repeats row 2 as it is: one filing, not a mistake.
    assert!(!run.stderr.contains("第 6 行"), "{}", run.stderr);
}

/// A quote opened in a CSV cell and never closed would swallow every row
/// after it: the roster is refused, naming the row.
#[test]
fn an_unclosed_quote_in_a_csv_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from_utf8(department(4, &[]))
        .ok()
        .unwrap_or_default();
    if text.is_empty() {
        text = encoding_rs::GB18030
            .decode(&department(4, &[]))
            .0
            .into_owned();
    }
    let text = text.replacen("2023级电子商务2班", "\"2023级电子商务2班", 1);
    std::fs::write(dir.path().join("名单.csv"), text).expect("write");
    let run = beian_in(
        dir.path(),
        &["render", "名单.csv", "-o", "out", "--registry", "beian.db"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("第 3 行有一个引号「\"」没有配对，从这一行到文件末尾都被读成了一格"),
        "{}",
        run.stderr
    );
    assert_eq!(listing(dir.path()), ["名单.csv"]);
}

/// `--order unit`: units in pinyin order (电子商务系, 会计系, 信息工程系), as a
/// Chinese office sorts them, then by serial.
#[test]
fn a_print_job_by_unit_is_in_pinyin_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from(
        "申请单位名称,群类型,群名称,群号,第一责任人·姓名,第一责任人·职务,第一责任人·手机,第一责任人·邮箱,管理员·姓名,管理员·职务,管理员·手机,管理员·邮箱\r\n",
    );
    for (i, unit) in ["信息工程系", "会计系", "电子商务系", "会计系"]
        .iter()
        .enumerate()
    {
        text.push_str(&format!(
            "{unit},QQ群,{unit}{i}群,87346290{i},李明,辅导员,13800000000,liming@example.edu.cn,学生,班长,13600000000,s@example.edu.cn\r\n"
        ));
    }
    std::fs::write(dir.path().join("名单.csv"), text).expect("write");
    let run = beian_in(
        dir.path(),
        &[
            "render",
            "名单.csv",
            "--draft",
            "--combine",
            "打印.pdf",
            "--order",
            "unit",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pages =
        crate::util::pdf_pages_text(&std::fs::read(dir.path().join("打印.pdf")).expect("job"));
    let order: Vec<&str> = pages
        .iter()
        .step_by(2)
        .map(|p| {
            ["电子商务系2群", "会计系1群", "会计系3群", "信息工程系0群"]
                .into_iter()
                .find(|g| p.contains(g))
                .unwrap_or("?")
        })
        .collect();
    assert_eq!(
        order,
        ["电子商务系2群", "会计系1群", "会计系3群", "信息工程系0群"]
    );
}
