//! The forms in use: the ones built into beian, an office's edited copies
//! (`--forms DIR`, `forms =` in `beian.toml`), or the exact specification a
//! filing was rendered with, read back from the registry.
//!
//! A process uses one set of forms ([`use_forms`], once, before any record is
//! read); every spec lives for the whole process, so layouts and messages can
//! borrow from it freely.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use super::{FormError, FormSpec};
use crate::error::Error;
use crate::record::FormKind;

/// The form files built into beian, in [`FormKind`] order.
const BUILT_IN: [(FormKind, &str); 2] = [
    (FormKind::Account, include_str!("../../forms/account.toml")),
    (FormKind::Group, include_str!("../../forms/group.toml")),
];

/// One spec per form.
#[derive(Clone, Copy, Debug)]
pub struct Forms {
    account: Held,
    group: Held,
}

/// A form of [`Forms`]: the built-in one, parsed when first asked for (a
/// process that files accounts only never parses the group form), or one
/// read from a file.
#[derive(Clone, Copy, Debug)]
enum Held {
    BuiltIn,
    Loaded(&'static FormSpec),
}

/// The built-in spec of `kind`, parsed once per process.
fn built_in_spec(kind: FormKind) -> &'static FormSpec {
    static ACCOUNT: OnceLock<&'static FormSpec> = OnceLock::new();
    static GROUP: OnceLock<&'static FormSpec> = OnceLock::new();
    let [(_, account), (_, group)] = BUILT_IN;
    let (built, text) = match kind {
        FormKind::Account => (&ACCOUNT, account),
        FormKind::Group => (&GROUP, group),
    };
    built.get_or_init(|| match FormSpec::parse(text) {
        Ok(spec) => leak(spec),
        // The files are part of the binary and checked by its tests.
        Err(e) => panic!("forms/{}.toml is invalid: {e}", kind.key()),
    })
}

impl Forms {
    /// The forms built into this beian.
    pub fn built_in() -> Forms {
        Forms {
            account: Held::BuiltIn,
            group: Held::BuiltIn,
        }
    }

    /// The forms in a folder: `account.toml` and `group.toml`, each as
    /// `beian forms export` wrote it and the office edited it. A form whose
    /// file is missing is the built-in one. Every mistake of every file is
    /// reported, with the file and line.
    pub fn load(dir: &Path) -> Result<Forms, Error> {
        if dir.is_file() {
            return Err(Error::Usage(format!(
                "「{}」是一个文件，不是表格文件夹（--forms 或 beian.toml 的 forms 应指向 beian forms export 导出的文件夹）",
                dir.display()
            )));
        }
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "表格文件夹「{}」不存在（--forms 或 beian.toml 的 forms）；可用 beian forms export {} 导出内置表格再修改",
                dir.display(),
                dir.display()
            )));
        }
        if FormKind::ALL
            .iter()
            .all(|k| !dir.join(file_name(*k)).exists())
        {
            return Err(Error::Usage(format!(
                "表格文件夹「{}」中没有 account.toml 或 group.toml；请用 beian forms export 导出后修改，或检查文件夹名",
                dir.display()
            )));
        }
        let mut forms = Forms::built_in();
        let mut problems = Vec::new();
        for kind in FormKind::ALL {
            let path = dir.join(file_name(kind));
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&path, "读取", e)),
            };
            let spec = FormSpec::parse(&text).and_then(|spec| match spec.kind == kind.key() {
                true => Ok(spec),
                false => Err(FormError::at(
                    &text,
                    "kind",
                    format!(
                        "kind = \"{}\"，但这个文件应是 {} 表格（kind = \"{}\"）",
                        spec.kind,
                        kind.key(),
                        kind.key()
                    ),
                )),
            });
            match spec {
                Ok(spec) => forms = forms.with(leak(spec)),
                Err(e) => problems.push(format!("表格文件「{}」{e}", path.display())),
            }
        }
        match problems.is_empty() {
            true => Ok(forms),
            false => Err(Error::Form(problems)),
        }
    }

    /// The spec of a form.
    pub fn get(&self, kind: FormKind) -> &'static FormSpec {
        let held = match kind {
            FormKind::Account => self.account,
            FormKind::Group => self.group,
        };
        match held {
            Held::BuiltIn => built_in_spec(kind),
            Held::Loaded(spec) => spec,
        }
    }

    /// These forms, with `spec` for its own form.
    pub fn with(self, spec: &'static FormSpec) -> Forms {
        match FormKind::from_key(&spec.kind) {
            Some(FormKind::Account) => Forms {
                account: Held::Loaded(spec),
                ..self
            },
            Some(FormKind::Group) => Forms {
                group: Held::Loaded(spec),
                ..self
            },
            None => self,
        }
    }
}

static CURRENT: OnceLock<Forms> = OnceLock::new();

/// Makes `forms` the forms of this process. Only the first call counts:
/// records already read were read with the forms then in use.
pub fn use_forms(forms: Forms) {
    let _ = CURRENT.set(forms);
}

/// The forms of this process: as set by [`use_forms`], else the built-in.
pub fn current() -> &'static Forms {
    CURRENT.get_or_init(Forms::built_in)
}

/// The spec stored with a filing, parsed once per process per distinct text.
pub fn stored(text: &str) -> Result<&'static FormSpec, FormError> {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static FormSpec>>> = OnceLock::new();
    let sha = crate::registry::sha256_hex(text);
    let cache = CACHE.get_or_init(Default::default);
    if let Some(spec) = cache.lock().ok().and_then(|c| c.get(&sha).copied()) {
        return Ok(spec);
    }
    let spec = leak(FormSpec::parse(text)?);
    if let Ok(mut c) = cache.lock() {
        c.insert(sha, spec);
    }
    Ok(spec)
}

/// Writes the built-in forms into `dir` to start an edited copy from.
/// Refuses to overwrite: an office's edits are not replaced by accident.
pub fn export(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let paths: Vec<PathBuf> = FormKind::ALL
        .iter()
        .map(|k| dir.join(file_name(*k)))
        .collect();
    if let Some(existing) = paths.iter().find(|p| p.exists()) {
        return Err(Error::Usage(format!(
            "「{}」已存在，没有覆盖；请换一个文件夹，或先移走原来的文件",
            existing.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "创建目录", e))?;
    for ((_, text), path) in BUILT_IN.iter().zip(&paths) {
        crate::io::write_atomic(path, text.as_bytes())?;
    }
    Ok(paths)
}

/// The file of a form in a forms folder.
fn file_name(kind: FormKind) -> String {
    format!("{}.toml", kind.key())
}

/// A spec for the rest of the process (a handful per process: the forms in
/// use and the few older ones filings were made with).
fn leak(spec: FormSpec) -> &'static FormSpec {
    Box::leak(Box::new(spec))
}
