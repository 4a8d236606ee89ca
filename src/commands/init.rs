//! `beian init`: a blank record whose comments name each field as printed.

use super::Say;
use crate::error::Error;
use crate::record::FormKind;

/// Prints the blank record of a form.
pub fn init(form: FormKind, say: Say<'_>) -> Result<(), Error> {
    say(template(form).trim_end());
    Ok(())
}

/// The `init` template of a form.
pub fn template(form: FormKind) -> &'static str {
    match form {
        FormKind::Account => include_str!("../../forms/templates/account.toml"),
        FormKind::Group => include_str!("../../forms/templates/group.toml"),
    }
}
