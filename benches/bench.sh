#!/usr/bin/env bash
# The benchmark: whole process, one record → its two-copy PDF, release build.
#
#   bash benches/bench.sh
#
# Uses hyperfine (apt-get install hyperfine) for wall time and GNU time
# (apt-get install time) for peak RSS. Prints, for each example record:
#   draft   `render --draft`: validate, lay out, render, write (no registry)
#   filed   `render` of a record already filed (idempotent re-render: opens
#           the registry, re-renders, checks hashes, rewrites the files)
#   new     `render` of 20 different new records, one process each (files
#           each: SQLite transaction with full sync, then the files)
# and a batch: 50 records in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install hyperfine time" >&2; exit 2; }
done
cargo build --release --quiet
bin=$PWD/target/release/beian
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BEIAN_REGISTRY=$work/beian.db

median() { # hyperfine JSON → median of all runs, ms
  python3 -c 'import json,sys,statistics; r=json.load(open(sys.argv[1]))["results"]; print("%.1f" % (1000*statistics.median([t for x in r for t in x["times"]])))' "$1"
}
peak_mb() { # command → max RSS over 5 runs, MB
  local peak=0 kb
  for _ in 1 2 3 4 5; do
    kb=$( { /usr/bin/time -v "$@" >/dev/null; } 2>&1 | awk -F': ' '/Maximum resident set size/ {print $2}')
    (( kb > peak )) && peak=$kb
  done
  awk -v kb="$peak" 'BEGIN { printf "%.1f", kb / 1024 }'
}

printf '%-22s %-6s %10s %10s %9s\n' record mode "median ms" "peak MB" "PDF KB"
for record in examples/account.toml examples/group.toml; do
  name=$(basename "$record" .toml)
  hyperfine -N --warmup 3 --runs 40 --export-json "$work/d.json" \
    "$bin render --draft $record -o $work/draft" >/dev/null
  size=$(stat -c %s "$work/draft/$name.pdf")
  printf '%-22s %-6s %10s %10s %9.1f\n' "$record" draft "$(median "$work/d.json")" \
    "$(peak_mb "$bin" render --draft "$record" -o "$work/draft")" "$(awk -v s="$size" 'BEGIN{print s/1024}')"

  "$bin" render "$record" -o "$work/filed" >/dev/null
  hyperfine -N --warmup 3 --runs 40 --export-json "$work/f.json" \
    "$bin render $record -o $work/filed" >/dev/null
  pdf=$(ls -t "$work"/filed/*.pdf | head -1)
  printf '%-22s %-6s %10s %10s %9.1f\n' "$record" filed "$(median "$work/f.json")" \
    "$(peak_mb "$bin" render "$record" -o "$work/filed")" "$(awk -v s="$(stat -c %s "$pdf")" 'BEGIN{print s/1024}')"
done

mkdir -p "$work/new"
for i in $(seq -w 1 20); do
  sed "s/信息工程系学生会/信息工程系学生会$i/; s/gh_3f2a9c81d7e4/gh_3f2a9c81d7$i/" examples/account.toml > "$work/new/r$i.toml"
done
list=$(seq -s, -w 1 20)
hyperfine -N --runs 1 -L i "$list" --export-json "$work/n.json" \
  "$bin render $work/new/r{i}.toml -o $work/newout" >/dev/null
printf '%-22s %-6s %10s\n' "20 new records" new "$(median "$work/n.json")"

mkdir -p "$work/batch"
for i in $(seq -w 1 50); do
  sed "s/信息工程系学生会/学生会批量$i/; s/gh_3f2a9c81d7e4/gh_3f2a9c81d7$i/" examples/account.toml > "$work/batch/a$i.toml"
done
hyperfine -N --runs 5 --export-json "$work/b.json" \
  "$bin render --draft $(ls "$work"/batch/*.toml | tr '\n' ' ') -o $work/batchout" >/dev/null
total=$(median "$work/b.json")
printf '%-22s %-6s %10s ms total, %.1f ms per record\n' "50 records, 1 process" draft "$total" \
  "$(awk -v t="$total" 'BEGIN{print t/50}')"
