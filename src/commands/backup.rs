//! `beian backup` and `beian restore`: a consistent copy of the registry,
//! made while others file, and the registry put back from one.

use std::path::Path;

use super::{Say, open, registry_error};
use crate::error::Error;
use crate::registry::{Registry, RegistryConfig};
use crate::settings::Settings;

/// Copies the registry to `file` (SQLite's online backup).
pub fn backup(registry: &Registry, file: &Path, say: Say<'_>) -> Result<(), Error> {
    if file.is_dir() {
        return Err(Error::Usage(format!(
            "「{}」是一个文件夹；备份要写到一个文件，如 {}/beian-备份.db",
            file.display(),
            file.display()
        )));
    }
    if same_file(file, registry.path()) {
        return Err(Error::Usage("备份文件不能是登记簿本身".into()));
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "创建目录", e))?;
    }
    registry
        .backup_to(file)
        .map_err(|e| registry_error(file, e))?;
    let filings = registry
        .list(&Default::default())
        .map_err(|e| registry_error(registry.path(), e))?
        .len();
    say(&format!(
        "已备份登记簿 {} 到 {}（{filings} 个编号）；恢复：beian restore {}",
        registry.path().display(),
        file.display(),
        file.display()
    ));
    Ok(())
}

/// Puts the registry back from `file`: the backup is checked first (a beian
/// registry, undamaged); a sound registry with filings the backup lacks is
/// not replaced without `force`; the registry as it was is kept beside it
/// as `<name>.恢复前-<time>`; the backup's pages are copied in through SQLite
/// (its -wal and locks stay right), and numbers handed out before stay
/// handed out.
pub fn restore(settings: &Settings, file: &Path, force: bool, say: Say<'_>) -> Result<(), Error> {
    let target = settings.registry()?;
    if !file.is_file() {
        return Err(Error::Usage(format!(
            "找不到备份文件「{}」",
            file.display()
        )));
    }
    if same_file(file, target) {
        return Err(Error::Usage("备份文件就是登记簿本身，无需恢复".into()));
    }
    let config = RegistryConfig::load_beside(target).map_err(|e| registry_error(target, e))?;
    let source = Registry::open_read_only(file, config).map_err(|e| match e {
        crate::registry::RegistryError::Sqlite(_) => Error::Registry(format!(
            "「{}」不是 beian 登记簿的备份，或已损坏；没有做任何改动",
            file.display()
        )),
        e => registry_error(file, e),
    })?;
    let sound = source.quick_check().map_err(|e| registry_error(file, e))?;
    if !sound {
        return Err(Error::Registry(format!(
            "备份文件「{}」已损坏，不能用来恢复；没有做任何改动。请换一个备份",
            file.display()
        )));
    }
    let filings = source
        .list(&Default::default())
        .map_err(|e| registry_error(file, e))?
        .len();
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Never over an earlier one: each restore keeps its own.
    let kept = target.with_file_name(format!(
        "{name}.恢复前-{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S")
    ));
    let backed = source.serials().map_err(|e| registry_error(file, e))?;
    let backed_events = source
        .last_event_id()
        .map_err(|e| registry_error(file, e))?;
    match open(settings) {
        Ok(mut registry) => {
            let sound = registry.quick_check().unwrap_or(false);
            let mut numbers = registry.sequences().unwrap_or_default();
            // A number imported by hand counts too: past it, nothing is
            // handed out again either.
            for serial in registry.serials().unwrap_or_default() {
                if backed.contains(&serial) {
                    continue;
                }
                let Ok(Some(f)) = registry.latest(&serial) else {
                    continue;
                };
                if let Some((year, seq)) =
                    registry.config().format_for(f.form).parse_serial(&serial)
                {
                    let key_year = match registry.config().format_for(f.form).has_year() {
                        true => year.unwrap_or(f.year),
                        false => 0,
                    };
                    numbers.push((f.form, key_year, seq.saturating_add(1)));
                }
            }
            if sound && !force {
                // Filings made after the backup would lose their record,
                // and their numbers would be handed out again.
                let newer: Vec<String> = registry
                    .serials()
                    .map_err(|e| registry_error(target, e))?
                    .into_iter()
                    .filter(|s| !backed.contains(s))
                    .collect();
                if !newer.is_empty() {
                    let shown: Vec<&str> = newer.iter().take(10).map(String::as_str).collect();
                    return Err(Error::Usage(format!(
                        "登记簿完好，而且有 {} 个编号是备份之后备案的（{}{}），恢复会丢掉它们的登记；没有做任何改动。\
                         登记簿损坏时才需要恢复；确要恢复，请加 --force，之后用这些编号的备案记录重新登记：beian render --import 输出/编号.toml",
                        newer.len(),
                        shown.join("、"),
                        if newer.len() > 10 { "……" } else { "" }
                    )));
                }
                // Submissions and reviews made through the service since
                // the backup would be lost too: receipts units hold would
                // lead nowhere.
                let later = registry
                    .events_after(backed_events)
                    .map_err(|e| registry_error(target, e))?;
                if let Some(last) = later.last() {
                    return Err(Error::Usage(format!(
                        "登记簿完好，而且备份之后还有 {} 项网上申请的经办记录（提交、审核、退回等，最近一项在 {}，经办人 {}），恢复会丢掉它们，单位手中的回执将查不到；没有做任何改动。\
                         登记簿损坏时才需要恢复；确要恢复，请先停止 beian serve，再加 --force",
                        later.len(),
                        last.at.get(..16).unwrap_or(&last.at).replace('T', " "),
                        last.actor
                    )));
                }
            }
            registry
                .backup_to(&kept)
                .map_err(|e| registry_error(target, e))?;
            registry
                .restore_from(&source)
                .map_err(|e| registry_error(target, e))?;
            // Numbers handed out before the restore stay handed out.
            registry
                .raise_sequences(&numbers)
                .map_err(|e| registry_error(target, e))?;
        }
        // Too damaged to open: set aside as it is, the backup copied in.
        Err(_) => {
            for suffix in ["", "-wal", "-shm"] {
                let from = std::path::PathBuf::from(format!("{}{suffix}", target.display()));
                if from.exists() {
                    let to = std::path::PathBuf::from(format!("{}{suffix}", kept.display()));
                    std::fs::rename(&from, &to)
                        .map_err(|e| Error::io(&from, "移开损坏的登记簿", e))?;
                }
            }
            source
                .backup_to(target)
                .map_err(|e| registry_error(target, e))?;
        }
    }
    say(&format!(
        "已用 {} 恢复登记簿 {}（{filings} 个编号）；恢复前的登记簿另存为 {}",
        file.display(),
        target.display(),
        kept.display()
    ));
    Ok(())
}

/// Whether two paths name one file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
