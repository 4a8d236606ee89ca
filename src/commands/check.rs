//! `beian check`: validates records and lays them out, files and writes nothing.

use super::{Say, Tell, prepare_all};
use crate::error::Error;
use crate::io::Source;
use crate::layout::LayoutOptions;
use crate::record::Syntax;

/// Checks every record; all problems of all records are reported at once.
pub fn check(
    sources: Vec<Source>,
    syntax: Option<Syntax>,
    say: Say<'_>,
    tell: Tell<'_>,
) -> Result<(), Error> {
    for p in prepare_all(sources, syntax, LayoutOptions::default(), tell)? {
        say(&format!("{}：检查通过", p.origin.name()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Progress, Stage};

    /// The progress bar's events: one stage over every row of the roster,
    /// one step per record, closed at the end.
    #[test]
    fn a_roster_tells_its_progress_record_by_record() {
        let roster = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/roster.csv");
        let mut told = Vec::new();
        let mut said = 0;
        check(
            vec![Source::File(roster)],
            None,
            &mut |_| said += 1,
            &mut |p| told.push(p),
        )
        .expect("the example roster passes");
        assert_eq!(said, 5);
        let mut want = vec![Progress::Begin {
            stage: Stage::Check,
            total: 5,
        }];
        want.extend([Progress::Step; 5]);
        want.push(Progress::End);
        assert_eq!(told, want);
    }
}
