#!/usr/bin/env bats
# valgrind memcheck over every tool (make check VALGRIND=1): the commands of
# each tool, on success and on a refused or malformed input, must run
# without an invalid read or write, a use of uninitialised memory, or a
# leak (definite or indirect).  Memory still reachable at exit is OpenSSL's
# and tpm2-tss's own (no clean-up at exit, on purpose: ss_crypto_init).

load ../lib/common
load ../lib/swtpm
load ../lib/handshake

# One directory down from the suites (run only by make check VALGRIND=1).
export SS_TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
export SS_SCHEMAS="$SS_TOP/docs/schemas"
: "${SS_BUILD:=$SS_TOP/build}"
export PATH="$SS_BUILD/bin:$PATH"
FAKE_FC="$SS_TOP/tests/fakes/firecracker"

setup_file() {
	command -v valgrind >/dev/null || return 0
	hs_suite_init || return 1
	head -c 32 /dev/urandom >"$HS/root.key" && chmod 600 "$HS/root.key"
	head -c 4096 /dev/urandom >"$HS/vmlinux"
	head -c 65536 /dev/urandom >"$HS/rootfs.ext4"
}
teardown_file() { swtpm_fini; }
setup() {
	command -v valgrind >/dev/null || skip "valgrind is not installed (scripts/bootstrap installs it)"
	hs_test_setup
}
teardown() { assert_tpm_clean; }

# vg WANT CMD...: CMD under memcheck (standard input as given to vg) must
# end with status WANT and a clean report.
vg() {
	local want=$1
	shift
	run --separate-stderr valgrind --quiet --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--track-origins=yes --child-silent-after-fork=yes --log-file="$T/vg.log" "$@"
	# Errors are "==PID==" lines; "--PID--" lines are valgrind's own notes
	# (an unhandled system call such as seccomp).
	if [ "$status" -ne "$want" ] || grep -q '^==' "$T/vg.log"; then
		echo "memcheck: $* -> status $status (want $want): $stderr" >&2
		head -n 60 "$T/vg.log" >&2
		return 1
	fi
}

@test "memcheck: ss-tpm-identity enroll, show, pcrs, quote, ak-pub, activate" {
	vg 0 ss-tpm-identity enroll --runner-id runner-1 --state "$T/runner"
	vg 0 ss-tpm-identity show --state "$T/runner"
	vg 0 ss-tpm-identity pcrs --pcrs sha256:0-7
	vg 0 ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data 00112233
	vg 0 ss-tpm-identity ak-pub
	hs enroll-challenge --key "$HS/cp.pem" --identity "$HS/id.json" --ek-ca "$SWTPM_CA_BUNDLE" \
		--state "$T/cp" >"$T/cch.json"
	vg 0 ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/cch.json"
	vg 1 ss-tpm-identity activate --cp-pub "$HS/other.pub" --state "$T/runner" <"$T/cch.json"
	vg 3 ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$T/runner" <"$HS/exec.json"
}

@test "memcheck: ss-attest-handshake enrollment, challenge, respond, verify, finish, gc" {
	vg 0 ss-attest-handshake enroll-challenge --key "$HS/cp.pem" --identity "$HS/id.json" \
		--ek-ca "$SWTPM_CA_BUNDLE" --state "$T/cp"
	echo "$output" >"$T/cch.json"
	ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/cch.json" >"$T/cresp.json"
	vg 0 ss-attest-handshake enroll-verify --key "$HS/cp.pem" --state "$T/cp" <"$T/cresp.json"
	vg 1 ss-attest-handshake enroll-verify --key "$HS/cp.pem" --state "$T/cp" <"$T/cresp.json"
	vg 0 ss-attest-handshake enrollments --cp-pub "$HS/cp.pub" --state "$T/cp"
	vg 0 ss-attest-handshake challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --state "$T/cp"
	echo "$output" >"$T/ch.json"
	vg 0 ss-attest-handshake respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	echo "$output" >"$T/ev.json"
	vg 3 ss-attest-handshake verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/cch.json"
	vg 0 ss-attest-handshake verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/ev.json"
	echo "$output" >"$T/session.json"
	vg 1 ss-attest-handshake verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp2.key" --state "$T/cp" <"$T/ev.json"
	vg 0 ss-attest-handshake finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" \
		--state "$T/runner" <"$T/session.json"
	vg 0 ss-attest-handshake policy --pcrs sha256:0-7
	vg 0 ss-attest-handshake gc --state "$T/cp"
	vg 1 ss-attest-handshake revoke "000b$(printf '%064d' 0)" --key "$HS/cp.pem" --reason test \
		--state "$T/cp"
}

@test "memcheck: ss-attest-handshake verify-quote, one quote and --batch on two threads" {
	local qd
	qd=$(openssl rand -hex 32)
	tpm2_readpublic -c 0x8100a001 -o "$T/ak.tpm2b" >/dev/null
	tpm2_quote -Q -c 0x8100a001 -l sha256:0,1,2,3,4,5,6,7 -q "$qd" -m "$T/q.msg" -s "$T/q.sig" -o "$T/q.pcrs"
	tpm2_flushcontext -t >/dev/null
	vg 0 ss-attest-handshake verify-quote --ak-pub "$T/ak.tpm2b" --attest "$T/q.msg" --sig "$T/q.sig" \
		--pcrs "$T/q.pcrs" --qualifying-data "$qd" --policy "$HS/policy.yaml"
	vg 1 ss-attest-handshake verify-quote --ak-pub "$T/ak.tpm2b" --attest "$T/q.msg" --sig "$T/q.sig" \
		--qualifying-data 00
	for i in 1 2 3 4 5 6; do
		jq -cn --arg ak "$(base64 -w0 "$T/ak.tpm2b")" --arg a "$(base64 -w0 "$T/q.msg")" \
			--arg s "$(base64 -w0 "$T/q.sig")" --arg p "$(base64 -w0 "$T/q.pcrs")" --arg q "$qd" \
			'{ak_public_b64: $ak, attest_b64: $a, signature_b64: $s, pcrs_b64: $p, qualifying_data: $q}'
	done >"$T/q.jsonl"
	vg 0 ss-attest-handshake verify-quote --batch --jobs 2 <"$T/q.jsonl"
	echo '{"ak_public_b64":1}' >>"$T/q.jsonl"
	vg 3 ss-attest-handshake verify-quote --batch --jobs 2 <"$T/q.jsonl"
}

@test "memcheck: ss-derive-key from a session, a root, in batches, and refusals" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	echo "$output" >"$T/session.json"
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" --state "$T/runner" \
		<"$T/session.json"
	vg 0 ss-derive-key --session "$T/session.json" --cp-pub "$HS/cp.pub" \
		--session-secret "$T/runner.key" --secret-out "$T/k1.pem" <"$HS/exec.json"
	vg 0 ss-derive-key --root-secret "$HS/root.key" --kind x25519 --secret-out "$T/k2.pem" <"$HS/exec.json"
	vg 0 ss-derive-key --root-secret "$HS/root.key" --kind aes-256 --secret-out "$T/k3" <"$HS/exec.json"
	for i in $(seq 1 20); do jq -c --arg i "$i" '.execution_id = "e-\($i)"' "$HS/exec.json"; done >"$T/e.jsonl"
	vg 0 ss-derive-key --root-secret "$HS/root.key" --batch --jobs 2 <"$T/e.jsonl"
	vg 0 ss-derive-key --root-secret "$HS/root.key" --batch --secret-dir "$T/keys" <"$T/e.jsonl"
	vg 1 ss-derive-key --session "$T/session.json" --cp-pub "$HS/other.pub" \
		--session-secret "$T/runner.key" --secret-out "$T/k4.pem" <"$HS/exec.json"
	vg 3 ss-derive-key --root-secret "$HS/root.key" <"$T/session.json"
}

# valgrind does not implement seccomp(2), so under it the seccomp gate
# refuses every launch: here the refusal (gates, a signed denied event) and
# verify-telemetry; the launch itself runs under ASan (make check SAN=1).
@test "memcheck: ss-fc-launch refused at its gates (signed denied event), --dry-run, verify-telemetry" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	echo "$output" >"$T/session.json"
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" --state "$T/runner" \
		<"$T/session.json"
	ss-derive-key --session "$T/session.json" --cp-pub "$HS/cp.pub" --session-secret "$T/runner.key" \
		--secret-out "$T/key.pem" <"$HS/exec.json" >"$T/key.json"
	cat >"$T/vm.yaml" <<-YAML
	type: ss.vm.v1
	execution: $(cat "$HS/exec.json")
	boot-source: {kernel_image_path: $HS/vmlinux}
	machine-config: {vcpu_count: 1, mem_size_mib: 128}
	drives: [{drive_id: rootfs, path_on_host: $HS/rootfs.ext4, is_root_device: true, is_read_only: true}]
	YAML
	launch=(ss-fc-launch --vm "$T/vm.yaml" --cp-pub "$HS/cp.pub" --session "$T/session.json"
		--key "$T/key.json" --key-secret "$T/key.pem" --state "$T/runner" --firecracker "$FAKE_FC"
		--api-sock "$T/api.sock")
	vg 1 "${launch[@]}"
	[[ "$stderr" == "ss-fc-launch: denied: seccomp_disabled: "* ]]
	echo "$output" >"$T/events.jsonl"
	vg 1 "${launch[@]}" --dry-run
	vg 1 "${launch[@]}" --cp-pub "$HS/other.pub"
	vg 3 ss-fc-launch --vm "$HS/exec.json" --cp-pub "$HS/cp.pub" --session "$T/session.json" \
		--key "$T/key.json" --state "$T/runner" --firecracker "$FAKE_FC"
	vg 0 ss-fc-launch verify-telemetry --key "$T/key.json" <"$T/events.jsonl"
	vg 3 ss-fc-launch verify-telemetry --key "$T/key.json" <"$HS/exec.json"
}

@test "memcheck: ss-attest-handshake check-session, explain, audit, status, revoke" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	echo "$output" >"$T/session.json"
	local chid
	chid=$(jq -r .challenge_id "$T/session.json")
	local check=(ss-attest-handshake check-session --cp-pub "$HS/cp.pub" --challenge "$T/ch.json"
		--evidence "$T/ev.json" --enrollment "$HS/enrollment.json" --policy "$HS/policy.yaml")
	vg 0 "${check[@]}" <"$T/session.json"
	jq -c '.tenant_id = "tenant-b"' "$T/session.json" >"$T/edited.json"
	vg 1 "${check[@]}" <"$T/edited.json"
	vg 3 "${check[@]}" <"$HS/exec.json"
	vg 0 ss-attest-handshake explain "$chid" --state "$T/cp"
	vg 3 ss-attest-handshake explain ch-00000000000000000000000000000000 --state "$T/cp"
	vg 0 ss-attest-handshake audit --state "$T/cp"
	vg 0 ss-attest-handshake audit --since 1h --decision approved --state "$T/cp"
	vg 0 ss-attest-handshake audit --check --state "$T/cp"
	vg 0 ss-attest-handshake status --state "$T/cp"
	vg 0 ss-attest-handshake revoke "$(jq -r .ak_name "$HS/enrollment.json")" --key "$HS/cp.pem" \
		--reason "memcheck" --state "$T/cp"
	vg 0 ss-attest-handshake enrollments --revoked --cp-pub "$HS/cp.pub" --state "$T/cp"
	# A broken chain is a finding (status 1), read to its end.
	sed -i '1s/,"/,"x/' "$T/cp/audit.jsonl"
	vg 1 ss-attest-handshake audit --check --state "$T/cp"
}

@test "memcheck: ss-derive-key check-key" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	echo "$output" >"$T/session.json"
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" --state "$T/runner" \
		<"$T/session.json"
	ss-derive-key --session "$T/session.json" --cp-pub "$HS/cp.pub" --session-secret "$T/runner.key" \
		--secret-out "$T/k.pem" <"$HS/exec.json" >"$T/key.json"
	vg 0 ss-derive-key check-key --session "$T/session.json" --cp-pub "$HS/cp.pub" <"$T/key.json"
	jq -c '.execution_id = "exec-2"' "$T/key.json" >"$T/other.json"
	vg 1 ss-derive-key check-key --session "$T/session.json" --cp-pub "$HS/cp.pub" <"$T/other.json"
	vg 3 ss-derive-key check-key --session "$T/session.json" --cp-pub "$HS/cp.pub" <"$HS/exec.json"
}

# No TPM: the records are written here, as ss-collision-check.bats does.
@test "memcheck: ss-collision-check, a check, --partition and merge, stress, refusals and malformed input" {
	"$SS_PYTHON" "$SS_TOP/tests/lib/collision_records.py" 3000 --mix --seed 7 >"$T/mix.jsonl"
	"$SS_PYTHON" "$SS_TOP/tests/lib/collision_records.py" 2000 --seed 8 >"$T/clean.jsonl"
	vg 0 ss-collision-check --jobs 2 --stats "$T/clean.jsonl"
	vg 1 ss-collision-check --jobs 2 --max-examples 50 "$T/mix.jsonl"
	echo "$output" >"$T/whole.json"
	vg 1 ss-collision-check --jobs 1 - <"$T/mix.jsonl"
	local part
	for part in 1 2 3; do
		vg 1 ss-collision-check --jobs 2 --max-examples 50 --partition "$part/3" "$T/mix.jsonl"
		echo "$output" >"$T/part-$part.json"
	done
	vg 1 ss-collision-check merge "$T/part-3.json" "$T/part-1.json" "$T/part-2.json"
	[ "$output" = "$(cat "$T/whole.json")" ]
	vg 3 ss-collision-check merge "$T/part-1.json" "$T/part-2.json"
	vg 3 ss-collision-check merge "$T/mix.jsonl"
	vg 0 ss-collision-check stress --tenants 4 --executions 8 --seed 1 --jobs 2
	{ head -n 100 "$T/mix.jsonl"; echo '{"tenant_id":7}'; cat "$T/mix.jsonl"; } >"$T/bad.jsonl"
	vg 3 ss-collision-check --jobs 2 "$T/bad.jsonl"
	printf '{"tenant_id":"t",' >"$T/cut.jsonl"
	vg 3 ss-collision-check <"$T/cut.jsonl"
	vg 2 ss-collision-check --partition 4/3 "$T/mix.jsonl"
	vg 6 ss-collision-check "$T/missing.jsonl"
}
