#!/usr/bin/env bats
# AK enrollment with the RSA-2048 EK (template L-1, usable only through its
# policy): the credential our software MakeCredential wraps is recovered by
# the TPM itself (tpm2_activatecredential), and only a response made from
# that very credential enrolls the AK.  Then what happens to the record:
# replay, listing, tampering, revocation.

load lib/common
load lib/swtpm
load lib/enroll

setup_file() { enroll_suite_init "$RSA_EK" "$RSA_EK_NV" ecc; }
teardown_file() { swtpm_fini; }
setup() { enroll_test_setup; }
teardown() { assert_tpm_clean; }

@test "software MakeCredential activates on the TPM's RSA EK and the response enrolls the AK" {
	enroll_challenge "$KIT" "$T/ch.json"
	validate_schema ss.credential-challenge.v1 "$T/ch.json"
	activate_tpm2_tools "$T/ch.json" "$RSA_EK" "$AK" "$T/cred"
	[ "$(stat -c %s "$T/cred")" -eq 32 ]
	response_doc "$T/ch.json" "$T/cred" >"$T/resp.json"
	validate_schema ss.credential-response.v1 "$T/resp.json"
	# The proof is an HMAC keyed with the credential the TPM recovered: it
	# verifies only if that is byte for byte the credential we wrapped.
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/enr.json"
	validate_schema ss.enrollment.v1 "$T/enr.json"
	run jq -r '[.runner_id, .ak_name, .ak_alg, .ek_alg, .ek_issuer, .simulator, .challenge_id,
		    .ek_certificate_sha256, .ak_public_area_b64] | join(" ")' "$T/enr.json"
	assert_output "runner-1 $NAME ecc-p256 rsa-2048 CN=swtpm-localca true $(jq -r .challenge_id "$T/ch.json") $(sha256sum <"$KIT/ek.der" | cut -d' ' -f1) $(base64 -w0 "$KIT/ak.pub")"
}

@test "enroll-verify: a failure after the pending enrollment was taken gives it back; a retry enrolls" {
	enroll_challenge "$KIT" "$T/ch.json"
	enroll_respond "$T/ch.json" "$RSA_EK" "$AK" "$T/resp.json"
	cid=$(jq -r .challenge_id "$T/ch.json")
	# The enrolled store cannot be written: its name is taken by a file.
	: >"$STATE/enrolled"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
	assert_failure_exact 6 "ss-attest-handshake: open directory '$STATE/enrolled': Not a directory"
	[ -f "$STATE/enroll-pending/$cid" ]
	[ ! -e "$STATE/enroll-consumed/$cid" ]
	run jq -r 'select(.event == "enroll-verify") | [.decision, .challenge_id, .reason] | join("|")' \
		"$STATE/audit.jsonl"
	assert_output "aborted|$cid|open directory '$STATE/enrolled': Not a directory"
	validate_schema ss.audit.v1 "$STATE/audit.jsonl" --lines
	rm "$STATE/enrolled"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
	assert_success
	[ "$(jq -r .ak_name <<<"$output")" = "$NAME" ]
	[ ! -e "$STATE/enroll-pending/$cid" ]
	[ -f "$STATE/enroll-consumed/$cid" ]
}

@test "a credential one bit off does not verify, and the refused response still uses up its challenge" {
	enroll_challenge "$KIT" "$T/ch.json"
	activate_tpm2_tools "$T/ch.json" "$RSA_EK" "$AK" "$T/cred"
	cp "$T/cred" "$T/cred.bad"
	flip_bit "$T/cred.bad" 31
	run cmp -s "$T/cred" "$T/cred.bad"
	[ "$status" -eq 1 ]
	response_doc "$T/ch.json" "$T/cred.bad" >"$T/bad.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/bad.json"
	assert_failure_exact 1 "ss-attest-handshake: credential response: proof does not verify"
	response_doc "$T/ch.json" "$T/cred" >"$T/resp.json"
	cid=$(jq -r .challenge_id "$T/ch.json")
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
	assert_failure_exact 1 "ss-attest-handshake: credential response: challenge '$cid' was already used"
	run jq -r 'select(.event == "enroll-verify") | .decision + ": " + .reason' "$STATE/audit.jsonl"
	assert_output "refused: credential response: proof does not verify
refused: credential response: challenge '$cid' was already used"
}

@test "a replayed response is refused" {
	enroll_challenge "$KIT" "$T/ch.json"
	enroll_respond "$T/ch.json" "$RSA_EK" "$AK" "$T/resp.json"
	hs enroll-verify --key "$CP_KEY" <"$T/resp.json" >/dev/null
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
	assert_failure_exact 1 "ss-attest-handshake: credential response: challenge '$(jq -r .challenge_id "$T/ch.json")' was already used"
}

@test "a response for another runner, another AK or an unknown challenge is refused" {
	enroll_challenge "$KIT" "$T/ch.json"
	enroll_respond "$T/ch.json" "$RSA_EK" "$AK" "$T/resp.json"
	jq -c '.runner_id = "runner-2"' "$T/resp.json" >"$T/r2.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/r2.json"
	assert_failure_exact 1 "ss-attest-handshake: credential response: runner 'runner-2' is not the one challenged ('runner-1')"

	enroll_challenge "$KIT" "$T/ch2.json"
	enroll_respond "$T/ch2.json" "$RSA_EK" "$AK" "$T/resp2.json"
	jq -c --arg n "000b$(printf '%064d' 0)" '.ak_name = $n' "$T/resp2.json" >"$T/other-ak.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/other-ak.json"
	assert_failure_exact 1 "ss-attest-handshake: credential response: AK name is not the one challenged"

	jq -c '.challenge_id = "no-such-challenge"' "$T/resp.json" >"$T/unknown.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/unknown.json"
	assert_failure_exact 1 "ss-attest-handshake: credential response: unknown challenge 'no-such-challenge'"
}

@test "the EK public area rebuilt from the certificate and its template has the TPM's own name" {
	enroll_challenge "$KIT" "$T/ch.json"
	run jq -r 'select(.event == "enroll-challenge") | .ek_template + " " + .ek_name' "$STATE/audit.jsonl"
	assert_output "L-1 $(tpm_name "$RSA_EK")"
}

@test "enrollments prints verified records and refuses one that is tampered with or signed by another key" {
	enroll_challenge "$KIT" "$T/ch.json"
	enroll_respond "$T/ch.json" "$RSA_EK" "$AK" "$T/resp.json"
	hs enroll-verify --key "$CP_KEY" <"$T/resp.json" >"$T/enr.json"
	run --separate-stderr hs enrollments --key "$CP_KEY"
	assert_success
	assert_output "$(cat "$T/enr.json")"
	run --separate-stderr hs enrollments --cp-pub "$CP_PUB"
	assert_success
	echo "$output" >"$T/list.jsonl"
	validate_schema ss.enrollment.v1 "$T/list.jsonl" --lines

	cp_key "$T/other.pem"
	openssl pkey -in "$T/other.pem" -pubout -out "$T/other.pub" 2>/dev/null
	run --separate-stderr hs enrollments --cp-pub "$T/other.pub"
	assert_failure_exact 1 "ss-attest-handshake: enrolled record '$NAME': signed by a key that is not pinned (key_id $(jq -r .signature.key_id "$T/enr.json"))"

	jq -c '.simulator = false' "$STATE/enrolled/$NAME" >"$T/edited"
	cp "$T/edited" "$STATE/enrolled/$NAME"
	run --separate-stderr hs enrollments --key "$CP_KEY"
	assert_failure_exact 1 "ss-attest-handshake: enrolled record '$NAME': signature does not verify"
}

@test "a revoked AK is no longer listed, cannot be revoked twice and never enrolls again" {
	enroll_challenge "$KIT" "$T/ch.json"
	enroll_respond "$T/ch.json" "$RSA_EK" "$AK" "$T/resp.json"
	hs enroll-verify --key "$CP_KEY" <"$T/resp.json" >"$T/enr.json"
	# tpm2-tools print names in lowercase; an operator may paste either.
	run --separate-stderr hs revoke "${NAME^^}" --key "$CP_KEY" --reason "host decommissioned"
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/revocation.json"
	validate_schema ss.revocation.v1 "$T/revocation.json"
	run jq -r '[.type, .ak_name, .runner_id, .reason] | join(" ")' "$T/revocation.json"
	assert_output "ss.revocation.v1 $NAME runner-1 host decommissioned"
	run --separate-stderr hs enrollments --key "$CP_KEY"
	assert_success
	assert_output ""
	run jq -c .enrollment "$STATE/revoked/$NAME"
	assert_output "$(cat "$T/enr.json")"
	run --separate-stderr hs revoke "$NAME" --key "$CP_KEY" --reason again
	assert_failure_exact 1 "ss-attest-handshake: AK '$NAME' is already revoked"
	run --separate-stderr hs enroll-challenge --key "$CP_KEY" --identity "$KIT.json" \
		--ek-ca "$SWTPM_CA_BUNDLE"
	assert_failure_exact 1 "ss-attest-handshake: AK '$NAME': revoked (enroll a new AK)"
	run jq -r 'select(.event == "revoke") | .decision' "$STATE/audit.jsonl"
	assert_output "revoked
refused"
}

@test "enrollments --revoked lists the signed revocations, checked like enrollments" {
	enroll_challenge "$KIT" "$T/ch.json"
	enroll_respond "$T/ch.json" "$RSA_EK" "$AK" "$T/resp.json"
	hs enroll-verify --key "$CP_KEY" <"$T/resp.json" >"$T/enr.json"
	run --separate-stderr hs enrollments --revoked --key "$CP_KEY"
	assert_success
	assert_output ""
	hs revoke "$NAME" --key "$CP_KEY" --reason "TPM replaced" >"$T/revocation.json"
	# What revoke printed is what is kept, and what is listed.
	run --separate-stderr hs enrollments --revoked --key "$CP_KEY"
	assert_success
	assert_output "$(cat "$T/revocation.json")"
	assert_equal "$(cat "$STATE/revoked/$NAME")" "$(cat "$T/revocation.json")"
	run --separate-stderr hs enrollments --revoked --cp-pub "$CP_PUB"
	assert_output "$(cat "$T/revocation.json")"
	echo "$output" >"$T/list.jsonl"
	validate_schema ss.revocation.v1 "$T/list.jsonl" --lines
	# Its signature, checked with openssl over the JCS of the rest
	# (this ASCII, integer-free document: sorted keys, no spaces).
	jq -cS 'del(.signature)' "$T/revocation.json" | tr -d '\n' >"$T/rev.jcs"
	jq -r .signature.value "$T/revocation.json" | base64 -d >"$T/rev.sig"
	openssl dgst -sha256 -verify "$CP_PUB" -signature "$T/rev.sig" "$T/rev.jcs"
	run jq -r 'select(.event == "revoke") | [.decision, .ak_name, .runner_id, .reason] | join("|")' "$STATE/audit.jsonl"
	assert_output "revoked|$NAME|runner-1|TPM replaced"

	cp_key "$T/other.pem"
	openssl pkey -in "$T/other.pem" -pubout -out "$T/other.pub" 2>/dev/null
	run --separate-stderr hs enrollments --revoked --cp-pub "$T/other.pub"
	assert_failure_exact 1 "ss-attest-handshake: revoked record '$NAME': signed by a key that is not pinned (key_id $(jq -r .signature.key_id "$T/revocation.json"))"
	jq -c '.reason = "nothing to see"' "$T/revocation.json" >"$STATE/revoked/$NAME"
	run --separate-stderr hs enrollments --revoked --key "$CP_KEY"
	assert_failure_exact 1 "ss-attest-handshake: revoked record '$NAME': signature does not verify"
	# A record revoked before revocations were signed: listed as stored
	# without a key, refused with one.
	jq -c '{revoked_at: .revoked_at, enrollment: .enrollment}' "$T/revocation.json" >"$STATE/revoked/$NAME"
	run --separate-stderr hs enrollments --revoked
	assert_success
	assert_output "$(cat "$STATE/revoked/$NAME")"
	run --separate-stderr hs enrollments --revoked --cp-pub "$CP_PUB"
	assert_failure_exact 1 "ss-attest-handshake: revoked record '$NAME': not signed (revoked before revocations were signed)"
}

@test "revoke: a reason is required, one line, and the key must be the control plane's" {
	t=ss-attest-handshake
	run --separate-stderr $t revoke "$NAME"
	assert_failure_exact 2 "$t: revoke: needs --key"
	run --separate-stderr $t revoke "$NAME" --key "$CP_KEY"
	assert_failure_exact 2 "$t: revoke: needs --reason"
	run --separate-stderr $t revoke "$NAME" --key "$CP_KEY" --reason ''
	assert_failure_exact 2 "$t: --reason: not one line of 1 to 256 bytes"
	run --separate-stderr $t revoke "$NAME" --key "$CP_KEY" --reason $'two\nlines'
	assert_failure_exact 2 "$t: --reason: not one line of 1 to 256 bytes"
	run --separate-stderr $t revoke "$NAME" --key "$CP_KEY" --reason "$(printf '%0257d' 0)"
	assert_failure_exact 2 "$t: --reason: not one line of 1 to 256 bytes"
	cp "$CP_PUB" "$T/cp.pub" && chmod 600 "$T/cp.pub"
	run --separate-stderr $t revoke "$NAME" --key "$T/cp.pub" --reason x
	assert_failure_exact 3 "$t: '$T/cp.pub' is not a PEM private key"
	[ ! -e "$STATE/audit.jsonl" ]
}

@test "revoking an AK that was never enrolled is refused" {
	run --separate-stderr hs revoke "$NAME" --key "$CP_KEY" --reason "never enrolled"
	assert_failure_exact 1 "ss-attest-handshake: AK '$NAME' is not enrolled"
}

@test "an enrolled AK re-enrolls for its runner and is refused for another" {
	enroll_challenge "$KIT" "$T/ch.json"
	enroll_respond "$T/ch.json" "$RSA_EK" "$AK" "$T/resp.json"
	hs enroll-verify --key "$CP_KEY" <"$T/resp.json" >/dev/null
	enroll_challenge "$KIT" "$T/ch2.json"
	enroll_respond "$T/ch2.json" "$RSA_EK" "$AK" "$T/resp2.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp2.json"
	assert_success
	[ "$(jq -r .challenge_id <<<"$output")" = "$(jq -r .challenge_id "$T/ch2.json")" ]

	kit_copy "$KIT" "$T/kit2"
	echo runner-2 >"$T/kit2/runner_id"
	identity_doc "$T/kit2" >"$T/id2.json"
	run --separate-stderr hs enroll-challenge --key "$CP_KEY" --identity "$T/id2.json" \
		--ek-ca "$SWTPM_CA_BUNDLE"
	assert_failure_exact 1 "ss-attest-handshake: AK '$NAME': enrolled for runner 'runner-1'"
}
