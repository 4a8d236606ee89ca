//! Where one form's time goes, stage by stage, in process:
//!
//!     cargo bench --bench stages [-- RUNS]
//!
//! For examples/account.toml: the first (cold) run of each stage, which
//! includes what a process does once (parse the form files, load the font
//! faces), then the median over RUNS warm runs (default 200). The stages
//! are those of `beian render --draft`: read, parse, validate, lay out,
//! render the PDF (fonts subset, streams compressed), write and sync.

use std::time::{Duration, Instant};

use beian::layout::{self, LayoutOptions};
use beian::record::validate;
use beian::record::{Node, Syntax};
use beian::render::pdf::{PdfOptions, render};

fn time<R>(f: impl FnOnce() -> R) -> (R, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("examples/account.toml");
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("no temporary directory");
        std::process::exit(2);
    };
    let out = dir.path().join("account.pdf");
    let stages = [
        "read",
        "parse",
        "validate",
        "lay out",
        "PDF, compressed",
        "PDF, content uncompressed",
        "write + fdatasync",
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); stages.len()];
    for _ in 0..=runs {
        let (text, t0) = time(|| std::fs::read_to_string(&path));
        let Ok(text) = text else {
            eprintln!("cannot read {}", path.display());
            std::process::exit(2);
        };
        let (node, t1) = time(|| Node::parse(&text, Syntax::Toml));
        let Ok(node) = node else {
            eprintln!("does not parse");
            std::process::exit(2);
        };
        let (checked, t2) = time(|| validate::check(&node));
        let Some(record) = checked.record else {
            eprintln!("does not validate");
            std::process::exit(2);
        };
        let (laid, t3) = time(|| layout::build(&record, &checked.stamp, LayoutOptions::default()));
        let Ok(laid) = laid else {
            eprintln!("does not lay out");
            std::process::exit(2);
        };
        let (pdf, t4) = time(|| render(&laid, &PdfOptions::default()));
        let (_, t5) = time(|| {
            render(
                &laid,
                &PdfOptions {
                    compress: false,
                    ..PdfOptions::default()
                },
            )
        });
        let Ok(pdf) = pdf else {
            eprintln!("does not render");
            std::process::exit(2);
        };
        let (written, t6) = time(|| beian::io::write_atomic(&out, &pdf));
        if written.is_err() {
            eprintln!("cannot write");
            std::process::exit(2);
        }
        for (s, t) in samples.iter_mut().zip([t0, t1, t2, t3, t4, t5, t6]) {
            s.push(t);
        }
    }
    println!("{:<28} {:>10} {:>12}", "stage", "cold ms", "median ms");
    let mut cold_sum = 0.0;
    let mut warm_sum = 0.0;
    for (i, (name, s)) in stages.iter().zip(&mut samples).enumerate() {
        let cold = s.remove(0);
        s.sort();
        let median = s[s.len() / 2];
        // The uncompressed PDF is a second render, not a stage of its own.
        if i != 5 {
            cold_sum += ms(cold);
            warm_sum += ms(median);
        }
        println!("{name:<28} {:>10.3} {:>12.3}", ms(cold), ms(median));
    }
    println!("{:<28} {cold_sum:>10.3} {warm_sum:>12.3}", "sum (one form)");
}
