//! `beian show`: every version of a filing, its files, who handled it (when
//! it came through the filing service) and its record.

use super::regen::not_found;
use super::{Say, form_name, registry_error};
use crate::error::Error;
use crate::registry::{Event, Registry};

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
    // Filings made from the command line have no events: their output
    // stays as it always was.
    let events = registry
        .events_of_serial(serial)
        .map_err(|e| registry_error(registry.path(), e))?;
    if !events.is_empty() {
        say("");
        say("经办记录");
        for e in &events {
            say(&event_line(e));
        }
    }
    say("");
    say(&format!("最新记录（第 {} 版）：", latest.version));
    say(latest.canonical.trim_end());
    Ok(())
}

/// One step of a filing's history: `  2026-11-28 21:30  张老师  批准备案 XMT-2026-0007`.
fn event_line(e: &Event) -> String {
    // Minutes are enough to read; the registry keeps the seconds and offset.
    let at = chrono::DateTime::parse_from_rfc3339(&e.at)
        .map_or_else(|_| e.at.clone(), |t| t.format("%Y-%m-%d %H:%M").to_string());
    let action = e.action_label();
    let what = match (e.action.as_str(), e.detail.as_str()) {
        (_, "") => action.to_owned(),
        // The detail of an approval is the serial itself.
        ("approved", serial) => format!("{action} {serial}"),
        // How it came (网页, 名册 第3行).
        ("submitted", origin) => format!("{action}（{origin}）"),
        // The fields corrected, or the reason for the return.
        (_, detail) => format!("{action}：{detail}"),
    };
    format!("  {at}  {}  {what}", e.actor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FormKind;
    use crate::registry::{FilingRequest, NewSubmission, Output, sha256_hex};
    use chrono::{FixedOffset, TimeZone};

    #[test]
    fn a_filing_from_the_service_shows_who_handled_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = Registry::open(dir.path().join("registry.sqlite")).expect("open");
        let at = |day, hour, min| {
            FixedOffset::east_opt(8 * 3600)
                .and_then(|tz| tz.with_ymd_and_hms(2026, 11, day, hour, min, 5).single())
                .expect("valid date")
        };
        let record = "[account]\nname = \"学院公众号\"\n";
        let ids = reg
            .submit(
                &sha256_hex("K7Q2-9PXM"),
                &[NewSubmission {
                    form: FormKind::Account,
                    unit: "信息学院",
                    name: "学院公众号",
                    record,
                    origin: "网页",
                }],
                at(28, 21, 30),
            )
            .expect("submit");
        let id = ids.first().copied().expect("one id");
        reg.return_submission(id, "缺少负责人电话", "张老师", at(29, 8, 5))
            .expect("return");
        reg.resubmit(id, record, "信息学院", "学院公众号", "", None, at(29, 9, 0))
            .expect("resubmit");
        reg.correct_submission(
            id,
            record,
            "信息学院",
            "学院公众号",
            "张老师",
            "单位",
            None,
            at(29, 9, 1),
        )
        .expect("correct");
        let req = FilingRequest {
            form: FormKind::Account,
            serial: None,
            import: false,
            uuid: None,
            unit: "信息学院",
            name: "学院公众号",
            content: record,
            now: at(29, 10, 15),
            filed_at: None,
            version: None,
            subjects: &[],
            allow_duplicate: false,
            beian_version: "0.1.0",
            output_revision: 1,
            form_spec: "# the account form",
        };
        reg.approve_submission(id, "张老师", &req, |f| {
            Ok::<_, std::convert::Infallible>(vec![Output {
                kind: "pdf".into(),
                copies: 1,
                file_name: format!("{}.pdf", f.serial),
                bytes: b"%PDF".to_vec(),
                text_sha256: sha256_hex(&f.serial),
            }])
        })
        .expect("approve");

        let mut lines = Vec::new();
        show(&reg, "XMT-2026-0001", &mut |l: &str| {
            lines.push(l.to_owned())
        })
        .expect("show");
        let start = lines
            .iter()
            .position(|l| l == "经办记录")
            .expect("a history");
        assert_eq!(
            lines.get(start..start + 7).expect("its lines"),
            [
                "经办记录",
                "  2026-11-28 21:30  单位  提交（网页）",
                "  2026-11-29 08:05  张老师  退回：缺少负责人电话",
                "  2026-11-29 09:00  单位  重新提交",
                "  2026-11-29 09:01  张老师  更正：单位",
                "  2026-11-29 10:15  张老师  批准备案 XMT-2026-0001",
                "",
            ]
        );
        assert_eq!(
            lines.get(start + 7).map(String::as_str),
            Some("最新记录（第 1 版）：")
        );
    }
}
