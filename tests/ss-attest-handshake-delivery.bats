#!/usr/bin/env bats
# A decision is recorded only once it is delivered.  verify and finish
# create their output (a temporary file beside its final name) before they
# consume anything, and name it only after the store's commit; when any step
# fails nothing is consumed, no decision is archived, the audit log says the
# verify aborted and why, and a retry with a good path succeeds.

load lib/common
load lib/swtpm
load lib/handshake

setup_file() { hs_suite_init; }
teardown_file() { swtpm_fini; }
setup() {
	hs_test_setup
	hs_challenge
	hs_respond
	ID=$(jq -r .challenge_id "$T/ch.json")
}
teardown() { assert_tpm_clean; }

# untouched: the challenge is still pending, unconsumed, undecided.
untouched() {
	[ -f "$T/cp/challenges/$ID" ] || { echo "challenge not pending" >&2; return 1; }
	[ ! -e "$T/cp/consumed/$ID" ] || { echo "challenge consumed" >&2; return 1; }
	[ ! -f "$T/cp/decisions/$ID" ] || { echo "decision archived" >&2; return 1; }
}

# aborted_because WHY: the last verify line of the audit log.
aborted_because() {
	run jq -r 'select(.event == "verify") | [.decision, .challenge_id, .reason] | join("|")' \
		"$T/cp/audit.jsonl"
	assert_output "aborted|$ID|$1"
	validate_schema ss.audit.v1 "$T/cp/audit.jsonl" --lines
}

verify_to() {
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$1" --state "$T/cp" <"$T/ev.json"
}

@test "verify: an output that cannot be created consumes nothing; a retry approves" {
	verify_to "$T/no-such-dir/cp.key"
	assert_failure_exact 6 "ss-attest-handshake: create '$T/no-such-dir/cp.key': No such file or directory"
	untouched
	aborted_because "create '$T/no-such-dir/cp.key': No such file or directory"
	hs_verify "$T/ev.json"
	assert_success
	[ "$(jq -r .approved <<<"$output")" = true ]
	[ "$(stat -c %s "$T/cp.key")" -eq 32 ]
	run jq -r 'select(.event == "verify") | .decision' "$T/cp/audit.jsonl"
	assert_output "aborted
approved"
}

@test "verify: '-' as the secret output is a usage error, and consumes nothing" {
	verify_to -
	assert_failure_exact 2 "ss-attest-handshake: secret output '-': a secret never goes to standard output (give a file name)"
	[ ! -e ./- ]
	[ ! -e "$T/cp/-" ]
	untouched
	hs_verify "$T/ev.json"
	assert_success
}

@test "verify: a failure after the challenge was taken gives it back: no decision, audited, retry approves" {
	# The archive cannot be written: its directory's name is taken by a file.
	: >"$T/cp/decisions"
	hs_verify "$T/ev.json"
	assert_failure_exact 6 "ss-attest-handshake: open directory '$T/cp/decisions': Not a directory"
	untouched
	[ ! -e "$T/cp.key" ]
	[ -z "$(find "$T" -maxdepth 1 -name 'cp.key*')" ]
	aborted_because "open directory '$T/cp/decisions': Not a directory"
	rm "$T/cp/decisions"
	hs_verify "$T/ev.json"
	assert_success
	echo "$output" >"$T/session.json"
	# The session the retry approved is the one the runner finishes.
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" --state "$T/runner" \
		<"$T/session.json"
	cmp "$T/cp.key" "$T/runner.key"
}

@test "verify: a denied verify that cannot be recorded is aborted too, and gives its challenge back" {
	: >"$T/cp/decisions"
	hs_verify "$T/ev.json" "$HS/policy-nosim.yaml"
	assert_failure_exact 6 "ss-attest-handshake: open directory '$T/cp/decisions': Not a directory"
	untouched
	rm "$T/cp/decisions"
	hs_verify "$T/ev.json" "$HS/policy-nosim.yaml"
	reason_is simulator_not_allowed "the AK's EK certificate is a simulator's"
}

@test "finish: an output that cannot be created consumes nothing; a retry finishes" {
	hs_verify "$T/ev.json"
	assert_success
	echo "$output" >"$T/session.json"
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/no-such-dir/r.key" \
		--state "$T/runner" <"$T/session.json"
	assert_failure_exact 6 "ss-attest-handshake: create '$T/no-such-dir/r.key': No such file or directory"
	[ -f "$T/runner/runner-pending/$ID" ]
	run --separate-stderr hs finish --cp-pub "$HS/cp.pub" --session-secret-out - \
		--state "$T/runner" <"$T/session.json"
	assert_failure_exact 2 "ss-attest-handshake: secret output '-': a secret never goes to standard output (give a file name)"
	[ -f "$T/runner/runner-pending/$ID" ]
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" --state "$T/runner" \
		<"$T/session.json"
	cmp "$T/cp.key" "$T/runner.key"
	[ ! -e "$T/runner/runner-pending/$ID" ]
}
