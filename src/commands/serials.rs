//! Before a batch is filed: the serial each record files under, checked
//! against the registry and the rest of the batch (unknown or other-form
//! serials, a serial or uuid twice, an account already filed), so that a
//! batch is refused whole or filed whole.

use std::collections::HashMap;

use super::{form_name, registry_error, serial_violation};
use crate::error::{Error, Violation};
use crate::form::FormSpec;
use crate::pipeline::Prepared;
use crate::record::Record;
use crate::registry::Registry;

/// The serial each record files under (its own, or that of the filing its
/// uuid names), after checking every record against the registry, so that
/// a batch is either refused whole or filed whole (barring I/O failures).
pub(super) fn check_serials(
    registry: &Registry,
    prepared: &[Prepared],
    import: bool,
    allow_duplicate: bool,
) -> Result<Vec<Result<Option<String>, Error>>, Error> {
    // The accounts and groups already filed, by every key that names them:
    // read only when the batch has a new record to check.
    let new_records = prepared
        .iter()
        .any(|p| p.stamp.serial.is_none() && p.stamp.uuid.is_none());
    let filed = match new_records && !allow_duplicate {
        true => filed_subjects(registry)?,
        false => HashMap::new(),
    };
    let mut out = Vec::new();
    let mut serials: Vec<Option<String>> = Vec::new();
    for p in prepared {
        let mut problems = Vec::new();
        let reject = |message: String| Error::Rejected {
            source: p.origin.name(),
            violations: vec![serial_violation(message)],
        };
        // A record that carries the uuid of a filing is that filing — if it
        // names the same account or group: a filed record copied as a
        // template keeps its uuid, and would otherwise replace the other
        // account's filing.
        let mut serial = p.stamp.serial.clone();
        if serial.is_none()
            && let Some(uuid) = &p.stamp.uuid
        {
            serial = registry
                .serial_of_uuid(uuid)
                .map_err(|e| registry_error(registry.path(), e))?;
            if let Some(s) = &serial
                && let Some(f) = registry
                    .latest(s)
                    .map_err(|e| registry_error(registry.path(), e))?
                && !same_subject(&f, &p.record)
            {
                out.push(Err(Error::Rejected {
                    source: p.origin.name(),
                    violations: vec![Violation {
                        path: "uuid".into(),
                        label: FormSpec::get(p.record.form).label("uuid").to_owned(),
                        message: format!(
                            "「{uuid}」是 {s}（{}）的记录标识，这份记录却是「{}」：复制备案记录作新记录的模板时，请删去 serial、uuid、filed_at、version 各行；若是给 {s} 改名，请写上 serial = \"{s}\"",
                            f.name,
                            p.record.subject_name()
                        ),
                    }],
                }));
                serials.push(None);
                continue;
            }
        }
        if let Some(s) = &serial {
            let known = registry
                .latest(s)
                .map_err(|e| registry_error(registry.path(), e))?;
            let reserved = match known {
                Some(_) => None,
                None => registry
                    .reservation(s)
                    .map_err(|e| registry_error(registry.path(), e))?,
            };
            match (known, reserved) {
                // Printed on a blank form by `blank --assign`.
                (None, Some(r)) if r.form != p.record.form => problems.push(reject(format!(
                    "「{s}」是预留给{}空白表的编号，不能用于{}",
                    form_name(r.form),
                    form_name(p.record.form)
                ))),
                (None, Some(_)) => {}
                // An imported serial in the other form's numbering
                // (XMT-… on a group) would file the group as an account's
                // number.
                (None, None)
                    if registry
                        .config()
                        .format_for(p.record.form.other())
                        .parse_serial(s)
                        .is_some()
                        && registry
                            .config()
                            .format_for(p.record.form)
                            .parse_serial(s)
                            .is_none() =>
                {
                    problems.push(reject(format!(
                        "「{s}」是{}的编号格式，不能用于{}",
                        form_name(p.record.form.other()),
                        form_name(p.record.form)
                    )))
                }
                (None, None) if !import => problems.push(reject(format!(
                    "「{s}」不在登记簿（{}）中；beian 之前手工编号的表格请加 --import 登记",
                    registry.path().display()
                ))),
                (Some(f), _) if f.form != p.record.form => problems.push(reject(format!(
                    "「{s}」是{}的编号，不能用于{}",
                    form_name(f.form),
                    form_name(p.record.form)
                ))),
                _ => {}
            }
            if let Some(i) = serials
                .iter()
                .position(|o| o.as_deref() == Some(s.as_str()))
            {
                problems.push(reject(format!(
                    "「{s}」在这一批中出现了两次（另一份是 {}）；一个编号只对应一个帐号或群",
                    prepared.get(i).map(|o| o.origin.name()).unwrap_or_default()
                )));
            }
        }
        // A new record's uuid, given twice, would file two serials under
        // one uuid.
        if serial.is_none()
            && let Some(uuid) = &p.stamp.uuid
            && let Some(other) = prepared.iter().take(out.len()).position(|o| {
                o.stamp.serial.is_none()
                    && o.stamp
                        .uuid
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(uuid))
            })
        {
            problems.push(reject(format!(
                "uuid「{uuid}」在这一批中出现了两次（另一份是 {}）；每份记录的 uuid 各不相同，新记录可以不写 uuid",
                prepared.get(other).map(|o| o.origin.name()).unwrap_or_default()
            )));
        }
        // A new record naming an account already filed under another serial
        // would be a second serial for one account.
        if serial.is_none() && p.stamp.uuid.is_none() && !filed.is_empty() {
            let content = p.record.to_toml();
            let same = registry
                .serial_of_content(p.record.form, &content)
                .map_err(|e| registry_error(registry.path(), e))?;
            let hit = p
                .record
                .subject_keys()
                .into_iter()
                .find_map(|k| filed.get(&k.key).map(|f| (k, f)));
            if let (None, Some((key, (other, name)))) = (same, hit) {
                let what = p.record.subject_word();
                problems.push(Error::Rejected {
                    source: p.origin.name(),
                    violations: vec![Violation {
                        path: key.path.to_owned(),
                        label: FormSpec::get(p.record.form).label(key.path).to_owned(),
                        message: format!(
                            "这个{what}（{}）已备案为 {other}（{name}）；要更正它，请在记录里写上 serial = \"{other}\"；确是另一个{what}，请加 --allow-duplicate",
                            key.said
                        ),
                    }],
                });
            }
        }
        serials.push(serial.clone());
        out.push(match problems.len() {
            0 => Ok(serial),
            _ => Err(problems.remove(0)),
        });
    }
    Ok(out)
}

/// Whether a filing and a record name the same account or group: a key in
/// common (账号id or 群号, or platform/type and name). A filing whose record
/// no longer reads is compared by name.
fn same_subject(filing: &crate::registry::FilingRecord, record: &Record) -> bool {
    match super::regen::stored_record(filing, crate::form::current()) {
        Ok((stored, _)) => {
            let keys = stored.subject_keys();
            record
                .subject_keys()
                .iter()
                .any(|k| keys.iter().any(|s| s.key == k.key))
        }
        Err(_) => filing.name == record.subject_name(),
    }
}

/// Every key naming an account or group already filed (latest versions),
/// with its serial and name. A filing whose record no longer reads under
/// the forms in use is left out (it cannot be compared).
fn filed_subjects(registry: &Registry) -> Result<HashMap<String, (String, String)>, Error> {
    let filings = registry
        .list(&crate::registry::ListFilter::default())
        .map_err(|e| registry_error(registry.path(), e))?;
    let mut keys = HashMap::new();
    for f in filings {
        let Ok((record, _)) = super::regen::stored_record(&f, crate::form::current()) else {
            continue;
        };
        for key in record.subject_keys() {
            keys.entry(key.key)
                .or_insert_with(|| (f.serial.clone(), f.name.clone()));
        }
    }
    Ok(keys)
}
