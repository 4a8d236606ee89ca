//! The golden test: output bytes are an archival contract. A filed form must
//! regenerate byte for byte years later, so the SHA-256 of the examples'
//! outputs is pinned here — PDF, DOCX and DOCX with `--embed-fonts`, as a
//! draft and as a filed form with a fixed stamp. Any change to the bytes
//! (our layout, a dependency's compression, a font) fails this test until
//! the hashes are updated on purpose, together with `OUTPUT_REVISION`.
//!
//! Driven through the binary only: the command line is the stable surface.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::util::{beian_in, listing, read, root};

/// The output revision the hashes below were pinned for. Updating the hashes
/// means bumping `beian::render::OUTPUT_REVISION` and this with them.
const PINNED_FOR_REVISION: u32 = 3;

/// SHA-256 of every output, by `variant/file name`. Variants: `draft` (PDF
/// and DOCX), `draft-embed` (DOCX `--embed-fonts`), `filed`, `filed-embed`
/// (the same with the fixed stamp of [`stamp`]). Two copies (the default).
#[rustfmt::skip]
const GOLDEN: &[(&str, &str)] = &[
    ("draft-embed/XMT-2026-0003.docx", "47edf0b2838b12c0e6c8e78845199059e4b94a8f0e103d7225202559512eed5e"),
    ("draft-embed/account.docx", "c2877093ec8af845fb606a56ae96065ee34686f460336926c9656a7df891eb9b"),
    ("draft-embed/group.docx", "e8eb913948ef2815fe28624d6852d99ad8cb69795f6cadaeb806cecfc97e95ca"),
    ("draft/XMT-2026-0003.docx", "c005e2c557a887c325ac6e47129a07e8653845c8aa8d625c8c1a08ca590d0a3e"),
    ("draft/XMT-2026-0003.pdf", "8c43dd0448c43fdf39987093ef7a4c13ad48addcc930d4111fbbfe0a7283d7cd"),
    ("draft/account.docx", "8888c11a3b23afa07e6237584731484c34ce2b54d927e22a1542595157316c5e"),
    ("draft/account.pdf", "d3ce0775608208ef5e406dd647fe580fb46a046dfaa390b2d1ce0282e435205d"),
    ("draft/group.docx", "cb8f2a0ae737b9e24b3ffb401ff435bc2e2963c8c00c73c0533199027062035b"),
    ("draft/group.pdf", "bd802050eda7083256e84140b3226e69cebac5b84f2459b4cfb9d93961170f7b"),
    ("filed-embed/QUN-2026-0001.docx", "54b6b197f3cf7cef4b662a37f773d4a588cd491ae09cafda1f84dd81a3b8288b"),
    ("filed-embed/XMT-2026-0001.docx", "dfba2c688a3889cbb409ec789d1c03b08eccaa12587f08f567246691a79f38c2"),
    ("filed-embed/XMT-2026-0003.docx", "03c3fb706dd95242be93bbe9efa94ceede8a5eac4b28478de371c0837940a464"),
    ("filed/QUN-2026-0001.docx", "17ab045d268cf9932a9642d5f80f9d06dcacaec24d8c623b6bf9964be38015fb"),
    ("filed/QUN-2026-0001.pdf", "ba5a208db34ce7ec05877d0fc088e4a5a6d2965f5c2d7abf6804b2055212cca5"),
    ("filed/XMT-2026-0001.docx", "1421f9e03433b63960ed0473a4e31fd3fbbd745045c8525ec0812b585e98310c"),
    ("filed/XMT-2026-0001.pdf", "95f1322b13ca8fe31b18fbbd23bda3882a64bc403baca3ad085cc14953bdbde5"),
    ("filed/XMT-2026-0003.docx", "a1ce4a1a49862ecb37bc627affe2321b57e9f42c9404abc184f6a307151c7990"),
    ("filed/XMT-2026-0003.pdf", "9cca4e882d7155454eff548fcb0c6544c8d63ad2a6522d9a4bc31f479465e501"),
];

/// The examples pinned, by file name in `examples/`.
const EXAMPLES: &[&str] = &["account.toml", "group.toml", "douyin.json"];

/// The fixed registry stamp a filed copy of an example gets: serial, uuid,
/// filed_at. `douyin.json` keeps the serial it already has.
fn stamp(example: &str) -> (&'static str, &'static str) {
    match example {
        "account.toml" => ("XMT-2026-0001", "00000000-0000-4000-8000-000000000001"),
        "group.toml" => ("QUN-2026-0001", "00000000-0000-4000-8000-000000000002"),
        _ => ("XMT-2026-0003", "00000000-0000-4000-8000-000000000003"),
    }
}
const FILED_AT: &str = "2026-03-01T09:30:00+08:00";

/// A copy of `example` as the registry files it: serial, uuid and filed_at
/// at the top level. Rendered with `--draft`, a filed record gives the filed
/// bytes (see `registry::the_filed_record_alone_regenerates_the_same_pdf`).
fn filed_copy(example: &str) -> String {
    let src = std::fs::read_to_string(root().join("examples").join(example)).expect("example");
    let (serial, uuid) = stamp(example);
    if example.ends_with(".json") {
        let rest = src.trim_start().strip_prefix('{').expect("a JSON object");
        let serial = if src.contains("\"serial\"") {
            String::new()
        } else {
            format!("\n  \"serial\": \"{serial}\",")
        };
        format!("{{{serial}\n  \"uuid\": \"{uuid}\",\n  \"filed_at\": \"{FILED_AT}\",{rest}")
    } else {
        format!("serial = \"{serial}\"\nuuid = \"{uuid}\"\nfiled_at = {FILED_AT}\n{src}")
    }
}

/// Renders `records` with `--draft` into `cwd/variant` as PDF + DOCX and
/// into `cwd/variant-embed` as DOCX with embedded fonts, and records every
/// output's SHA-256 in `hashes` by `variant/file name`.
fn render_all(
    cwd: &Path,
    variant: &str,
    records: &[String],
    hashes: &mut BTreeMap<String, String>,
) {
    for (suffix, formats) in [
        ("", &["-f", "pdf,docx"][..]),
        ("-embed", &["-f", "docx", "--embed-fonts"][..]),
    ] {
        let name = format!("{variant}{suffix}");
        let out = cwd.join(&name);
        let mut args = vec!["render", "--draft", "-o", out.to_str().expect("utf-8")];
        args.extend(formats);
        args.extend(records.iter().map(String::as_str));
        let run = beian_in(cwd, &args, None);
        assert_eq!(run.code, 0, "beian {args:?}\n{}", run.stderr);
        for file in listing(&out) {
            let sha = Sha256::digest(read(&out, &file));
            let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
            hashes.insert(format!("{name}/{file}"), hex);
        }
    }
}

#[test]
fn output_bytes_match_the_pinned_hashes() {
    assert_eq!(
        PINNED_FOR_REVISION,
        beian::render::OUTPUT_REVISION,
        "the golden hashes were pinned for output revision {PINNED_FOR_REVISION}, but \
         OUTPUT_REVISION is {}: re-pin the hashes for the new revision and update \
         PINNED_FOR_REVISION (tests/it/golden.rs)",
        beian::render::OUTPUT_REVISION
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let examples_dir = root().join("examples");
    let drafts: Vec<String> = EXAMPLES
        .iter()
        .map(|e| examples_dir.join(e).to_str().expect("utf-8").to_owned())
        .collect();
    let stamped = cwd.join("stamped");
    std::fs::create_dir(&stamped).expect("mkdir");
    let filed: Vec<String> = EXAMPLES
        .iter()
        .map(|e| {
            let path = stamped.join(e);
            std::fs::write(&path, filed_copy(e)).expect("write filed copy");
            path.to_str().expect("utf-8").to_owned()
        })
        .collect();

    let mut actual = BTreeMap::new();
    render_all(cwd, "draft", &drafts, &mut actual);
    render_all(cwd, "filed", &filed, &mut actual);

    let pinned: BTreeMap<String, String> = GOLDEN
        .iter()
        .map(|&(name, sha)| (name.to_owned(), sha.to_owned()))
        .collect();
    if actual == pinned {
        return;
    }
    let mut report = String::new();
    for (name, sha) in &actual {
        match pinned.get(name) {
            Some(old) if old == sha => {}
            Some(old) => report.push_str(&format!(
                "  changed  {name}\n    was {old}\n    now {sha}\n"
            )),
            None => report.push_str(&format!("  new      {name}\n    now {sha}\n")),
        }
    }
    for name in pinned.keys().filter(|n| !actual.contains_key(*n)) {
        report.push_str(&format!("  missing  {name}\n"));
    }
    let table: String = actual
        .iter()
        .map(|(name, sha)| format!("    (\"{name}\", \"{sha}\"),\n"))
        .collect();
    panic!(
        "output bytes changed:\n{report}\n\
         If on purpose, bump OUTPUT_REVISION (src/render/mod.rs) and PINNED_FOR_REVISION, \
         and update GOLDEN (tests/it/golden.rs) to:\n{table}\n\
         If not, find which dependency or layout change caused it (Cargo.lock, \
         `cargo tree -e features -i flate2`, src/layout, src/render): a filed form \
         must regenerate byte for byte."
    );
}
