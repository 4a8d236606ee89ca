#!/usr/bin/env bash
# Cross-checks the DOCX output with LibreOffice, poppler and python-docx
# (called from .ci/run; `cargo test` needs none of them):
#
#  1. every example and good fixture, rendered with -f pdf,docx, opens in
#     python-docx (one table per copy) and converts with LibreOffice to a PDF
#     of exactly one page per copy, A4, with every FORMS.md text in it;
#  2. embedded fonts: with --embed-fonts, converted where the only font is a
#     Latin one (a private fontconfig), the PDF draws every Chinese character
#     in the embedded Noto Serif CJK SC subsets (checked per text run with
#     pypdf), and — the control — the same DOCX without embedded fonts cannot.
#
# Exits non-zero on any failure and says what it checked.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v soffice >/dev/null || need+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null || need+=(poppler-utils)
/usr/bin/python3 -c 'import docx' 2>/dev/null || need+=(python3-docx)
/usr/bin/python3 -c 'import pypdf' 2>/dev/null || need+=(python3-pypdf)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# A Chinese font, as every Chinese office has one (宋体): without it LibreOffice
# sets the forms' text in whatever it finds, and page counts mean nothing.
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
py=/usr/bin/python3 # Debian's, where python3-docx and python3-pypdf live

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/beian"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BEIAN_REGISTRY="$work/beian.db" # never the user's own registry
fail=0
n=0

# LibreOffice with its own profile, so that it neither meets a running
# instance nor keeps state between the two font environments.
convert() { # profile outdir file...
  local profile=$1 outdir=$2
  shift 2
  soffice -env:UserInstallation="file://$work/$profile" --headless \
    --convert-to pdf --outdir "$outdir" "$@" >/dev/null 2>&1
}

# FORMS.md's texts for a form, white space removed, one per line.
texts() {
  "$py" - "$1" <<'PY'
import sys, tomllib
table = tomllib.load(open("tests/fixtures/forms_texts.toml", "rb"))
for text in table[sys.argv[1]]:
    for part in text.split("⏎"):
        print("".join(part.replace("□", "").split()))
PY
}

echo "-- 1. examples and fixtures: python-docx, LibreOffice, pdfinfo, pdftotext"
for record in examples/*.toml examples/*.json tests/fixtures/good/*; do
  dir="$work/out/$(basename "$record")"
  mkdir -p "$dir"
  "$bin" render --draft -f pdf,docx "$record" -o "$dir" >/dev/null 2>&1 \
    || "$bin" render -f pdf,docx "$record" -o "$dir" >/dev/null
  form=$(grep -q '^form = "group"\|"form": "group"' "$record" && echo group || echo account)
  for docx in "$dir"/*.docx; do
    n=$((n + 1))
    "$py" - "$docx" <<'PY' || { echo "FAIL python-docx: $record"; fail=1; }
import sys, docx
d = docx.Document(sys.argv[1])
assert len(d.tables) == 2, f"{len(d.tables)} tables"
for t in d.tables:
    # Rows have their own cell edges: the grid is their union (≥ 8 columns),
    # and every row covers all of it.
    assert len(t.columns) >= 8, f"{len(t.columns)} columns"
    for r in t.rows:
        assert len(r.cells) == len(t.columns), f"a row of {len(r.cells)} cells"
s = d.sections[0]
assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297), "not A4"
PY
    convert lo "$dir/lo" "$docx" || { echo "FAIL LibreOffice conversion: $record"; fail=1; continue; }
    pdf="$dir/lo/$(basename "${docx%.docx}").pdf"
    pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
    size=$(pdfinfo "$pdf" | awk '/^Page size:/ {printf "%.0fx%.0f", $3, $5}')
    [ "$pages" = 2 ] || { echo "FAIL LibreOffice pages=$pages (want one per copy): $record"; fail=1; }
    [ "$size" = "595x842" ] || { echo "FAIL page size $size: $record"; fail=1; }
    # FORMS.md's □ are boxes: drop the checkbox glyphs as the texts drop □.
    text=$(pdftotext "$pdf" - | tr -d ' \n\f\t' | sed 's/[☐☑　]//g') # boxes and ideographic spaces
    while IFS= read -r want; do
      [ -z "$want" ] && continue
      case "$want" in 其他_*) continue ;; esac # filled in on records that choose 其他
      grep -qF -- "$want" <<<"$text" || { echo "FAIL missing «$want»: $record"; fail=1; }
    done < <(texts "$form")
  done
done
echo "checked $n DOCX files: python-docx opens them; LibreOffice: 2 A4 pages each, every FORMS.md text"

echo "-- 2. embedded fonts, converted where no Chinese font is installed"
fontdir="$work/fonts"
mkdir -p "$fontdir" "$work/fccache"
cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "$fontdir/"
cat >"$work/fonts.conf" <<EOF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>$fontdir</dir>
  <cachedir>$work/fccache</cachedir>
</fontconfig>
EOF
export FONTCONFIG_FILE="$work/fonts.conf"
if [ -n "$(fc-list :lang=zh family)" ]; then
  echo "FAIL the private font environment has a Chinese font:"; fc-list :lang=zh; exit 1
fi
echo "fonts available: $(fc-list : family | tr '\n' ' ')"

# Which fonts draw the Chinese text of a PDF, run by run.
cjk_fonts() {
  "$py" - "$1" <<'PY'
import sys
from pypdf import PdfReader
fonts, missing = {}, 0
def visit(text, cm, tm, font, size):
    cjk = sum(1 for c in text if 0x3000 <= ord(c) <= 0x9FFF or 0xFF00 <= ord(c) <= 0xFFEF)
    if cjk:
        name = str(font.get("/BaseFont", "?")) if font else "?"
        fonts[name] = fonts.get(name, 0) + cjk
for page in PdfReader(sys.argv[1]).pages:
    page.extract_text(visitor_text=visit)
for name, count in sorted(fonts.items()):
    print(f"{count} {name}")
PY
}

for record in examples/account.toml examples/group.toml examples/douyin.json; do
  name=$(basename "$record")
  for mode in embedded plain; do
    dir="$work/emb/$name/$mode"
    mkdir -p "$dir"
    flag=()
    [ "$mode" = embedded ] && flag=(--embed-fonts)
    "$bin" render --draft -f docx "${flag[@]}" "$record" -o "$dir" >/dev/null 2>&1 \
      || "$bin" render -f docx "${flag[@]}" "$record" -o "$dir" >/dev/null
    docx=$(ls "$dir"/*.docx)
    convert "nofont-$name-$mode" "$dir/lo" "$docx" \
      || { echo "FAIL LibreOffice conversion ($mode): $record"; fail=1; continue; }
    pdf="$dir/lo/$(basename "${docx%.docx}").pdf"
    used=$(cjk_fonts "$pdf")
    if [ "$mode" = embedded ]; then
      pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
      [ "$pages" = 2 ] || { echo "FAIL embedded: pages=$pages: $record"; fail=1; }
      # Every Chinese character in a Noto subset, and that font embedded.
      if [ -z "$used" ] || grep -qv 'NotoSerifCJK' <<<"$used"; then
        echo "FAIL embedded: Chinese text not (only) in the embedded Noto font: $record"
        echo "$used"; fail=1
      fi
      if ! pdffonts "$pdf" | awk 'NR>2 && /NotoSerifCJK/ && $(NF-4)=="yes"' | grep -q .; then
        echo "FAIL embedded: no embedded Noto font in the PDF: $record"; pdffonts "$pdf"; fail=1
      fi
      echo "$name --embed-fonts: Chinese characters per font: $(tr '\n' ' ' <<<"$used")"
    else
      # The control: without embedded fonts this environment has no Chinese font.
      if grep -q 'NotoSerifCJK' <<<"$used"; then
        echo "FAIL control: Noto found without embedding — the environment is not font-free"
        fail=1
      fi
      echo "$name without --embed-fonts (control): $(tr '\n' ' ' <<<"${used:-none}")"
    fi
  done
done
# Several forms open at once: LibreOffice keeps one embedded font per name for
# the session, so each document's subsets carry their own tagged name. Converted
# together, each must look exactly as converted alone.
mkdir -p "$work/emb/together"
cp "$work"/emb/*/embedded/*.docx "$work/emb/together/"
convert nofont-together "$work/emb/together/lo" "$work"/emb/together/*.docx \
  || { echo "FAIL LibreOffice conversion of the three together"; fail=1; }
for record in examples/account.toml examples/group.toml examples/douyin.json; do
  name=$(basename "$record")
  alone=$(ls "$work/emb/$name/embedded/lo/"*.pdf)
  together="$work/emb/together/lo/$(basename "$alone")"
  pdftoppm -r 50 -gray "$alone" "$work/alone-$name"
  pdftoppm -r 50 -gray "$together" "$work/together-$name"
  for page in "$work/alone-$name"-*.pgm; do
    cmp -s "$page" "${page/alone-/together-}" \
      || { echo "FAIL $name converted with other forms differs from alone: $(basename "$page")"; fail=1; }
  done
done
echo "three forms converted in one LibreOffice session render as each alone"
unset FONTCONFIG_FILE
echo "checked embedded fonts of 3 examples with LibreOffice, pdffonts, pypdf and pdftoppm"
exit $fail
