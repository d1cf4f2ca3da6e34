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

@test "wrong document in: every tool names the type it got and the one it expected (issue 9)" {
	openssl pkey -in cp.pem -pubout -out cp.pub
	head -c 32 /dev/urandom >root
	chmod 600 root
	printf '{"type":"ss.execution.v1","execution_id":"e","tenant_id":"t","operator_id":"o","fingerprint":"sha256:%064d"}\n' 0 >exec.json
	ss-derive-key --root-secret root <exec.json >key.json
	run --separate-stderr ss-derive-key --root-secret root <key.json
	assert_failure_exact 3 "ss-derive-key: read context: document type 'ss.key.v1' where 'ss.execution.v1' was expected"
	echo '{"key_id":"x"}' >untyped.json
	run --separate-stderr ss-derive-key --root-secret root <untyped.json
	assert_failure_exact 3 "ss-derive-key: read context: document without a 'type' where 'ss.execution.v1' was expected"
	run --separate-stderr ss-derive-key --session key.json --cp-pub cp.pub --session-secret root <exec.json
	assert_failure_exact 3 "ss-derive-key: session 'key.json': document type 'ss.key.v1' where 'ss.session.v1' was expected"
	run --separate-stderr ss-attest-handshake verify --key cp.pem --policy policy.yaml \
		--session-secret-out s --state st <key.json
	assert_failure_exact 3 "ss-attest-handshake: evidence: document type 'ss.key.v1' where 'ss.evidence.v1' was expected"
	run --separate-stderr ss-attest-handshake challenge --key cp.pem --execution key.json --state st
	assert_failure_exact 3 "ss-attest-handshake: execution 'key.json': document type 'ss.key.v1' where 'ss.execution.v1' was expected"
	run --separate-stderr ss-attest-handshake enroll-challenge --key cp.pem --identity exec.json \
		--ek-ca cp.pub --state st
	assert_failure_exact 3 "ss-attest-handshake: identity 'exec.json': document type 'ss.execution.v1' where 'ss.identity.v1' was expected"
	run --separate-stderr ss-attest-handshake enroll-verify --key cp.pem --state st <exec.json
	assert_failure_exact 3 "ss-attest-handshake: credential response: document type 'ss.execution.v1' where 'ss.credential-response.v1' was expected"
	run --separate-stderr ss-attest-handshake finish --cp-pub cp.pub --session-secret-out s --state st <exec.json
	assert_failure_exact 3 "ss-attest-handshake: session: document type 'ss.execution.v1' where 'ss.session.v1' was expected"
	run --separate-stderr ss-tpm-identity activate --cp-pub cp.pub --state st <exec.json
	assert_failure_exact 3 "ss-tpm-identity: read credential challenge: document type 'ss.execution.v1' where 'ss.credential-challenge.v1' was expected"
	run --separate-stderr ss-fc-launch verify-telemetry --key exec.json <key.json
	assert_failure_exact 3 "ss-fc-launch: key 'exec.json': document type 'ss.execution.v1' where 'ss.key.v1' was expected"
	run --separate-stderr ss-fc-launch verify-telemetry --key key.json <key.json
	assert_failure_exact 3 "ss-fc-launch: line 1: event type 'ss.key.v1' is not an ss.telemetry.v1 event"
	run --separate-stderr ss-fc-launch verify-telemetry --key key.json <untyped.json
	assert_failure_exact 3 "ss-fc-launch: line 1: document without a 'type' where an ss.telemetry.v1 event was expected"
	run --separate-stderr ss-fc-launch --vm exec.json --session key.json --key key.json --cp-pub cp.pub --state st
	assert_failure_exact 3 "ss-fc-launch: vm 'exec.json': document type 'ss.execution.v1' where 'ss.vm.v1' was expected"
}
