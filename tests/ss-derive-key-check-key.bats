#!/usr/bin/env bats
# ss-derive-key check-key: an archived key record against the session it
# names, offline and without any secret — the session's signature and
# decision when the key was derived, the binding, the execution, tenant and
# operator, and the context hash rebuilt.  Sessions are built and signed
# with openssl (tests/lib/make_session.py); records are edited as an
# attacker would.

load lib/common
load lib/derive

BINDING=8f3a5d0c1e2b4a6978f0d1c2b3a4958677685a4b3c2d1e0f1a2b3c4d5e6f7081

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	openssl genpkey -algorithm ed25519 -out cp.key 2>/dev/null
	openssl pkey -in cp.key -pubout -out cp.pem
	openssl genpkey -algorithm ed25519 -out rogue.key 2>/dev/null
	chmod 600 ./*.key
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	cp "$BATS_FILE_TMPDIR"/*.key "$BATS_FILE_TMPDIR"/*.pem .
	secret_file session.secret 32
	exec_doc exec-1 tenant-a op-1 >exec.json
	"$SS_PYTHON" "$MAKE_SESSION" cp.key exec.json "$BINDING" --secret session.secret >s.json
	ss-derive-key --session s.json --cp-pub cp.pem --session-secret session.secret <exec.json >key.json
}

# check [SESSION]: check-key of key.json.
check() {
	run --separate-stderr ss-derive-key check-key --session "${1:-s.json}" --cp-pub cp.pem <key.json
}

# edit JQ: key.json edited.
edit() {
	jq -c "$1" key.json >k && mv k key.json
}

@test "a key derived from the session it names passes, silently" {
	check
	assert_success
	assert_output ""
	[ -z "$stderr" ]
}

@test "every kind and purpose passes; the check needs no secret and no TPM" {
	local kind
	for kind in ed25519 x25519 aes-256 raw; do
		ss-derive-key --session s.json --cp-pub cp.pem --session-secret session.secret \
			--kind "$kind" --purpose logs <exec.json >key.json
		run --separate-stderr env -u SS_TCTI ss-derive-key check-key --session s.json \
			--cp-pub cp.pem <key.json
		assert_success
	done
}

@test "a key record naming another tenant, execution or operator fails at that member" {
	edit '.tenant_id = "tenant-b"'
	check
	assert_failure_exact 1 "ss-derive-key: key: names tenant 'tenant-b', the session 'tenant-a'"
	setup
	edit '.execution_id = "exec-2"'
	check
	assert_failure_exact 1 "ss-derive-key: key: names execution 'exec-2', the session 'exec-1'"
	setup
	edit '.operator_id = "op-2"'
	check
	assert_failure_exact 1 "ss-derive-key: key: names operator 'op-2', the session 'op-1'"
}

@test "a key bound to another session binding fails" {
	edit '.session_binding_hash = ("ab" * 32)'
	check
	assert_failure_exact 1 "ss-derive-key: key: bound to session binding abababababababab..., the session's is 8f3a5d0c1e2b4a69..."
}

@test "a key from a bare root is no session's key" {
	secret_file root.secret 32
	ss-derive-key --root-secret root.secret <exec.json >key.json
	check
	assert_failure_exact 1 "ss-derive-key: key: derived from a bare root, not from an attested session"
}

@test "a context hash that is not the context's: another purpose or kind claimed" {
	edit '.purpose = "other"'
	check
	assert_failure_exact 1 "ss-derive-key: key: context_hash is not SHA-256 of its context (the session's execution, kind 'ed25519', purpose 'other')"
	setup
	edit '.context_hash = ("00" * 32)'
	check
	assert_failure_exact 1 "ss-derive-key: key: context_hash is not SHA-256 of its context (the session's execution, kind 'ed25519', purpose 'execution')"
}

@test "a key of another execution's context under the same session: its fingerprint differs" {
	exec_doc exec-1 tenant-a op-1 "$FP_B" >other.json
	# The session's execution has fingerprint A; a record whose hash covers B
	# (made by the reference, with the session's binding) is not this session's.
	local ch
	ch=$("$SS_PYTHON" "$REF_KEYS" --session-secret session.secret --binding "$BINDING" <other.json |
		cut -d' ' -f2)
	edit ".context_hash = \"$ch\""
	check
	assert_failure_exact 1 "ss-derive-key: key: context_hash is not SHA-256 of its context (the session's execution, kind 'ed25519', purpose 'execution')"
}

@test "a key dated before its session was verified, or after it expired, fails" {
	edit '.derived_at = "2001-01-01T00:00:00Z"'
	check
	assert_failure_exact 1 "ss-derive-key: key: derived at 2001-01-01T00:00:00Z, before the session was verified at $(jq -r .verified_at s.json)"
	setup
	edit '.derived_at = "2999-01-01T00:00:00Z"'
	check
	assert_failure_exact 1 "ss-derive-key: session: expired at $(jq -r .expires_at s.json)"
}

@test "the session must be signed by a pinned key and approved" {
	"$SS_PYTHON" "$MAKE_SESSION" rogue.key exec.json "$BINDING" >rogue.json
	check rogue.json
	[ "$status" -eq 1 ]
	[[ "$stderr" == "ss-derive-key: session: signed by a key that is not pinned (key_id "* ]]
	[ -z "$output" ]
	"$SS_PYTHON" "$MAKE_SESSION" cp.key exec.json "$BINDING" --after-signing tenant_id='"tenant-b"' >edited.json
	check edited.json
	assert_failure_exact 1 "ss-derive-key: session: signature does not verify"
	"$SS_PYTHON" "$MAKE_SESSION" cp.key exec.json "$BINDING" --denied pcr_policy_violation >denied.json
	check denied.json
	assert_failure_exact 1 "ss-derive-key: session: not approved (reason 'pcr_policy_violation')"
}

@test "malformed records and sessions are invalid input (exit 3)" {
	echo '{"type":"ss.key.v1"}' >key.json
	check
	assert_failure_exact 3 "ss-derive-key: key: member 'key_id' is missing"
	setup
	jq -c 'del(.signature)' s.json >unsigned.json
	check unsigned.json
	assert_failure_exact 3 "ss-derive-key: session 'unsigned.json': member 'signature' is missing"
	echo '{' >broken.json
	check broken.json
	[ "$status" -eq 3 ]
	[[ "$stderr" == "ss-derive-key: session 'broken.json': "* ]]
}

@test "check-key needs --session and --cp-pub; deriving still needs the secret with --session" {
	run --separate-stderr ss-derive-key check-key --cp-pub cp.pem
	assert_failure_exact 2 "ss-derive-key: check-key: needs --session"
	run --separate-stderr ss-derive-key check-key --session s.json
	assert_failure_exact 2 "ss-derive-key: check-key: needs --cp-pub"
	run --separate-stderr ss-derive-key check-key --session s.json --cp-pub cp.pem --kind raw
	assert_failure_exact 2 "ss-derive-key: option '--kind' does not apply to 'check-key'"
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem <exec.json
	assert_failure_exact 2 "ss-derive-key: --session: needs --session-secret"
}
