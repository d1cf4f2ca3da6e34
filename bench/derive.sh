#!/usr/bin/env bash
# Batch derivation: `ss-derive-key --batch --root-secret F --kind raw` against
# the reference implementation ($SS_BASELINES/ref_derive.py) on the same
# 200k ss.execution.v1 contexts, measured alternately in one run (best of
# three wall-clock times each, so that a burst of other load on the machine
# does not decide the ratio).  The outputs must agree on key_id and
# context_hash.
set -euo pipefail
# baselines: ref_derive.py
: "${SS_TOP:?run through bench/run}" "${SS_BASELINES:?run through bench/run with BASELINES=DIR}"
n=200000
out="$SS_BUILD/bench/derive"
mkdir -p "$out"
ref="$SS_BASELINES/ref_derive.py"
[ -f "$ref" ] || { echo "derive-batch: no ref_derive.py in $SS_BASELINES" >&2; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
jobs=$(nproc)

# Deterministic contexts: 100 tenants, 7 operators, a fingerprint per line.
if [ ! -s "$out/contexts.jsonl" ]; then
	"$py" - "$n" >"$out/contexts.tmp" <<-'PY'
	import hashlib, sys
	for i in range(int(sys.argv[1])):
	    fp = hashlib.sha256(b"bench-%d" % i).hexdigest()
	    print('{"type":"ss.execution.v1","execution_id":"exec-%07d","tenant_id":"tenant-%03d",'
	          '"operator_id":"op-%d","fingerprint":"sha256:%s"}' % (i, i % 100, i % 7, fp))
	PY
	mv "$out/contexts.tmp" "$out/contexts.jsonl"
fi
( umask 077 && printf 'ss-derive-key bench root secret, 32+ bytes long' >"$out/root" )

# seconds CMD...: wall time of CMD < contexts > OUT_FILE (set by caller).
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" <"$out/contexts.jsonl" >"$result"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}

best_ss=999999 best_ref=999999
for round in 1 2 3; do
	result="$out/ss.jsonl"
	t=$(seconds ss-derive-key --batch --root-secret "$out/root" --kind raw --jobs "$jobs")
	best_ss=$(awk -v a="$t" -v b="$best_ss" 'BEGIN { print (a < b ? a : b) }')
	result="$out/ref.jsonl"
	t=$(seconds "$py" "$ref" "$out/root")
	best_ref=$(awk -v a="$t" -v b="$best_ref" 'BEGIN { print (a < b ? a : b) }')
	: "$round"
done

# Agreement on an evenly spread sample of 2000 lines (and on the count).
if ! "$py" - "$out/ss.jsonl" "$out/ref.jsonl" "$n" <<-'PY'
	import json, sys
	ours, ref, n = open(sys.argv[1]).read().splitlines(), open(sys.argv[2]).read().splitlines(), int(sys.argv[3])
	if len(ours) != n or len(ref) != n:
	    sys.exit("derive-batch: %d and %d records for %d contexts" % (len(ours), len(ref), n))
	for i in range(0, n, n // 2000):
	    a, b = json.loads(ours[i]), json.loads(ref[i])
	    if (a["key_id"], a["context_hash"]) != (b["key_id"], b["context_hash"]):
	        sys.exit("derive-batch: line %d differs: %s vs %s" % (i + 1, ours[i], ref[i]))
	PY
then
	printf 'row\tderive-batch: %d contexts\t-\t-\t-\t>= 10\tMISSED (outputs disagree)\n' "$n"
	exit 1
fi

awk -v n="$n" -v s="$best_ss" -v r="$best_ref" -v j="$jobs" 'BEGIN {
	ours = n / s; theirs = n / r; ratio = ours / theirs
	printf "row\tderive-batch: %d contexts\t%.0f keys/s\t%.0f keys/s (ref_derive.py)\t%.1f\t>= 10\t%s\n",
	       n, ours, theirs, ratio, (ratio >= 10 ? "ok" : "MISSED")
	printf "note\tbest of 3 each, %d threads; outputs agree\n", j
	if (ratio < 10)
		exit 1
}'
