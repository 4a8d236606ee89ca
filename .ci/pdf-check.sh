#!/usr/bin/env bash
# Renders every example and good fixture, then checks each PDF with tools
# other than our own: qpdf --check (structure), pdfinfo (pages, A4),
# pdffonts (embedded subsets), pdftotext (every FORMS.md text present).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export BEIAN_REGISTRY="$out/beian.db" # never the user's own registry
fail=0
n=0
for record in examples/*.toml examples/*.json tests/fixtures/good/*; do
  dir="$out/$(basename "$record")"
  mkdir -p "$dir"
  target/release/beian render --draft "$record" -o "$dir" >/dev/null 2>&1 \
    || target/release/beian render "$record" -o "$dir" >/dev/null
  for pdf in "$dir"/*.pdf; do
    n=$((n + 1))
    qpdf --check "$pdf" >/dev/null || { echo "FAIL qpdf: $record"; fail=1; }
    pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
    size=$(pdfinfo "$pdf" | awk '/^Page size:/ {print $3 "x" $5}')
    [ "$pages" = 2 ] || { echo "FAIL pages=$pages: $record"; fail=1; }
    [ "$size" = "595.276x841.89" ] || { echo "FAIL page size $size: $record"; fail=1; }
    if pdffonts "$pdf" | awk 'NR>2' | grep -v ' yes yes ' >/dev/null; then
      echo "FAIL font not embedded as subset: $record"; pdffonts "$pdf"; fail=1
    fi
    text=$(pdftotext -raw "$pdf" - | tr -d ' \n\f' | sed 's/\xe3\x80\x80//g') # ideographic spaces too
    form=$(grep -q '^form = "group"\|"form": "group"' "$record" && echo group || echo account)
    # Every FORMS.md text, ⏎ parts separately, □ and blanks removed.
    while IFS= read -r want; do
      [ -z "$want" ] && continue
      case "$want" in 其他_*) continue ;; esac # filled in on records that choose 其他
      grep -qF -- "$want" <<<"$text" || { echo "FAIL missing «$want»: $record"; fail=1; }
    done < <(python3 - "$form" <<'PY'
import sys, tomllib
table = tomllib.load(open("tests/fixtures/forms_texts.toml", "rb"))
for text in table[sys.argv[1]]:
    for part in text.split("⏎"):
        print("".join(part.replace("□", "").split()))
PY
)
  done
done
echo "checked $n PDFs with qpdf, pdfinfo, pdffonts, pdftotext"
exit $fail
