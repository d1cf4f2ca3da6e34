#!/usr/bin/env bats
# explain: the decision a verify archived for a challenge, every check of
# the checklist in order with its outcome and the values it compared, and
# the policy that judged it — read from the archive, without the TPM.  The
# compared values are checked here against the challenge, the evidence and
# the policy themselves (jq and Python), not against the code under test.

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

CHECKLIST="malformed_evidence unknown_challenge challenge_reused challenge_expired ak_not_enrolled ak_attributes bad_magic wrong_attest_type signature_invalid hash_not_allowed binding_mismatch pcr_selection_mismatch pcr_digest_mismatch pcr_policy_violation clock_unsafe counter_rollback simulator_not_allowed"

# explain_ok: `explain $ID` succeeded; its document in $T/x.json, valid.
explain_ok() {
	run --separate-stderr hs explain "$ID" --state "$T/cp"
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/x.json"
	validate_schema ss.explanation.v1 "$T/x.json"
}

# outcomes: "check=outcome" for each check, in order, one line.
outcomes() {
	jq -r '[.checks[] | .check + "=" + .outcome] | join(" ")' "$T/x.json"
}

# compared CHECK JQ: a value from what CHECK compared.
compared() {
	jq -r --arg c "$1" '.checks[] | select(.check == $c) | .compared | '"$2" "$T/x.json"
}

@test "an approved decision: every check passed, in the checklist's order" {
	hs_verify "$T/ev.json"
	assert_success
	explain_ok
	[ "$(jq -r '[.checks[].check] | join(" ")' "$T/x.json")" = "$CHECKLIST" ]
	[ "$(jq -r '[.checks[].outcome] | unique | join(" ")' "$T/x.json")" = passed ]
	run jq -r '[.type, .challenge_id, .approved, .reason, .detail, .execution_id, .tenant_id, .operator_id, .runner_id, .checks_recorded] | map(tostring) | join("|")' "$T/x.json"
	assert_output "ss.explanation.v1|$ID|true|approved|every check passed|exec-1|tenant-a|operator-1|runner-1|true"
	# The session and the audit line are the archived ones.
	[ "$(jq -c .session "$T/x.json")" = "$(jq -c .session "$T/cp/decisions/$ID")" ]
	[ "$(jq -c '.audit[]' "$T/x.json")" = "$(jq -c "select(.challenge_id == \"$ID\")" "$T/cp/audit.jsonl")" ]
	# The policy that judged it, byte for byte.
	[ "$(jq -r .policy.sha256 "$T/x.json")" = "$(sha256sum "$HS/policy.yaml" | cut -c1-64)" ]
	diff <(jq -j .policy.text "$T/x.json") "$HS/policy.yaml"
}

@test "the compared values are the challenge's, the evidence's and the policy's" {
	hs_verify "$T/ev.json"
	assert_success
	explain_ok
	# Sizes of the quote as the runner sent it.
	[ "$(compared malformed_evidence .attest_bytes)" = "$(jq -r .quote.attest_b64 "$T/ev.json" | base64 -d | wc -c)" ]
	[ "$(compared malformed_evidence .signature_bytes)" = "$(jq -r .quote.signature_b64 "$T/ev.json" | base64 -d | wc -c)" ]
	[ "$(compared unknown_challenge '[.challenge_id, .pending] | map(tostring) | join(" ")')" = "$ID true" ]
	[ "$(compared challenge_expired '[.issued_at, .expires_at, .max_challenge_age, .clock_skew] | map(tostring) | join(" ")')" = \
	  "$(jq -r '[.issued_at, .expires_at] | join(" ")' "$T/ch.json") 300 30" ]
	[ "$(compared ak_not_enrolled '[.ak_name, .runner_id, .enrolled, .enrolled_runner_id, .enrolled_at] | map(tostring) | join(" ")')" = \
	  "$(jq -r '[.ak_name, .runner_id, true, .runner_id, .enrolled_at] | map(tostring) | join(" ")' "$HS/enrollment.json")" ]
	[ "$(compared ak_attributes '.attributes | join(",")')" = fixedtpm,fixedparent,sensitivedataorigin,userwithauth,restricted,sign ]
	[ "$(compared bad_magic '.magic + " " + .expected')" = "0xff544347 0xff544347" ]
	[ "$(compared wrong_attest_type '.type + " " + .expected')" = "0x8018 0x8018" ]
	[ "$(compared signature_invalid '[.signature_scheme, .signature_hash, .ak_scheme, .ak_hash, .verified] | map(tostring) | join(" ")')" = "0x0018 sha256 0x0018 sha256 true" ]
	[ "$(compared hash_not_allowed '[.signature_hash, .pcr_bank, (.allowed | join(","))] | join(" ")')" = "sha256 sha256 sha256,sha384,sha512" ]
	[ "$(compared pcr_selection_mismatch '[.quoted, .challenged, .values_for] | join(" ")')" = \
	  "sha256:0,1,2,3,4,5,6,7 sha256:0,1,2,3,4,5,6,7 sha256:0,1,2,3,4,5,6,7" ]
	# The binding and the digest, recomputed from the documents in Python.
	"$SS_PYTHON" - "$T/ch.json" "$T/ev.json" "$T/x.json" <<-'PY'
	import base64, hashlib, json, sys
	jcs = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
	ch, ev, x = (json.load(open(p)) for p in sys.argv[1:4])
	c = {k["check"]: k["compared"] for k in x["checks"]}
	extra = hashlib.sha256(b"ss-attest v1\0" + jcs(ch) + base64.b64decode(ev["runner_ephemeral_x25519"])).hexdigest()
	assert c["binding_mismatch"] == {"quoted": extra, "expected": extra}, c["binding_mismatch"]
	pcrs = ev["quote"]["pcrs"]
	digest = hashlib.sha256(b"".join(bytes.fromhex(pcrs[k]) for k in sorted(pcrs, key=int))).hexdigest()
	assert c["pcr_digest_mismatch"] == {"quoted": digest, "computed": digest}, c["pcr_digest_mismatch"]
	assert x["session"]["pcr_digest"] == digest
	PY
	# Each PCR the policy names: the quoted value beside the allowed ones.
	for i in 0 1 2 3 4 5 6 7; do
		want=$(awk -v i="$i" '$1 == i":" {print $2}' "$HS/policy.yaml")
		[ "$(compared pcr_policy_violation ".pcrs[\"$i\"].quoted")" = "$(jq -r ".quote.pcrs[\"$i\"]" "$T/ev.json")" ]
		[ "$(compared pcr_policy_violation ".pcrs[\"$i\"].allowed | join(\",\")")" = "$want" ]
	done
	[ "$(compared clock_unsafe '[.safe, .required] | map(tostring) | join(" ")')" = "true true" ]
	# The first quote of this AK: nothing seen before to compare with.
	[ "$(compared counter_rollback '[.reset_count, .restart_count, .last_reset_count, .last_restart_count] | map(tostring) | join(" ")')" = \
	  "$(jq -r '.session.clock | [.reset_count, .restart_count] | map(tostring) | join(" ")' "$T/x.json") null null" ]
	[ "$(compared simulator_not_allowed '[.simulator, .allowed] | map(tostring) | join(" ")')" = "true true" ]
}

@test "a PCR outside the policy: the checks before passed, that one failed with both values, the rest not run" {
	bad=$(printf 'cd%.0s' $(seq 32))
	sed -E "s/^  4: [0-9a-f]+\$/  4: $bad/" "$HS/policy.yaml" >"$T/policy.yaml"
	hs_verify "$T/ev.json" "$T/policy.yaml"
	[ "$status" -eq 1 ]
	explain_ok
	run outcomes
	assert_output "malformed_evidence=passed unknown_challenge=passed challenge_reused=passed challenge_expired=passed ak_not_enrolled=passed ak_attributes=passed bad_magic=passed wrong_attest_type=passed signature_invalid=passed hash_not_allowed=passed binding_mismatch=passed pcr_selection_mismatch=passed pcr_digest_mismatch=passed pcr_policy_violation=failed clock_unsafe=not_run counter_rollback=not_run simulator_not_allowed=not_run"
	[ "$(compared pcr_policy_violation '.pcrs["4"].quoted')" = "$(jq -r '.quote.pcrs["4"]' "$T/ev.json")" ]
	[ "$(compared pcr_policy_violation '.pcrs["4"].allowed | join(",")')" = "$bad" ]
	[ "$(jq -c '.checks[] | select(.outcome == "not_run") | .compared' "$T/x.json" | sort -u)" = null ]
	run jq -r '[.approved, .reason] | map(tostring) | join(" ")' "$T/x.json"
	assert_output "false pcr_policy_violation"
	# The detail is the one the audit log has for this decision.
	[ "$(jq -r .detail "$T/x.json")" = "$(jq -r "select(.challenge_id == \"$ID\") | .detail" "$T/cp/audit.jsonl")" ]
	[ "$(jq -r .policy.sha256 "$T/x.json")" = "$(sha256sum "$T/policy.yaml" | cut -c1-64)" ]
}

@test "a simulator where the policy allows none: the last check failed, naming both sides" {
	hs_verify "$T/ev.json" "$HS/policy-nosim.yaml"
	[ "$status" -eq 1 ]
	explain_ok
	[ "$(jq -r '.checks[-1] | .check + "=" + .outcome' "$T/x.json")" = simulator_not_allowed=failed ]
	[ "$(jq -r '[.checks[:-1][].outcome] | unique | join(" ")' "$T/x.json")" = passed ]
	[ "$(compared simulator_not_allowed '[.simulator, .allowed] | map(tostring) | join(" ")')" = "true false" ]
}

@test "an expired challenge: what the verify compared, and nothing after it" {
	sed 's/^clock_skew: .*/clock_skew: 0/' "$HS/policy.yaml" >"$T/policy0.yaml"
	hs_challenge --ttl 1
	hs_respond
	ID=$(jq -r .challenge_id "$T/ch.json")
	sleep 2
	hs_verify "$T/ev.json" "$T/policy0.yaml"
	[ "$status" -eq 1 ]
	explain_ok
	run outcomes
	assert_output --regexp '^malformed_evidence=passed unknown_challenge=passed challenge_reused=passed challenge_expired=failed( [a-z_]+=not_run){13}$'
	verified=$(jq -r .session.verified_at "$T/x.json")
	[ "$(compared challenge_expired '[.verified_at, .expires_at, .clock_skew] | map(tostring) | join(" ")')" = \
	  "$verified $(jq -r .expires_at "$T/ch.json") 0" ]
}

@test "a replay does not change the archived decision; the audit lines show both attempts" {
	hs_verify "$T/ev.json"
	assert_success
	hs_verify "$T/ev.json"
	[ "$status" -eq 1 ]
	explain_ok
	run jq -r '[.approved, .reason] | map(tostring) | join(" ")' "$T/x.json"
	assert_output "true approved"
	run jq -r '.audit[] | .decision + " " + .reason' "$T/x.json"
	assert_output "approved approved
denied challenge_reused"
}

@test "explain reads the archive only: it works with the TPM stopped" {
	hs_verify "$T/ev.json"
	assert_success
	swtpm_stop
	run --separate-stderr hs explain "$ID" --state "$T/cp"
	local st=$status
	swtpm_start
	[ "$st" -eq 0 ]
}

@test "a decision archived before checks were recorded: outcomes from its reason, detail from the audit log" {
	sed -E "s/^  4: [0-9a-f]+\$/  4: $(printf 'cd%.0s' $(seq 32))/" "$HS/policy.yaml" >"$T/policy.yaml"
	hs_verify "$T/ev.json" "$T/policy.yaml"
	[ "$status" -eq 1 ]
	jq -c '{evidence, session, policy_sha256}' "$T/cp/decisions/$ID" >"$T/old" && cp "$T/old" "$T/cp/decisions/$ID"
	explain_ok
	run jq -r '.checks_recorded, ([.checks[].compared] | unique | tostring)' "$T/x.json"
	assert_output "false
[null]"
	run outcomes
	assert_output "malformed_evidence=passed unknown_challenge=passed challenge_reused=passed challenge_expired=passed ak_not_enrolled=passed ak_attributes=passed bad_magic=passed wrong_attest_type=passed signature_invalid=passed hash_not_allowed=passed binding_mismatch=passed pcr_selection_mismatch=passed pcr_digest_mismatch=passed pcr_policy_violation=failed clock_unsafe=not_run counter_rollback=not_run simulator_not_allowed=not_run"
	[ "$(jq -r .detail "$T/x.json")" = "$(jq -r "select(.challenge_id == \"$ID\") | .detail" "$T/cp/audit.jsonl")" ]
}

@test "no decision for the challenge: status 3, saying whether it is pending, used or unknown" {
	run --separate-stderr hs explain "$ID" --state "$T/cp"
	assert_failure_exact 3 "ss-attest-handshake: challenge '$ID' is pending: no verify has judged it yet"
	run --separate-stderr hs explain ch-00000000000000000000000000000000 --state "$T/cp"
	assert_failure_exact 3 "ss-attest-handshake: no decision for challenge 'ch-00000000000000000000000000000000' in '$T/cp'"
	hs_verify "$T/ev.json"
	rm "$T/cp/decisions/$ID"
	run --separate-stderr hs explain "$ID" --state "$T/cp"
	assert_failure_exact 3 "ss-attest-handshake: challenge '$ID' was used, but no decision is archived for it"
	echo '{"session":' >"$T/cp/decisions/$ID"
	run --separate-stderr hs explain "$ID" --state "$T/cp"
	assert_failure_exact 3 "ss-attest-handshake: store record decisions/$ID: unexpected end of JSON at byte 12"
}

@test "a broken audit log stops explain at the broken line" {
	hs_verify "$T/ev.json"
	assert_success
	sed -i '1s/"decision":"issued"/"decision":"refused"/' "$T/cp/audit.jsonl"
	run --separate-stderr hs explain "$ID" --state "$T/cp"
	assert_failure_exact 1 "ss-attest-handshake: audit log line 2: 'prev' is not the SHA-256 of line 1 (line 1 was changed, or lines were removed or moved)"
}

@test "explain: wrong command lines are usage errors" {
	t=ss-attest-handshake
	run --separate-stderr $t explain
	assert_failure_exact 2 "$t: explain: needs CHALLENGE_ID"
	run --separate-stderr $t explain 'ch 1'
	assert_failure_exact 2 "$t: CHALLENGE_ID: 'ch 1' is not an identifier ([A-Za-z0-9._:-]{1,128})"
	run --separate-stderr $t explain a b
	assert_failure_exact 2 "$t: unexpected argument 'b'"
	run --separate-stderr $t explain a --key k
	assert_failure_exact 2 "$t: option '--key' does not apply to 'explain'"
}
