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
    ("draft-embed/XMT-2026-0003.docx", "70f61e26aab967a9cdf0663b0532685fd1619034955384f3dad3ab3796ee7f57"),
    ("draft-embed/account.docx", "d999a8ce27552c2c14c84e31c01f24d5432edf52f953fd377313bcf4015d828c"),
    ("draft-embed/group.docx", "7e96189f433f0b45cca0e890a14c0886ca27d5249998d5d608efeb04b7be4962"),
    ("draft/XMT-2026-0003.docx", "bb574e6963b4e93d162c3658f794fb1e065f76d2ad9a5f2536c19ee0c97d0895"),
    ("draft/XMT-2026-0003.pdf", "8af6b02fb647c8d85cd06639d933e1f5b81dedc3fda553d32649ee885c90a990"),
    ("draft/account.docx", "c7595ce533494c79cb1a608e7263120ed61b52a9011e16c04618ef461dde161d"),
    ("draft/account.pdf", "0f6405a94b489bbead8b343a87e4c5febb3286739e9f95beaa57c075089c50f2"),
    ("draft/group.docx", "44268b747dc9fca9fe40367d19d77466a4b3e255cb74f946f2e20f32d31d5f04"),
    ("draft/group.pdf", "dd9dcb048d6e37040a037ab786540861f3c8441b90194fa073dc97a247a81277"),
    ("filed-embed/QUN-2026-0001.docx", "2eeeb97756e545497e3466f3b035c41481df5a38326c3612d9676f93b28e30b8"),
    ("filed-embed/XMT-2026-0001.docx", "13b2ad2cb6ae44d94c48d94c56b1b6c75997cf163bb665b8d6045dc10e3656ae"),
    ("filed-embed/XMT-2026-0003.docx", "fcaefbacac98650597ceb4d8fbbbf16f0686a62100ded93a1c5770fd8a885e43"),
    ("filed/QUN-2026-0001.docx", "94070b3df7a3e4f2fdfcdc913b07737248e18beb7404faaf979619f3fb008b11"),
    ("filed/QUN-2026-0001.pdf", "e95ec9b7333a9cfc917f0c96c3e9395206e53d49e15a0dd00431de882fcb0c27"),
    ("filed/XMT-2026-0001.docx", "7a4597227d43270497bf420e14515ea177aea1407f1c421c7ccde83623620617"),
    ("filed/XMT-2026-0001.pdf", "f526040b5232fa4ab5aafc96985926cbc55d733b8b36a48d42ce3ea0fd512cda"),
    ("filed/XMT-2026-0003.docx", "7b21ff3efef84fb6cb32ea76648c6763a01c38efc3002a2c8ff764e37e4460aa"),
    ("filed/XMT-2026-0003.pdf", "828f6b1ec9c8c37273531811228a945996c29f47fc1cb5c61ff65c683c372981"),
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
