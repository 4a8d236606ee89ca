//! Where the office's registry and forms are: the command line, the
//! environment, `beian.toml`, the user's data directory — in that order.
//!
//! One office has one registry. It must not depend on the folder beian is
//! run from (run elsewhere, a registry created in the current folder would
//! hand out XMT-2026-0001 a second time), so by default it lives in the
//! user's data directory: `~/.local/share/beian/beian.db` on Linux,
//! `%APPDATA%\beian\data\beian.db` on Windows.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// The file name of the settings file.
pub const SETTINGS_FILE: &str = "beian.toml";

/// The registry's file name in the data directory.
const REGISTRY_FILE: &str = "beian.db";

/// Where things are, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `None` where there is no data directory and nothing names a registry.
    pub registry: Option<PathBuf>,
    /// How the registry was found, for the user: 「--registry」, 「beian.toml」 …
    pub registry_from: Origin,
    /// A folder of edited forms (`forms/*.toml`), if the office uses one.
    pub forms: Option<PathBuf>,
    /// The `beian.toml` found, if any: its `[serial]` numbers the registry
    /// it names (else the one beside the registry does).
    pub file: Option<PathBuf>,
}

/// Where a setting came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Environment,
    SettingsFile,
    DataDirectory,
}

/// The keys of `beian.toml` this module reads; `[serial]` is the registry's
/// ([`crate::registry::RegistryConfig`]).
#[derive(Deserialize, Default)]
struct SettingsFile {
    registry: Option<PathBuf>,
    forms: Option<PathBuf>,
}

/// What the command line says, before resolution.
#[derive(Clone, Debug, Default)]
pub struct Asked {
    pub registry: Option<PathBuf>,
    pub forms: Option<PathBuf>,
}

impl Settings {
    /// Resolves the settings: `--registry`, else `BEIAN_REGISTRY`, else
    /// `registry =` in the first `beian.toml` found (in the current folder,
    /// then in the data directory; relative paths are relative to that
    /// file), else `beian.db` in the data directory. `--forms`, else
    /// `forms =` in that `beian.toml`, else the forms built into beian.
    pub fn resolve(asked: Asked) -> Result<Settings, Error> {
        let data = data_dir();
        let file = settings_file(data.as_deref())?;
        let beside = |p: &Path, file_path: &Path| match file_path.parent() {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_owned(),
        };
        let (registry, registry_from) = match (
            asked.registry,
            std::env::var_os("BEIAN_REGISTRY").filter(|v| !v.is_empty()),
            file.as_ref()
                .and_then(|(path, f)| f.registry.as_ref().map(|r| beside(r, path))),
        ) {
            (Some(flag), _, _) => (Some(flag), Origin::Flag),
            (None, Some(env), _) => (Some(PathBuf::from(env)), Origin::Environment),
            (None, None, Some(from_file)) => (Some(from_file), Origin::SettingsFile),
            (None, None, None) => (
                data.as_ref().map(|dir| dir.join(REGISTRY_FILE)),
                Origin::DataDirectory,
            ),
        };
        let forms = asked.forms.or_else(|| {
            file.as_ref()
                .and_then(|(path, f)| f.forms.as_ref().map(|d| beside(d, path)))
        });
        Ok(Settings {
            registry,
            registry_from,
            forms,
            file: file.map(|(path, _)| path),
        })
    }

    /// The registry's path, or why there is none.
    pub fn registry(&self) -> Result<&Path, Error> {
        self.registry.as_deref().ok_or_else(|| {
            Error::Usage(
                "找不到用户数据目录（没有设置 HOME）；请用 --registry 或环境变量 BEIAN_REGISTRY 指定登记簿文件"
                    .into(),
            )
        })
    }

    /// The line a filing command says first: which registry it files into.
    pub fn registry_line(&self) -> String {
        let from = match self.registry_from {
            Origin::Flag => "--registry 指定",
            Origin::Environment => "环境变量 BEIAN_REGISTRY 指定",
            Origin::SettingsFile => "beian.toml 指定",
            Origin::DataDirectory => "默认位置",
        };
        let path = self.registry.as_deref().unwrap_or(Path::new("?"));
        format!(
            "登记簿：{}（{from}）{}",
            path.display(),
            readable_by_others(path).unwrap_or_default()
        )
    }
}

/// A warning if the registry at `path` can be read by other users: it
/// holds every filing's names, phones and e-mails (beian creates it 0600;
/// a copy or an old registry may not be).
#[cfg(unix)]
fn readable_by_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "\n注意：登记簿其他用户也能读取（权限 {mode:o}），其中有各单位的姓名、手机和邮箱；请改为只有自己可读：chmod 600 {}",
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> Option<String> {
    None
}

/// The user's data directory for beian, if the platform has one.
pub fn data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "beian").map(|d| d.data_dir().to_owned())
}

/// The first `beian.toml` found: in the current folder, then in the data
/// directory. A file that cannot be read or parsed is an error, not ignored:
/// an office that wrote one means it.
fn settings_file(data: Option<&Path>) -> Result<Option<(PathBuf, SettingsFile)>, Error> {
    let candidates = [
        Some(PathBuf::from(SETTINGS_FILE)),
        data.map(|d| d.join(SETTINGS_FILE)),
    ];
    for path in candidates.into_iter().flatten() {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&path, "读取", e)),
        };
        // Unknown keys are the registry's ([serial]) or a later beian's.
        let file: SettingsFile = toml::from_str(&text).map_err(|e| {
            Error::Usage(format!(
                "设置文件「{}」有误：{}",
                path.display(),
                e.message()
            ))
        })?;
        return Ok(Some((path, file)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_wins_and_the_data_directory_is_the_default() {
        let flagged = Settings::resolve(Asked {
            registry: Some("x.db".into()),
            forms: None,
        })
        .expect("resolves");
        assert_eq!(flagged.registry, Some(PathBuf::from("x.db")));
        assert_eq!(flagged.registry_from, Origin::Flag);
        assert!(flagged.registry_line().contains("--registry"));
    }
}
