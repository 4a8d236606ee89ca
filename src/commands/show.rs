//! `beian show`: every version of a filing, its files and its record.

use super::regen::not_found;
use super::{Say, form_name, registry_error};
use crate::error::Error;
use crate::registry::Registry;

/// Shows a filing's history.
pub fn show(registry: &Registry, serial: &str, say: Say<'_>) -> Result<(), Error> {
    let history = registry
        .history(serial)
        .map_err(|e| registry_error(registry.path(), e))?;
    let Some(latest) = history.last() else {
        // Printed on a blank form that has not come back yet.
        if let Some(r) = registry
            .reservation(serial)
            .map_err(|e| registry_error(registry.path(), e))?
        {
            say(&format!(
                "编号 {serial}（{}）于 {} 预留给手工填写的空白表（beian blank --assign），尚未登记；填好的表交回后按此编号登记：记录里写 serial = \"{serial}\"",
                form_name(r.form),
                r.reserved_at.get(..10).unwrap_or(&r.reserved_at)
            ));
            return Ok(());
        }
        return Err(not_found(registry, serial, None)?);
    };
    say(&format!(
        "编号 {serial}（{}）  记录标识 {}",
        form_name(latest.form),
        latest.uuid
    ));
    for f in &history {
        say(&format!(
            "第 {} 版  备案时间 {}  beian {}  {} · {}",
            f.version, f.filed_at, f.beian_version, f.unit, f.name
        ));
        for o in &f.outputs {
            say(&format!(
                "    {}（{} 份，{} 字节，版式修订 {}）SHA-256 {}",
                o.file_name, o.copies, o.size, o.revision, o.sha256
            ));
        }
    }
    say("");
    say(&format!("最新记录（第 {} 版）：", latest.version));
    say(latest.canonical.trim_end());
    Ok(())
}
