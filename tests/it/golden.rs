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
const PINNED_FOR_REVISION: u32 = 4;

/// SHA-256 of every output, by `variant/file name`. Variants: `draft` (PDF
/// and DOCX), `draft-embed` (DOCX `--embed-fonts`), `filed`, `filed-embed`
/// (the same with the fixed stamp of [`stamp`]). Two copies (the default).
#[rustfmt::skip]
const GOLDEN: &[(&str, &str)] = &[
    // douyin.json carries a serial: its draft is marked 草稿 on every copy
    // and named apart (issue 10). Drafts are never filed, so this changed
    // no filed output and no OUTPUT_REVISION.
    ("draft-embed/XMT-2026-0003 草稿.docx", "121ecc56b42b99391f3f51e84be992615bcdf4afa7a935f43cd64c3618ee9361"),
    ("draft-embed/account.docx", "ebf353a80e1c93617cdfad2e1720bd3fcb477b1f6c17ce36043396c15f43eb55"),
    ("draft-embed/group.docx", "7e96189f433f0b45cca0e890a14c0886ca27d5249998d5d608efeb04b7be4962"),
    ("draft/XMT-2026-0003 草稿.docx", "5718356a43c33df8bc962fe357065fb7d5f6ebe1a88b47837efd67d3c6f52563"),
    ("draft/XMT-2026-0003 草稿.pdf", "ac86d7a64bbcc02e89446376c15a26e88083ff4c87738a0d91297f2775d024bd"),
    ("draft/account.docx", "554e89d2eac6d63847712e9136ee11b1d6201026014e53c9c86fbd533b092d51"),
    ("draft/account.pdf", "8a2a6c58bbce9f3736b4e248183c62816d5dea063f738349bb52dd304d83e50e"),
    ("draft/group.docx", "44268b747dc9fca9fe40367d19d77466a4b3e255cb74f946f2e20f32d31d5f04"),
    ("draft/group.pdf", "dd9dcb048d6e37040a037ab786540861f3c8441b90194fa073dc97a247a81277"),
    ("filed-embed/QUN-2026-0001.docx", "946c0078c9af4b82695bdeec919b8ccc62fa6fade155d17c642e2f6172343c19"),
    ("filed-embed/XMT-2026-0001.docx", "f620a1bb2d3401750f5320043e92e63449d9b12164d4b5fa1fb00117acc389f6"),
    ("filed-embed/XMT-2026-0003.docx", "73776e6ebc31b91931076f7012b16a96f7bf7506d471112368e8bf0a5c504b79"),
    ("filed/QUN-2026-0001.docx", "c480a5eafbb2f22ef5a282fd74c321cb59b922d3442f58c5efb9e802252ea938"),
    ("filed/QUN-2026-0001.pdf", "99d485b60acec65ab168710850ef4431d7568ed5435fa5ace7b0f193492f80d2"),
    ("filed/XMT-2026-0001.docx", "49c38a86da03254295929bd562dff9219da53f4b8a2d38686167496844be9b59"),
    ("filed/XMT-2026-0001.pdf", "10c023f796e2415e17a0e7d072326b65ea4c3f21c566dc6f0ef48ea95dec69eb"),
    ("filed/XMT-2026-0003.docx", "8a0ab5f9da8d289a84a6a8e85d8c348295a23da3bc83bb3738f144b49952bc70"),
    ("filed/XMT-2026-0003.pdf", "fbbb959c58f695f80d1764208870fa27fd5c604c5f801c663a342e9110e75a91"),
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
/// at the top level. Imported into an empty registry, a filed record gives
/// the filed bytes (see `registry::a_lost_registry_is_rebuilt_from_the_filed_records`).
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
        let registry = cwd.join(format!("{name}.db"));
        // Drafts are drafts; the filed copies are filed as a lost registry
        // is rebuilt from the filed records (`--import` keeps each record's
        // serial, uuid and filing time): exactly the filed bytes.
        let mode = match variant {
            "filed" => vec!["--import", "--registry", registry.to_str().expect("utf-8")],
            _ => vec!["--draft"],
        };
        let mut args = vec!["render", "-o", out.to_str().expect("utf-8")];
        args.extend(mode);
        args.extend(formats);
        args.extend(records.iter().map(String::as_str));
        let run = beian_in(cwd, &args, None);
        assert_eq!(run.code, 0, "beian {args:?}\n{}", run.stderr);
        for file in listing(&out).into_iter().filter(|f| !f.ends_with(".toml")) {
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
