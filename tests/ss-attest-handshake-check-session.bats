#!/usr/bin/env bats
# check-session: an archived decision re-checked offline.  The verifier's
# own checklist runs again on the archived evidence, as of the session's
# verified_at, with the archived challenge and enrollment in place of the
# control plane's store; no TPM and no state directory are used.  Each way
# an archive can lie is caught at its check, with the exact verdict, line
# and status.

load lib/common
load lib/swtpm
load lib/handshake

setup_file() { hs_suite_init; }
teardown_file() { swtpm_fini; }
setup() { hs_test_setup; }
teardown() { assert_tpm_clean; }

SIGN_DOC="$BATS_TEST_DIRNAME/lib/sign_doc.py"

# decided [POLICY]: challenge, respond, verify; the session in $T/session.json.
decided() {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json" "${1:-$HS/policy.yaml}"
	echo "$output" >"$T/session.json"
}

# check [options]: check-session of $T/session.json against the archive in
# $T (ch.json, ev.json) and the suite's enrollment and policy, with no TPM.
check() {
	run --separate-stderr env -u SS_TCTI -u TPM2TOOLS_TCTI ss-attest-handshake check-session \
		--cp-pub "$HS/cp.pub" --challenge "$T/ch.json" --evidence "$T/ev.json" \
		--enrollment "${ENROLLMENT:-$HS/enrollment.json}" --policy "${POLICY:-$HS/policy.yaml}" \
		"$@" <"$T/session.json"
}

# verdict: the fields of the last verdict that the tests compare.
verdict() {
	jq -r '[.confirmed, .failed, .recorded.reason, (.rechecked.reason // "-")] | join(" ")' <<<"$output"
}

@test "an approved session is confirmed: the checklist again, offline, at its verified_at" {
	decided
	check
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/verdict.json"
	validate_schema ss.session-check.v1 "$T/verdict.json"
	[ "$(verdict)" = "true  approved approved" ]
	[ "$(jq -r .verified_at "$T/verdict.json")" = "$(jq -r .verified_at "$T/session.json")" ]
	[ "$(jq -r .challenge_id "$T/verdict.json")" = "$(jq -r .challenge_id "$T/ch.json")" ]
	[ "$(jq -r .detail "$T/verdict.json")" = "the decision is confirmed by the re-checked checklist" ]
}

@test "check-session reads and writes no state: the control plane's store is unchanged" {
	decided
	(cd "$T/cp" && find . -type f -exec sha256sum {} + | sort) >"$T/before"
	check
	assert_success
	(cd "$T/cp" && find . -type f -exec sha256sum {} + | sort) >"$T/after"
	cmp "$T/before" "$T/after"
	run --separate-stderr ss-attest-handshake check-session --state "$T/cp" --cp-pub "$HS/cp.pub"
	assert_failure_exact 2 "ss-attest-handshake: option '--state' does not apply to 'check-session'"
}

@test "a denied session is confirmed with its reason: simulator_not_allowed" {
	decided "$HS/policy-nosim.yaml"
	POLICY=$HS/policy-nosim.yaml check
	assert_success
	[ "$(verdict)" = "true  simulator_not_allowed simulator_not_allowed" ]
	validate_schema ss.session-check.v1 <(echo "$output")
}

@test "a replayed challenge's denial stands as recorded: only the store knew it was used" {
	decided
	hs_verify "$T/ev.json"
	reason_is challenge_reused "challenge '$(jq -r .challenge_id "$T/ev.json")' was already used"
	echo "$output" >"$T/session.json"
	check
	assert_success
	[ "$(verdict)" = "true  challenge_reused challenge_reused" ]
}

@test "another policy than the one that judged it: evidence (exit 1), the re-checked reason named" {
	decided
	sed -E 's/^  4: [0-9a-f]+$/  4: '"$(printf 'cd%.0s' $(seq 32))"'/' "$HS/policy.yaml" >"$T/strict.yaml"
	POLICY=$T/strict.yaml check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false evidence approved pcr_policy_violation" ]
	[ "$stderr" = "ss-attest-handshake: not confirmed: evidence: recorded approved, re-checked pcr_policy_violation: PCR 4 is $(jq -r '.quote.pcrs["4"]' "$T/ev.json"), the policy allows $(printf 'cd%.0s' $(seq 32))" ]
}

@test "a policy with another session lifetime: evidence, the member named" {
	decided
	sed 's/^session_lifetime: .*/session_lifetime: 60/' "$HS/policy.yaml" >"$T/short.yaml"
	POLICY=$T/short.yaml check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false evidence approved approved" ]
	[ "$stderr" = "ss-attest-handshake: not confirmed: evidence: the decision's 'expires_at' is not the re-checked one (is this the policy that judged it?)" ]
}

@test "evidence whose quote signature was altered: evidence, signature_invalid" {
	decided
	b64_edit "$T/ev.json" .quote.signature_b64 'b[-1] ^= 1'
	check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false evidence approved signature_invalid" ]
	[ "$stderr" = "ss-attest-handshake: not confirmed: evidence: recorded approved, re-checked signature_invalid: the quote's signature does not verify with the AK" ]
}

@test "evidence with another runner key than the quote binds: evidence, binding_mismatch" {
	decided
	b64_edit "$T/ev.json" .runner_ephemeral_x25519 'b[0] ^= 1'
	check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false evidence approved binding_mismatch" ]
}

@test "a session edited after signing: session_signature, nothing re-checked" {
	decided
	jq -c '.tenant_id = "tenant-b"' "$T/session.json" >"$T/s" && mv "$T/s" "$T/session.json"
	check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false session_signature approved -" ]
	[ "$(jq -c .rechecked <<<"$output")" = null ]
	[ "$stderr" = "ss-attest-handshake: not confirmed: session: signature does not verify" ]
	validate_schema ss.session-check.v1 <(echo "$output")
}

@test "a session signed by a key that is not pinned: session_signature" {
	decided
	jq -c 'del(.signature)' "$T/session.json" | "$SS_PYTHON" "$SIGN_DOC" "$HS/other.pem" >"$T/s"
	mv "$T/s" "$T/session.json"
	check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false session_signature approved -" ]
	[[ "$stderr" == "ss-attest-handshake: not confirmed: session: signed by a key that is not pinned (key_id "* ]]
}

@test "a session re-signed by the control plane with another binding: binding" {
	decided
	jq -c 'del(.signature) | .session_binding_hash = ("00" * 32)' "$T/session.json" |
		"$SS_PYTHON" "$SIGN_DOC" "$HS/cp.pem" >"$T/s"
	mv "$T/s" "$T/session.json"
	check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false binding approved approved" ]
	[ "$stderr" = "ss-attest-handshake: not confirmed: binding: session_binding_hash is not the binding of the archived challenge and evidence" ]
}

@test "another challenge of the control plane than the one the session decides: challenge" {
	decided
	cp "$T/ch.json" "$T/ch1.json"
	hs_challenge
	check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false challenge approved -" ]
	[ "$stderr" = "ss-attest-handshake: not confirmed: challenge: the session decides challenge '$(jq -r .challenge_id "$T/ch1.json")', the archived one is '$(jq -r .challenge_id "$T/ch.json")'" ]
}

@test "a challenge edited after signing: challenge" {
	decided
	jq -c '.expires_at = "2099-01-01T00:00:00Z"' "$T/ch.json" >"$T/c" && mv "$T/c" "$T/ch.json"
	check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false challenge approved -" ]
	[ "$stderr" = "ss-attest-handshake: not confirmed: challenge: signature does not verify" ]
}

@test "an enrollment re-dated after the decision: enrollment" {
	decided
	jq -c 'del(.signature) | .enrolled_at = "2099-01-01T00:00:00Z"' "$HS/enrollment.json" |
		"$SS_PYTHON" "$SIGN_DOC" "$HS/cp.pem" >"$T/enr.json"
	ENROLLMENT=$T/enr.json check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false enrollment approved -" ]
	[ "$stderr" = "ss-attest-handshake: not confirmed: enrollment: the AK was enrolled at 2099-01-01T00:00:00Z, after the decision at $(jq -r .verified_at "$T/session.json")" ]
}

@test "an enrollment signed by another key: enrollment" {
	decided
	jq -c 'del(.signature)' "$HS/enrollment.json" | "$SS_PYTHON" "$SIGN_DOC" "$HS/other.pem" >"$T/enr.json"
	ENROLLMENT=$T/enr.json check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false enrollment approved -" ]
	[[ "$stderr" == "ss-attest-handshake: not confirmed: enrollment: signed by a key that is not pinned (key_id "* ]]
}

@test "the enrollment of another AK: evidence, ak_not_enrolled" {
	decided
	# A record must name the AK of its own public area: another key's
	# area and its name, signed by the control plane.
	jq -c 'del(.signature)' "$HS/enrollment.json" >"$T/e0"
	"$SS_PYTHON" - "$T/e0" <<-'PY' | "$SS_PYTHON" "$SIGN_DOC" "$HS/cp.pem" >"$T/enr.json"
	import base64, hashlib, json, sys
	d = json.load(open(sys.argv[1]))
	area = bytearray(base64.b64decode(d["ak_public_area_b64"]))
	area[-1] ^= 1
	d["ak_public_area_b64"] = base64.b64encode(bytes(area)).decode()
	d["ak_name"] = "000b" + hashlib.sha256(bytes(area[2:])).hexdigest()
	print(json.dumps(d))
	PY
	ENROLLMENT=$T/enr.json check
	[ "$status" -eq 1 ]
	[ "$(verdict)" = "false evidence approved ak_not_enrolled" ]
	[ "$stderr" = "ss-attest-handshake: not confirmed: evidence: recorded approved, re-checked ak_not_enrolled: the AK is not enrolled" ]
}

@test "malformed archive documents are invalid input (exit 3), no verdict" {
	decided
	echo '{"type":"ss.evidence.v1"}' >"$T/bad.json"
	run --separate-stderr ss-attest-handshake check-session --cp-pub "$HS/cp.pub" \
		--challenge "$T/ch.json" --evidence "$T/bad.json" --enrollment "$HS/enrollment.json" \
		--policy "$HS/policy.yaml" <"$T/session.json"
	assert_failure_exact 3 "ss-attest-handshake: evidence: member 'challenge_id' is missing"
	run --separate-stderr ss-attest-handshake check-session --cp-pub "$HS/cp.pub" \
		--challenge "$T/ch.json" --evidence "$T/ev.json" --enrollment "$HS/enrollment.json" \
		--policy "$HS/policy.yaml" <"$T/ev.json"
	assert_failure_exact 3 "ss-attest-handshake: session: document type 'ss.evidence.v1' where 'ss.session.v1' was expected"
	jq -c 'del(.signature)' "$T/session.json" >"$T/unsigned.json"
	run --separate-stderr ss-attest-handshake check-session --cp-pub "$HS/cp.pub" \
		--challenge "$T/ch.json" --evidence "$T/ev.json" --enrollment "$HS/enrollment.json" \
		--policy "$HS/policy.yaml" <"$T/unsigned.json"
	assert_failure_exact 3 "ss-attest-handshake: session: member 'signature' is missing"
	run --separate-stderr ss-attest-handshake check-session --cp-pub "$HS/cp.pub" \
		--challenge "$T/nope.json" --evidence "$T/ev.json" --enrollment "$HS/enrollment.json" \
		--policy "$HS/policy.yaml" <"$T/session.json"
	[ "$status" -eq 6 ]
	[ -z "$output" ]
}

@test "check-session needs its five inputs (exit 2, named by the parser)" {
	run --separate-stderr ss-attest-handshake check-session --challenge c --evidence e \
		--enrollment n --policy p
	assert_failure_exact 2 "ss-attest-handshake: check-session: needs --cp-pub"
	run --separate-stderr ss-attest-handshake check-session --cp-pub c --evidence e \
		--enrollment n --policy p
	assert_failure_exact 2 "ss-attest-handshake: check-session: needs --challenge"
	run --separate-stderr ss-attest-handshake check-session --cp-pub c --challenge c \
		--evidence e --policy p
	assert_failure_exact 2 "ss-attest-handshake: check-session: needs --enrollment"
}
