//! DOCX generation per form, in process:
//!
//!     cargo bench --bench docx [-- RUNS]
//!
//! For each example record, the median (and 90th percentile) time of
//! `render::docx::render` alone and of the whole per-form work (parse,
//! validate, lay out, render), without and with `--embed-fonts`, over RUNS
//! renders (default 200) after a warm-up that loads the fonts.

use std::time::{Duration, Instant};

use beian::io::Source;
use beian::layout::LayoutOptions;
use beian::pipeline::prepare_text;
use beian::render::docx::{DocxOptions, render};

fn stats(mut t: Vec<Duration>) -> String {
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "median {:7.3} ms  p90 {:7.3} ms",
        ms(t[t.len() / 2]),
        ms(t[t.len() * 9 / 10])
    )
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["account.toml", "group.toml", "douyin.json"] {
        let path = root.join("examples").join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("cannot read {}", path.display());
            std::process::exit(2);
        };
        let source = Source::File(path.clone());
        let prepare = || prepare_text(&source, &text, None, LayoutOptions::default());
        let Ok((_, layout)) = prepare() else {
            eprintln!("{name} does not lay out");
            std::process::exit(2);
        };
        for embed_fonts in [false, true] {
            let options = DocxOptions { embed_fonts };
            let mut size = 0;
            // Warm-up: the fonts are parsed once per process.
            for _ in 0..5 {
                size = render(&layout, &options).map(|b| b.len()).unwrap_or(0);
            }
            let render_only: Vec<Duration> = (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    let _ = std::hint::black_box(render(&layout, &options));
                    t.elapsed()
                })
                .collect();
            let whole: Vec<Duration> = (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    if let Ok((_, layout)) = prepare() {
                        let _ = std::hint::black_box(render(&layout, &options));
                    }
                    t.elapsed()
                })
                .collect();
            println!(
                "{name:<13} {:<14} render: {}   record→docx: {}   {:6.1} KB",
                if embed_fonts { "--embed-fonts" } else { "" },
                stats(render_only),
                stats(whole),
                size as f64 / 1024.0
            );
        }
    }
}
