#!/usr/bin/env bats
# What the handshake commands read, refused when it is not exactly right:
# truncated, oversized, duplicate-key, wrong-typed and foreign documents are
# exit 3 with one line and an empty stdout, and consume nothing; mistakes on
# the command line are exit 2.

load lib/common
load lib/swtpm
load lib/handshake

setup_file() { hs_suite_init; }
teardown_file() { swtpm_fini; }
setup() {
	hs_test_setup
	hs_challenge
	hs_respond
	ID=$(jq -r .challenge_id "$T/ch.json")
}
teardown() { assert_tpm_clean; }

verify_in() {
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$1"
}

# nothing_consumed: the challenge is still pending and no secret was written.
nothing_consumed() {
	[ -f "$T/cp/challenges/$ID" ]
	[ ! -e "$T/cp/consumed/$ID" ]
	[ ! -e "$T/cp.key" ]
}

@test "verify: truncated evidence" {
	head -c 200 "$T/ev.json" >"$T/bad.json"
	verify_in "$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: unexpected end of JSON at byte 200"
	nothing_consumed
}

@test "verify: oversized evidence" {
	"$SS_PYTHON" -c 'import sys; sys.stdout.write("{\"type\":\"" + "x" * (1 << 20) + "\"}")' >"$T/big.json"
	verify_in "$T/big.json"
	assert_failure_exact 3 "ss-attest-handshake: read standard input: larger than 1048576 bytes"
	nothing_consumed
}

@test "verify: a duplicate key" {
	sed 's/^{/{"runner_id":"runner-9",/' "$T/ev.json" >"$T/bad.json"
	verify_in "$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: duplicate member 'runner_id'"
	nothing_consumed
}

@test "verify: wrong types, unknown members, another document" {
	jq -c '.runner_id = 5' "$T/ev.json" >"$T/bad.json"
	verify_in "$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: member 'runner_id' must be a string"
	jq -c '.quote.pcrs["0"] = true' "$T/ev.json" >"$T/bad.json"
	verify_in "$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: member 'quote.pcrs.0' must be a string"
	jq -c '.extra = 1' "$T/ev.json" >"$T/bad.json"
	verify_in "$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: unknown member 'extra'"
	jq -c '.quote.attest_b64 = "not base64!"' "$T/ev.json" >"$T/bad.json"
	verify_in "$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: member 'quote.attest_b64' is not valid base64"
	jq -c '.runner_ephemeral_x25519 = "AAAA"' "$T/ev.json" >"$T/bad.json"
	verify_in "$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: member 'runner_ephemeral_x25519' must be 32 bytes of base64"
	verify_in "$T/ch.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: document type 'ss.challenge.v1' where 'ss.evidence.v1' was expected"
	printf '{"type":"ss.evidence.v1","n":1.5}' >"$T/bad.json"
	verify_in "$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: number with a fraction or exponent at byte 29"
	nothing_consumed
}

@test "verify: a policy with an unknown key, bad hex or a wrong length names the line" {
	printf 'pcr_bank: sha256\nallow_simulator: true\nmax_age: 5\n' >"$T/p.yaml"
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$T/p.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/ev.json"
	assert_failure_exact 3 "ss-attest-handshake: policy '$T/p.yaml' line 3: unknown key 'max_age'"
	printf 'pcr_bank: sha256\npcrs:\n  0: xyz\n' >"$T/p.yaml"
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$T/p.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/ev.json"
	assert_failure_exact 3 "ss-attest-handshake: policy '$T/p.yaml' line 3: PCR 0: value is not hex"
	printf 'pcr_bank: sha256\npcrs:\n  0: abcd\n' >"$T/p.yaml"
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$T/p.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/ev.json"
	assert_failure_exact 3 "ss-attest-handshake: policy '$T/p.yaml' line 3: PCR 0: value is 2 bytes, sha256 values are 32"
	nothing_consumed
}

# policy_refused YAML MESSAGE: verify with this policy is exit 3 with the
# message (after "policy 'FILE' "), and consumes nothing.
policy_refused() {
	printf "$1" >"$T/p.yaml"
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$T/p.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/ev.json"
	assert_failure_exact 3 "ss-attest-handshake: policy '$T/p.yaml'$2"
	nothing_consumed
}

@test "verify: a policy fails closed (one document, plain values, no tags, PCR values named)" {
	policy_refused 'allow_simulator: false\npcrs: any\n---\nallow_simulator: true\n' \
		" line 3: a policy is one YAML document; a second one starts here"
	policy_refused 'pcrs: any\nallow_simulator: "true"\n' \
		" line 2: 'allow_simulator' must be true or false, unquoted"
	policy_refused 'pcrs: any\nallow_simulator: !!str true\n' \
		" line 2: tags are not allowed ('tag:yaml.org,2002:str')"
	policy_refused 'pcrs: any\nclock_skew: 0X10\n' \
		" line 2: 'clock_skew' must be a plain decimal number ('0X10')"
	policy_refused 'pcrs: any\nclock_skew: 010\n' \
		" line 2: 'clock_skew' must be a plain decimal number ('010')"
	policy_refused 'pcr_bank: sha256\npcrs:\n  010: %064d\n' \
		" line 3: '010' is not a PCR index 0-23"
	policy_refused 'allow_simulator: true\n' \
		": no 'pcrs': a policy names at least one PCR value, or says 'pcrs: any'"
	policy_refused 'pcr_bank: sha256\npcrs: {}\nallow_simulator: true\n' \
		" line 2: 'pcrs' names no PCR: give at least one value, or say 'pcrs: any'"
}

@test "verify: 'pcrs: any' says outright that any PCR values are accepted" {
	printf 'pcrs: any\nallow_simulator: true\n' >"$T/p.yaml"
	hs_verify "$T/ev.json" "$T/p.yaml"
	assert_success
}

@test "verify: a control-plane key that group or others can read (exit 3)" {
	cp "$HS/cp.pem" "$T/loose.pem"
	chmod 640 "$T/loose.pem"
	run --separate-stderr hs verify --key "$T/loose.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/ev.json"
	assert_failure_exact 3 "ss-attest-handshake: secret file '$T/loose.pem' is accessible by group or others (mode 0640)"
	nothing_consumed
}

@test "respond and finish: broken documents are exit 3" {
	head -c 100 "$T/ch.json" >"$T/bad.json"
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: challenge: unexpected end of JSON at byte 100"
	jq -c '.pcr_selection = "sha256:7,1"' "$T/ch.json" >"$T/bad.json"
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/bad.json"
	assert_failure_exact 3 "ss-attest-handshake: challenge: member 'pcr_selection' is not canonical ('sha256:1,7')"
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/r.key" \
		--state "$T/runner" <"$T/ev.json"
	assert_failure_exact 3 "ss-attest-handshake: session: document type 'ss.evidence.v1' where 'ss.session.v1' was expected"
	[ ! -e "$T/r.key" ]
}

@test "challenge: a broken execution document is exit 3" {
	echo '{"type":"ss.execution.v1","execution_id":"e","tenant_id":"t","operator_id":"o","fingerprint":"sha1:00"}' >"$T/x.json"
	run --separate-stderr hs challenge --key "$HS/cp.pem" --execution "$T/x.json" --state "$T/cp"
	assert_failure_exact 3 "ss-attest-handshake: execution '$T/x.json': member 'fingerprint' must be sha256:<64 lowercase hex>"
	echo '{"type":"ss.execution.v1","execution_id":"e e","tenant_id":"t","operator_id":"o","fingerprint":"sha256:'"$(printf 'a%.0s' $(seq 64))"'"}' >"$T/x.json"
	run --separate-stderr hs challenge --key "$HS/cp.pem" --execution "$T/x.json" --state "$T/cp"
	assert_failure_exact 3 "ss-attest-handshake: execution '$T/x.json': member 'execution_id' is not an identifier ([A-Za-z0-9._:-]{1,128})"
}

@test "usage errors are exit 2 with one line" {
	run --separate-stderr hs challenge --execution "$HS/exec.json" --state "$T/cp"
	assert_failure_exact 2 "ss-attest-handshake: challenge: needs --key"
	run --separate-stderr hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --pcrs sha256:24
	assert_failure_exact 2 "ss-attest-handshake: --pcrs: PCR selection 'sha256:24': PCR 24 out of range 0-23"
	run --separate-stderr hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --ttl 0
	assert_failure_exact 2 "ss-attest-handshake: --ttl: '0' is not a number in 1..86400"
	run --separate-stderr hs verify --key "$HS/cp.pem" --session-secret-out "$T/k" <"$T/ev.json"
	assert_failure_exact 2 "ss-attest-handshake: verify: needs --policy"
	run --separate-stderr hs respond --state "$T/runner" <"$T/ch.json"
	assert_failure_exact 2 "ss-attest-handshake: respond: needs --cp-pub"
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" <"$T/ch.json"
	assert_failure_exact 2 "ss-attest-handshake: finish: needs --session-secret-out"
	run --separate-stderr hs policy
	assert_failure_exact 2 "ss-attest-handshake: policy: needs --pcrs"
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --ttl 5
	assert_failure_exact 2 "ss-attest-handshake: option '--ttl' does not apply to 'respond'"
	run --separate-stderr hs gc extra
	assert_failure_exact 2 "ss-attest-handshake: unexpected argument 'extra'"
	nothing_consumed
}

@test "policy: prints golden values that verify against this TPM and reads back" {
	run --separate-stderr hs policy --pcrs sha256:0,3,7 --allow-simulator
	assert_success
	echo "$output" >"$T/p.yaml"
	grep -q '^allow_simulator: true$' "$T/p.yaml"
	want=$(tpm2_pcrread sha256:3 | awk '/0x/ {print tolower(substr($3, 3))}')
	grep -q "^  3: $want\$" "$T/p.yaml"
	hs_verify "$T/ev.json" "$T/p.yaml"
	assert_success
}

@test "policy and respond: an unreachable TPM is exit 4" {
	run --separate-stderr hs policy --pcrs sha256:0 --tcti swtpm:host=127.0.0.1,port=1
	assert_failure_exact 4 "ss-attest-handshake: connect to TPM 'swtpm:host=127.0.0.1,port=1': cannot reach the TPM (is it running?)"
}
