#!/usr/bin/env bash
# The benchmark: whole process, one record → its PDF (two copies), release build.
#
#   bash benches/bench.sh [RUNS]
#
# Prints the median wall time over RUNS runs (default 30), the peak RSS
# (max over 5 runs, from /usr/bin/time -v) and the file size. Each run renders
# into a fresh directory, so it always does the full job. Figures go to
# BENCHMARKS.md by hand, with the machine they were taken on.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
cargo build --release --quiet
bin=target/release/beian
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median_ms() { # command... → median wall time in ms over $runs runs
  local times=()
  for i in $(seq "$runs"); do
    rm -rf "$work/o" && mkdir "$work/o"
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

peak_kb() {
  local peak=0
  for i in 1 2 3 4 5; do
    rm -rf "$work/o" && mkdir "$work/o"
    local kb
    kb=$( { /usr/bin/time -v "$@" >/dev/null; } 2>&1 | awk -F': ' '/Maximum resident set size/ {print $2}')
    (( kb > peak )) && peak=$kb
  done
  echo "$peak"
}

for record in examples/account.toml examples/group.toml; do
  cmd=("$bin" render --draft "$record" -o "$work/o")
  "${cmd[@]}" >/dev/null 2>&1 || cmd=("$bin" render "$record" -o "$work/o")
  ms=$(median_ms "${cmd[@]}")
  kb=$(peak_kb "${cmd[@]}")
  size=$(stat -c %s "$work"/o/*.pdf | head -1)
  awk -v r="$record" -v ms="$ms" -v kb="$kb" -v size="$size" 'BEGIN {
    printf "%-24s median %6s ms   peak RSS %6.1f MB   PDF %5.1f KB\n", r, ms, kb/1024, size/1024 }'
done

# Many records in one process: the office's batch.
batch=$work/batch
mkdir -p "$batch"
for i in $(seq -w 1 50); do
  sed "s/^name = \"信息工程系学生会\"/name = \"信息工程系学生会$i\"/" examples/account.toml > "$batch/a$i.toml"
done
rm -rf "$work/o" && mkdir "$work/o"
t0=$(date +%s%N)
"$bin" render --draft "$batch"/*.toml -o "$work/o" >/dev/null 2>&1 || "$bin" render "$batch"/*.toml -o "$work/o" >/dev/null
t1=$(date +%s%N)
awk -v ns=$((t1 - t0)) 'BEGIN {
  printf "%-24s total %6.1f ms for 50 records (%.1f ms each)\n", "batch of 50", ns/1e6, ns/5e7 }'
