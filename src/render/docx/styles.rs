//! `word/styles.xml` and `word/settings.xml`: document defaults, the default styles, settings.

use super::document::RunStyle;
use super::xml::{NS_W, Xml};

/// Document defaults in the first paragraph's fonts, and the three default
/// styles Word expects.
pub(super) fn styles(defaults: &RunStyle) -> String {
    let mut x = Xml::new();
    x.open("w:styles", &[("xmlns:w", &NS_W)]);
    x.open("w:docDefaults", &[]);
    x.open("w:rPrDefault", &[]);
    x.open("w:rPr", &[]);
    x.empty(
        "w:rFonts",
        &[
            ("w:ascii", &defaults.latin.as_str()),
            ("w:eastAsia", &defaults.east_asia.as_str()),
            ("w:hAnsi", &defaults.latin.as_str()),
            ("w:cs", &defaults.latin.as_str()),
        ],
    );
    x.val("w:kern", &0);
    x.val("w:sz", &defaults.size);
    x.val("w:szCs", &defaults.size);
    x.empty(
        "w:lang",
        &[
            ("w:val", &"en-US"),
            ("w:eastAsia", &"zh-CN"),
            ("w:bidi", &"ar-SA"),
        ],
    );
    x.close("w:rPr");
    x.close("w:rPrDefault");
    x.open("w:pPrDefault", &[]);
    x.open("w:pPr", &[]);
    // No extra space between Chinese and Latin text: the PDF has none.
    x.val("w:autoSpaceDE", &0);
    x.val("w:autoSpaceDN", &0);
    x.empty(
        "w:spacing",
        &[("w:after", &0), ("w:line", &240), ("w:lineRule", &"auto")],
    );
    x.close("w:pPr");
    x.close("w:pPrDefault");
    x.close("w:docDefaults");

    x.open(
        "w:style",
        &[
            ("w:type", &"paragraph"),
            ("w:default", &1),
            ("w:styleId", &"Normal"),
        ],
    );
    x.val("w:name", &"Normal");
    x.empty("w:qFormat", &[]);
    x.close("w:style");

    x.open(
        "w:style",
        &[
            ("w:type", &"character"),
            ("w:default", &1),
            ("w:styleId", &"DefaultParagraphFont"),
        ],
    );
    x.val("w:name", &"Default Paragraph Font");
    x.val("w:uiPriority", &1);
    x.empty("w:semiHidden", &[]);
    x.empty("w:unhideWhenUsed", &[]);
    x.close("w:style");

    x.open(
        "w:style",
        &[
            ("w:type", &"table"),
            ("w:default", &1),
            ("w:styleId", &"TableNormal"),
        ],
    );
    x.val("w:name", &"Normal Table");
    x.val("w:uiPriority", &99);
    x.empty("w:semiHidden", &[]);
    x.empty("w:unhideWhenUsed", &[]);
    x.open("w:tblPr", &[]);
    x.empty("w:tblInd", &[("w:w", &0), ("w:type", &"dxa")]);
    x.open("w:tblCellMar", &[]);
    for (side, w) in [
        ("w:top", 0),
        ("w:left", 108),
        ("w:bottom", 0),
        ("w:right", 108),
    ] {
        x.empty(side, &[("w:w", &w), ("w:type", &"dxa")]);
    }
    x.close("w:tblCellMar");
    x.close("w:tblPr");
    x.close("w:style");
    x.close("w:styles");
    x.finish()
}

/// CT_Settings, children in schema order.
pub(super) fn settings(embedded: bool) -> String {
    let mut x = Xml::new();
    x.open("w:settings", &[("xmlns:w", &NS_W)]);
    x.empty("w:zoom", &[("w:percent", &100)]);
    if embedded {
        x.empty("w:embedTrueTypeFonts", &[]);
        x.empty("w:saveSubsetFonts", &[]);
    }
    x.val("w:defaultTabStop", &420);
    // Full-width punctuation keeps its full width, as in the PDF.
    x.val("w:characterSpacingControl", &"doNotCompress");
    x.open("w:compat", &[]);
    x.empty(
        "w:compatSetting",
        &[
            ("w:name", &"compatibilityMode"),
            ("w:uri", &"http://schemas.microsoft.com/office/word"),
            ("w:val", &15),
        ],
    );
    x.close("w:compat");
    x.empty(
        "w:themeFontLang",
        &[("w:val", &"en-US"), ("w:eastAsia", &"zh-CN")],
    );
    x.val("w:decimalSymbol", &".");
    x.val("w:listSeparator", &",");
    x.close("w:settings");
    x.finish()
}
