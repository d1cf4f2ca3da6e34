#!/usr/bin/env bats
# ss-tpm-identity activate: TPM2_ActivateCredential against credentials made
# by tpm2_makecredential, the proof, and the refusals.

load lib/common
load lib/swtpm
load lib/tpm_identity

setup_file() { swtpm_init && identity_snapshot; }
teardown_file() { swtpm_fini; }
setup() { identity_setup; }
teardown() { assert_tpm_clean; }

# proof_of SECRET_FILE NONCE_HEX AK_NAME_HEX: HMAC-SHA256(secret, nonce ||
# AK name), computed with the openssl CLI.
proof_of() {
	{ echo "$2" | xxd -r -p; echo "$3" | xxd -r -p; } |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(xxd -p -c 256 "$1")" | awk '{print $NF}'
}

@test "activate: round trip with tpm2_makecredential, proof = HMAC-SHA256(secret, nonce || AK name)" {
	use_enrolled
	local name
	name=$(json_get enrolled.json ak name)
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010001 "$name" secret.bin chal.json
	validate_schema ss.credential-challenge.v1 chal.json
	run --separate-stderr activate <chal.json
	assert_success
	echo "$output" >resp.json
	validate_schema ss.credential-response.v1 resp.json
	[ "$(json_get resp.json type)" = ss.credential-response.v1 ]
	[ "$(json_get resp.json challenge_id)" = chal-1 ]
	[ "$(json_get resp.json runner_id)" = runner-1 ]
	[ "$(json_get resp.json ak_name)" = "$name" ]
	[ "$(json_get resp.json proof)" = "$(proof_of secret.bin "$(json_get chal.json nonce)" "$name")" ]
	# The credential itself appears nowhere in the output.
	[[ "$output" != *"$(xxd -p -c 256 secret.bin)"* ]]
}

@test "activate with the P-384 EK (password authorization) and with an RSA AK" {
	tpm2_evictcontrol -C o -c 0x81010001 >/dev/null
	ss-tpm-identity enroll --runner-id runner-1 --alg rsa >id.json
	[ "$(json_get id.json ek handle)" = 0x81010016 ]
	local name
	name=$(json_get id.json ak name)
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010016 "$name" secret.bin chal.json
	run --separate-stderr activate <chal.json
	assert_success
	echo "$output" >resp.json
	[ "$(json_get resp.json proof)" = "$(proof_of secret.bin "$(json_get chal.json nonce)" "$name")" ]
}

@test "activate --ek-handle: an EK with PolicyB and userWithAuth clear (PolicySecret + PolicyOR)" {
	echo b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419cacb47ba09699646150f9fc000f3f80e12 |
		xxd -r -p >policy-b.bin
	tpm2_createprimary -C e -g sha384 -G ecc384:aes256cfb -L policy-b.bin \
		-a "fixedtpm|fixedparent|sensitivedataorigin|adminwithpolicy|restricted|decrypt" \
		-c ek.ctx >/dev/null
	tpm2_evictcontrol -C o -c ek.ctx 0x81010020 >/dev/null
	tpm2_flushcontext -t
	ss-tpm-identity enroll --runner-id runner-1 --ek-handle 0x81010020 >id.json
	local name
	name=$(json_get id.json ak name)
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010020 "$name" secret.bin chal.json
	run --separate-stderr activate --ek-handle 0x81010020 <chal.json
	assert_success
	echo "$output" >resp.json
	[ "$(json_get resp.json proof)" = "$(proof_of secret.bin "$(json_get chal.json nonce)" "$name")" ]
}

@test "activate: a challenge for another AK is refused (exit 1, nothing printed)" {
	use_enrolled
	local name other
	name=$(json_get enrolled.json ak name)
	other=000b$(printf '%064x' 1)
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010001 "$other" secret.bin chal.json
	run --separate-stderr activate <chal.json
	assert_failure_exact 1 "ss-tpm-identity: credential challenge 'chal-1' is for AK $other, not for the AK at 0x8100a001 ($name)"
}

@test "activate: an expired challenge is refused (exit 1)" {
	use_enrolled
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010001 "$(json_get enrolled.json ak name)" secret.bin chal.json 2021-06-01T12:00:00Z
	run --separate-stderr activate <chal.json
	assert_failure_exact 1 "ss-tpm-identity: credential challenge 'chal-1' expired at 2021-06-01T12:00:00Z"
}

@test "activate: a credential made for another EK is a TPM error (exit 4)" {
	use_enrolled
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010016 "$(json_get enrolled.json ak name)" secret.bin chal.json
	run --separate-stderr activate <chal.json
	assert_failure_exact 4 "ss-tpm-identity: activate credential of challenge 'chal-1': tpm:parameter(2):structure is the wrong size (0x2d5)"
}

@test "activate: malformed challenges are invalid input (exit 3)" {
	use_enrolled
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010001 "$(json_get enrolled.json ak name)" secret.bin chal.json
	"$SS_PYTHON" -c 'import json; d = json.load(open("chal.json")); d["extra"] = 1; print(json.dumps(d))' >extra.json
	run --separate-stderr activate <extra.json
	assert_failure_exact 3 "ss-tpm-identity: read credential challenge: unknown member 'extra'"
	# Trailing bytes in a blob the control plane signed as they are.
	"$SS_PYTHON" -c 'import base64, json; d = json.load(open("chal.json"))
d["credential_blob_b64"] = base64.b64encode(base64.b64decode(d["credential_blob_b64"]) + b"\0").decode()
print(json.dumps(d))' | sign_doc "$CP_SIGNING_KEY" >trailing.json
	run --separate-stderr activate <trailing.json
	assert_failure_exact 3 "ss-tpm-identity: member 'credential_blob_b64': not exactly one marshaled TPM2B_ID_OBJECT"
	printf '{"type":"ss.credential-challenge.v1"' >truncated.json
	run --separate-stderr activate <truncated.json
	assert_failure_exact 3 "ss-tpm-identity: read credential challenge: unexpected end of JSON at byte 36"
	run --separate-stderr activate </dev/null
	assert_failure_exact 3 "ss-tpm-identity: read credential challenge: unexpected end of JSON at byte 0"
}

@test "activate before enroll: no identity in the state directory (exit 3)" {
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010001 000b$(printf '%064x' 1) secret.bin chal.json
	run --separate-stderr activate <chal.json
	assert_failure_exact 3 "ss-tpm-identity: nothing enrolled: no identity in '$SS_STATE_DIR' (run 'ss-tpm-identity enroll' first)"
}

@test "activate only its own control plane's challenges: unsigned, another key's, edited ones are refused" {
	use_enrolled
	local name other_id
	name=$(json_get enrolled.json ak name)
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010001 "$name" secret.bin chal.json
	validate_schema ss.credential-challenge.v1 chal.json
	jq -c 'del(.signature)' chal.json >unsigned.json
	run --separate-stderr activate <unsigned.json
	assert_failure_exact 3 "ss-tpm-identity: credential challenge: member 'signature' is missing"
	openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null
	other_id=$(openssl pkey -in other.pem -pubout -outform DER | sha256sum | cut -d' ' -f1)
	jq -c 'del(.signature)' chal.json | sign_doc other.pem >other.json
	run --separate-stderr activate <other.json
	assert_failure_exact 1 "ss-tpm-identity: credential challenge: signed by a key that is not pinned (key_id $other_id)"
	jq -c '.expires_at = "2099-12-31T00:00:00Z"' chal.json >edited.json
	run --separate-stderr activate <edited.json
	assert_failure_exact 1 "ss-tpm-identity: credential challenge: signature does not verify"
	# Pinning both keys (rotation) accepts either.
	run --separate-stderr ss-tpm-identity activate --cp-pub <(openssl pkey -in other.pem -pubout) \
		--cp-pub "$CP_SIGNING_PUB" <other.json
	assert_success
	run --separate-stderr ss-tpm-identity activate <chal.json
	assert_failure_exact 2 "ss-tpm-identity: activate: needs --cp-pub"
}

@test "activate refuses a challenge for another runner id than its state's identity" {
	use_enrolled
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010001 "$(json_get enrolled.json ak name)" secret.bin chal.json "" runner-2
	run --separate-stderr activate <chal.json
	assert_failure_exact 1 "ss-tpm-identity: credential challenge 'chal-1' is for runner 'runner-2', not for 'runner-1' (the identity in '$SS_STATE_DIR')"
	# The same with --state naming that directory, and with another state.
	run --separate-stderr activate --state "$SS_STATE_DIR" <chal.json
	assert_failure 1
	SS_STATE_DIR= ss-tpm-identity enroll --runner-id runner-2 --state "$BATS_TEST_TMPDIR/r2" >/dev/null
	run --separate-stderr activate --state "$BATS_TEST_TMPDIR/r2" <chal.json
	assert_success
}

@test "activate needs the endorsement password for a PolicyA EK" {
	use_enrolled
	printf '%s' 'e-secret' >eauth
	chmod 600 eauth
	tpm2_changeauth -c e e-secret
	head -c 32 /dev/urandom >secret.bin
	make_challenge 0x81010001 "$(json_get enrolled.json ak name)" secret.bin chal.json
	run --separate-stderr activate <chal.json
	assert_failure_exact 4 "ss-tpm-identity: authorize EK 0x81010001 with the endorsement hierarchy: tpm:session(1):authorization failure without DA implications (0x9a2)"
	run --separate-stderr activate --endorsement-auth-file eauth <chal.json
	assert_success
	tpm2_changeauth -c e -p e-secret
}
