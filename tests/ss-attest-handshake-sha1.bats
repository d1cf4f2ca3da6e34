#!/usr/bin/env bats
# SHA-1 is not allowed unless a policy says so: a quote of the sha1 PCR bank
# (on a TPM with that bank active) is refused with hash_not_allowed by the
# verifier and by verify-quote, and accepted once the policy lists sha1.

load lib/common
load lib/swtpm
load lib/handshake

setup_file() { hs_suite_init --pcr-banks sha1,sha256; }
teardown_file() { swtpm_fini; }
setup() { hs_test_setup; }
teardown() { assert_tpm_clean; }

@test "a quote of the sha1 bank under the default hashes: hash_not_allowed" {
	hs_challenge --pcrs sha1:0-7
	hs_respond
	[ "$(jq -r .quote.pcr_bank "$T/ev.json")" = sha1 ]
	hs_verify "$T/ev.json"
	reason_is hash_not_allowed "PCR bank sha1 is not allowed"
	run jq -r 'select(.event == "verify") | .detail' "$T/cp/audit.jsonl"
	assert_output "PCR bank sha1 is not allowed"
}

@test "the same quote is approved by a policy that allows sha1" {
	printf '%s\n' 'pcrs: any' 'signature_hashes: [sha1, sha256]' 'allow_simulator: true' >"$T/sha1.yaml"
	hs_challenge --pcrs sha1:0-7
	hs_respond
	hs_verify "$T/ev.json" "$T/sha1.yaml"
	assert_success
	[ "$(jq -r .pcr_digest <<<"$output" | tr -d '\n' | wc -c)" -eq 64 ] # signed with SHA-256
}

@test "verify-quote: a tpm2_quote of the sha1 bank is hash_not_allowed by default" {
	qd=$(openssl rand -hex 32)
	ak=$(jq -r .ak.handle "$HS/id.json")
	jq -r .ak.public_area_b64 "$HS/id.json" | base64 -d >"$T/ak.tpm2b"
	tpm2_quote -Q -c "$ak" -l sha1:0,1,2,3 -q "$qd" -m "$T/q.msg" -s "$T/q.sig" -o "$T/q.pcrs"
	tpm2_flushcontext -t >/dev/null
	run --separate-stderr hs verify-quote --ak-pub "$T/ak.tpm2b" --attest "$T/q.msg" --sig "$T/q.sig" \
		--pcrs "$T/q.pcrs" --qualifying-data "$qd"
	assert_equal "$status" 1
	assert_equal "$stderr" "ss-attest-handshake: quote is not valid: hash_not_allowed"
	printf '%s\n' 'pcrs: any' 'signature_hashes: [sha1, sha256]' >"$T/sha1.yaml"
	run --separate-stderr hs verify-quote --ak-pub "$T/ak.tpm2b" --attest "$T/q.msg" --sig "$T/q.sig" \
		--pcrs "$T/q.pcrs" --qualifying-data "$qd" --policy "$T/sha1.yaml"
	assert_success
}
