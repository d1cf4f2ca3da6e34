#!/usr/bin/env bats
# scripts/ss-reverify: an archived run re-checked offline, link by link, by
# the tools' own offline checks.  The runs are made once, on a swtpm that
# is gone before any test starts: nothing here can lean on a TPM or on the
# control plane's state.  Each test tampers with one link of a copy and
# expects exactly that link named, with the failing check's status.

load lib/common
load lib/swtpm
load lib/attested_run

SIGN_DOC="$BATS_TEST_DIRNAME/lib/sign_doc.py"

setup_file() {
	ar_suite_init
	ar_run a-1 tenant-a >/dev/null
	ar_run b-1 tenant-b >/dev/null
	AR_POLICY=$AR/policy-nosim.yaml ar_run d-1 tenant-a >/dev/null 2>&1 || true
	swtpm_fini
}

setup() {
	T=$BATS_TEST_TMPDIR
	cp -a "$AR/runs/b-1.tenant-b" "$T/run"
	R=$T/run
}

reverify() {
	run --separate-stderr env -u SS_TCTI -u TPM2TOOLS_TCTI "$SCRIPTS/ss-reverify" "$@"
}

# edit FILE JQ: one document of the copy, edited.
edit() {
	jq -c "$2" "$R/$1" >"$R/$1.new" && mv "$R/$1.new" "$R/$1"
}

# resign FILE JQ KEY: edited, then signed again by KEY.
resign() {
	jq -c "del(.signature) | $2" "$R/$1" | "$SS_PYTHON" "$SIGN_DOC" "$3" >"$R/$1.new"
	mv "$R/$1.new" "$R/$1"
}

# links: the links the report passed, then the one it failed, if any.
links() {
	sed -nE 's/^(ok|FAIL) +([a-z_]+) .*/\1 \2/p' <<<"$output" | tr '\n' ' '
}

OK_DECISION="ok session_signature ok challenge ok enrollment ok evidence ok binding "

@test "an untouched run holds: every link, in order, and the run directory is not written" {
	(cd "$R" && find . -type f -exec sha256sum {} + | sort) >"$T/before"
	reverify "$R"
	assert_success
	[ -z "$stderr" ]
	[ "$(links)" = "${OK_DECISION}ok key ok telemetry ok collision " ]
	assert_line --index 0 "run $R"
	assert_line --index 1 "control-plane keys: $R/cp-pub-1.pem: archived in the run (give --cp-pub to pin your own)"
	assert_line "ok    evidence           the checklist again at $(jq -r .verified_at "$R/session.json"): approved, as recorded"
	assert_line "ok    telemetry          2 event(s) signed by the execution's key"
	assert_line --index -1 "the chain holds"
	(cd "$R" && find . -type f -exec sha256sum {} + | sort) >"$T/after"
	cmp "$T/before" "$T/after"
}

@test "a control-plane key of one's own: --cp-pub pins it instead of the archived one" {
	reverify --cp-pub "$AR/cp.pub" "$R"
	assert_success
	assert_line --index 1 "control-plane keys: $AR/cp.pub: pinned with --cp-pub"
	reverify --cp-pub "$AR/other.pub" "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "FAIL session_signature " ]
	[[ "$stderr" == "ss-reverify: session_signature: ss-attest-handshake: not confirmed: session: signed by a key that is not pinned (key_id "* ]]
}

@test "evidence: a quote signature altered in the archive" {
	"$SS_PYTHON" - "$R/evidence.json" <<-'PY'
	import base64, json, sys
	d = json.load(open(sys.argv[1]))
	b = bytearray(base64.b64decode(d["quote"]["signature_b64"]))
	b[-1] ^= 1
	d["quote"]["signature_b64"] = base64.b64encode(bytes(b)).decode()
	open(sys.argv[1], "w").write(json.dumps(d) + "\n")
	PY
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "ok session_signature ok challenge ok enrollment FAIL evidence " ]
	[ "$stderr" = "ss-reverify: evidence: ss-attest-handshake: not confirmed: evidence: recorded approved, re-checked signature_invalid: the quote's signature does not verify with the AK" ]
}

@test "evidence: a stricter policy put in the archive than the one that judged" {
	sed -i -E 's/^  4: [0-9a-f]+$/  4: '"$(printf 'cd%.0s' $(seq 32))"'/' "$R/policy.yaml"
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "ok session_signature ok challenge ok enrollment FAIL evidence " ]
	[ "$stderr" = "ss-reverify: evidence: ss-attest-handshake: not confirmed: evidence: recorded approved, re-checked pcr_policy_violation: PCR 4 is $(jq -r '.quote.pcrs["4"]' "$R/evidence.json"), the policy allows $(printf 'cd%.0s' $(seq 32))" ]
}

@test "evidence: a document that is not JSON is invalid input (exit 3)" {
	echo '{' >"$R/evidence.json"
	reverify "$R"
	[ "$status" -eq 3 ]
	[ "$(links)" = "FAIL evidence " ]
	[[ "$stderr" == "ss-reverify: evidence: ss-attest-handshake: evidence 'evidence.json': "* ]]
}

@test "session_signature: the session edited after signing" {
	edit session.json '.tenant_id = "tenant-a"'
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "FAIL session_signature " ]
	[ "$stderr" = "ss-reverify: session_signature: ss-attest-handshake: not confirmed: session: signature does not verify" ]
}

@test "binding: a session the control plane's key signed with another binding" {
	resign session.json '.session_binding_hash = ("ab" * 32)' "$AR/cp.pem"
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "ok session_signature ok challenge ok enrollment ok evidence FAIL binding " ]
	[ "$stderr" = "ss-reverify: binding: ss-attest-handshake: not confirmed: binding: session_binding_hash is not the binding of the archived challenge and evidence" ]
}

@test "challenge: the archived challenge edited" {
	edit challenge.json '.expires_at = "2099-01-01T00:00:00Z"'
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "ok session_signature FAIL challenge " ]
	[ "$stderr" = "ss-reverify: challenge: ss-attest-handshake: not confirmed: challenge: signature does not verify" ]
}

@test "enrollment: the archived enrollment edited" {
	edit enrollment.json '.runner_id = "runner-2"'
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "ok session_signature ok challenge FAIL enrollment " ]
	[ "$stderr" = "ss-reverify: enrollment: ss-attest-handshake: not confirmed: enrollment: signature does not verify" ]
}

@test "key: a key record claimed for another tenant" {
	edit key.json '.tenant_id = "tenant-a"'
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "${OK_DECISION}FAIL key " ]
	[ "$stderr" = "ss-reverify: key: ss-derive-key: key: names tenant 'tenant-a', the session 'tenant-b'" ]
}

@test "key: a key record bound to another session's binding" {
	edit key.json ".session_binding_hash = \"$(jq -r .session_binding_hash "$AR/runs/a-1.tenant-a/session.json")\""
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "${OK_DECISION}FAIL key " ]
	[[ "$stderr" == "ss-reverify: key: ss-derive-key: key: bound to session binding "* ]]
}

@test "telemetry: an event edited after signing" {
	edit telemetry.jsonl 'if .type == "ss.telemetry.v1.launched" then .data.vm.pid += 1 else . end'
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "${OK_DECISION}ok key FAIL telemetry " ]
	[ "$stderr" = "ss-reverify: telemetry: ss-fc-launch: line 1: event: signature does not verify" ]
}

@test "telemetry: a key record whose public key was swapped for another" {
	openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout >"$T/other.pem"
	edit key.json ".public_key_pem = $(jq -Rs . "$T/other.pem")"
	reverify "$R"
	[ "$status" -eq 1 ]
	# The key's binding still holds (the public key takes the secret to
	# check); the events are not that key's.
	[ "$(links)" = "${OK_DECISION}ok key FAIL telemetry " ]
	[[ "$stderr" == "ss-reverify: telemetry: ss-fc-launch: line 1: event: signed by a key that is not pinned (key_id "* ]]
}

@test "collision: another tenant's claim on the execution and its binding added to the kept log" {
	jq -c '.tenant_id = "tenant-x" | .key_id = ("0" * 32)' "$R/key.json" >>"$R/log.jsonl"
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "${OK_DECISION}ok key ok telemetry FAIL collision " ]
	[ "$stderr" = "ss-reverify: collision: ss-collision-check: 2 violations: binding_cross_tenant 1 execution_cross_tenant 1" ]
}

@test "collision: a kept log without the run's own records" {
	grep -vxF -- "$(cat "$R/key.json")" "$AR/runs/b-1.tenant-b/log.jsonl" >"$R/log.jsonl"
	reverify "$R"
	[ "$status" -eq 1 ]
	[ "$(links)" = "${OK_DECISION}ok key ok telemetry FAIL collision " ]
	[ "$stderr" = "ss-reverify: collision: the log kept with the run does not hold a line of its key.json" ]
}

@test "a document missing from the run is the link that needs it, invalid input (exit 3)" {
	rm "$R/telemetry.jsonl"
	reverify "$R"
	[ "$status" -eq 3 ]
	[ "$(links)" = "${OK_DECISION}ok key FAIL telemetry " ]
	[ "$stderr" = "ss-reverify: telemetry: the run directory holds no telemetry.jsonl" ]
}

@test "a run the control plane denied: the denial is confirmed, and no key follows it" {
	reverify "$AR/runs/d-1.tenant-a"
	[ "$status" -eq 1 ]
	[ "$(links)" = "${OK_DECISION}FAIL key " ]
	assert_line "ok    evidence           the checklist again at $(jq -r .verified_at "$AR/runs/d-1.tenant-a/session.json"): simulator_not_allowed, as recorded"
	[ "$stderr" = "ss-reverify: key: the session, confirmed, denied the run (simulator_not_allowed): no key or launch follows" ]
}

@test "usage: RUN_DIR once, known options only (exit 2); a RUN_DIR that is no directory (exit 6)" {
	reverify
	assert_failure_exact 2 "ss-reverify: needs RUN_DIR"
	reverify "$R" "$R"
	assert_failure_exact 2 "ss-reverify: unexpected argument '$R'"
	reverify --bogus "$R"
	assert_failure_exact 2 "ss-reverify: unknown option '--bogus'"
	reverify --cp-pub
	assert_failure_exact 2 "ss-reverify: option '--cp-pub' needs an argument"
	reverify "$T/nope"
	assert_failure_exact 6 "ss-reverify: run directory '$T/nope': not a directory"
	reverify --help
	assert_success
	assert_line --index 0 "usage: ss-reverify [--cp-pub CP_PUB.pem ...] RUN_DIR"
	reverify --version
	assert_output "ss-reverify $(cat "$SS_TOP/VERSION")"
}
