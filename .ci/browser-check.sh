#!/usr/bin/env bash
# `beian serve` in a real browser (called from .ci/run; `cargo test` skips
# these tests where no browser is installed): installs Debian's Chromium and
# its WebDriver if absent, then runs tests/it/browser.rs with
# BEIAN_BROWSER_TESTS=1, where a missing browser is a failure. A secretary
# files an account, the office approves and prints, at a desktop window and
# at a phone's 375×667; the screenshots of every step are left under
# target/browser-shots/ to be looked at.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null || true

BEIAN_BROWSER_TESTS=1 cargo test --test it browser -- --nocapture

shots="${CARGO_TARGET_DIR:-target}/browser-shots"
count=$(find "$shots" -name '*.png' | wc -l)
echo "$count screenshots in $shots"
