//! A minimal escaping XML writer and the namespaces of the parts beian writes.

use std::fmt::{self, Display, Write as _};

pub(super) const NS_W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
pub(super) const NS_W14: &str = "http://schemas.microsoft.com/office/word/2010/wordml";
pub(super) const NS_MC: &str = "http://schemas.openxmlformats.org/markup-compatibility/2006";
pub(super) const NS_R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
pub(super) const NS_WP: &str =
    "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing";
pub(super) const NS_A: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
pub(super) const NS_PIC: &str = "http://schemas.openxmlformats.org/drawingml/2006/picture";
pub(super) const NS_PKG_RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

// XML writing

/// A minimal XML writer: elements, attributes and text, escaped. Callers emit
/// children in schema order; the writer only guarantees well-formedness of
/// what it is given.
pub(super) struct Xml(String);

/// An attribute value: anything displayable, escaped when written.
type Attr<'a> = (&'a str, &'a dyn Display);

impl Xml {
    pub(super) fn new() -> Xml {
        Xml(String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
        ))
    }

    fn start(&mut self, name: &str, attrs: &[Attr<'_>]) {
        self.0.push('<');
        self.0.push_str(name);
        for (key, value) in attrs {
            self.0.push(' ');
            self.0.push_str(key);
            self.0.push_str("=\"");
            // Writing into a String cannot fail.
            let _ = write!(Escape(&mut self.0), "{value}");
            self.0.push('"');
        }
    }

    /// `<name attrs>`
    pub(super) fn open(&mut self, name: &str, attrs: &[Attr<'_>]) {
        self.start(name, attrs);
        self.0.push('>');
    }

    /// `<name attrs/>`
    pub(super) fn empty(&mut self, name: &str, attrs: &[Attr<'_>]) {
        self.start(name, attrs);
        self.0.push_str("/>");
    }

    /// `</name>`
    pub(super) fn close(&mut self, name: &str) {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
    }

    /// Escaped character data.
    fn text(&mut self, text: &str) {
        let _ = Escape(&mut self.0).write_str(text);
    }

    /// `<name attrs>text</name>`
    pub(super) fn leaf(&mut self, name: &str, attrs: &[Attr<'_>], text: &str) {
        self.open(name, attrs);
        self.text(text);
        self.close(name);
    }

    /// `<name w:val="value"/>`, the commonest WordprocessingML element.
    pub(super) fn val(&mut self, name: &str, value: &dyn Display) {
        self.empty(name, &[("w:val", value)]);
    }

    pub(super) fn finish(self) -> String {
        self.0
    }
}

/// Escapes what is written through it for text and attribute values alike,
/// and drops the characters XML 1.0 cannot carry at all.
struct Escape<'a>(&'a mut String);

impl fmt::Write for Escape<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for ch in s.chars() {
            match ch {
                '&' => self.0.push_str("&amp;"),
                '<' => self.0.push_str("&lt;"),
                '>' => self.0.push_str("&gt;"),
                '"' => self.0.push_str("&quot;"),
                '\t' => self.0.push_str("&#9;"),
                '\n' => self.0.push_str("&#10;"),
                '\r' => self.0.push_str("&#13;"),
                c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
                c => self.0.push(c),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut x = Xml::new();
        x.leaf("a", &[("v", &"<\"&'>")], "a&b<c>\"d\u{1}\u{FFFF}\te");
        let out = x.finish();
        assert!(out.ends_with("<a v=\"&lt;&quot;&amp;'&gt;\">a&amp;b&lt;c&gt;&quot;d&#9;e</a>"));
    }
}
