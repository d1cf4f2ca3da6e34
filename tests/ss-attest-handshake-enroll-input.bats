#!/usr/bin/env bats
# Enrollment input that is wrong in form rather than refused on its merits:
# invalid documents and files (exit 3), wrong command lines (exit 2), files
# that cannot be opened (exit 6).  One stderr line each, nothing on stdout,
# and a malformed response never uses up its challenge.

load lib/common
load lib/swtpm
load lib/enroll

setup_file() { enroll_suite_init "$RSA_EK" "$RSA_EK_NV" ecc; }
teardown_file() { swtpm_fini; }
setup() {
	enroll_test_setup
	identity_doc "$KIT" >"$T/id.json"
}
teardown() { assert_tpm_clean; }

challenge_from() {
	run --separate-stderr hs enroll-challenge --key "$CP_KEY" --identity "$1" \
		--ek-ca "${2:-$SWTPM_CA_BUNDLE}"
}

@test "malformed identity documents are invalid input" {
	head -c 1048577 /dev/zero | tr '\0' ' ' >"$T/big.json"
	challenge_from "$T/big.json"
	assert_failure_exact 3 "ss-attest-handshake: read '$T/big.json': larger than 1048576 bytes"

	jq -c '. + {runner_id: "runner-1"}' "$T/id.json" | sed 's/^{/{"runner_id":"runner-9",/' >"$T/dup.json"
	challenge_from "$T/dup.json"
	assert_failure_exact 3 "ss-attest-handshake: identity '$T/dup.json': duplicate member 'runner_id'"

	jq -c '.ek.nv_index = 29360130' "$T/id.json" >"$T/typed.json"
	challenge_from "$T/typed.json"
	assert_failure_exact 3 "ss-attest-handshake: identity '$T/typed.json': member 'ek.nv_index' must be a string"

	jq -c '.ak.extra = true' "$T/id.json" >"$T/unknown.json"
	challenge_from "$T/unknown.json"
	assert_failure_exact 3 "ss-attest-handshake: identity '$T/unknown.json': unknown member 'ak.extra'"

	{ cat "$T/id.json"; echo '{}'; } >"$T/trailing.json"
	challenge_from "$T/trailing.json"
	assert_failure_exact 3 "ss-attest-handshake: identity '$T/trailing.json': trailing data after the document at byte $(stat -c %s "$T/id.json")"

	head -c 100 "$T/id.json" >"$T/cut.json"
	challenge_from "$T/cut.json"
	assert_failure_exact 3 "ss-attest-handshake: identity '$T/cut.json': unexpected end of JSON at byte 100"

	jq -c '.ek.certificate_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"' \
		"$T/id.json" >"$T/badcert.json"
	challenge_from "$T/badcert.json"
	assert_failure_exact 3 "ss-attest-handshake: EK certificate: not a PEM certificate"
	[ ! -s "$STATE/audit.jsonl" ] # not decisions: nothing was judged
}

@test "malformed credential responses are invalid input and do not use up the challenge" {
	hs enroll-challenge --key "$CP_KEY" --identity "$T/id.json" --ek-ca "$SWTPM_CA_BUNDLE" \
		>"$T/ch.json"
	enroll_respond "$T/ch.json" "$RSA_EK" "$AK" "$T/resp.json"
	verify() { run --separate-stderr hs enroll-verify --key "$CP_KEY"; }

	verify < <(jq -c '.proof = 12' "$T/resp.json")
	assert_failure_exact 3 "ss-attest-handshake: credential response: member 'proof' must be a string"
	verify < <(jq -c '.proof |= ascii_upcase' "$T/resp.json")
	assert_failure_exact 3 "ss-attest-handshake: credential response: member 'proof' must be 64 lowercase hex digits"
	verify < <(jq -c '.x = 1' "$T/resp.json")
	assert_failure_exact 3 "ss-attest-handshake: credential response: unknown member 'x'"
	verify < <(jq -c '.type = "ss.identity.v1"' "$T/resp.json")
	assert_failure_exact 3 "ss-attest-handshake: credential response: document type 'ss.identity.v1' where 'ss.credential-response.v1' was expected"
	verify < <(jq -c . "$T/resp.json" | sed 's/^{/{"proof":"00",/')
	assert_failure_exact 3 "ss-attest-handshake: credential response: duplicate member 'proof'"
	verify < <(cat "$T/resp.json"; echo '{}')
	assert_failure_exact 3 "ss-attest-handshake: credential response: trailing data after the document at byte $(stat -c %s "$T/resp.json")"
	verify </dev/null
	assert_failure_exact 3 "ss-attest-handshake: credential response: unexpected end of JSON at byte 0"
	verify < <(head -c 1048577 /dev/zero | tr '\0' ' ')
	assert_failure_exact 3 "ss-attest-handshake: read standard input: larger than 1048576 bytes"

	verify <"$T/resp.json"
	assert_success
	validate_schema ss.enrollment.v1 <(echo "$output")
}

@test "unusable CA bundles and control-plane keys" {
	echo "not a certificate" >"$T/garbage.pem"
	challenge_from "$T/id.json" "$T/garbage.pem"
	assert_failure_exact 3 "ss-attest-handshake: CA bundle: no certificate in it"
	printf -- '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' >"$T/broken.pem"
	challenge_from "$T/id.json" "$T/broken.pem"
	assert_failure_exact 3 "ss-attest-handshake: CA bundle: unreadable PEM"
	challenge_from "$T/id.json" "$T/missing.pem"
	assert_failure_exact 6 "ss-attest-handshake: open '$T/missing.pem': No such file or directory"

	cp "$CP_KEY" "$T/shared.pem"
	chmod 0640 "$T/shared.pem"
	run --separate-stderr hs enroll-verify --key "$T/shared.pem" </dev/null
	assert_failure_exact 3 "ss-attest-handshake: secret file '$T/shared.pem' is accessible by group or others (mode 0640)"
	(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/rsa.pem" 2>/dev/null)
	run --separate-stderr hs enroll-verify --key "$T/rsa.pem" </dev/null
	assert_failure_exact 3 "ss-attest-handshake: '$T/rsa.pem': signing key must be Ed25519 or ECDSA P-256"
}

@test "wrong command lines are usage errors" {
	t=ss-attest-handshake
	run --separate-stderr $t enroll-challenge --identity "$T/id.json" --ek-ca "$SWTPM_CA_BUNDLE"
	assert_failure_exact 2 "$t: enroll-challenge: needs --key"
	run --separate-stderr $t enroll-challenge --key "$CP_KEY" --ek-ca "$SWTPM_CA_BUNDLE"
	assert_failure_exact 2 "$t: enroll-challenge: needs --identity"
	run --separate-stderr $t enroll-challenge --key "$CP_KEY" --identity "$T/id.json"
	assert_failure_exact 2 "$t: enroll-challenge: needs --ek-ca"
	run --separate-stderr $t enroll-challenge --ttl 0
	assert_failure_exact 2 "$t: --ttl: '0' is not a number in 1..86400"
	run --separate-stderr $t enroll-challenge --ttl 86401
	assert_failure_exact 2 "$t: --ttl: '86401' is not a number in 1..86400"
	run --separate-stderr $t enroll-verify
	assert_failure_exact 2 "$t: enroll-verify: needs --key"
	run --separate-stderr $t enroll-verify --identity "$T/id.json"
	assert_failure_exact 2 "$t: option '--identity' does not apply to 'enroll-verify'"
	run --separate-stderr $t enroll-verify --key a --key b
	assert_failure_exact 2 "$t: option '--key' given more than once"
	run --separate-stderr $t enrollments --key "$CP_KEY" --cp-pub "$CP_PUB"
	assert_failure_exact 2 "$t: options '--key' and '--cp-pub' exclude each other"
	run --separate-stderr $t enrollments $(for i in 1 2 3 4 5 6 7 8 9; do echo --cp-pub "$CP_PUB"; done)
	assert_failure_exact 2 "$t: at most 8 '--cp-pub' keys"
	run --separate-stderr $t enrollments extra
	assert_failure_exact 2 "$t: unexpected argument 'extra'"
	run --separate-stderr $t revoke
	assert_failure_exact 2 "$t: revoke: needs AK_NAME"
	run --separate-stderr $t revoke 000b00 000b01
	assert_failure_exact 2 "$t: unexpected argument '000b01'"
	run --separate-stderr $t revoke zz
	assert_failure_exact 2 "$t: AK_NAME: not hex of 1 to 66 bytes"
	run --separate-stderr $t revoke 000b00
	assert_failure_exact 2 "$t: AK_NAME: not a TPM name (hash algorithm id, then its digest)"
	run --separate-stderr $t enroll
	assert_failure_exact 2 "$t: unknown command 'enroll' (try '$t --help')"
}
