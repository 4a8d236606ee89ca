//! `beian.toml`: the office's settings beside the registry.

use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::RegistryError;
use super::serial::{DEFAULT_ACCOUNT_TEMPLATE, DEFAULT_GROUP_TEMPLATE, Part, SerialFormat};
use crate::record::FormKind;

/// Name of the optional configuration file looked up next to the registry.
pub const CONFIG_FILE_NAME: &str = "beian.toml";

/// Settings from the optional `beian.toml` beside the registry file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// `[serial] account`, default [`DEFAULT_ACCOUNT_TEMPLATE`].
    pub account: SerialFormat,
    /// `[serial] group`, default [`DEFAULT_GROUP_TEMPLATE`].
    pub group: SerialFormat,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    serial: SerialSection,
    /// Where the registry is and which forms to use: read by
    /// [`crate::settings`], allowed here.
    #[serde(default, rename = "registry")]
    _registry: Option<toml::Value>,
    #[serde(default, rename = "forms")]
    _forms: Option<toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SerialSection {
    account: Option<String>,
    group: Option<String>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        // The defaults are constants known to parse; fall back to a
        // hand-built format rather than panicking if that ever changes.
        let fallback = |prefix: &str| SerialFormat {
            template: format!("{prefix}-{{year}}-{{seq:04}}"),
            parts: vec![
                Part::Literal(format!("{prefix}-")),
                Part::Year,
                Part::Literal("-".into()),
                Part::Seq { width: 4 },
            ],
        };
        Self {
            account: SerialFormat::parse(DEFAULT_ACCOUNT_TEMPLATE)
                .unwrap_or_else(|_| fallback("XMT")),
            group: SerialFormat::parse(DEFAULT_GROUP_TEMPLATE).unwrap_or_else(|_| fallback("QUN")),
        }
    }
}

impl RegistryConfig {
    /// Parses the text of a `beian.toml`.
    pub fn from_toml(text: &str) -> Result<Self, RegistryError> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| RegistryError::Config(e.to_string()))?;
        let defaults = Self::default();
        Ok(Self {
            account: match file.serial.account {
                Some(t) => SerialFormat::parse(&t)?,
                None => defaults.account,
            },
            group: match file.serial.group {
                Some(t) => SerialFormat::parse(&t)?,
                None => defaults.group,
            },
        })
    }

    /// Loads `beian.toml` from the directory of `registry_path`; a missing
    /// file means the defaults.
    pub fn load_beside(registry_path: &Path) -> Result<Self, RegistryError> {
        let path = Self::path_beside(registry_path);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_toml(&text).map_err(|e| match e {
                RegistryError::Config(m) => {
                    RegistryError::Config(format!("{}: {m}", path.display()))
                }
                other => other,
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(RegistryError::Io(e)),
        }
    }

    /// Where [`load_beside`](Self::load_beside) looks.
    pub fn path_beside(registry_path: &Path) -> PathBuf {
        registry_path
            .parent()
            .unwrap_or_else(|| Path::new(""))
            .join(CONFIG_FILE_NAME)
    }

    /// The serial format of `form`.
    pub fn format_for(&self, form: FormKind) -> &SerialFormat {
        match form {
            FormKind::Account => &self.account,
            FormKind::Group => &self.group,
        }
    }
}
