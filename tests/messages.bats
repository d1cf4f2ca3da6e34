#!/usr/bin/env bats
# One error is one line: whatever a document, a policy or the command line
# puts in a message is escaped (C0 and C1 controls, DEL and invalid UTF-8 as
# \xNN) and a long value is cut with '…', so no input can forge a line of a
# CI log.

load lib/common

setup() {
	cd "$BATS_TEST_TMPDIR"
	openssl genpkey -algorithm ed25519 -out cp.pem 2>/dev/null
	chmod 600 cp.pem
	printf 'pcr_bank: sha256\npcrs:\n  0: %064d\n' 0 >policy.yaml
}

@test "one error is one line: a member name with a newline cannot forge an 'approved' line" {
	printf '{"type":"ss.evidence.v1","x\\nss-attest-handshake: verify: approved":1}' >ev.json
	run --separate-stderr ss-attest-handshake verify --key cp.pem --policy policy.yaml \
		--session-secret-out k --state st <ev.json
	assert_failure_exact 3 "ss-attest-handshake: evidence: unknown member 'x\\x0ass-attest-handshake: verify: approved'"
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "one error is one line: escape sequences and carriage returns in a policy key" {
	printf '"\\e[2K\\rallow_simulator": true\n' >p.yaml
	run --separate-stderr ss-attest-handshake verify --key cp.pem --policy p.yaml \
		--session-secret-out k --state st </dev/null
	assert_failure_exact 3 "ss-attest-handshake: policy 'p.yaml' line 1: unknown key '\\x1b[2K\\x0dallow_simulator'"
}

@test "one error is one line: controls, DEL, C1 and invalid UTF-8 on the command line" {
	run --separate-stderr ss-attest-handshake $'no\tsuch\x7f\xc2\x85\xff\xc3\xa9'
	assert_failure_exact 2 "ss-attest-handshake: unknown command 'no\\x09such\\x7f\\xc2\\x85\\xff$(printf '\xc3\xa9')' (try 'ss-attest-handshake --help')"
	run --separate-stderr ss-derive-key --root-secret $'a\nb' --kind $'x\ny' </dev/null
	assert_failure_exact 2 "ss-derive-key: --kind: 'x\\x0ay' is not one of ed25519, x25519, aes-256, raw"
	run --separate-stderr ss-tpm-identity enroll --runner-id $'r\n1'
	assert_failure_exact 2 "ss-tpm-identity: --runner-id: 'r\\x0a1' is not an identifier ([A-Za-z0-9._:-]{1,128})"
}

@test "one error is one line: a long value is cut with an ellipsis" {
	local long
	long=$(printf 'a%.0s' $(seq 1000))
	run --separate-stderr ss-attest-handshake "$long"
	assert_failure_exact 2 "ss-attest-handshake: unknown command '$(printf 'a%.0s' $(seq 256))…' (try 'ss-attest-handshake --help')"
	# A cut never splits a character: 300 two-byte characters are cut at 128.
	long=$(printf 'é%.0s' $(seq 300))
	run --separate-stderr ss-attest-handshake "$long"
	assert_failure_exact 2 "ss-attest-handshake: unknown command '$(printf 'é%.0s' $(seq 128))…' (try 'ss-attest-handshake --help')"
}

@test "one error is one line: a context member name with a carriage return" {
	printf '{"type":"ss.execution.v1","a\\rb":1}' >ctx.json
	head -c 32 /dev/urandom >root
	chmod 600 root
	run --separate-stderr ss-derive-key --root-secret root <ctx.json
	[ "$status" -eq 3 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *'a\x0db'* ]]
}
