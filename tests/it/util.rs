//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// Every file in a fixtures folder, sorted.
pub fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(dir))
        .expect("fixtures folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The outcome of running the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A data directory of the tests' own, so that no test files into the
/// registry of the user running them (beian's default registry lives there).
pub fn data_home() -> &'static Path {
    static HOME: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("tempdir"))
        .path()
}

/// Runs `beian` with `args` in `dir`, feeding `stdin`.
pub fn beian_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    beian_home(dir, data_home(), args, stdin)
}

/// Runs `beian` with `args` in `dir`, with `home` as the user's home and
/// data directory, feeding `stdin`.
pub fn beian_home(dir: &Path, home: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(args)
        .current_dir(dir)
        .env("XDG_DATA_HOME", home)
        .env("HOME", home)
        .env_remove("BEIAN_REGISTRY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run beian");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn beian(args: &[&str]) -> Run {
    beian_in(&root(), args, None)
}

/// Names of the files in a directory, sorted (hidden ones too).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The text of every page of a PDF, page by page, in pure Rust: glyph codes
/// of each text-showing operator mapped through the font's ToUnicode CMap
/// (what pdftotext does, minus the geometry), a line break per text object,
/// following form XObjects (`Do`) where the copies share their content.
pub fn pdf_pages_text(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("parse pdf");
    doc.get_pages()
        .values()
        .map(|&page_id| {
            let page = doc.get_dictionary(page_id).expect("page");
            let resources = page
                .get_deref(b"Resources", &doc)
                .and_then(|r| r.as_dict())
                .expect("page resources");
            let content = doc.get_page_content(page_id).expect("content");
            let mut text = String::new();
            extract(&doc, &content, resources, &mut text);
            text
        })
        .collect()
}

type CMap = std::collections::HashMap<u16, String>;

fn extract(
    doc: &lopdf::Document,
    content: &[u8],
    resources: &lopdf::Dictionary,
    text: &mut String,
) {
    use lopdf::Object;
    let sub = |key: &[u8]| resources.get_deref(key, doc).and_then(|d| d.as_dict()).ok();
    let mut cmaps: std::collections::HashMap<Vec<u8>, CMap> = std::collections::HashMap::new();
    if let Some(fonts) = sub(b"Font") {
        for (name, font) in fonts.iter() {
            let font = doc
                .dereference(font)
                .expect("font")
                .1
                .as_dict()
                .expect("font dict");
            let Ok(to_unicode) = font.get_deref(b"ToUnicode", doc) else {
                continue;
            };
            let stream = to_unicode.as_stream().expect("ToUnicode stream");
            let data = stream
                .decompressed_content()
                .unwrap_or_else(|_| stream.content.clone());
            cmaps.insert(
                name.clone(),
                parse_to_unicode(&String::from_utf8_lossy(&data)),
            );
        }
    }
    let ops = lopdf::content::Content::decode(content).expect("decode content");
    let mut font: Option<&CMap> = None;
    let show = |out: &mut String, o: &Object, cmap: Option<&CMap>| {
        if let (Object::String(b, _), Some(cmap)) = (o, cmap) {
            for pair in b.chunks(2) {
                let code = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
                out.push_str(cmap.get(&code).map_or("\u{FFFD}", String::as_str));
            }
        }
    };
    for op in &ops.operations {
        match op.operator.as_str() {
            "Tf" => font = cmaps.get(op.operands[0].as_name().expect("font name")),
            "Tj" | "'" | "\"" => {
                if let Some(o) = op.operands.last() {
                    show(text, o, font);
                }
            }
            "TJ" => {
                for o in op.operands[0].as_array().expect("TJ array") {
                    show(text, o, font);
                }
            }
            "BT" => text.push('\n'),
            "Do" => {
                let name = op.operands[0].as_name().expect("xobject name");
                let Some(xobjects) = sub(b"XObject") else {
                    continue;
                };
                let stream = xobjects
                    .get_deref(name, doc)
                    .and_then(|x| x.as_stream())
                    .expect("form xobject");
                let inner = stream
                    .decompressed_content()
                    .unwrap_or_else(|_| stream.content.clone());
                let own = stream
                    .dict
                    .get_deref(b"Resources", doc)
                    .and_then(|r| r.as_dict())
                    .unwrap_or(resources);
                extract(doc, &inner, own, text);
            }
            _ => {}
        }
    }
}

/// The bfchar and bfrange entries of a ToUnicode CMap.
fn parse_to_unicode(cmap: &str) -> std::collections::HashMap<u16, String> {
    let hex = |s: &str| -> Vec<u16> {
        let s = s.trim_matches(|c| c == '<' || c == '>');
        (0..s.len() / 4)
            .filter_map(|i| u16::from_str_radix(&s[i * 4..i * 4 + 4], 16).ok())
            .collect()
    };
    let utf16 = |units: &[u16]| String::from_utf16_lossy(units);
    let mut map = std::collections::HashMap::new();
    let mut mode = "";
    for line in cmap.lines() {
        let line = line.trim();
        if line.ends_with("beginbfchar") || line.ends_with("beginbfrange") {
            mode = if line.ends_with("beginbfchar") {
                "char"
            } else {
                "range"
            };
            continue;
        }
        if line.starts_with("endbf") {
            mode = "";
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        match (mode, parts.as_slice()) {
            ("char", [src, dst]) => {
                if let Some(&code) = hex(src).first() {
                    map.insert(code, utf16(&hex(dst)));
                }
            }
            ("range", [lo, hi, dst]) if dst.starts_with('<') => {
                let (lo, hi, mut d) = (hex(lo)[0], hex(hi)[0], hex(dst));
                for code in lo..=hi {
                    map.insert(code, utf16(&d));
                    if let Some(last) = d.last_mut() {
                        *last += 1;
                    }
                }
            }
            _ => {}
        }
    }
    map
}

/// Removes white space, so that text broken over lines can be compared.
pub fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The texts FORMS.md quotes for a form, as they must appear on the page
/// once white space is removed: ⏎ marks a line break inside a cell, and □
/// is a drawn checkbox, not text.
pub fn forms_texts(form: &str) -> Vec<String> {
    let src = std::fs::read_to_string(fixture("forms_texts.toml")).expect("forms_texts.toml");
    let table: toml::Table = toml::from_str(&src).expect("forms_texts.toml parses");
    table[form]
        .as_array()
        .expect("array")
        .iter()
        .flat_map(|v| {
            v.as_str()
                .expect("string")
                .split('⏎')
                .map(|part| squash(&part.replace('□', "")))
                .collect::<Vec<_>>()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// Reads a rendered PDF from `dir`.
pub fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Asserts that `text` (one page or copy, white space removed) shows every
/// text FORMS.md quotes for the record's form and every value of the record
/// — what each renderer must print. `place` names the page in messages.
pub fn assert_shows_form(text: &str, record: &beian::record::Record, place: &str) {
    let form = record.form.key();
    let other = record.field(if form == "account" {
        "account.platform_other"
    } else {
        "group.type_other"
    });
    for expected in forms_texts(form) {
        // A filled-in 其他___ line shows its value instead of the blank.
        if expected.starts_with("其他_") && other.as_deref().is_some_and(|o| !o.is_empty()) {
            let filled = format!("其他{}", squash(other.as_deref().unwrap_or_default()));
            assert!(text.contains(&filled), "{place}: {filled}");
            continue;
        }
        assert!(
            text.contains(&expected),
            "{place}: missing {expected:?}\n{text}"
        );
    }
    for field in beian::form::FormSpec::get(record.form).fields() {
        let value = record.field(&field).unwrap_or_default();
        let ticked = ["platform", "type", "interactive", "reviewed"];
        if ticked.iter().any(|t| field.ends_with(t)) {
            continue; // shown as a ticked box, not as text
        }
        assert!(
            text.contains(&squash(&value)),
            "{place}: {field} = {value:?}"
        );
    }
}

/// A record's text, prepared (parsed, validated, laid out) as `name`.
pub fn layout_of_text(
    name: &str,
    text: &str,
    copies: usize,
) -> (beian::record::Record, beian::layout::Layout) {
    beian::pipeline::prepare_text(
        &beian::io::Source::File(name.into()),
        text,
        None,
        beian::layout::LayoutOptions {
            copies,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A record file, prepared.
pub fn layout_of(
    path: &std::path::Path,
    copies: usize,
) -> (beian::record::Record, beian::layout::Layout) {
    let text = std::fs::read_to_string(path).expect("read record");
    layout_of_text(&path.display().to_string(), &text, copies)
}
