//! Serial numbers (编号): templates such as `XMT-{year}-{seq:04}`, and which
//! serials are safe to use as file names.

use std::fmt;

use super::RegistryError;

/// Default serial template for the new-media account form.
pub const DEFAULT_ACCOUNT_TEMPLATE: &str = "XMT-{year}-{seq:04}";

/// Default serial template for the QQ/Weibo group form.
pub const DEFAULT_GROUP_TEMPLATE: &str = "QUN-{year}-{seq:04}";

/// Longest serial accepted on import; serials become file names.
const MAX_SERIAL_CHARS: usize = 64;

/// Widest `{seq:0N}` padding accepted; wider is surely a typo.
const MAX_SEQ_WIDTH: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    Literal(String),
    Year,
    /// `width` 0 means no padding (`{seq}`).
    Seq {
        width: usize,
    },
}

/// A serial template such as `XMT-{year}-{seq:04}`.
///
/// `{year}` is the 4-digit filing year, `{seq}` / `{seq:0N}` the sequence
/// number (zero-padded to N digits, wider if it outgrows them). Literal text
/// is restricted to `[A-Za-z0-9_.-]` and CJK ideographs because serials are
/// used as file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialFormat {
    pub(super) template: String,
    pub(super) parts: Vec<Part>,
}

impl SerialFormat {
    /// Parses a template; [`RegistryError::BadTemplate`] says what is wrong.
    pub fn parse(template: &str) -> Result<Self, RegistryError> {
        let bad = |why: &str| RegistryError::BadTemplate(format!("{template:?}: {why}"));
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = template;
        while let Some(c) = rest.chars().next() {
            match c {
                '{' => {
                    let end = rest.find('}').ok_or_else(|| bad("unclosed `{`"))?;
                    let name = &rest[1..end];
                    let part = match name {
                        "year" => Part::Year,
                        "seq" => Part::Seq { width: 0 },
                        _ => match name.strip_prefix("seq:0") {
                            Some(w) if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) => {
                                match w.parse::<usize>() {
                                    Ok(width) if (1..=MAX_SEQ_WIDTH).contains(&width) => {
                                        Part::Seq { width }
                                    }
                                    _ => return Err(bad("sequence width must be 1 to 12")),
                                }
                            }
                            _ => {
                                return Err(bad(&format!("unknown placeholder {{{name}}}")));
                            }
                        },
                    };
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(part);
                    rest = &rest[end + 1..];
                }
                '}' => return Err(bad("unmatched `}`")),
                c if is_serial_char(c) => {
                    literal.push(c);
                    rest = &rest[c.len_utf8()..];
                }
                c => return Err(bad(&format!("character {c:?} is not allowed"))),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        let seqs = parts
            .iter()
            .filter(|p| matches!(p, Part::Seq { .. }))
            .count();
        let years = parts.iter().filter(|p| matches!(p, Part::Year)).count();
        if seqs != 1 {
            return Err(bad("needs exactly one {seq}"));
        }
        if years > 1 {
            return Err(bad("{year} may appear only once"));
        }
        let format = Self {
            template: template.to_owned(),
            parts,
        };
        // Catch leading `-`/`.`, trailing `.` and device names via a sample.
        validate_serial(&format.format(2026, 1)).map_err(|_| bad("makes unusable file names"))?;
        Ok(format)
    }

    /// The template text this format was parsed from.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Whether the template contains `{year}`. Without it the sequence never
    /// restarts (it would repeat serials).
    pub fn has_year(&self) -> bool {
        self.parts.contains(&Part::Year)
    }

    /// The serial for `seq` in `year`.
    pub fn format(&self, year: i32, seq: u32) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Year => out.push_str(&format!("{year:04}")),
                Part::Seq { width } => out.push_str(&format!("{seq:0width$}")),
            }
        }
        out
    }

    /// Inverse of [`format`](Self::format): `(year, seq)` if `serial` is
    /// exactly what this format produces for them (year is `None` when the
    /// template has no `{year}`).
    pub fn parse_serial(&self, serial: &str) -> Option<(Option<i32>, u32)> {
        self.match_parts(&self.parts, serial, serial, None, None)
    }

    /// Backtracking match (placeholders may be adjacent, literals may hold
    /// digits); a candidate counts only if formatting it gives `whole` back,
    /// which rejects wrong padding such as `XMT-2026-1` for `{seq:04}`.
    fn match_parts(
        &self,
        parts: &[Part],
        rest: &str,
        whole: &str,
        year: Option<i32>,
        seq: Option<u32>,
    ) -> Option<(Option<i32>, u32)> {
        let Some((part, parts)) = parts.split_first() else {
            let seq = seq.filter(|&n| n >= 1)?;
            let round_trips = rest.is_empty() && self.format(year.unwrap_or(0), seq) == whole;
            return round_trips.then_some((year, seq));
        };
        match part {
            Part::Literal(l) => {
                self.match_parts(parts, rest.strip_prefix(l.as_str())?, whole, year, seq)
            }
            Part::Year => {
                let digits = rest
                    .get(..4)
                    .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
                let y = digits.parse().ok()?;
                self.match_parts(parts, &rest[4..], whole, Some(y), seq)
            }
            Part::Seq { .. } => {
                let n = rest.bytes().take_while(u8::is_ascii_digit).count();
                (1..=n).find_map(|len| {
                    let value = rest[..len].parse().ok()?;
                    self.match_parts(parts, &rest[len..], whole, year, Some(value))
                })
            }
        }
    }
}

impl fmt::Display for SerialFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.template)
    }
}

/// Characters allowed in serials: portable in file names on every OS.
fn is_serial_char(c: char) -> bool {
    // 〔〕: the brackets of Chinese document numbers (宣字〔2019〕7号), safe in
    // file names everywhere.
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '〔' | '〕') || is_cjk_ideograph(c)
}

/// CJK unified and compatibility ideographs (all extensions).
fn is_cjk_ideograph(c: char) -> bool {
    matches!(
        u32::from(c),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x30000..=0x323AF
    )
}

/// Checks that a serial can be used as (the stem of) a file name anywhere.
/// The rules are [`serial_problem`]'s, shared with record validation.
pub(super) fn validate_serial(serial: &str) -> Result<(), RegistryError> {
    match serial_problem(serial) {
        Some(why) => Err(RegistryError::BadSerial(format!("「{serial}」{why}"))),
        None => Ok(()),
    }
}

/// Why a serial cannot be a file name, in Chinese; `None` if it can.
pub fn serial_problem(serial: &str) -> Option<&'static str> {
    if serial.is_empty() {
        return Some("是空的");
    }
    if serial.chars().count() > MAX_SERIAL_CHARS {
        return Some("太长（最多64个字符）");
    }
    if serial.chars().any(|c| !is_serial_char(c)) {
        return Some("只能由字母、数字、汉字、〔〕和 - _ . 组成（编号也是文件名）");
    }
    if serial.starts_with(['-', '.']) || serial.ends_with('.') {
        return Some("不能以 - 或 . 开头，也不能以 . 结尾（编号也是文件名）");
    }
    // Windows device names stay reserved even with an extension (`NUL.pdf`).
    let stem = serial
        .split('.')
        .next()
        .unwrap_or(serial)
        .to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes().get(3).is_some_and(u8::is_ascii_digit));
    reserved.then_some("是 Windows 保留的设备名，不能作文件名")
}
