#!/usr/bin/env bash
# Collision check: `ss-collision-check` against the reference implementation
# ($SS_BASELINES/ref_collision.py) on the 1M-record JSONL that
# $SS_BASELINES/gen_records.py 1000000 writes, measured alternately in
# one run (best of five wall-clock times each).  Both must find the same
# number of cross-tenant bindings there and on a smaller input with
# collisions (--collide).  Also reported: the state kept per distinct
# binding (--stats), which must stay in the tens of bytes.  Output: the
# rows and notes of bench/run.
set -euo pipefail
# baselines: gen_records.py ref_collision.py
: "${SS_TOP:?run through bench/run}" "${SS_BASELINES:?run through bench/run with BASELINES=DIR}"
n=1000000
out="$SS_BUILD/bench/collision"
mkdir -p "$out"
gen="$SS_BASELINES/gen_records.py"
ref="$SS_BASELINES/ref_collision.py"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
cpus=$(nproc)

if [ ! -s "$out/records.jsonl" ]; then
	"$py" "$gen" "$n" >"$out/records.tmp"
	mv "$out/records.tmp" "$out/records.jsonl"
fi
if [ ! -s "$out/collide.jsonl" ]; then
	"$py" "$gen" 100000 500 --collide 250 >"$out/collide.tmp"
	mv "$out/collide.tmp" "$out/collide.jsonl"
fi

# seconds CMD...: wall time of CMD < records > $result (exit 1 is a verdict).
seconds() {
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	"$@" <"$out/records.jsonl" >"$result" 2>"$result.err" || rc=$?
	t1=$(date +%s.%N)
	[ "$rc" -le 1 ] || { cat "$result.err" >&2; exit 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}

best_ss=999999 best_ref=999999
for round in 1 2 3 4 5; do
	result="$out/ss.json"
	t=$(seconds ss-collision-check --stats)
	best_ss=$(awk -v a="$t" -v b="$best_ss" 'BEGIN { print (a < b ? a : b) }')
	result="$out/ref.json"
	t=$(seconds "$py" "$ref")
	best_ref=$(awk -v a="$t" -v b="$best_ref" 'BEGIN { print (a < b ? a : b) }')
	: "$round"
done

# The same verdict: here (no collision) and on the input with collisions.
ours=$(jq '.by_kind.binding_cross_tenant' "$out/ss.json")
theirs=$(jq '.violation_count' "$out/ref.json")
ours_c=$(ss-collision-check "$out/collide.jsonl" 2>/dev/null | jq '.by_kind.binding_cross_tenant' || true)
theirs_c=$("$py" "$ref" <"$out/collide.jsonl" | jq '.violation_count' || true)
if [ "$ours" != "$theirs" ] || [ "$ours_c" != "$theirs_c" ] || [ "$ours_c" -eq 0 ] ||
	[ "$(jq .records "$out/ss.json")" -ne "$n" ]; then
	printf 'row\tcollision-check: %d records\t-\t-\t-\t>= 10\tMISSED (counts disagree: %s vs %s; with collisions %s vs %s)\n' \
		"$n" "$ours" "$theirs" "$ours_c" "$theirs_c"
	exit 1
fi

# "... 1000000 bindings, 58.7 bytes of state each; ..."
per_binding=$(sed -n 's/.* bindings, \([0-9.]*\) bytes of state each.*/\1/p' "$out/ss.json.err")
per_record=$(sed -n 's/.*(\([0-9.]*\) per record).*/\1/p' "$out/ss.json.err")

awk -v n="$n" -v s="$best_ss" -v r="$best_ref" -v j="$cpus" -v b="$per_binding" \
	-v pr="$per_record" -v c="$ours_c" 'BEGIN {
	ratio = r / s
	ok = ratio >= 10
	okb = b < 100
	printf "row\tcollision-check: %d records\t%.3f s\t%.3f s (ref_collision.py)\t%.1f\t>= 10\t%s\n",
	       n, s, r, ratio, (ok ? "ok" : "MISSED")
	printf "row\tcollision-check: state per binding\t%.1f bytes\t-\t-\t< 100 bytes\t%s\n",
	       b, (okb ? "ok" : "MISSED")
	printf "note\tbest of 5 each, %d cores, %.0f records/s; %.1f bytes per record in all tables; counts agree, %d cross-tenant bindings on the --collide input\n",
	       j, n / s, pr, c
	exit (ok && okb ? 0 : 1)
}'
