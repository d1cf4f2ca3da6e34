#!/usr/bin/env bats
# Every attack on the evidence that the verifier's checklist names, each
# made from real evidence of a real TPM and each refused with its exact
# reason code; the verifier stops at the first failing check.

load lib/common
load lib/swtpm
load lib/handshake

setup_file() { hs_suite_init; }
teardown_file() { swtpm_fini; }
setup() {
	hs_test_setup
	hs_challenge
	hs_respond
}
teardown() { assert_tpm_clean; }

# extra_data EVIDENCE: the qualifying data inside the quote's TPMS_ATTEST.
extra_data() {
	jq -r .quote.attest_b64 "$1" | "$SS_PYTHON" -c '
import base64, struct, sys
a = base64.b64decode(sys.stdin.read())
o = 6
n = struct.unpack(">H", a[o:o + 2])[0]; o += 2 + n
n = struct.unpack(">H", a[o:o + 2])[0]
print(a[o + 2:o + 2 + n].hex())'
}

@test "untouched evidence is approved (the baseline for every attack here)" {
	hs_verify "$T/ev.json"
	assert_success
}

@test "one bit flipped in the attest blob: signature_invalid" {
	b64_edit "$T/ev.json" .quote.attest_b64 'b[-1] ^= 0x01'
	hs_verify "$T/ev.json"
	reason_is signature_invalid "the quote's signature does not verify with the AK"
}

@test "one bit flipped in the signature: signature_invalid" {
	b64_edit "$T/ev.json" .quote.signature_b64 'b[-1] ^= 0x01'
	hs_verify "$T/ev.json"
	reason_is signature_invalid "the quote's signature does not verify with the AK"
}

@test "a magic that is not TPM_GENERATED: bad_magic, before the signature is looked at" {
	b64_edit "$T/ev.json" .quote.attest_b64 'b[0] ^= 0xff'
	hs_verify "$T/ev.json"
	reason_is bad_magic "magic 0x00544347 is not TPM_GENERATED"
}

@test "an attestation that is not a quote (TPM2_Certify by the same AK): wrong_attest_type" {
	ak=$(jq -r .ak.handle "$HS/id.json")
	tpm2_certify -c "$ak" -C "$ak" -g sha256 -o "$T/cert.att" -s "$T/cert.sig" >/dev/null
	tpm2_flushcontext -t >/dev/null
	jq -c --arg a "$(base64 -w0 "$T/cert.att")" --arg s "$(base64 -w0 "$T/cert.sig")" \
		'.quote.attest_b64 = $a | .quote.signature_b64 = $s' "$T/ev.json" >"$T/ev2.json"
	hs_verify "$T/ev2.json"
	reason_is wrong_attest_type "attestation type 0x8017 is not a quote"
}

@test "a TPMS_ATTEST with a byte after it: malformed_evidence" {
	b64_edit "$T/ev.json" .quote.attest_b64 'b.append(0)'
	hs_verify "$T/ev.json"
	reason_is malformed_evidence "attest: 1 bytes after the TPMS_ATTEST"
	# A malformed quote is judged before the challenge: it stays unused.
	hs_respond_again=$(jq -r .challenge_id "$T/ch.json")
	[ -f "$T/cp/challenges/$hs_respond_again" ]
}

@test "a TPMT_SIGNATURE cut short: malformed_evidence" {
	b64_edit "$T/ev.json" .quote.signature_b64 'del b[-3:]'
	hs_verify "$T/ev.json"
	reason_is malformed_evidence "signature: not a TPMT_SIGNATURE"
}

@test "wrong qualifying data (another ephemeral key than the one quoted): binding_mismatch" {
	other=$(head -c 32 /dev/urandom | base64 -w0)
	jq -c --arg k "$other" '.runner_ephemeral_x25519 = $k' "$T/ev.json" >"$T/ev2.json"
	hs_verify "$T/ev2.json"
	reason_is binding_mismatch "qualifying data is not the expected binding"
}

@test "evidence answered for another challenge: binding_mismatch" {
	cp "$T/ev.json" "$T/first.json"
	hs_challenge
	hs_respond
	jq -c --arg id "$(jq -r .challenge_id "$T/ch.json")" '.challenge_id = $id' "$T/first.json" >"$T/ev2.json"
	hs_verify "$T/ev2.json"
	reason_is binding_mismatch "qualifying data is not the expected binding"
}

@test "a quote of another PCR selection than the challenged one: pcr_selection_mismatch" {
	qd=$(extra_data "$T/ev.json")
	ss-tpm-identity quote --pcrs sha256:0-3 --qualifying-data "$qd" >"$T/q.json"
	jq -c --slurpfile q "$T/q.json" '.quote = ($q[0] | del(.type))' "$T/ev.json" >"$T/ev2.json"
	hs_verify "$T/ev2.json"
	reason_is pcr_selection_mismatch "quoted sha256:0,1,2,3, challenged sha256:0,1,2,3,4,5,6,7"
}

@test "PCR values that do not hash to the quoted digest: pcr_digest_mismatch" {
	jq -c '.quote.pcrs["3"] = ("ab" * 32)' "$T/ev.json" >"$T/ev2.json"
	hs_verify "$T/ev2.json"
	reason_is pcr_digest_mismatch "the PCR values do not hash to the quoted digest"
}

@test "PCR values for fewer PCRs than were quoted: pcr_selection_mismatch" {
	jq -c '.quote.pcrs |= del(.["7"])' "$T/ev.json" >"$T/ev2.json"
	hs_verify "$T/ev2.json"
	reason_is pcr_selection_mismatch "PCR values given for sha256:0,1,2,3,4,5,6, quoted sha256:0,1,2,3,4,5,6,7"
}

@test "a PCR value outside the policy: pcr_policy_violation" {
	sed -E 's/^  4: [0-9a-f]+$/  4: '"$(printf 'cd%.0s' $(seq 32))"'/' "$HS/policy.yaml" >"$T/policy.yaml"
	! cmp -s "$HS/policy.yaml" "$T/policy.yaml"
	hs_verify "$T/ev.json" "$T/policy.yaml"
	# Its index, the quoted value and the value the policy allows, on
	# stderr, in the signed session and in the audit log alike.
	detail="PCR 4 is $(jq -r '.quote.pcrs["4"]' "$T/ev.json"), the policy allows $(printf 'cd%.0s' $(seq 32))"
	reason_is pcr_policy_violation "$detail"
	run jq -r 'select(.event == "verify") | .detail' "$T/cp/audit.jsonl"
	assert_output "$detail"
}

@test "a PCR value outside a policy that allows several: every allowed value in the detail (issue 9)" {
	a=$(printf 'aa%.0s' $(seq 32)) b=$(printf 'bb%.0s' $(seq 32))
	sed -E 's/^  4: [0-9a-f]+$/  4: ['"$a, $b"']/' "$HS/policy.yaml" >"$T/policy.yaml"
	hs_verify "$T/ev.json" "$T/policy.yaml"
	reason_is pcr_policy_violation "PCR 4 is $(jq -r '.quote.pcrs["4"]' "$T/ev.json"), the policy allows one of $a, $b"
	validate_schema ss.session.v1 <(echo "$output")
}

@test "a PCR extended after the golden values were taken: pcr_policy_violation" {
	tpm2_pcrextend 5:sha256=$(printf 'ee%.0s' $(seq 32))
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	golden=$(awk '$1 == "5:" {print $2}' "$HS/policy.yaml")
	reason_is pcr_policy_violation "PCR 5 is $(jq -r '.quote.pcrs["5"]' "$T/ev.json"), the policy allows $golden"
}

@test "a simulator under a policy that forbids it: simulator_not_allowed" {
	hs_verify "$T/ev.json" "$HS/policy-nosim.yaml"
	reason_is simulator_not_allowed "the AK's EK certificate is a simulator's"
}

@test "a TPM whose clock is not safe (it crashed): clock_unsafe" {
	swtpm_crash
	swtpm_start
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	reason_is clock_unsafe "the TPM reports clock.safe = no"
	run jq -r .clock.safe <<<"$output"
	assert_output false
}

@test "a resetCount lower than one seen before (an older TPM state restored): counter_rollback" {
	tpm_snapshot older
	swtpm_stop && swtpm_start # two TPM resets on the current state
	swtpm_stop && swtpm_start
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	seen=$(jq -r .clock.reset_count <<<"$output")
	tpm_restore older
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	now=$(jq -r '"\(.clock.reset_count)/\(.clock.restart_count)"' <<<"$output")
	reason_is counter_rollback "resetCount/restartCount $now are below the last seen $seen/0"
	[ "$(jq -r .clock.reset_count <<<"$output")" -lt "$seen" ]
}

@test "checks stop at the first failure: a bad magic and a bad signature report bad_magic" {
	b64_edit "$T/ev.json" .quote.attest_b64 'b[0] ^= 0xff; b[-1] ^= 1'
	b64_edit "$T/ev.json" .quote.signature_b64 'b[-1] ^= 1'
	hs_verify "$T/ev.json"
	reason_is bad_magic "magic 0x00544347 is not TPM_GENERATED"
}
