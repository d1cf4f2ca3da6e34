#!/usr/bin/env bats
# No prompt, ever: a key file that OpenSSL would ask a passphrase for is
# refused at once (exit 3) with a message that says what to give instead,
# whether standard input is closed, there is no terminal at all, or there is
# one (where a prompt would hang until the time limit kills it, status 137).

load lib/common

setup() {
	cd "$BATS_TEST_TMPDIR"
	openssl genpkey -algorithm ed25519 -aes256 -pass pass:x -out enc.pem 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
		openssl ec -aes256 -passout pass:x -out enc-ec.pem 2>/dev/null
	chmod 600 enc.pem enc-ec.pem
	printf '{"type":"ss.execution.v1","execution_id":"e","tenant_id":"t","operator_id":"o","fingerprint":"sha256:%064d"}\n' 0 >exec.json
}

KEY_MSG="is an encrypted private key, and no passphrase is ever asked: store it unencrypted in a file only its owner can read (openssl pkey -in KEY -out PLAIN.pem)"
PUB_MSG="is an encrypted private key, not a public key: give the control plane's public key (openssl pkey -in KEY -pubout)"

# on_terminal CMD...: run CMD on a pseudo-terminal of its own, with a time
# limit; prints the command's output and then "status=N".
on_terminal() {
	timeout -s KILL 20 script -qec "timeout -s KILL 10 $*; echo status=\$?" /dev/null </dev/null
}

@test "an encrypted --key is exit 3 with stdin closed and without a terminal, never a prompt" {
	local k
	for k in enc.pem enc-ec.pem; do
		run --separate-stderr timeout -s KILL 10 ss-attest-handshake challenge --key "$k" \
			--execution exec.json --state st <&-
		assert_failure_exact 3 "ss-attest-handshake: '$k' $KEY_MSG"
		run --separate-stderr setsid -w timeout -s KILL 10 ss-attest-handshake challenge --key "$k" \
			--execution exec.json --state st </dev/null
		assert_failure_exact 3 "ss-attest-handshake: '$k' $KEY_MSG"
	done
	[ ! -e st/challenges ]
}

@test "an encrypted --key on a terminal is exit 3 at once (a prompt would hang: 137)" {
	run on_terminal ss-attest-handshake challenge --key enc.pem --execution exec.json --state st
	[ "$status" -eq 0 ]
	[ "$(printf '%s' "$output" | tr -d '\r')" = "ss-attest-handshake: 'enc.pem' $KEY_MSG
status=3" ]
}

@test "an encrypted key given as --cp-pub is exit 3 at once, on a terminal or not" {
	run --separate-stderr timeout -s KILL 10 ss-attest-handshake respond --cp-pub enc-ec.pem --state st <&-
	assert_failure_exact 3 "ss-attest-handshake: 'enc-ec.pem' $PUB_MSG"
	openssl genpkey -algorithm ed25519 -out cp.key 2>/dev/null
	"$SS_PYTHON" "$BATS_TEST_DIRNAME/lib/make_session.py" cp.key exec.json "$(printf '%064d' 0)" >s.json
	head -c 32 /dev/urandom >s.key
	chmod 600 s.key
	run --separate-stderr timeout -s KILL 10 ss-derive-key --session s.json --cp-pub enc.pem \
		--session-secret s.key <exec.json
	assert_failure_exact 3 "ss-derive-key: 'enc.pem' $PUB_MSG"
	run on_terminal ss-attest-handshake enrollments --cp-pub enc.pem --state st
	[ "$status" -eq 0 ]
	[ "$(printf '%s' "$output" | tr -d '\r')" = "ss-attest-handshake: 'enc.pem' $PUB_MSG
status=3" ]
}

@test "an encrypted key inside an EK CA bundle is refused, never a prompt" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
		-subj /CN=ca -days 1 -out ca.pem 2>/dev/null
	cat ca.pem enc-ec.pem >bundle.pem
	echo '{}' >id.json
	run on_terminal ss-attest-handshake enroll-challenge --key enc.pem --identity id.json \
		--ek-ca bundle.pem --state st
	[ "$status" -eq 0 ]
	[[ "$(printf '%s' "$output" | tr -d '\r')" == *"status=3" ]]
	[[ "$output" != *"pass phrase"* ]]
}
