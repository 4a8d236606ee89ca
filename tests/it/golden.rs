//! Prints the SHA-256 of every fixture's and example's PDF and DOCX (copies
//! 1 and 2, draft and filed with a fixed stamp), one line each, for checking
//! by hand that a refactoring leaves output bytes unchanged:
//! `cargo test --test it golden -- --ignored --nocapture`.

use beian::layout::{self, LayoutOptions};
use beian::pipeline::{render_docx, render_pdf};
use beian::record::Record;
use sha2::{Digest, Sha256};

use crate::util::{fixtures, layout_of, root};

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
#[ignore = "prints output hashes for a by-hand byte-identity check"]
fn output_hashes() {
    let mut paths = fixtures("good");
    for name in ["account.toml", "douyin.json", "group.toml"] {
        paths.push(root().join("examples").join(name));
    }
    for path in paths {
        let name = path.file_name().expect("name").to_string_lossy();
        for copies in [1, 2] {
            let (record, draft) = layout_of(&path, copies);
            let filed = Record {
                serial: Some("XMT-2026-0042".into()),
                uuid: Some("0b5c2f1e-7d4a-4e8b-9c3d-2a1f6e5d4c3b".into()),
                filed_at: Some("2026-03-14T09:26:53+08:00".into()),
                ..record
            };
            let filed = layout::build(&filed, LayoutOptions { copies }).expect("filed layout");
            for (state, l) in [("draft", &draft), ("filed", &filed)] {
                let pdf = render_pdf(l).expect("pdf");
                let docx = render_docx(l, false).expect("docx");
                let embedded = render_docx(l, true).expect("docx embedded");
                println!("{name} x{copies} {state} pdf {}", hex(&pdf));
                println!("{name} x{copies} {state} docx {}", hex(&docx));
                println!("{name} x{copies} {state} docx-embed {}", hex(&embedded));
            }
        }
    }
}
