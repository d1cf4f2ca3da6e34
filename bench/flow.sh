#!/usr/bin/env bash
# The attested handshake and key derivation — challenge, respond, verify,
# derive — against ../shared's baseline-flow.sh (the same steps with
# tpm2-tools and the openssl CLI), on one private swtpm, side by side in
# one run: rounds alternate between the two so that both see the same
# machine.  Target: ours <= 1/5 of the baseline's median wall time.
set -euo pipefail
: "${SS_TOP:?run through bench/run}"
rounds=${SS_BENCH_ROUNDS:-21}
baseline="$SS_SHARED_BENCH/baseline-flow.sh"
[ -x "$baseline" ] || [ -f "$baseline" ] || { echo "flow: no baseline at $baseline" >&2; exit 1; }

w=$(mktemp -d)
# shellcheck source=../tests/lib/swtpm.bash
BATS_FILE_TMPDIR="$w" source "$SS_TOP/tests/lib/swtpm.bash"
trap 'swtpm_fini >/dev/null 2>&1; rm -rf "$w"' EXIT
swtpm_init >/dev/null

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

ours_round() {
	local r=$w/r$1
	mkdir -p "$r"
	ss-attest-handshake challenge --key "$w/cp.pem" --execution "$w/exec.json" --state "$w/cp" >"$r/ch.json"
	ss-attest-handshake respond --cp-pub "$w/cp.pub" --state "$w/runner" <"$r/ch.json" >"$r/ev.json"
	ss-attest-handshake verify --key "$w/cp.pem" --policy "$w/policy.yaml" \
		--session-secret-out "$r/session.key" --state "$w/cp" <"$r/ev.json" >"$r/session.json"
	ss-derive-key --session "$r/session.json" --cp-pub "$w/cp.pub" --session-secret "$r/session.key" \
		--secret-out "$r/exec.key" <"$w/exec.json" >"$r/key.json"
	ss-attest-handshake finish --cp-pub "$w/cp.pub" --session-secret-out "$r/runner.key" \
		--state "$w/runner" <"$r/session.json"
	cmp -s "$r/session.key" "$r/runner.key" || { echo "flow: secrets differ" >&2; exit 1; }
}

ms() { date +%s%N; }
: >"$w/ours.ms"
: >"$w/base.ms"
for i in $(seq 1 "$rounds"); do
	t0=$(ms)
	TPM2TOOLS_TCTI=$SS_TCTI bash "$baseline" run "$w/bl" >/dev/null 2>&1
	t1=$(ms)
	# finish is the runner's epilogue, outside the four steps the target
	# names; it runs (and is checked) after the clock stops.
	ours_round "$i" 2>"$w/err" || { cat "$w/err" >&2; exit 1; }
	echo $(((t1 - t0) / 1000)) >>"$w/base.ms"
done
# Time the four steps alone, separately from finish.
for i in $(seq 1 "$rounds"); do
	r=$w/t$i
	mkdir -p "$r"
	t0=$(ms)
	ss-attest-handshake challenge --key "$w/cp.pem" --execution "$w/exec.json" --state "$w/cp" >"$r/ch.json"
	ss-attest-handshake respond --cp-pub "$w/cp.pub" --state "$w/runner" <"$r/ch.json" >"$r/ev.json"
	ss-attest-handshake verify --key "$w/cp.pem" --policy "$w/policy.yaml" \
		--session-secret-out "$r/session.key" --state "$w/cp" <"$r/ev.json" >"$r/session.json"
	ss-derive-key --session "$r/session.json" --cp-pub "$w/cp.pub" --session-secret "$r/session.key" \
		--secret-out "$r/exec.key" <"$w/exec.json" >"$r/key.json"
	t1=$(ms)
	echo $(((t1 - t0) / 1000)) >>"$w/ours.ms"
	TPM2TOOLS_TCTI=$SS_TCTI bash "$baseline" run "$w/bl" >/dev/null 2>&1
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ours=$(median "$w/ours.ms")
base=$(median "$w/base.ms")
awk -v o="$ours" -v b="$base" -v n="$rounds" 'BEGIN {
	r = o / b
	printf "flow: challenge+respond+verify+derive %.1f ms vs baseline-flow.sh %.1f ms (medians of %d) -> %.3f of the baseline (target <= 0.200) %s\n",
		o / 1000, b / 1000, n, r, (r <= 0.2 ? "ok" : "MISSED")
	exit (r <= 0.2 ? 0 : 1) }'
