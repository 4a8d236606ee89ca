"""Extract the Simplified Chinese face from Debian's Noto Serif CJK collections
and drop glyphs that the SC face cannot reach (the JP/KR/TC/HK-only variants)."""
import sys
from fontTools.ttLib import TTCollection
from fontTools import subset

for weight in ["Regular", "Bold"]:
    ttc = TTCollection(f"/usr/share/fonts/opentype/noto/NotoSerifCJK-{weight}.ttc")
    font = ttc.fonts[2]
    assert font["name"].getDebugName(6) == f"NotoSerifCJKsc-{weight}"
    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.name_legacy = True
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.hinting = True
    opts.drop_tables = []
    opts.recalc_timestamp = False
    s = subset.Subsetter(opts)
    s.populate(unicodes=font.getBestCmap().keys())
    s.subset(font)
    font.save(f"NotoSerifCJKsc-{weight}.otf")
