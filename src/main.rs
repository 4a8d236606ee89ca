//! `beian`: see `beian --help`. Parses the arguments, runs the command and
//! prints what it says; the only place that prints.

// Nothing from a user, a file or the registry may panic beian: no unwrap,
// no expect, no indexing that can be out of range (tests are exempt).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use std::io::Write;
use std::process::ExitCode;

use beian::cli::Invocation;
use beian::commands::{self, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

fn main() -> ExitCode {
    keep_heap();
    // Drawn on stderr, and only when stderr is a terminal: a roster's
    // hundreds of records show how far they have got; pipes and logs get
    // the lines alone.
    let bar = ProgressBar::hidden();
    let result = Invocation::from_args(std::env::args_os()).and_then(|invocation| {
        let mut out = std::io::stdout().lock();
        commands::run(
            invocation,
            &mut |line| {
                bar.suspend(|| {
                    let _ = writeln!(out, "{}", beian::io::printable(line));
                })
            },
            &mut |progress| show(&bar, progress),
        )
    });
    bar.finish_and_clear();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let said = e.to_string();
            let _ = writeln!(std::io::stderr(), "beian：{}", beian::io::printable(&said));
            e.exit_code()
        }
    }
}

/// glibc gives freed memory back to the kernel eagerly and serves big blocks
/// by `mmap`, so a batch faulted the same pages in again for every form
/// (100 forms: 67,875 page faults, against 2,170 with the heap kept) — a
/// fifth of its time. The heap is kept instead: never more than a batch's
/// peak, which BENCHMARKS.md bounds.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_heap() {
    // SAFETY: mallopt only sets the allocator's parameters; it is called
    // first thing in main, before any other thread exists or allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_heap() {}

/// Moves the bar: a stage of more than one record gets one.
fn show(bar: &ProgressBar, progress: Progress) {
    match progress {
        Progress::Begin { stage, total } if total > 1 => {
            bar.reset();
            bar.set_length(total as u64);
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} 份  {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(stage.label());
        }
        Progress::Begin { .. } => bar.set_draw_target(ProgressDrawTarget::hidden()),
        Progress::Step => bar.inc(1),
        Progress::End => bar.finish_and_clear(),
    }
}
