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
    ("draft-embed/XMT-2026-0003.docx", "57ae8181e0a78773915aec2a29fa8d7eaa355c8db19f8676461360940a7e8210"),
    ("draft-embed/account.docx", "129adb8711242b26c334247f96039ae8a585dce846286658f563817bad1f122d"),
    ("draft-embed/group.docx", "997e43828c3aa6104d3b54485bd92f4d401ce153e05c9d34730d6fe562edbdc4"),
    ("draft/XMT-2026-0003.docx", "8aeeb52a5cf5e3f3ff1d5ff1f100ecfdcfb6e0e886deb90ed7a506b0ce8a1813"),
    ("draft/XMT-2026-0003.pdf", "804c5328b8cecb285a6fa067edc862652b6200141c7f321757f0ccc0c9c5318e"),
    ("draft/account.docx", "88be60810b6732d654ce527b03b002f6673630bf0794a2bf87f86b24813a95e9"),
    ("draft/account.pdf", "67d13b1fb0bd7b6d7b80ed5dfb71b50efdefd05cea0065ba892e831b3c522443"),
    ("draft/group.docx", "fe952e7bcecb6850216676d0fac8657d3395eba8fa95f51aa5104b861a7d7eee"),
    ("draft/group.pdf", "0af68eaceb3bc748d22fe67f0867db47a3c788c5551d5864296c840b8e9595ef"),
    ("filed-embed/QUN-2026-0001.docx", "b6bc3f559bd1e32d1ad53c941ddeedc5ddca92452d3a3a7aff5410d9469ccf2e"),
    ("filed-embed/XMT-2026-0001.docx", "bb752cb0595664449cb65a13f3d9031ef3eeccfd028dc1c0f79df7e7af6e7798"),
    ("filed-embed/XMT-2026-0003.docx", "4b646d5b837255cf246788fac6859eab5abce5f41c2b0479645b54bf4512f77a"),
    ("filed/QUN-2026-0001.docx", "210abe7758a963a1e04da45fe927b39008e8cd75e07c391c34b96bf61702223d"),
    ("filed/QUN-2026-0001.pdf", "9084302a011141616f4f4933951b0dd7e68c0f1c11875208984292f5810929b3"),
    ("filed/XMT-2026-0001.docx", "8ea406538da817505cfbe4f7689364c86e29f574f10095865789a05012dce9fb"),
    ("filed/XMT-2026-0001.pdf", "b036a4af139711694719df0a7dccc3ec6fc1b3abd011afdae2decd1f30c63812"),
    ("filed/XMT-2026-0003.docx", "67ec5dab0dda13d4699d04a421f44ee1e7df87c6ca8ee8d37439dd3c8cfa0477"),
    ("filed/XMT-2026-0003.pdf", "21a1d8a803df03444cd2ec7963ba786799ef6205a2ac6c56a5f024310467a448"),
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
