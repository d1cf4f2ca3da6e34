#!/usr/bin/env bats
# ss-derive-key from an attested session: the session's signature, decision,
# expiry and execution are checked before its secret is used.  Sessions are
# built and signed here with openssl (tests/lib/make_session.py), not libss.

load lib/common
load lib/derive

BINDING=8f3a5d0c1e2b4a6978f0d1c2b3a4958677685a4b3c2d1e0f1a2b3c4d5e6f7081

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	openssl genpkey -algorithm ed25519 -out cp.key 2>/dev/null
	openssl pkey -in cp.key -pubout -out cp.pem
	openssl genpkey -algorithm ed25519 -out cp2.key 2>/dev/null
	openssl pkey -in cp2.key -pubout -out cp2.pem
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out cpec.key 2>/dev/null
	openssl pkey -in cpec.key -pubout -out cpec.pem
	openssl genpkey -algorithm ed25519 -out rogue.key 2>/dev/null
	chmod 600 ./*.key
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	cp "$BATS_FILE_TMPDIR"/*.key "$BATS_FILE_TMPDIR"/*.pem .
	secret_file session.secret 32
	exec_doc exec-1 tenant-a op-1 >exec.json
}

# session KEY [make_session options...] > FILE: a session whose key
# confirmation is that of session.secret.
session() {
	local key=$1
	shift
	"$SS_PYTHON" "$MAKE_SESSION" "$key" exec.json "$BINDING" --secret session.secret "$@"
}

derive() {
	ss-derive-key --session s.json --cp-pub cp.pem --session-secret session.secret "$@" <exec.json
}

@test "an approved, matching session gives the reference key, bound to its binding" {
	session cp.key >s.json
	run --separate-stderr derive --kind raw --secret-out k
	assert_success
	[ -z "$stderr" ]
	echo "$output" >rec.json
	validate_schema ss.key.v1 rec.json
	[ "$(field rec.json session_binding_hash)" = "$BINDING" ]
	local want
	want=$("$SS_PYTHON" "$REF_KEYS" --session-secret session.secret --binding "$BINDING" \
		--kind raw <exec.json)
	[ "$(ids_of rec.json)" = "$(cut -d' ' -f1,2 <<<"$want")" ]
	[ "$(hex k)" = "$(cut -d' ' -f3 <<<"$want")" ]
}

@test "the same session twice gives the same key; another session or binding does not" {
	session cp.key >s.json
	derive --kind aes-256 --secret-out k1 >r1.json
	derive --kind aes-256 --secret-out k2 >r2.json
	[ "$(field r1.json key_id)" = "$(field r2.json key_id)" ]
	cmp k1 k2
	# Another session with its own secret.
	secret_file other.secret 32
	"$SS_PYTHON" "$MAKE_SESSION" cp.key exec.json "$BINDING" --secret other.secret >s3.json
	ss-derive-key --session s3.json --cp-pub cp.pem --session-secret other.secret --kind aes-256 \
		<exec.json >r3.json
	[ "$(field r3.json key_id)" != "$(field r1.json key_id)" ]
	# Same secret, another binding.
	"$SS_PYTHON" "$MAKE_SESSION" cp.key exec.json "$(printf '%064d' 7)" --secret session.secret >s.json
	derive --kind aes-256 >r4.json
	[ "$(field r4.json key_id)" != "$(field r1.json key_id)" ]
	# The same secret as a bare root gives yet another key.
	ss-derive-key --root-secret session.secret --kind aes-256 <exec.json >r5.json
	[ "$(field r5.json key_id)" != "$(field r1.json key_id)" ]
}

@test "a session secret that does not belong to the session is refused before deriving (exit 1)" {
	session cp.key >s.json
	secret_file other.secret 32
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem --session-secret other.secret \
		--kind raw --secret-out k <exec.json
	assert_failure_exact 1 "ss-derive-key: session secret does not belong to session 'chal-1'"
	[ ! -e k ]
	# Another session's genuine secret, with that other session's confirmation
	# moved over, does not help: the signature covers it.
	"$SS_PYTHON" "$MAKE_SESSION" cp.key exec.json "$BINDING" --secret other.secret >other.json
	session cp.key --after-signing "key_confirmation=$(jq .key_confirmation other.json)" >s.json
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem --session-secret other.secret \
		<exec.json
	assert_failure_exact 1 "ss-derive-key: session: signature does not verify"
}

@test "an ECDSA P-256 control-plane key and rotated keys are accepted" {
	session cpec.key >s.json
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem --cp-pub cpec.pem \
		--session-secret session.secret <exec.json
	assert_success
	session cp2.key >s.json
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem --cp-pub cp2.pem \
		--session-secret session.secret <exec.json
	assert_success
}

@test "a session signed by a key that is not pinned is refused (exit 1)" {
	session rogue.key >s.json
	local rogue_id
	rogue_id=$(openssl pkey -in rogue.key -pubout -outform DER | sha256sum | cut -d' ' -f1)
	run --separate-stderr derive
	assert_failure_exact 1 "ss-derive-key: session: signed by a key that is not pinned (key_id $rogue_id)"
}

@test "a session whose key id names a pinned key but another key signed it is refused" {
	session rogue.key >s.json
	local pinned_id
	pinned_id=$(openssl pkey -in cp.key -pubout -outform DER | sha256sum | cut -d' ' -f1)
	jq -c ".signature.key_id = \"$pinned_id\"" s.json >forged.json
	mv forged.json s.json
	run --separate-stderr derive
	assert_failure_exact 1 "ss-derive-key: session: signature does not verify"
}

@test "any member edited after signing is refused (exit 1)" {
	local edit
	for edit in 'tenant_id="tenant-a2"' 'execution_id="exec-9"' 'runner_id="runner-2"' \
		'expires_at="2099-01-01T00:00:00Z"' 'session_binding_hash="'"$(printf '%064d' 1)"'"' \
		'clock={"reset_count":1,"restart_count":0,"clock":"0x1f4","safe":false}'; do
		session cp.key --after-signing "$edit" >s.json
		# The context follows the edited names, so only the signature can object.
		jq -c --slurpfile s s.json \
			'.execution_id = $s[0].execution_id | .tenant_id = $s[0].tenant_id' exec.json >ctx.json
		run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem \
			--session-secret session.secret <ctx.json
		assert_failure_exact 1 "ss-derive-key: session: signature does not verify"
	done
}

@test "a denied session flipped to approved is refused (exit 1)" {
	session cp.key --denied pcr_policy_violation \
		--after-signing 'approved=true' --after-signing 'reason="approved"' \
		--after-signing "session_binding_hash=\"$BINDING\"" \
		--after-signing "key_confirmation=\"$BINDING\"" \
		--after-signing 'expires_at="2099-01-01T00:00:00Z"' >s.json
	run --separate-stderr derive
	assert_failure_exact 1 "ss-derive-key: session: signature does not verify"
}

@test "a denied session, signed as it is, is refused with its reason (exit 1)" {
	session cp.key --denied pcr_policy_violation >s.json
	run --separate-stderr derive
	assert_failure_exact 1 "ss-derive-key: session: not approved (reason 'pcr_policy_violation')"
}

@test "an expired session is refused (exit 1)" {
	session cp.key --expires-in -60 >s.json
	local when
	when=$(jq -r .expires_at s.json)
	run --separate-stderr derive
	assert_failure_exact 1 "ss-derive-key: session: expired at $when"
}

@test "a session for another execution, tenant, operator or fingerprint is refused (exit 1)" {
	session cp.key >s.json
	exec_doc exec-2 tenant-a op-1 >other.json
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem --session-secret session.secret <other.json
	assert_failure_exact 1 "ss-derive-key: session: names execution 'exec-1', not 'exec-2'"
	exec_doc exec-1 tenant-b op-1 >other.json
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem --session-secret session.secret <other.json
	assert_failure_exact 1 "ss-derive-key: session: names tenant 'tenant-a', not 'tenant-b'"
	exec_doc exec-1 tenant-a op-2 >other.json
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem --session-secret session.secret <other.json
	assert_failure_exact 1 "ss-derive-key: session: names operator 'op-1', not 'op-2'"
	exec_doc exec-1 tenant-a op-1 "$FP_B" >other.json
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem --session-secret session.secret <other.json
	assert_failure_exact 1 "ss-derive-key: session: names fingerprint '$FP_A', not '$FP_B'"
}

@test "the session secret must be exactly 32 owner-only bytes (exit 3)" {
	session cp.key >s.json
	secret_file session.secret 31
	run --separate-stderr derive
	assert_failure_exact 3 "ss-derive-key: secret file 'session.secret' is 31 bytes, at least 32 are required"
	secret_file session.secret 33
	run --separate-stderr derive
	assert_failure_exact 3 "ss-derive-key: secret file 'session.secret' is longer than 32 bytes"
	secret_file session.secret 32
	chmod 644 session.secret
	run --separate-stderr derive
	assert_failure_exact 3 "ss-derive-key: secret file 'session.secret' is accessible by group or others (mode 0644)"
}

@test "a malformed session is invalid input (exit 3)" {
	session cp.key >s.json
	jq -c 'del(.signature)' s.json >u.json && mv u.json s.json
	run --separate-stderr derive
	assert_failure_exact 3 "ss-derive-key: session 's.json': member 'signature' is missing"
	session cp.key >s.json
	sed 's/^{/{"approved":true,/' s.json >d.json && mv d.json s.json
	run --separate-stderr derive
	assert_failure_exact 3 "ss-derive-key: session 's.json': duplicate member 'approved'"
	echo '{"type":"ss.session.v1"' >s.json
	run --separate-stderr derive
	assert_failure_exact 3 "ss-derive-key: session 's.json': unexpected end of JSON at byte 24"
	session cp.key --after-signing 'extra=1' >s.json
	run --separate-stderr derive
	assert_failure_exact 3 "ss-derive-key: session 's.json': unknown member 'extra'"
}

@test "session usage errors (exit 2)" {
	session cp.key >s.json
	run --separate-stderr ss-derive-key --session s.json --session-secret session.secret <exec.json
	assert_failure_exact 2 "ss-derive-key: --session: needs --cp-pub"
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.pem <exec.json
	assert_failure_exact 2 "ss-derive-key: --session: needs --session-secret"
	run --separate-stderr ss-derive-key --root-secret session.secret --cp-pub cp.pem <exec.json
	assert_failure_exact 2 "ss-derive-key: --cp-pub applies only with --session"
	run --separate-stderr derive --batch
	assert_failure_exact 2 "ss-derive-key: --batch derives from a root: a session names one execution"
	run --separate-stderr ss-derive-key --session s.json --cp-pub cp.key --session-secret session.secret <exec.json
	assert_failure_exact 3 "ss-derive-key: 'cp.key': not a PEM public key"
}
