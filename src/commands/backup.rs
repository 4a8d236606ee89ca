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
/// registry, undamaged), the registry as it was is kept beside it as
/// `<name>.恢复前`, then the backup's pages are copied in through SQLite, so
/// that its -wal and locks stay right.
pub fn restore(settings: &Settings, file: &Path, say: Say<'_>) -> Result<(), Error> {
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
    let mut registry = open(settings)?;
    let kept = target.with_file_name(format!(
        "{}.恢复前",
        target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    registry
        .backup_to(&kept)
        .map_err(|e| registry_error(target, e))?;
    registry
        .restore_from(&source)
        .map_err(|e| registry_error(target, e))?;
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
