#!/usr/bin/env bats
# Enrollment end to end with the runner's own tool: ss-tpm-identity enroll
# -> enroll-challenge -> ss-tpm-identity activate -> enroll-verify, for the
# RSA and the ECC EK.  Then two TPMs: an identity that pairs one TPM's EK
# with another TPM's AK gets a challenge (nothing tells them apart yet), but
# neither TPM can recover the credential, so no response can enroll it.

load lib/common
load lib/swtpm
load lib/enroll

setup_file() {
	swtpm_init
	export TPM_A=$SWTPM_DIR CA_A=$SWTPM_CA_BUNDLE
	swtpm_stop
	swtpm_init
	export TPM_B=$SWTPM_DIR CA_B=$SWTPM_CA_BUNDLE
	swtpm_stop
	export CP_KEY=$BATS_FILE_TMPDIR/cp.pem CP_PUB=$BATS_FILE_TMPDIR/cp.pub
	cp_key "$CP_KEY"
	openssl pkey -in "$CP_KEY" -pubout -out "$CP_PUB"
}
teardown_file() {
	SWTPM_DIR=$TPM_A swtpm_fini
	SWTPM_DIR=$TPM_B swtpm_fini
}
setup() {
	SWTPM_DIR=$TPM_A SWTPM_CA_BUNDLE=$CA_A
	tpm_restore pristine
	STATE=$BATS_TEST_TMPDIR/cp
	T=$BATS_TEST_TMPDIR
}
teardown() { assert_tpm_clean; }

# use_tpm DIR SNAPSHOT: stop the running swtpm and serve the one in DIR,
# as it was in SNAPSHOT.
use_tpm() {
	swtpm_stop
	SWTPM_DIR=$1
	tpm_restore "$2"
}

# enroll_runner RUNNER_ID EK_HANDLE: identity, challenge, activation and
# enrollment, each by the tool that does it in production.
enroll_runner() {
	ss-tpm-identity enroll --runner-id "$1" --ek-handle "$2" --state "$T/runner" >"$T/id.json"
	validate_schema ss.identity.v1 "$T/id.json"
	hs enroll-challenge --key "$CP_KEY" --identity "$T/id.json" --ek-ca "$SWTPM_CA_BUNDLE" \
		>"$T/ch.json"
	ss-tpm-identity activate --cp-pub "$CP_PUB" --state "$T/runner" --ek-handle "$2" <"$T/ch.json" \
		>"$T/resp.json"
	validate_schema ss.credential-response.v1 "$T/resp.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
}

@test "a runner enrolls with ss-tpm-identity through its RSA EK" {
	enroll_runner runner-rsa "$RSA_EK"
	assert_success
	echo "$output" >"$T/enr.json"
	validate_schema ss.enrollment.v1 "$T/enr.json"
	run jq -r '[.runner_id, .ak_name == $id.ak.name, .ak_public_area_b64 == $id.ak.public_area_b64,
		    .ek_alg, .simulator] | join(" ")' --argjson id "$(cat "$T/id.json")" "$T/enr.json"
	assert_output "runner-rsa true true rsa-2048 true"
}

@test "a runner enrolls with ss-tpm-identity through its ECC P-384 EK" {
	enroll_runner runner-ecc "$ECC_EK"
	assert_success
	echo "$output" >"$T/enr.json"
	validate_schema ss.enrollment.v1 "$T/enr.json"
	run jq -r '[.runner_id, .ek_alg] | join(" ")' "$T/enr.json"
	assert_output "runner-ecc ecc-p384"
}

@test "one TPM's EK with another TPM's AK: neither TPM can answer, a guessed proof is refused" {
	ss-tpm-identity enroll --runner-id runner-a --state "$T/a" >"$T/id-a.json"
	tpm_snapshot enrolled
	use_tpm "$TPM_B" pristine
	ss-tpm-identity enroll --runner-id runner-b --state "$T/b" >"$T/id-b.json"
	# A's EK and certificate, B's AK; both CAs trusted.
	jq -c --slurpfile b "$T/id-b.json" '.ak = $b[0].ak' "$T/id-a.json" >"$T/mixed.json"
	cat "$CA_A" "$CA_B" >"$T/bundle.pem"
	hs enroll-challenge --key "$CP_KEY" --identity "$T/mixed.json" --ek-ca "$T/bundle.pem" \
		>"$T/ch.json"
	cid=$(jq -r .challenge_id "$T/ch.json")

	# TPM B holds the AK, not the EK the credential is wrapped for.  Its
	# runner's tool refuses a challenge for another runner than its own
	# identity; the TPM itself could not answer either.  (swtpm answers a
	# seed it cannot decrypt with TPM_RC_FAILURE, whoever made the blob:
	# tpm2_makecredential's does the same.)
	run --separate-stderr ss-tpm-identity activate --cp-pub "$CP_PUB" --state "$T/b" <"$T/ch.json"
	assert_failure_exact 1 "ss-tpm-identity: credential challenge '$cid' is for runner 'runner-a', not for 'runner-b' (the identity in '$T/b')"
	run activate_tpm2_tools "$T/ch.json" "$RSA_EK" "$(jq -r .ak.handle "$T/id-b.json")" "$T/cred"
	assert_failure 1
	assert_output --partial "Esys_ActivateCredential(0x101) - tpm:error(2.0): commands not being accepted because of a TPM failure"

	# TPM A holds the EK, not the AK the credential names: its tool sees
	# that, and the TPM itself fails the credential's integrity check.
	use_tpm "$TPM_A" enrolled
	run --separate-stderr ss-tpm-identity activate --cp-pub "$CP_PUB" --state "$T/a" <"$T/ch.json"
	assert_equal "$status:$output" "1:"
	run activate_tpm2_tools "$T/ch.json" "$RSA_EK" "$(jq -r .ak.handle "$T/id-a.json")" "$T/cred"
	assert_failure 1
	assert_output --partial "Esys_ActivateCredential(0x1DF) - tpm:parameter(1):integrity check failed"

	# Without the credential, a response is a guess.
	head -c 32 /dev/urandom >"$T/guess"
	response_doc "$T/ch.json" "$T/guess" >"$T/resp.json"
	run --separate-stderr hs enroll-verify --key "$CP_KEY" <"$T/resp.json"
	assert_failure_exact 1 "ss-attest-handshake: credential response: proof does not verify"
}
