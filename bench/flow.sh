#!/usr/bin/env bash
# The attested handshake and key derivation - challenge, respond, verify,
# derive - against baseline-flow.sh from $SS_BASELINES (the same steps
# with tpm2-tools and the openssl CLI), on one private swtpm, side by side:
# each round runs both, in alternating order, so that both see the same
# machine; the figures are the medians, and a note gives the spread of
# the rounds' own ratios (each round's flow over the baseline run beside
# it), which shows how far a figure near the target can be trusted.
# Clocks are read with bash's
# $EPOCHREALTIME (no process of their own).  finish, the runner's epilogue
# outside the four steps, runs after each of our rounds, untimed, to check
# that both sides hold the same secret.  Target: ours <= 0.25 of the
# baseline's wall time.
set -euo pipefail
# baselines: baseline-flow.sh
: "${SS_TOP:?run through bench/run}" "${SS_BASELINES:?run through bench/run with BASELINES=DIR}"
rounds=${SS_BENCH_ROUNDS:-31}
target=0.25
baseline="$SS_BASELINES/baseline-flow.sh"
[ -f "$baseline" ] || { echo "flow: no baseline-flow.sh in $SS_BASELINES" >&2; exit 1; }

w=$(mktemp -d)
export BATS_FILE_TMPDIR="$w"
# shellcheck source=../tests/lib/swtpm.bash
source "$SS_TOP/tests/lib/swtpm.bash"
trap 'swtpm_fini >/dev/null 2>&1; rm -rf "$w"' EXIT
swtpm_init >/dev/null
swtpm_pid=$(cat "$SWTPM_DIR/pid")
# CPU seconds the swtpm daemon has used (it is this benchmark's load).
swtpm_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$swtpm_pid/stat"; }
cpu0=$(swtpm_cpu)

# One-time setup for both sides (not timed).
bash "$baseline" setup "$w/bl" >/dev/null 2>&1
openssl genpkey -algorithm ed25519 -out "$w/cp.pem" 2>/dev/null
chmod 600 "$w/cp.pem"
openssl pkey -in "$w/cp.pem" -pubout -out "$w/cp.pub"
ss-tpm-identity enroll --runner-id runner-1 --state "$w/runner" >"$w/id.json"
ss-attest-handshake enroll-challenge --key "$w/cp.pem" --identity "$w/id.json" \
	--ek-ca "$SWTPM_CA_BUNDLE" --state "$w/cp" >"$w/cch.json"
ss-tpm-identity activate --cp-pub "$w/cp.pub" --state "$w/runner" <"$w/cch.json" >"$w/cresp.json"
ss-attest-handshake enroll-verify --key "$w/cp.pem" --state "$w/cp" <"$w/cresp.json" >/dev/null
printf '{"type":"ss.execution.v1","execution_id":"exec-1","tenant_id":"tenant-a","operator_id":"op-1","fingerprint":"sha256:%s"}\n' \
	"$(printf bench | sha256sum | cut -c1-64)" >"$w/exec.json"
ss-attest-handshake policy --pcrs sha256:0,1,2,3,4,5,6,7 --allow-simulator >"$w/policy.yaml"

# usec A B: microseconds from $EPOCHREALTIME value A to B.
usec() { echo $(((${2%.*} - ${1%.*}) * 1000000 + 10#${2#*.} - 10#${1#*.})); }

# ours_round I: the four steps, each timed; then finish and the check.
ours_round() {
	local r=$w/r$1 t0 t1 t2 t3 t4
	mkdir -p "$r"
	t0=$EPOCHREALTIME
	ss-attest-handshake challenge --key "$w/cp.pem" --execution "$w/exec.json" --state "$w/cp" >"$r/ch.json"
	t1=$EPOCHREALTIME
	ss-attest-handshake respond --cp-pub "$w/cp.pub" --state "$w/runner" <"$r/ch.json" >"$r/ev.json"
	t2=$EPOCHREALTIME
	ss-attest-handshake verify --key "$w/cp.pem" --policy "$w/policy.yaml" \
		--session-secret-out "$r/session.key" --state "$w/cp" <"$r/ev.json" >"$r/session.json"
	t3=$EPOCHREALTIME
	ss-derive-key --session "$r/session.json" --cp-pub "$w/cp.pub" --session-secret "$r/session.key" \
		--secret-out "$r/exec.key" <"$w/exec.json" >"$r/key.json"
	t4=$EPOCHREALTIME
	echo "$(usec "$t0" "$t4") $(usec "$t0" "$t1") $(usec "$t1" "$t2") $(usec "$t2" "$t3") $(usec "$t3" "$t4")" \
		>>"$w/ours.us"
	ss-attest-handshake finish --cp-pub "$w/cp.pub" --session-secret-out "$r/runner.key" \
		--state "$w/runner" <"$r/session.json"
	cmp -s "$r/session.key" "$r/runner.key" || { echo "flow: secrets differ" >&2; return 1; }
	rm -rf "$r"
}

base_round() {
	local t0 t1
	t0=$EPOCHREALTIME
	TPM2TOOLS_TCTI=$SS_TCTI bash "$baseline" run "$w/bl" >/dev/null 2>&1
	t1=$EPOCHREALTIME
	usec "$t0" "$t1" >>"$w/base.us"
}

: >"$w/ours.us"
: >"$w/base.us"
for i in $(seq 1 "$rounds"); do
	if [ $((i % 2)) -eq 1 ]; then
		base_round
		ours_round "$i" 2>"$w/err" || { cat "$w/err" >&2; exit 1; }
	else
		ours_round "$i" 2>"$w/err" || { cat "$w/err" >&2; exit 1; }
		base_round
	fi
done
# The ratios of single rounds: their median and quartiles.
spread=$(paste -d' ' "$w/ours.us" "$w/base.us" | awk '{ print $1 / $6 }' | sort -n |
	awk '{ a[NR] = $1 } END { printf "median %.3f, quartiles %.3f-%.3f",
		a[int((NR + 1) / 2)], a[int(NR / 4) + 1], a[int(3 * NR / 4) + 1] }')
printf 'cpu\t%s\n' "$(awk -v a="$(swtpm_cpu)" -v b="$cpu0" 'BEGIN { printf "%.2f", a - b }')"

# median FILE COLUMN
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ours=$(median "$w/ours.us" 1)
base=$(median "$w/base.us" 1)
awk -v o="$ours" -v b="$base" -v n="$rounds" -v t="$target" -v spread="$spread" \
	-v s1="$(median "$w/ours.us" 2)" -v s2="$(median "$w/ours.us" 3)" \
	-v s3="$(median "$w/ours.us" 4)" -v s4="$(median "$w/ours.us" 5)" 'BEGIN {
	r = o / b
	printf "row\tflow: challenge+respond+verify+derive\t%.1f ms\t%.1f ms (baseline-flow.sh)\t%.3f\t<= %.2f\t%s\n",
		o / 1000, b / 1000, r, t, (r <= t ? "ok" : "MISSED")
	printf "note\tmedians of %d rounds; ours by step: challenge %.1f, respond %.1f, verify %.1f, derive %.1f ms\n",
		n, s1 / 1000, s2 / 1000, s3 / 1000, s4 / 1000
	printf "note\tratios of single rounds (each flow over the baseline run beside it): %s\n", spread
	exit (r <= t ? 0 : 1) }'
