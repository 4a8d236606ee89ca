//! `beian`: see `beian --help`. Parses the arguments, runs the command and
//! prints what it says; the only place that prints.

use std::io::Write;
use std::process::ExitCode;

use beian::cli::Invocation;
use beian::commands;

fn main() -> ExitCode {
    let result = Invocation::from_args(std::env::args_os()).and_then(|invocation| {
        let mut out = std::io::stdout().lock();
        commands::run(invocation, &mut |line| {
            let _ = writeln!(out, "{line}");
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "beian：{e}");
            e.exit_code()
        }
    }
}
