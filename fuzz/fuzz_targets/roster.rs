//! Any bytes, read as a CSV roster, then each row prepared as a record.
//!
//! The CSV reader (`batch::roster::rows`) is private to `batch`; the public
//! way in is `batch::expand` on a `.csv` file, as `beian render 名单.csv`
//! does. So each input is written to one file per process (in /dev/shm when
//! there is one: a tmpfs, no disk) and expanded. Encodings (GB18030,
//! UTF-16 with a BOM, UTF-8) are the reader's own business: any bytes go.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use beian::batch::expand;
use beian::io::Source;
use beian::layout::LayoutOptions;
use beian::pipeline::prepare;
use libfuzzer_sys::fuzz_target;

fn roster_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("beian-fuzz-roster-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("roster fuzz dir");
        dir.join("名单.csv")
    })
}

fuzz_target!(|data: &[u8]| {
    // Over the batch limit the file is refused before it is read.
    if data.len() > beian::batch::MAX_BATCH_BYTES {
        return;
    }
    let path = roster_path();
    std::fs::write(path, data).expect("write roster");
    for entry in expand(vec![Source::File(path.clone())], None)
        .into_iter()
        .flatten()
    {
        let _ = prepare(entry, LayoutOptions::default());
    }
});
