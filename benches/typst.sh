#!/usr/bin/env bash
# beian side by side with Typst on the same form (issue 9's speed targets),
# whole process, release build:
#
#   bash benches/typst.sh            # needs hyperfine and python3; Typst if installed
#   TYPST=/path/to/typst bash benches/typst.sh
#
# The Typst document (benches/typst/form.typ) is the account form with the
# same fonts, table and text, each record's form in two copies, as beian
# prints it. Runs are interleaved: ROUNDS rounds, each running every command
# RUNS times, so that a change in the machine's load falls on all of them;
# the figure is the median of all runs. Typst is run as the issue measured it
# (system fonts scanned) and with --ignore-system-fonts.
#
# Cases: one form (beian: render --draft of examples/account.toml); 100
# forms as one PDF (beian: render --draft --combine; Typst: one 200-page
# document); 100 forms as 100 PDFs (beian: render --draft of a 100-row
# roster).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
typst=${TYPST:-$(command -v typst || true)}
cargo build --release --quiet
bin=$PWD/target/release/beian
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rounds=${ROUNDS:-5}
runs=${RUNS:-8}

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
head = "申请单位名称,新媒体类型,帐号用户名,账号id,是否认证,开通时间,平台是否设有交互栏目,交互栏目是否有管理员审核,第一责任人·姓名,第一责任人·职务,第一责任人·手机,第一责任人·办公电话,第一责任人·邮箱,管理员·姓名,管理员·职务,管理员·手机,管理员·办公电话,管理员·邮箱\r\n"
rows, recs = [], []
for i in range(1, 101):
    name = f"信息工程系学生会{i}"
    rows.append(f"信息工程系,微信,{name},gh_3f2a9c81{i:03},是,2019-09-01,是,是,张三,系主任,13800000000,0553-5971011,zhangsan@example.edu.cn,李四,团总支书记,13900000000,0553-5971012,lisi@example.edu.cn\r\n")
    recs.append(dict(unit="信息工程系", platform="微信", name=name, id=f"gh_3f2a9c81{i:03}", verified="是", opened="2019年9月1日", interactive=True,
        p_name="张三", p_title="系主任", p_mobile="13800000000", p_phone="0553-5971011", p_email="zhangsan@example.edu.cn",
        a_name="李四", a_title="团总支书记", a_mobile="13900000000", a_phone="0553-5971012", a_email="lisi@example.edu.cn"))
open(f"{work}/k100.csv", "wb").write((head + "".join(rows)).encode("gb18030"))
for n, d in ((1, "t1"), (100, "t100")):
    os.makedirs(f"{work}/{d}", exist_ok=True)
    one = dict(recs[0], name="信息工程系学生会", id="gh_3f2a9c81d7e4")
    json.dump([one] if n == 1 else recs, open(f"{work}/{d}/records.json", "w"), ensure_ascii=False)
PY
cp benches/typst/form.typ "$work/t1/"
cp benches/typst/form.typ "$work/t100/"

declare -a names cmds
add() { names+=("$1"); cmds+=("$2"); }
add "beian, one form" "$bin render --draft examples/account.toml -o $work/one"
add "beian, 100 forms → one PDF" "$bin render --draft $work/k100.csv --combine $work/job.pdf"
add "beian, 100 forms → 100 PDFs" "$bin render --draft $work/k100.csv -o $work/files"
if [[ -n "$typst" ]]; then
  fonts="--font-path $PWD/fonts"
  add "typst, one form" "$typst compile $fonts $work/t1/form.typ $work/t1/out.pdf"
  add "typst, one form, no system fonts" "$typst compile $fonts --ignore-system-fonts $work/t1/form.typ $work/t1/out.pdf"
  add "typst, 100 forms (200 pages)" "$typst compile $fonts $work/t100/form.typ $work/t100/out.pdf"
  add "typst, 100 forms, no system fonts" "$typst compile $fonts --ignore-system-fonts $work/t100/form.typ $work/t100/out.pdf"
else
  echo "typst not installed: beian alone (cargo install typst-cli, or TYPST=…)" >&2
fi

for ((r = 0; r < rounds; r++)); do
  for i in "${!cmds[@]}"; do
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/r$r-$i.json" "${cmds[$i]}" >/dev/null
  done
done
printf '%-36s %10s %10s\n' case "median ms" "PDF KB"
for i in "${!cmds[@]}"; do
  median=$(python3 -c 'import json,sys,statistics; print("%.1f" % (1000*statistics.median([t for f in sys.argv[1:] for t in json.load(open(f))["results"][0]["times"]])))' "$work"/r*-"$i".json)
  case "${names[$i]}" in
    "beian, one form") pdf=$work/one/account.pdf ;;
    "beian, 100 forms → one PDF") pdf=$work/job.pdf ;;
    "typst, one form"*) pdf=$work/t1/out.pdf ;;
    "typst, 100"*) pdf=$work/t100/out.pdf ;;
    *) pdf= ;;
  esac
  size=$([[ -n "$pdf" ]] && awk -v s="$(stat -c %s "$pdf")" 'BEGIN{printf "%.1f", s/1024}' || echo "")
  printf '%-36s %10s %10s\n' "${names[$i]}" "$median" "$size"
done
