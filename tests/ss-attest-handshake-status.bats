#!/usr/bin/env bats
# status: what a control plane's state directory holds — enrolled and
# revoked AKs, pending and expired challenges, the last hour's verify
# decisions by reason and the audit log's state — after real enrollments
# and verifies on a private swtpm.

load lib/common
load lib/swtpm
load lib/handshake

setup_file() { hs_suite_init; }
teardown_file() { swtpm_fini; }
setup() { hs_test_setup; }
teardown() { assert_tpm_clean; }

# status_ok: `status` succeeded; its document in $T/s.json, valid, and its
# time within a few seconds of now.
status_ok() {
	run --separate-stderr hs status --state "$T/cp"
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/s.json"
	validate_schema ss.status.v1 "$T/s.json"
	local at since
	at=$(date -d "$(jq -r .at "$T/s.json")" +%s)
	since=$(date -d "$(jq -r .last_hour.since "$T/s.json")" +%s)
	[ $(($(date +%s) - at)) -le 5 ] && [ $((at - since)) -eq 3600 ]
	[ "$(jq -r .state_dir "$T/s.json")" = "$T/cp" ]
}

# without_times: the document without its clock-dependent members.
without_times() {
	jq -c 'del(.at, .state_dir, .last_hour.since)' "$T/s.json"
}

@test "a control plane with one runner enrolled and nothing judged yet" {
	status_ok
	run without_times
	assert_output "$(jq -c '{type: "ss.status.v1",
		enrolled: [{ak_name, runner_id, enrolled_at, simulator}], revoked: [],
		challenges: {pending: 0, expired: 0}, enroll_challenges: {pending: 0, expired: 0},
		decisions: 0,
		last_hour: {approved: 0, denied: 0, aborted: 0, by_reason: {}},
		audit: {lines: 2, intact: true, broken_line: null}, unreadable: []}' "$HS/enrollment.json")"
}

@test "after a day's work: decisions by reason, pending and expired challenges, a revoked AK" {
	# Two approvals, a replay, a PCR outside the policy, an aborted verify.
	for i in 1 2; do
		hs_challenge
		hs_respond
		hs_verify "$T/ev.json"
		assert_success
	done
	hs_verify "$T/ev.json"
	[ "$status" -eq 1 ]
	hs_challenge
	hs_respond
	sed -E "s/^  4: [0-9a-f]+\$/  4: $(printf 'cd%.0s' $(seq 32))/" "$HS/policy.yaml" >"$T/policy.yaml"
	hs_verify "$T/ev.json" "$T/policy.yaml"
	[ "$status" -eq 1 ]
	hs_challenge
	hs_respond
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/no-such-dir/k" --state "$T/cp" <"$T/ev.json"
	[ "$status" -eq 6 ]
	# That challenge is still pending; one more expires unanswered.
	hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --ttl 1 --state "$T/cp" >/dev/null
	# A pending enrollment of the same runner, and the AK revoked.
	hs enroll-challenge --key "$HS/cp.pem" --identity "$HS/id.json" --ek-ca "$SWTPM_CA_BUNDLE" \
		--state "$T/cp" >/dev/null
	hs revoke "$(jq -r .ak_name "$HS/enrollment.json")" --key "$HS/cp.pem" --reason "disk replaced" \
		--state "$T/cp" >"$T/revocation.json"
	sleep 2
	status_ok
	run without_times
	assert_output "$(jq -c --slurpfile r "$T/revocation.json" '{type: "ss.status.v1",
		enrolled: [],
		revoked: [{ak_name, runner_id, revoked_at: $r[0].revoked_at, reason: "disk replaced", signed: true}],
		challenges: {pending: 1, expired: 1}, enroll_challenges: {pending: 1, expired: 0},
		decisions: 3,
		last_hour: {approved: 2, denied: 2, aborted: 1,
			    by_reason: {approved: 2, challenge_reused: 1, pcr_policy_violation: 1}},
		audit: {lines: 9, intact: true, broken_line: null}, unreadable: []}' "$HS/enrollment.json")"
}

@test "records that cannot be read are named, and a broken audit log is reported" {
	echo 'not json' >"$T/cp/enrolled/000b$(printf '%064d' 0)"
	mkdir -m 700 "$T/cp/challenges"
	echo '{"challenge": {}}' >"$T/cp/challenges/ch-broken"
	sed -i '1s/"decision":"issued"/"decision":"refused"/' "$T/cp/audit.jsonl"
	status_ok
	run jq -c '[(.enrolled | length), .challenges, .audit, .unreadable]' "$T/s.json"
	assert_output "[1,{\"pending\":0,\"expired\":0},{\"lines\":1,\"intact\":false,\"broken_line\":2},[\"enrolled/000b$(printf '%064d' 0)\",\"challenges/ch-broken\"]]"
}

@test "a revocation from before revocations were signed is shown as such" {
	name=$(jq -r .ak_name "$HS/enrollment.json")
	mkdir -m 700 "$T/cp/revoked"
	jq -c '{revoked_at: "2026-01-02T03:04:05Z", enrollment: .}' "$HS/enrollment.json" >"$T/cp/revoked/$name"
	status_ok
	run jq -c '.revoked' "$T/s.json"
	assert_output "[{\"ak_name\":\"$name\",\"runner_id\":\"runner-1\",\"revoked_at\":\"2026-01-02T03:04:05Z\",\"reason\":null,\"signed\":false}]"
}

@test "an empty state directory" {
	run --separate-stderr hs status --state "$T/empty"
	assert_success
	echo "$output" >"$T/s.json"
	validate_schema ss.status.v1 "$T/s.json"
	run without_times
	assert_output '{"type":"ss.status.v1","enrolled":[],"revoked":[],"challenges":{"pending":0,"expired":0},"enroll_challenges":{"pending":0,"expired":0},"decisions":0,"last_hour":{"approved":0,"denied":0,"aborted":0,"by_reason":{}},"audit":{"lines":0,"intact":true,"broken_line":null},"unreadable":[]}'
}

@test "status: wrong command lines are usage errors" {
	run --separate-stderr ss-attest-handshake status extra
	assert_failure_exact 2 "ss-attest-handshake: unexpected argument 'extra'"
	run --separate-stderr ss-attest-handshake status --since 1h
	assert_failure_exact 2 "ss-attest-handshake: option '--since' does not apply to 'status'"
}
