//! The QR code on a filed form: the serial, the version and a short digest
//! of the filed record, so that paper can be checked against the register
//! (`beian verify scan.png`). ASCII only: many scanners decode Chinese in a
//! QR code wrongly.

use qrcode::{Color, EcLevel, QrCode};

use super::model::{Layout, QrMark};
use crate::record::{Record, Stamp};

/// How the payload starts: says the code is beian's.
const PREFIX: &str = "BEIAN";
/// How many hex digits of the record's SHA-256 the code carries: enough
/// that a changed record is never taken for the filed one by chance.
const DIGEST_HEX: usize = 12;
/// A module's side, in points: a whole number of tenths keeps every
/// coordinate short in the PDF (25 modules: 40 pt, 14.1 mm).
const MODULE_PT: f32 = 1.6;
/// Gap from the page's right edge (printers cannot print the last 4–5 mm).
const EDGE_MM: f32 = 5.0;

/// What a filed form's QR code says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    pub serial: String,
    pub version: u32,
    /// The first [`DIGEST_HEX`] hex digits (lower case) of the SHA-256 of
    /// the filed record's canonical text, as the registry stores it.
    pub digest: String,
}

impl Payload {
    /// The payload of a filed record.
    pub fn of(record: &Record, serial: &str, version: u32) -> Payload {
        let sha = crate::registry::sha256_hex(record.to_toml());
        Payload {
            serial: serial.to_owned(),
            version,
            digest: sha.chars().take(DIGEST_HEX).collect(),
        }
    }

    /// As encoded: `BEIAN:XMT-2026-0007:V1:3F2A9C81D7E4` — upper case, so
    /// that the code can use its compact alphanumeric mode; a serial with
    /// characters beyond it (lower case, Chinese) percent-encoded.
    pub fn text(&self) -> String {
        let serial: String = self
            .serial
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' => char::from(b).to_string(),
                b => format!("%{b:02X}"),
            })
            .collect();
        format!(
            "{PREFIX}:{serial}:V{}:{}",
            self.version,
            self.digest.to_uppercase()
        )
    }

    /// Reads a payload back; `None` if it is not beian's.
    pub fn parse(text: &str) -> Option<Payload> {
        let mut parts = text.trim().split(':');
        if parts.next()? != PREFIX {
            return None;
        }
        let serial = percent_decode(parts.next()?)?;
        let version = parts.next()?.strip_prefix('V')?.parse().ok()?;
        let digest = parts.next()?.to_ascii_lowercase();
        let hex = digest.len() == DIGEST_HEX && digest.bytes().all(|b| b.is_ascii_hexdigit());
        (hex && parts.next().is_none()).then_some(Payload {
            serial,
            version,
            digest,
        })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'%' => {
                let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
                rest = tail.get(2..)?;
            }
            b => {
                bytes.push(b);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).ok()
}

/// Puts the QR code of a filed form on every copy: in the right margin,
/// level with the copy mark at the top, outside the form. A record without
/// a serial (a draft) gets none.
pub fn add_qr(layout: &mut Layout, record: &Record, stamp: &Stamp, version: u32) {
    let Some(serial) = &stamp.serial else {
        return;
    };
    let payload = Payload::of(record, serial, version);
    // The payload is short ASCII: it always fits a QR code; if not, the
    // form is printed without one rather than not at all.
    let Ok(code) = QrCode::with_error_correction_level(payload.text(), EcLevel::M) else {
        return;
    };
    let size = code.width();
    let dark: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    let mm = |v: f32| v * 72.0 / 25.4;
    let side = MODULE_PT * size as f32;
    for page in &mut layout.pages {
        page.qr = Some(QrMark {
            // Whole points: short numbers in the PDF.
            x: (page.width - mm(EDGE_MM) - side).floor(),
            y: page.margins[0].round(),
            module: MODULE_PT,
            size,
            dark: dark.clone(),
            text: payload.text(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back_ascii_only() {
        for serial in ["XMT-2026-0007", "宣字〔2019〕7号", "qun-2026-0001"] {
            let p = Payload {
                serial: serial.to_owned(),
                version: 3,
                digest: "3f2a9c81d7e4".to_owned(),
            };
            let text = p.text();
            assert!(text.is_ascii(), "{text}");
            assert_eq!(Payload::parse(&text), Some(p));
        }
        assert_eq!(
            Payload {
                serial: "XMT-2026-0007".into(),
                version: 1,
                digest: "3f2a9c81d7e4".into()
            }
            .text(),
            "BEIAN:XMT-2026-0007:V1:3F2A9C81D7E4"
        );
        assert_eq!(Payload::parse("https://example.com"), None);
        assert_eq!(Payload::parse("BEIAN:X:V1:zz"), None);
    }
}
