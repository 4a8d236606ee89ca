//! Values as people write them: full-width digits, dates (a day or a
//! month), yes and no, mobile and office phones, e-mail addresses, the
//! nearest known key to a misspelt one, and the characters that would not
//! print as they are.

use chrono::NaiveDate;

use crate::form::fold;
use crate::record::Opened;

/// What kind of character would print as something other than it is —
/// nothing, a changed neighbour, reversed text — if `ch` is one.
pub(super) fn unprintable(ch: char) -> Option<&'static str> {
    Some(match u32::from(ch) {
        0x202A..=0x202E | 0x2066..=0x2069 => "双向文字控制符",
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F => {
            "组合附加符号（请改用完整的字符，如 é、ü）"
        }
        0x00AD
        | 0x061C
        | 0x115F
        | 0x1160
        | 0x17B4
        | 0x17B5
        | 0x180B..=0x180F
        | 0x200B..=0x200F
        | 0x2028
        | 0x2029
        | 0x2060..=0x2064
        | 0x206A..=0x206F
        | 0x3164
        | 0xFE00..=0xFE0F
        | 0xFEFF
        | 0xFFA0
        | 0xFFF9..=0xFFFB
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF => "不可见的格式字符",
        _ if ch.is_control() => "控制字符（如换行、制表符）",
        _ => return None,
    })
}

/// Full-width digits, letters and signs, as Chinese input methods type
/// them, to ASCII; long dashes to `-`.
pub(super) fn normalize_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '—' | '–' => '-',
            '　' => ' ',
            c => c,
        })
        .collect()
}

/// No Chinese new-media platform existed before 1994.
pub(super) const FIRST_PLATFORM: NaiveDate = NaiveDate::from_ymd_opt(1994, 1, 1).unwrap();

/// 开通时间 as people write it: 2019-09-01, 2019-9-1, 2019/9/1, 2019.9.1,
/// 2019年9月1日 (or 号), in full-width digits too; or only the month:
/// 2019-09, 2019.9, 2019年9月.
pub(super) fn parse_opened(s: &str) -> Option<Opened> {
    let s: String = normalize_digits(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let s = s.strip_suffix(['日', '号']).unwrap_or(&s);
    let s = s.strip_suffix('月').unwrap_or(s);
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月']).collect();
    let number = |p: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    let year = i32::try_from(number(parts.first()?, 4..=4)?).ok()?;
    let month = number(parts.get(1)?, 1..=2)?;
    match parts.get(2) {
        None => Opened::month(year, month),
        Some(day) if parts.len() == 3 => {
            NaiveDate::from_ymd_opt(year, month, number(day, 1..=2)?).map(Opened::Day)
        }
        Some(_) => None,
    }
}

/// yes/no as people write it, for every true/false field.
pub(super) fn yes_no(s: &str) -> Option<bool> {
    match fold(s).as_str() {
        "true" | "yes" | "y" | "1" | "是" | "有" | "√" | "✓" | "✔" | "已认证" | "已审核" => {
            Some(true)
        }
        "false" | "no" | "n" | "0" | "否" | "无" | "没有" | "×" | "✗" | "✘" | "未认证"
        | "未审核" => Some(false),
        _ => None,
    }
}

/// A mobile number as 11 digits: without the country code (+86, (+86),
/// 0086, 86-) and the spaces, dashes and brackets people group it with.
pub(super) fn mobile(m: &str) -> Option<String> {
    let digits: String = normalize_digits(m)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '（' | '）' | '.'))
        .collect();
    let digits = ["+86", "0086"]
        .iter()
        .find_map(|p| digits.strip_prefix(p))
        .or_else(|| digits.strip_prefix("86").filter(|_| digits.len() == 13))
        .unwrap_or(&digits);
    let ok =
        digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit());
    ok.then(|| digits.to_owned())
}

/// An office phone as printed: one or two numbers (a second after / or 、,
/// printed 0553-5971011/5971012), each with an optional extension after
/// 转, 分机 or ext. (printed 转8023), or after a third dash group
/// (0553-5971011-8023). 无, 没有, - mean no office phone.
pub(super) fn office_phone(p: &str) -> Result<Option<String>, ()> {
    let norm: String = normalize_digits(p)
        .chars()
        .map(|c| match c {
            '、' => '/',
            c => c,
        })
        .collect();
    let norm = norm.trim();
    if matches!(norm, "无" | "没有" | "暂无" | "-" | "/" | "无办公电话") {
        return Ok(None);
    }
    let mut numbers = Vec::new();
    for part in norm.split('/') {
        let part = part.trim();
        let lower = part.to_ascii_lowercase();
        let (number, ext) = match ["转", "分机", "ext.", "ext", "x"]
            .iter()
            .find_map(|sep| lower.find(sep).map(|i| (i, sep.len())))
        {
            Some((i, len)) => (part[..i].trim(), Some(part[i + len..].trim())),
            None => match part.split('-').collect::<Vec<_>>()[..] {
                [area, local, ext] if area.starts_with('0') && (7..=8).contains(&local.len()) => {
                    (&part[..area.len() + 1 + local.len()], Some(ext))
                }
                _ => (part, None),
            },
        };
        let digits = number.chars().filter(char::is_ascii_digit).count();
        let ok_number = (5..=20).contains(&digits)
            && number
                .chars()
                .all(|c| c.is_ascii_digit() || " -()+#".contains(c));
        let ok_ext =
            ext.is_none_or(|e| (1..=6).contains(&e.len()) && e.chars().all(|c| c.is_ascii_digit()));
        if !ok_number || !ok_ext {
            return Err(());
        }
        numbers.push(match ext {
            Some(e) => format!("{number}转{e}"),
            None => number.to_owned(),
        });
    }
    if numbers.len() > 2 {
        return Err(());
    }
    Ok(Some(numbers.join("/")))
}

pub(super) fn is_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    !local.is_empty()
        && local
            .chars()
            .all(|c| ok_char(c) || "!#$&'*/=?^`{|}~".contains(c))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// The known key closest to a misspelt one, if it is close.
pub(super) fn nearest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let key = key.to_lowercase();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}
