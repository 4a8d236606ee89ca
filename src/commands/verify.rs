//! `beian verify`: is a file exactly a registered output, and which one?

use std::path::PathBuf;

use super::{Say, registry_error};
use crate::error::Error;
use crate::registry::{self, Registry};
use crate::render::Format;

/// Says of each file whether it is a registered output. `Err` if any is not.
pub fn verify(registry: &Registry, files: &[PathBuf], say: Say<'_>) -> Result<(), Error> {
    let mut bad = Vec::new();
    // Checked once, before any "not on record": a damaged index would make
    // a genuine original look unknown.
    let mut sound: Option<bool> = None;
    let mut check_sound = || -> Result<(), Error> {
        let ok = match sound {
            Some(ok) => ok,
            None => {
                let ok = registry
                    .quick_check()
                    .map_err(|e| registry_error(registry.path(), e))?;
                sound = Some(ok);
                ok
            }
        };
        match ok {
            true => Ok(()),
            false => Err(Error::Registry(format!(
                "登记簿「{}」已损坏，无法判断文件是否为原件（没有下结论）；请用备份恢复：beian restore 备份文件 --registry {}",
                registry.path().display(),
                registry.path().display()
            ))),
        }
    };
    for file in files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                bad.push(Error::io(file, "读取", e).to_string());
                continue;
            }
        };
        let sha = registry::sha256_hex(&bytes);
        let found = registry
            .find_output_by_sha256(&sha)
            .map_err(|e| registry_error(registry.path(), e))?;
        match found.first() {
            Some(m) => {
                let superseded = if m.latest_version > m.version {
                    format!("；注意：该编号已有更正后的第 {} 版", m.latest_version)
                } else {
                    String::new()
                };
                say(&format!(
                    "{}：是登记的原件 —— 编号 {} 第 {} 版，{}，{} 份{superseded}",
                    file.display(),
                    m.serial,
                    m.version,
                    Format::from_kind(&m.kind).map_or(m.kind.as_str(), |f| f.label()),
                    m.copies
                ));
            }
            None if check_sound().is_err() => return check_sound(),
            None if crate::render::print_job::is_print_job(&bytes) => bad.push(format!(
                "{}：这是合成的打印文件（beian render --combine），不是单份原件 —— 打印文件不登记；请核验各份的 PDF（如 XMT-2026-0001.pdf），或用 beian regen 编号 重新生成后核对",
                file.display()
            )),
            None => bad.push(format!(
                "{}：不是登记的原件 —— 登记簿中没有这个文件（SHA-256 {sha}）；它可能被修改过，或不是由本登记簿备案生成",
                file.display()
            )),
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Error::Negative(bad.join("\n")))
    }
}
