#!/usr/bin/env bats
# ss-collision-check on the toolkit's own documents as the tools write them:
# sessions from a real handshake on a software TPM, keys from ss-derive-key,
# and CloudEvents telemetry of their launches (the fields under data, as
# ss-fc-launch writes them).  A session's challenge_id is its nonce.

load lib/common
load lib/swtpm
load lib/handshake
load lib/collision

# attest EXECUTION TENANT N: session N (sN.json, secret sN.key) for a new
# execution, its ed25519 and aes-256 keys (kN.json, kN-aes.json) and its
# launch event (evN.json), in $HS/docs.
attest() {
	local d="$HS/docs" n=$3
	exec_json "$1" "$2" operator-1 >"$d/e$n.json"
	hs challenge --key "$HS/cp.pem" --execution "$d/e$n.json" --state "$d/cp" >"$d/ch$n.json" &&
		hs respond --cp-pub "$HS/cp.pub" --state "$d/runner" <"$d/ch$n.json" >"$d/ev$n.json" &&
		hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" --session-secret-out "$d/s$n.key" \
			--state "$d/cp" <"$d/ev$n.json" >"$d/s$n.json" || return 1
	ss-derive-key --session "$d/s$n.json" --cp-pub "$HS/cp.pub" --session-secret "$d/s$n.key" \
		<"$d/e$n.json" >"$d/k$n.json" &&
		ss-derive-key --session "$d/s$n.json" --cp-pub "$HS/cp.pub" --session-secret "$d/s$n.key" \
			--kind aes-256 <"$d/e$n.json" >"$d/k$n-aes.json" || return 1
	event launched "$2" "$1" "$(jq -r .session_binding_hash "$d/s$n.json")" \
		"$(jq -r .key_id "$d/k$n.json")" >"$d/launch$n.json"
}

setup_file() {
	hs_suite_init
	mkdir -p "$HS/docs"
	cp -a "$HS/cp" "$HS/runner" "$HS/docs/"
	attest exec-1 tenant-a 1 && attest exec-2 tenant-b 2 && attest exec-3 tenant-a 3 || return 1
	# the verifier refuses a second verify of the same evidence
	hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" --session-secret-out "$HS/docs/replay.key" \
		--state "$HS/docs/cp" <"$HS/docs/ev1.json" >"$HS/docs/replay.json" && return 1
	[ "$(jq -r .reason "$HS/docs/replay.json")" = challenge_reused ]
}
teardown_file() { swtpm_fini; }

setup() {
	cd "$BATS_TEST_TMPDIR"
	cp "$HS"/docs/*.json .
}

# The documents are single lines already; a stream is their concatenation.
stream() { cat "$@"; }

@test "sessions, keys and launches of two tenants, as the tools write them, are clean" {
	validate_schema ss.session.v1 s1.json
	validate_schema ss.key.v1 k1.json
	stream s1.json k1.json k1-aes.json launch1.json s2.json k2.json launch2.json \
		s3.json k3.json k3-aes.json launch3.json >fleet.jsonl
	run --separate-stderr collide fleet.jsonl
	assert_success
	[ "$(jq -c '[.records, .violations]' <<<"$output")" = '[11,0]' ]
	[ "$(counts <(echo "$output"))" = "$(oracle fleet.jsonl)" ]
}

@test "a replayed challenge, denied by the verifier, is no nonce reuse" {
	[ "$(jq -r '[.approved, .challenge_id == $s[0].challenge_id] | join(" ")' --slurpfile s s1.json replay.json)" = "false true" ]
	stream s1.json k1.json replay.json launch1.json >replay.jsonl
	run --separate-stderr collide replay.jsonl
	assert_success
	[ "$(jq -c '[.records, .violations]' <<<"$output")" = '[4,0]' ]
}

@test "a second session carrying the first one's challenge id is a nonce reuse" {
	jq -c --slurpfile s s1.json '.challenge_id = $s[0].challenge_id' s2.json >s2-reused.json
	stream s1.json k1.json s2-reused.json >reuse.jsonl
	run --separate-stderr collide reuse.jsonl
	[ "$status" -eq 1 ]
	run jq -r '.examples[] | [.kind, .value == $c, .first.line, .second.line, .first.tenant_id, .second.tenant_id] | join(" ")' \
		--arg c "$(jq -r .challenge_id s1.json)" <<<"$output"
	assert_output "nonce_reuse true 1 3 tenant-a tenant-b"
}

@test "telemetry of another tenant with this session's binding and key is caught at its line" {
	event launched tenant-b exec-9 "$(jq -r .session_binding_hash s1.json)" "$(jq -r .key_id k1.json)" >rogue.json
	stream s1.json k1.json launch1.json s2.json rogue.json >rogue.jsonl
	run --separate-stderr collide rogue.jsonl
	[ "$status" -eq 1 ]
	assert_equal "$stderr" "ss-collision-check: 2 violations: binding_cross_tenant 1 key_reuse 1"
	run jq -r '.examples[] | [.kind, .first.line, .second.line, .second.tenant_id, (.second.execution_id // "-")] | join(" ")' <<<"$output"
	assert_output "binding_cross_tenant 1 5 tenant-b -
key_reuse 2 5 tenant-b exec-9"
}

@test "a key record moved to another execution is a key reuse; the same key derived again is not" {
	ss-derive-key --session s1.json --cp-pub "$HS/cp.pub" --session-secret "$HS/docs/s1.key" <e1.json >k1-again.json
	[ "$(jq -r .key_id k1-again.json)" = "$(jq -r .key_id k1.json)" ]
	jq -c '.execution_id = "exec-3"' k1.json >k1-moved.json
	stream s1.json k1.json k1-again.json k1-moved.json >keys.jsonl
	run --separate-stderr collide keys.jsonl
	[ "$status" -eq 1 ]
	run jq -c '[.by_kind.key_reuse, .examples[0].first.line, .examples[0].second.line, .examples[0].second.execution_id]' <<<"$output"
	assert_output '[1,2,4,"exec-3"]'
}

@test "a key from a bare root names no session: missing_field" {
	head -c 32 /dev/urandom >root && chmod 600 root
	ss-derive-key --root-secret root <e1.json >rootkey.json
	[ "$(jq -r .session_binding_hash rootkey.json)" = null ]
	stream s1.json rootkey.json >root.jsonl
	run --separate-stderr collide root.jsonl
	[ "$status" -eq 1 ]
	run jq -c '.examples[0] | [.kind, .value, .first.line, .first.tenant_id, .first.execution_id]' <<<"$output"
	assert_output '["missing_field","session_binding_hash",2,"tenant-a","exec-1"]'
}
