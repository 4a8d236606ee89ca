//! `beian verify scan.png`: reads the QR code of a filed form from a scan or
//! a phone photo and says whether the paper is the registered version, a
//! superseded one, or unknown.

use std::path::Path;

use super::{Say, registry_error};
use crate::error::Error;
use crate::layout::Payload;
use crate::registry::Registry;

/// Whether `file` is a picture beian reads for its QR code (by its first
/// bytes: a phone may save a JPEG as anything).
pub fn is_picture(head: &[u8]) -> bool {
    head.starts_with(b"\x89PNG\r\n\x1a\n") || head.starts_with(b"\xff\xd8\xff")
}

/// The largest picture read: a phone photo is a few MB.
pub const MAX_PICTURE_BYTES: u64 = 64 * 1024 * 1024;

/// The QR payloads of beian found in a picture.
pub fn payloads(bytes: &[u8]) -> Result<Vec<Payload>, String> {
    let picture = image::load_from_memory(bytes)
        .map_err(|_| "图片无法读取（不是完整的 PNG 或 JPEG）".to_owned())?;
    let grey = picture.to_luma8();
    let (w, h) = grey.dimensions();
    // As it is; then, for a small code (a 150 dpi scan: about 3 pixels a
    // module) turned a little or speckled: smoothed, and at twice the size.
    let small = u64::from(w) * u64::from(h) <= 4_000_000;
    let larger = |g: &image::GrayImage| {
        image::imageops::resize(g, w * 2, h * 2, image::imageops::FilterType::Triangle)
    };
    for attempt in 0..4 {
        let found = match attempt {
            0 => read_codes(&grey),
            1 => read_codes(&image::imageops::blur(&grey, 0.8)),
            2 if small => read_codes(&larger(&grey)),
            3 if small => read_codes(&larger(&image::imageops::blur(&grey, 0.8))),
            _ => Vec::new(),
        };
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// The beian payloads of the QR codes rqrr finds in a grey picture.
fn read_codes(grey: &image::GrayImage) -> Vec<Payload> {
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        grey.get_pixel_checked(x as u32, y as u32)
            .map_or(255, |p| p.0[0])
    });
    let mut found = Vec::new();
    for grid in prepared.detect_grids() {
        if let Ok((_, text)) = grid.decode()
            && let Some(payload) = Payload::parse(&text)
            && !found.contains(&payload)
        {
            found.push(payload);
        }
    }
    found
}

/// The pictures inside a PDF that a scanner or a phone app made: JPEG
/// streams as they are, 8-bit grey or RGB and 1-bit pixels inflated. (A
/// PDF beian wrote has no pictures.)
pub fn pdf_pictures(bytes: &[u8]) -> Vec<Vec<u8>> {
    let Ok(doc) = lopdf::Document::load_mem(bytes) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for object in doc.objects.values() {
        let Ok(stream) = object.as_stream() else {
            continue;
        };
        let dict = &stream.dict;
        let is_image = dict
            .get(b"Subtype")
            .and_then(|s| s.as_name())
            .is_ok_and(|n| n == b"Image");
        if !is_image {
            continue;
        }
        let filter = dict.get(b"Filter").and_then(|f| match f {
            lopdf::Object::Array(a) => a
                .first()
                .ok_or(lopdf::Error::ObjectNotFound((0, 0)))
                .and_then(|f| f.as_name()),
            f => f.as_name(),
        });
        if filter.is_ok_and(|f| f == b"DCTDecode") {
            out.push(stream.content.clone());
            continue;
        }
        // Raw pixels: re-encoded as PNG so that one reader serves all.
        let number = |key: &[u8]| dict.get(key).and_then(|v| v.as_i64()).ok();
        let (Some(w), Some(h), Some(bits)) = (
            number(b"Width"),
            number(b"Height"),
            number(b"BitsPerComponent"),
        ) else {
            continue;
        };
        let Ok(pixels) = stream.decompressed_content() else {
            continue;
        };
        let rgb = dict
            .get(b"ColorSpace")
            .and_then(|c| c.as_name())
            .is_ok_and(|n| n == b"DeviceRGB");
        let (Ok(w), Ok(h)) = (u32::try_from(w), u32::try_from(h)) else {
            continue;
        };
        let grey = match (bits, rgb) {
            (8, false) => image::GrayImage::from_raw(w, h, pixels),
            (8, true) => image::RgbImage::from_raw(w, h, pixels)
                .map(|rgb| image::DynamicImage::ImageRgb8(rgb).to_luma8()),
            (1, false) => {
                let row = w.div_ceil(8) as usize;
                Some(image::GrayImage::from_fn(w, h, |x, y| {
                    let byte = pixels
                        .get(y as usize * row + x as usize / 8)
                        .copied()
                        .unwrap_or(0xFF);
                    image::Luma([if byte & (0x80 >> (x % 8)) != 0 {
                        255
                    } else {
                        0
                    }])
                }))
            }
            _ => None,
        };
        let mut png = Vec::new();
        if let Some(grey) = grey
            && grey
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .is_ok()
        {
            out.push(png);
        }
    }
    out
}

/// Checks a scanned form against the registry. `Ok(Some(problem))` if the
/// paper is not a registered version; `Ok(None)` if it is (said).
pub fn check(registry: &Registry, file: &Path, say: Say<'_>) -> Result<Option<String>, Error> {
    let size = std::fs::metadata(file)
        .map_err(|e| Error::io(file, "读取", e))?
        .len();
    if size > MAX_PICTURE_BYTES {
        return Ok(Some(format!(
            "{}：图片太大（超过 64 MB），没有核验；请用较小的扫描件或照片",
            file.display()
        )));
    }
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, "读取", e))?;
    let found = match bytes.starts_with(b"%PDF") {
        // A scan saved as PDF: the code on any of its pictures.
        true => pdf_pictures(&bytes)
            .iter()
            .filter_map(|picture| payloads(picture).ok())
            .flatten()
            .collect(),
        false => match payloads(&bytes) {
            Ok(found) => found,
            Err(why) => return Ok(Some(format!("{}：{why}", file.display()))),
        },
    };
    if found.is_empty() {
        return Ok(Some(format!(
            "{}：图中没有找到 beian 备案表的二维码（在表格右上角、联次旁）；请拍清楚二维码，或扫描成 150 dpi 以上的图片",
            file.display()
        )));
    }
    // Every form in the picture is checked (a scan of several forms).
    let mut problems = Vec::new();
    for payload in &found {
        let serial = &payload.serial;
        let v = payload.version;
        let filing = registry
            .version(serial, v)
            .map_err(|e| registry_error(registry.path(), e))?;
        let problem = match filing {
            None => Some(format!(
                "{}：二维码写着 {serial} 第 {v} 版，但登记簿中没有这一版 —— 不是本登记簿备案的表格",
                file.display()
            )),
            Some(f) if !f.content_sha256.starts_with(&payload.digest) => Some(format!(
                "{}：二维码写着 {serial} 第 {v} 版，但与登记的记录不符（摘要 {} ≠ {}）—— 二维码被改动过，或不是 beian 印的",
                file.display(),
                payload.digest,
                f.content_sha256
                    .get(..payload.digest.len())
                    .unwrap_or_default()
            )),
            Some(f) => {
                let latest = registry
                    .latest(serial)
                    .map_err(|e| registry_error(registry.path(), e))?
                    .map_or(v, |l| l.version);
                let state = match latest > v {
                    true => format!("；注意：该编号已更正为第 {latest} 版，这张是旧版"),
                    false => "，是现行版本".to_owned(),
                };
                say(&format!(
                    "{}：二维码核对一致 —— {serial} 第 {v} 版（{}，{}备案）{state}。二维码只证明编号与版本，表上的文字请与 beian regen {serial} 生成的原件对照",
                    file.display(),
                    f.name,
                    f.filed_at.get(..10).unwrap_or(&f.filed_at)
                ));
                None
            }
        };
        problems.extend(problem);
    }
    if problems.is_empty() {
        return Ok(None);
    }
    // Before saying a form is not on record: a damaged registry would make
    // a genuine one look unknown.
    let sound = registry
        .quick_check()
        .map_err(|e| registry_error(registry.path(), e))?;
    if !sound {
        return Err(Error::Registry(format!(
            "登记簿「{}」已损坏，无法判断扫描件是否为登记的表格（没有下结论）；请用备份恢复：beian restore 备份文件 --registry {}",
            registry.path().display(),
            registry.path().display()
        )));
    }
    Ok(Some(problems.join("\n")))
}
