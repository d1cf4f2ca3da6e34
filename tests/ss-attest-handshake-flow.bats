#!/usr/bin/env bats
# The handshake end to end on a real TPM: challenge -> respond -> verify ->
# finish, byte-identical secrets on both sides, and what makes each side
# refuse: replay, unknown challenges, keys that are not pinned, expiry,
# never-enrolled and revoked AKs, sessions edited after signing.

load lib/common
load lib/swtpm
load lib/handshake

setup_file() { hs_suite_init; }
teardown_file() { swtpm_fini; }
setup() { hs_test_setup; }
teardown() { assert_tpm_clean; }

@test "approved round trip: both sides hold the same 32-byte secret" {
	hs_challenge
	validate_schema ss.challenge.v1 "$T/ch.json"
	hs_respond
	validate_schema ss.evidence.v1 "$T/ev.json"
	hs_verify "$T/ev.json"
	assert_success
	assert_equal "$stderr" ""
	echo "$output" >"$T/session.json"
	validate_schema ss.session.v1 "$T/session.json"
	run jq -r '[.approved, .reason, .execution_id, .tenant_id, .runner_id, (.ak_name == $e[0].ak_name)] | join(" ")' \
		--slurpfile e "$HS/enrollment.json" "$T/session.json"
	assert_output "true approved exec-1 tenant-a runner-1 true"
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" \
		--state "$T/runner" <"$T/session.json"
	assert_success
	assert_output ""
	cmp "$T/cp.key" "$T/runner.key"
	[ "$(stat -c %s "$T/cp.key")" -eq 32 ]
	[ "$(stat -c %a "$T/cp.key")" = 600 ]
	[ "$(stat -c %a "$T/runner.key")" = 600 ]
}

@test "the session's key confirmation vouches for its secret: ss-derive-key takes this one, no other" {
	exec_json exec-1 tenant-a operator-1 >"$T/exec.json"
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	echo "$output" >"$T/s1.json"
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" --state "$T/runner" <"$T/s1.json"
	ss-derive-key --session "$T/s1.json" --cp-pub "$HS/cp.pub" --session-secret "$T/cp.key" \
		<"$T/exec.json" >"$T/k-cp.json"
	ss-derive-key --session "$T/s1.json" --cp-pub "$HS/cp.pub" --session-secret "$T/runner.key" \
		<"$T/exec.json" >"$T/k-runner.json"
	[ "$(jq -r .key_id "$T/k-cp.json")" = "$(jq -r .key_id "$T/k-runner.json")" ]
	# A second session of the same execution, and the first one's secret.
	mv "$T/cp.key" "$T/first.key"
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	echo "$output" >"$T/s2.json"
	run --separate-stderr ss-derive-key --session "$T/s2.json" --cp-pub "$HS/cp.pub" \
		--session-secret "$T/first.key" <"$T/exec.json"
	assert_failure_exact 1 "ss-derive-key: session secret does not belong to session '$(jq -r .challenge_id "$T/ch.json")'"
}

@test "the state directory cannot be swapped under a running tool: respond writes where it checked" {
	local id pid i swtpm
	hs_challenge
	id=$(jq -r .challenge_id "$T/ch.json")
	swtpm=$(cat "$SWTPM_DIR/pid")
	# With the TPM held, respond has opened its state and waits on the TPM.
	kill -STOP "$swtpm"
	hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json" >"$T/ev.json" 2>"$T/err" &
	pid=$!
	for i in $(seq 200); do
		ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'socket:' && break
		sleep 0.02
	done
	# Another directory takes the state's name meanwhile.
	mv "$T/runner" "$T/runner.checked"
	mkdir -m 700 "$T/runner"
	kill -CONT "$swtpm"
	wait "$pid"
	[ -f "$T/runner.checked/runner-pending/$id" ]
	[ ! -e "$T/runner/runner-pending" ]
	[ -z "$(ls -A "$T/runner")" ]
}

@test "the secret never appears on stdout or stderr" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	hex=$(xxd -p -c 64 "$T/cp.key")
	b64=$(base64 -w0 "$T/cp.key")
	[[ "$output$stderr" != *"$hex"* && "$output$stderr" != *"$b64"* ]]
}

@test "ephemeral private keys are gone once used; the decision is archived and audited" {
	hs_challenge
	id=$(jq -r .challenge_id "$T/ch.json")
	[ -f "$T/cp/challenges/$id" ]
	hs_respond
	[ -f "$T/runner/runner-pending/$id" ]
	hs_verify "$T/ev.json"
	assert_success
	echo "$output" >"$T/session.json"
	[ ! -e "$T/cp/challenges/$id" ]
	[ -f "$T/cp/consumed/$id" ]
	run jq -r 'has("cp_ephemeral_b64")' "$T/cp/consumed/$id"
	assert_output false
	run jq -r '[.evidence.challenge_id, .session.approved, (.policy_sha256 | length)] | join(" ")' \
		"$T/cp/decisions/$id"
	assert_output "$id true 64"
	[ -f "$T/cp/policies/$(sha256sum "$HS/policy.yaml" | cut -c1-64)" ]
	run jq -r 'select(.event == "verify") | [.challenge_id, .decision, .reason] | join(" ")' "$T/cp/audit.jsonl"
	assert_output "$id approved approved"
	validate_schema ss.audit.v1 "$T/cp/audit.jsonl" --lines
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" --state "$T/runner" \
		<"$T/session.json"
	[ ! -e "$T/runner/runner-pending/$id" ]
	run ls -la "$T/cp" "$T/runner"
	refute_output --regexp 'rw-r|r--r'
}

@test "replayed evidence is refused: challenge_reused, and audited" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	hs_verify "$T/ev.json"
	reason_is challenge_reused "challenge '$(jq -r .challenge_id "$T/ch.json")' was already used"
	validate_schema ss.session.v1 <(echo "$output")
	# Still our challenge: the denial names its execution ...
	run jq -r '[.challenge_id, .execution_id, .tenant_id] | join(" ")' <<<"$output"
	assert_output "$(jq -r .challenge_id "$T/ch.json") exec-1 tenant-a"
	[ "$(grep -c '"reason":"challenge_reused"' "$T/cp/audit.jsonl")" -eq 1 ]
	# ... and the archived decision is still the approval.
	[ "$(jq -r .session.approved "$T/cp/decisions/$(jq -r .challenge_id "$T/ch.json")")" = true ]
}

@test "a challenge this control plane never issued: unknown_challenge" {
	hs_challenge
	hs_respond
	jq -c '.challenge_id = "ch-00000000000000000000000000000000"' "$T/ev.json" >"$T/ev2.json"
	hs_verify "$T/ev2.json"
	reason_is unknown_challenge "challenge 'ch-00000000000000000000000000000000' is not known"
	run jq -r '[.challenge_id, .execution_id] | join(",")' <<<"$output"
	assert_output ","
}

@test "respond refuses a challenge signed by a key that is not pinned" {
	hs challenge --key "$HS/other.pem" --execution "$HS/exec.json" --state "$T/other" >"$T/ch.json"
	kid=$(jq -r .signature.key_id "$T/ch.json")
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	assert_failure_exact 1 "ss-attest-handshake: challenge: signed by a key that is not pinned (key_id $kid)"
}

@test "respond accepts either of two pinned keys (rotation)" {
	hs challenge --key "$HS/other.pem" --execution "$HS/exec.json" --state "$T/other" >"$T/ch.json"
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --cp-pub "$HS/other.pub" \
		--state "$T/runner" <"$T/ch.json"
	assert_success
}

@test "respond refuses a challenge whose signed content was edited" {
	hs_challenge
	jq -c '.execution.tenant_id = "tenant-b"' "$T/ch.json" >"$T/ch2.json"
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch2.json"
	assert_failure_exact 1 "ss-attest-handshake: challenge: signature does not verify"
}

@test "an expired challenge: respond refuses it, verify denies it (challenge_expired)" {
	sed 's/^clock_skew: .*/clock_skew: 0/' "$HS/policy.yaml" >"$T/policy0.yaml"
	hs_challenge --ttl 1
	hs_respond
	sleep 2
	exp=$(jq -r .expires_at "$T/ch.json")
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	assert_failure_exact 1 "ss-attest-handshake: challenge: expired at $exp"
	hs_verify "$T/ev.json" "$T/policy0.yaml"
	# How long ago depends on the second the verify ran in.
	detail=$(jq -r .detail <<<"$output")
	[[ "$detail" =~ ^challenge\ expired\ [12]\ s\ ago$ ]]
	reason_is challenge_expired "$detail"
}

@test "a challenge is answered once per runner" {
	hs_challenge
	hs_respond
	id=$(jq -r .challenge_id "$T/ch.json")
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	assert_failure_exact 1 "ss-attest-handshake: challenge: '$id' was already answered"
}

@test "respond with another key at the enrolled AK's handle: exit 4, nothing answered" {
	hs_challenge
	h=$(jq -r .ak.handle "$HS/id.json")
	id=$(jq -r .challenge_id "$T/ch.json")
	tpm2_evictcontrol -C o -c "$h" >/dev/null
	ss-tpm-identity enroll --runner-id runner-1 --state "$T/other" >/dev/null
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	assert_failure_exact 4 "ss-attest-handshake: the AK at $h is not the enrolled one (enroll again)"
	[ ! -e "$T/runner/runner-answered/$id" ]
	[ ! -e "$T/runner/runner-pending/$id" ]
}

@test "a challenge is answered once, ever: not again after finish, and the mark holds no key" {
	hs_challenge
	hs_respond
	id=$(jq -r .challenge_id "$T/ch.json")
	hs_verify "$T/ev.json"
	assert_success
	echo "$output" >"$T/session.json"
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" --state "$T/runner" \
		<"$T/session.json"
	[ ! -e "$T/runner/runner-pending/$id" ]
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	assert_failure_exact 1 "ss-attest-handshake: challenge: '$id' was already answered"
	[ ! -e "$T/runner/runner-pending/$id" ]
	# What is kept is the challenge's id and expiry, never a key.
	run jq -c 'keys' "$T/runner/runner-answered/$id"
	assert_output '["challenge_id","expires_at"]'
	[ "$(jq -r .expires_at "$T/runner/runner-answered/$id")" = "$(jq -r .expires_at "$T/ch.json")" ]
}

@test "gc drops an answered challenge's mark only once the challenge has expired" {
	hs_challenge --ttl 2
	hs_respond
	id=$(jq -r .challenge_id "$T/ch.json")
	hs_verify "$T/ev.json"
	assert_success
	echo "$output" >"$T/session.json"
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" --state "$T/runner" \
		<"$T/session.json"
	run --separate-stderr hs gc --grace 0 --state "$T/runner"
	assert_output '{"type":"ss.gc.v1","removed_challenges":0,"removed_answered_challenges":0}'
	[ -f "$T/runner/runner-answered/$id" ]
	sleep 3
	run --separate-stderr hs gc --grace 0 --state "$T/runner"
	assert_output '{"type":"ss.gc.v1","removed_challenges":0,"removed_answered_challenges":1}'
	[ ! -e "$T/runner/runner-answered/$id" ]
	# Expired, the challenge is refused for that reason now.
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	assert_failure_exact 1 "ss-attest-handshake: challenge: expired at $(jq -r .expires_at "$T/ch.json")"
}

@test "a never-enrolled AK is denied: ak_not_enrolled" {
	ss-tpm-identity enroll --runner-id runner-1 --ak-handle 0x8100A002 --state "$T/runner2" >/dev/null
	hs_challenge
	hs respond --cp-pub "$HS/cp.pub" --state "$T/runner2" <"$T/ch.json" >"$T/ev.json"
	hs_verify "$T/ev.json"
	reason_is ak_not_enrolled "the AK is not enrolled"
	tpm2_evictcontrol -C o -c 0x8100A002 >/dev/null
}

@test "a revoked AK is denied: ak_not_enrolled" {
	name=$(jq -r .ak_name "$HS/enrollment.json")
	run --separate-stderr hs revoke "$name" --key "$HS/cp.pem" --reason "compromised" --state "$T/cp"
	assert_success
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	reason_is ak_not_enrolled "the AK is not enrolled"
	validate_schema ss.audit.v1 "$T/cp/audit.jsonl" --lines
	run jq -r 'select(.event != "verify") | .event + " " + .decision' "$T/cp/audit.jsonl"
	assert_output "enroll-challenge issued
enroll-verify enrolled
revoke revoked"
}

@test "evidence that claims another runner for the AK: ak_not_enrolled" {
	hs_challenge
	hs_respond
	jq -c '.runner_id = "runner-2"' "$T/ev.json" >"$T/ev2.json"
	hs_verify "$T/ev2.json"
	reason_is ak_not_enrolled "the AK is enrolled for runner 'runner-1', not 'runner-2'"
}

@test "verify with another --key than the one that issued the challenge: exit 3 naming both, nothing consumed (issue 9)" {
	hs_challenge
	hs_respond
	id=$(jq -r .challenge_id "$T/ch.json")
	issuer=$(jq -r .signature.key_id "$T/ch.json")
	other=$(openssl pkey -in "$HS/other.pem" -pubout -outform DER | sha256sum | cut -c1-64)
	run --separate-stderr hs verify --key "$HS/other.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/ev.json"
	assert_failure_exact 3 "ss-attest-handshake: --key: challenge '$id' was issued under key_id $issuer, --key is key_id $other (nothing consumed: verify with the key that issued it)"
	[ -f "$T/cp/challenges/$id" ]
	[ ! -e "$T/cp/consumed/$id" ]
	[ ! -e "$T/cp/decisions/$id" ]
	[ ! -e "$T/cp.key" ]
	run jq -r 'select(.event == "verify") | .decision' "$T/cp/audit.jsonl"
	assert_output aborted
	# The right key still judges it.
	hs_verify "$T/ev.json"
	assert_success
}

@test "finish refuses a session edited after signing" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	echo "$output" >"$T/session.json"
	for edit in '.tenant_id = "tenant-b"' '.expires_at = "2099-01-01T00:00:00Z"' \
		'.key_confirmation = ("00" * 32)'; do
		jq -c "$edit" "$T/session.json" >"$T/edited.json"
		run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/r.key" \
			--state "$T/runner" <"$T/edited.json"
		assert_failure_exact 1 "ss-attest-handshake: session: signature does not verify"
		[ ! -e "$T/r.key" ]
	done
}

@test "finish refuses a denied session turned into an approved one by hand" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	hs_verify "$T/ev.json" # the replay: a signed, denied session
	reason_is challenge_reused "challenge '$(jq -r .challenge_id "$T/ch.json")' was already used"
	echo "$output" >"$T/denied.json"
	jq -c '.approved = true | .reason = "approved"' "$T/denied.json" >"$T/forged.json"
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/r.key" \
		--state "$T/runner" <"$T/forged.json"
	assert_failure_exact 3 "ss-attest-handshake: session: member 'ak_name' must be a string"
	# With every member filled in, the signature is what refuses it.
	jq -c --slurpfile ev "$T/ev.json" --slurpfile ch "$T/ch.json" '.approved = true | .reason = "approved" |
		.challenge_id = $ch[0].challenge_id | .execution_id = "exec-1" | .tenant_id = "tenant-a" |
		.operator_id = "operator-1" | .fingerprint = $ch[0].execution.fingerprint |
		.ak_name = $ev[0].quote.ak_name | .pcr_digest = ("00" * 32) |
		.clock = {reset_count: 1, restart_count: 0, clock: "0x1", safe: true} |
		.session_binding_hash = ("00" * 32) | .key_confirmation = ("00" * 32) |
		.expires_at = "2099-01-01T00:00:00Z"' "$T/denied.json" >"$T/forged.json"
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/r.key" \
		--state "$T/runner" <"$T/forged.json"
	assert_failure_exact 1 "ss-attest-handshake: session: signature does not verify"
}

@test "finish refuses a session signed by another control plane and a denied one" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	echo "$output" >"$T/session.json"
	hs_verify "$T/ev.json"
	echo "$output" >"$T/denied.json"
	run --separate-stderr hs finish --cp-pub "$HS/other.pub" --session-secret-out "$T/r.key" \
		--state "$T/runner" <"$T/session.json"
	kid=$(jq -r .signature.key_id "$T/session.json")
	assert_failure_exact 1 "ss-attest-handshake: session: signed by a key that is not pinned (key_id $kid)"
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/r.key" \
		--state "$T/runner" <"$T/denied.json"
	assert_failure_exact 1 "ss-attest-handshake: session: not approved (reason 'challenge_reused')"
}

@test "finish runs once; an existing secret file is left untouched (exit 6)" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	echo "$output" >"$T/session.json"
	echo keep >"$T/exists.key"
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/exists.key" \
		--state "$T/runner" <"$T/session.json"
	assert_failure_exact 6 "ss-attest-handshake: --session-secret-out: '$T/exists.key' already exists"
	[ "$(cat "$T/exists.key")" = keep ]
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/r.key" --state "$T/runner" <"$T/session.json"
	id=$(jq -r .challenge_id "$T/session.json")
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/r2.key" \
		--state "$T/runner" <"$T/session.json"
	assert_failure_exact 1 "ss-attest-handshake: session: challenge '$id' was not answered here (or is finished)"
}

@test "verify with an existing secret file exits 6 and consumes nothing" {
	hs_challenge
	hs_respond
	echo keep >"$T/cp.key"
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/ev.json"
	assert_failure_exact 6 "ss-attest-handshake: --session-secret-out: '$T/cp.key' already exists"
	hs_verify "$T/ev.json"
	assert_success
}

@test "16 verifies of one evidence at once, 20 times: exactly one approval each time" {
	for round in $(seq 1 20); do
		hs_challenge
		hs_respond
		for i in $(seq 1 16); do
			hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" --session-secret-out "$T/k$round-$i" \
				--state "$T/cp" <"$T/ev.json" >"$T/s$round-$i" 2>/dev/null &
		done
		wait
		approved=$(cat "$T"/s"$round"-* | jq -r .approved | grep -c true || true)
		reused=$(cat "$T"/s"$round"-* | jq -r .reason | grep -c challenge_reused || true)
		[ "$approved" -eq 1 ] && [ "$reused" -eq 15 ] ||
			{ echo "round $round: $approved approved, $reused reused" >&2; return 1; }
		[ "$(ls "$T"/k"$round"-* | wc -l)" -eq 1 ]
	done
}

@test "gc removes expired challenges and answered ones that will never finish" {
	hs_challenge --ttl 1
	id=$(jq -r .challenge_id "$T/ch.json")
	hs_respond
	hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --state "$T/cp" >"$T/live.json"
	live=$(jq -r .challenge_id "$T/live.json")
	sleep 2
	run --separate-stderr hs gc --grace 0 --state "$T/cp"
	assert_success
	assert_output '{"type":"ss.gc.v1","removed_challenges":1,"removed_answered_challenges":0}'
	validate_schema ss.gc.v1 <(echo "$output")
	[ ! -e "$T/cp/challenges/$id" ]
	[ -f "$T/cp/challenges/$live" ]
	run --separate-stderr hs gc --grace 0 --state "$T/runner"
	assert_output '{"type":"ss.gc.v1","removed_challenges":0,"removed_answered_challenges":1}'
	[ ! -e "$T/runner/runner-pending/$id" ]
}

@test "global options before the command: --state DIR gc is gc --state DIR" {
	hs_challenge --ttl 1
	id=$(jq -r .challenge_id "$T/ch.json")
	sleep 2
	run --separate-stderr ss-attest-handshake --state "$T/cp" gc --grace 0
	assert_success
	assert_output '{"type":"ss.gc.v1","removed_challenges":1,"removed_answered_challenges":0}'
	[ ! -e "$T/cp/challenges/$id" ]
	run --separate-stderr ss-attest-handshake --state="$T/cp" gc --grace 0
	assert_output '{"type":"ss.gc.v1","removed_challenges":0,"removed_answered_challenges":0}'
}

@test "respond with --tcti, -v and --state before the command" {
	hs_challenge
	local tcti=$SS_TCTI
	run --separate-stderr env -u SS_TCTI -u TPM2TOOLS_TCTI ss-attest-handshake --tcti "$tcti" -v \
		--state "$T/runner" respond --cp-pub "$HS/cp.pub" <"$T/ch.json"
	assert_success
	echo "$output" >"$T/ev.json"
	validate_schema ss.evidence.v1 "$T/ev.json"
	hs_verify "$T/ev.json"
	assert_success
}

@test "respond without an enrolled identity in its state: exit 3" {
	hs_challenge
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/empty" <"$T/ch.json"
	assert_failure_exact 3 "ss-attest-handshake: no enrolled identity in '$T/empty' (run 'ss-tpm-identity enroll' with this state directory)"
}

@test "only a command that talks to the TPM loads tpm2-tss: with an unloadable ESAPI, respond alone fails (exit 4, naming it)" {
	mkdir -p "$T/lib"
	: >"$T/lib/libtss2-esys.so.0" # not a library: loading it fails
	exec_json exec-1 tenant-a operator-1 >"$T/exec.json"
	LD_LIBRARY_PATH="$T/lib" hs_challenge
	run --separate-stderr env LD_LIBRARY_PATH="$T/lib" \
		ss-attest-handshake respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	assert_failure_exact 4 "ss-attest-handshake: load TPM library 'libtss2-esys.so.0': $T/lib/libtss2-esys.so.0: file too short"
	hs_respond
	LD_LIBRARY_PATH="$T/lib" hs_verify "$T/ev.json"
	assert_success
	echo "$output" >"$T/session.json"
	run --separate-stderr env LD_LIBRARY_PATH="$T/lib" ss-derive-key --session "$T/session.json" \
		--cp-pub "$HS/cp.pub" --session-secret "$T/cp.key" <"$T/exec.json"
	assert_success
	[ "$(jq -r .type <<<"$output")" = ss.key.v1 ]
}

@test "the archive is enough to verify a session again offline (independent recomputation)" {
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	id=$(jq -r .challenge_id "$T/ch.json")
	ak=$(jq -r .session.ak_name "$T/cp/decisions/$id")
	policy="$T/cp/policies/$(jq -r .policy_sha256 "$T/cp/decisions/$id")"
	# From the archive alone, in Python: the bindings (JCS of these ASCII,
	# integer-only documents is json.dumps with sorted keys), the session's
	# signature input, and a verify-quote line.
	"$SS_PYTHON" - "$T/cp/consumed/$id" "$T/cp/decisions/$id" "$T/cp/enrolled/$ak" "$T" <<-'PY'
	import base64, hashlib, json, sys
	jcs = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
	ch = json.load(open(sys.argv[1]))["challenge"]
	dec = json.load(open(sys.argv[2]))
	enr = json.load(open(sys.argv[3]))
	out = sys.argv[4]
	ev, session = dec["evidence"], dec["session"]
	eph = base64.b64decode(ev["runner_ephemeral_x25519"])
	extra = hashlib.sha256(b"ss-attest v1\0" + jcs(ch) + eph).hexdigest()
	binding = hashlib.sha256(b"ss-session v1\0" + jcs(ch) + jcs(ev)).hexdigest()
	assert binding == session["session_binding_hash"], "binding"
	q = ev["quote"]
	values = b"".join(bytes.fromhex(q["pcrs"][k]) for k in sorted(q["pcrs"], key=int))
	line = {"id": ch["challenge_id"], "ak_public_b64": enr["ak_public_area_b64"],
	        "attest_b64": q["attest_b64"], "signature_b64": q["signature_b64"],
	        "pcrs_b64": base64.b64encode(values).decode(), "qualifying_data": extra}
	open(out + "/offline.jsonl", "w").write(json.dumps(line) + "\n")
	unsigned = {k: v for k, v in session.items() if k != "signature"}
	open(out + "/session.jcs", "wb").write(jcs(unsigned))
	open(out + "/session.sig", "wb").write(base64.b64decode(session["signature"]["value"]))
	PY
	run --separate-stderr hs verify-quote --batch --policy "$policy" <"$T/offline.jsonl"
	assert_success
	[ "$(jq -r .reason <<<"$output")" = valid ]
	openssl pkeyutl -verify -pubin -inkey "$HS/cp.pub" -rawin -in "$T/session.jcs" -sigfile "$T/session.sig"
}
