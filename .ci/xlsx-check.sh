#!/usr/bin/env bash
# Cross-checks beian's workbooks with LibreOffice Calc (called from .ci/run;
# `cargo test` needs none of it):
#
#  1. the fill-in workbook (`beian init roster`) and the register
#     (`beian register -o X.xlsx`) open in Calc; the register prints as
#     landscape A4 with its header on every page;
#  2. the example roster, saved again by Calc as .xlsx and as GB18030 CSV
#     (as an office would), still passes `beian check`.
#
# Exits non-zero on any failure and says what it checked.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -e /usr/lib/libreoffice/program/libsclo.so ] || need+=(libreoffice-calc-nogui)
command -v pdftotext >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/beian"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BEIAN_REGISTRY="$work/beian.db" # never the user's own registry
fail=0
calc() { # outdir filter file
  soffice -env:UserInstallation="file://$work/profile" --headless \
    --convert-to "$2" --outdir "$1" "$3" >/dev/null 2>&1
}

# 1. The fill-in workbook and the register.
"$bin" init roster -o "$work/fill.xlsx" >/dev/null
calc "$work/lo" pdf "$work/fill.xlsx" && [ -s "$work/lo/fill.pdf" ] \
  || { echo "FAIL Calc cannot open the fill-in workbook"; fail=1; }
"$bin" render examples/roster.csv examples/account.toml -o "$work/out" >/dev/null
"$bin" register -o "$work/register.xlsx" >/dev/null
if calc "$work/lo" pdf "$work/register.xlsx" && [ -s "$work/lo/register.pdf" ]; then
  size=$(pdfinfo "$work/lo/register.pdf" | sed -n 's/^Page size: *//p')
  case "$size" in
    841.89\ x\ 595.*) ;;
    *) echo "FAIL register not landscape A4: $size"; fail=1 ;;
  esac
  text=$(pdftotext -layout "$work/lo/register.pdf" -)
  for want in 备案登记簿 编号 申请单位名称 2023级电子商务1班 13700000001; do
    grep -q "$want" <<<"$text" || { echo "FAIL register.xlsx in Calc lacks $want"; fail=1; }
  done
else
  echo "FAIL Calc cannot open the register"
  fail=1
fi

# 2. The roster saved again by Calc.
cp examples/roster.xlsx "$work/roster.xlsx"
mkdir -p "$work/resaved"
calc "$work/resaved" xlsx "$work/roster.xlsx" \
  || { echo "FAIL Calc cannot re-save the roster"; fail=1; }
calc "$work/resaved" 'csv:Text - txt - csv (StarCalc):44,34,GB18030,1' "$work/roster.xlsx" \
  || { echo "FAIL Calc cannot save the roster as CSV"; fail=1; }
for f in "$work/resaved/roster.xlsx" "$work/resaved/roster.csv"; do
  [ -s "$f" ] || { echo "FAIL Calc wrote no $(basename "$f")"; fail=1; continue; }
  passed=$("$bin" check "$f" | grep -c 检查通过 || true)
  # The CSV holds the first sheet only (the accounts).
  [ "$passed" -ge 2 ] || { echo "FAIL $(basename "$f") saved by Calc: $passed records passed"; "$bin" check "$f" || true; fail=1; }
  echo "$(basename "$f") saved by Calc: $passed records pass beian check"
done
echo "checked the fill-in workbook, the register and a Calc-saved roster with LibreOffice Calc"
exit $fail
