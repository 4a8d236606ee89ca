//! `beian check`: validates records and lays them out, files and writes nothing.

use super::{Say, prepare_all};
use crate::error::Error;
use crate::io::Source;
use crate::layout::LayoutOptions;
use crate::record::Syntax;

/// Checks every record; all problems of all records are reported at once.
pub fn check(sources: Vec<Source>, syntax: Option<Syntax>, say: Say<'_>) -> Result<(), Error> {
    for p in prepare_all(sources, syntax, LayoutOptions::default())? {
        say(&format!("{}：检查通过", p.origin.name()));
    }
    Ok(())
}
