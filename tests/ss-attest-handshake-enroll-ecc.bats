#!/usr/bin/env bats
# AK enrollment with the ECC P-384 EK (template H-3: SHA-384, AES-256): the
# seed is shared by ECDH with an ephemeral key and KDFe, and the TPM
# recovers the credential from it.  An RSA AK here, so both AK kinds and
# both name hashes go through the control plane.

load lib/common
load lib/swtpm
load lib/enroll

setup_file() { enroll_suite_init "$ECC_EK" "$ECC_EK_NV" rsa; }
teardown_file() { swtpm_fini; }
setup() { enroll_test_setup; }
teardown() { assert_tpm_clean; }

@test "software MakeCredential activates on the TPM's ECC P-384 EK and the response enrolls the AK" {
	enroll_challenge "$KIT" "$T/ch.json"
	validate_schema ss.credential-challenge.v1 "$T/ch.json"
	enroll_respond "$T/ch.json" "$ECC_EK" "$AK" "$T/resp.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
	assert_success
	echo "$output" >"$T/enr.json"
	validate_schema ss.enrollment.v1 "$T/enr.json"
	run jq -r '[.runner_id, .ak_name, .ak_alg, .ek_alg, .simulator] | join(" ")' "$T/enr.json"
	assert_output "runner-1 $NAME rsa-2048 ecc-p384 true"
	run --separate-stderr hs enrollments --cp-pub "$CP_PUB"
	assert_output "$(cat "$T/enr.json")"
}

@test "the encrypted secret is a fresh ephemeral P-384 point, and the EK rebuilt from template H-3 is the TPM's" {
	enroll_challenge "$KIT" "$T/a.json"
	enroll_challenge "$KIT" "$T/b.json"
	# TPM2B_ENCRYPTED_SECRET holding a TPMS_ECC_POINT: 2 + (2 + 48) * 2 bytes.
	[ "$(jq -r .encrypted_secret_b64 "$T/a.json" | base64 -d | xxd -p -c 300)" != \
	  "$(jq -r .encrypted_secret_b64 "$T/b.json" | base64 -d | xxd -p -c 300)" ]
	run bash -c "jq -r .encrypted_secret_b64 '$T/a.json' | base64 -d | xxd -p -c 300 | cut -c1-8"
	assert_output "00640030"
	run bash -c "jq -r .encrypted_secret_b64 '$T/a.json' | base64 -d | wc -c"
	assert_output 102
	run jq -r 'select(.event == "enroll-challenge") | .ek_template + " " + .ek_name' "$STATE/audit.jsonl"
	assert_output "H-3 $(tpm_name "$ECC_EK")
H-3 $(tpm_name "$ECC_EK")"
}

@test "the credential is bound to the AK's name: another AK of the same TPM cannot activate it" {
	ak_create "$ECC_EK" 0x81000003 ecc
	enroll_challenge "$KIT" "$T/ch.json"
	run activate_tpm2_tools "$T/ch.json" "$ECC_EK" 0x81000003 "$T/cred"
	assert_failure 1
	assert_output --partial "Esys_ActivateCredential(0x1DF) - tpm:parameter(1):integrity check failed"
	[ ! -s "$T/cred" ]
	# ... while the AK it was made for can.
	activate_tpm2_tools "$T/ch.json" "$ECC_EK" "$AK" "$T/cred"
	[ "$(stat -c %s "$T/cred")" -eq 32 ]
}

@test "an expired challenge is refused" {
	enroll_challenge "$KIT" "$T/ch.json" --ttl 1
	enroll_respond "$T/ch.json" "$ECC_EK" "$AK" "$T/resp.json"
	sleep 2
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
	assert_failure_exact 1 "ss-attest-handshake: credential response: challenge '$(jq -r .challenge_id "$T/ch.json")' expired at $(jq -r .expires_at "$T/ch.json")"
}

@test "only the control plane that issued a challenge can complete it" {
	enroll_challenge "$KIT" "$T/ch.json"
	enroll_respond "$T/ch.json" "$ECC_EK" "$AK" "$T/resp.json"
	cp_key "$T/other.pem"
	cid=$(jq -r .challenge_id "$T/ch.json")
	run --separate-stderr hs enroll-verify --key "$T/other.pem" <"$T/resp.json"
	assert_failure_exact 1 "ss-attest-handshake: pending enrollment '$cid': signed by a key that is not pinned (key_id $(jq -r .signature.key_id "$STATE/enroll-consumed/$cid"))"
}

@test "pending records are owner-only and hold the expected proof, never the credential" {
	enroll_challenge "$KIT" "$T/ch.json"
	cid=$(jq -r .challenge_id "$T/ch.json")
	run stat -c %a "$STATE" "$STATE/enroll-pending" "$STATE/enroll-pending/$cid"
	assert_output "700
700
600"
	run jq -r 'keys_unsorted | join(" ")' "$STATE/enroll-pending/$cid"
	assert_output "type challenge_id runner_id ak_name ak_public_area_b64 ak_alg ek_alg ek_certificate_sha256 ek_issuer simulator expected_proof issued_at expires_at signature"
	enroll_respond "$T/ch.json" "$ECC_EK" "$AK" "$T/resp.json"
	[ "$(jq -r .expected_proof "$STATE/enroll-pending/$cid")" = "$(jq -r .proof "$T/resp.json")" ]
}

@test "a pending record edited in the state directory is refused: its proof cannot be chosen" {
	enroll_challenge "$KIT" "$T/ch.json"
	cid=$(jq -r .challenge_id "$T/ch.json")
	# Someone who can write the state directory but has no control-plane key
	# sets the expected proof to one of their own and answers with it.
	proof=$(head -c 32 /dev/urandom | xxd -p -c 64)
	jq -c --arg p "$proof" '.expected_proof = $p' "$STATE/enroll-pending/$cid" >"$T/edited"
	cp "$T/edited" "$STATE/enroll-pending/$cid"
	jq -c --arg p "$proof" '{type: "ss.credential-response.v1", challenge_id, runner_id, ak_name,
		proof: $p}' "$T/ch.json" >"$T/resp.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
	assert_failure_exact 1 "ss-attest-handshake: pending enrollment '$cid': signature does not verify"

	# A record that is not even JSON is refused the same way.
	enroll_challenge "$KIT" "$T/ch2.json"
	cid=$(jq -r .challenge_id "$T/ch2.json")
	echo '{"type":' >"$STATE/enroll-pending/$cid"
	jq -c '{type: "ss.credential-response.v1", challenge_id, runner_id, ak_name, proof: .nonce}' \
		"$T/ch2.json" >"$T/resp2.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp2.json"
	assert_failure_exact 1 "ss-attest-handshake: store record enroll-consumed/$cid: unexpected end of JSON at byte 9"
}
