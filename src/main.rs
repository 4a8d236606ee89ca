//! `beian`: see `beian --help`.

use std::io::Write;
use std::process::ExitCode;

use beian::cli::{self, Command};

fn main() -> ExitCode {
    let command = match Command::from_args(std::env::args_os()) {
        Ok(c) => c,
        Err((text, code)) => {
            let _ = if code == 0 {
                write!(std::io::stdout(), "{text}")
            } else {
                write!(std::io::stderr(), "{text}")
            };
            return ExitCode::from(code);
        }
    };
    match cli::run(command) {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            for line in report.lines {
                let _ = writeln!(out, "{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "beian：{e}");
            e.exit_code()
        }
    }
}
