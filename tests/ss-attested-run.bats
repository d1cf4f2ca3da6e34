#!/usr/bin/env bats
# scripts/ss-attested-run: one attested execution end to end on a private
# swtpm and the Firecracker test double.  Every step's document is kept in
# the run directory; a failing step stops the run with one line naming it,
# the tool's status and the tool's own message.  The tests run in order:
# the first enrolls the runner, the later ones find it enrolled.

load lib/common
load lib/swtpm
load lib/attested_run

setup_file() { ar_suite_init; }
teardown_file() { swtpm_fini; }
setup() { ar_test_setup; }

@test "a run keeps each step's document, each valid against its schema; the first run enrolls the runner" {
	run --separate-stderr ar_run a-1 tenant-a
	assert_success
	[ -z "$stderr" ]
	local d=$AR/runs/a-1.tenant-a
	assert_output "ss-attested-run: execution 'a-1' of tenant 'tenant-a' attested and launched; documents in $d"
	validate_schema ss.identity.v1 "$d/identity.json"
	validate_schema ss.credential-challenge.v1 "$d/credential-challenge.json"
	validate_schema ss.credential-response.v1 "$d/credential-response.json"
	validate_schema ss.enrollment.v1 "$d/enrollment.json"
	validate_schema ss.execution.v1 "$d/execution.json"
	validate_schema ss.challenge.v1 "$d/challenge.json"
	validate_schema ss.evidence.v1 "$d/evidence.json"
	validate_schema ss.session.v1 "$d/session.json"
	validate_schema ss.key.v1 "$d/key.json"
	validate_schema ss.key.v1 "$d/key.cp.json"
	validate_schema ss.telemetry.v1 "$d/telemetry.jsonl" --lines
	validate_schema ss.collision-report.v1 "$d/collision-report.json"
	cmp "$d/policy.yaml" "$AR/policy.yaml"
	cmp "$d/cp-pub-1.pem" "$AR/cp.pub"
	cmp "$d/vm.yaml" "$AR/in/a-1.tenant-a.vm.yaml"
	run cut -f1,2 "$d/steps.log"
	assert_output "$(printf '%s\t0\n' identity enrollments enroll-challenge activate enroll-verify \
		challenge respond verify finish derive derive-cp launch collision-check)"
	run jq -r .type "$d/telemetry.jsonl"
	assert_output "$(printf 'ss.telemetry.v1.launched\nss.telemetry.v1.exited')"
	[ "$(jq -r .approved "$d/session.json")" = true ]
	[ "$(jq -r .key_id "$d/key.json")" = "$(jq -r .key_id "$d/key.cp.json")" ]
	# The log: the session, the key record and the events, and the copy kept.
	[ "$(wc -l <"$AR/executions.jsonl")" -eq 4 ]
	cmp "$AR/executions.jsonl" "$d/log.jsonl"
	[ "$(jq -r .passed "$d/collision-report.json")" = true ]
}

@test "a later run finds the runner enrolled: no enrollment step, the same record" {
	run --separate-stderr ar_run b-1 tenant-b
	assert_success
	local d=$AR/runs/b-1.tenant-b
	run cut -f1-3 "$d/steps.log"
	assert_line --index 0 "$(printf 'identity\t0\tkept')"
	refute_output --partial enroll-challenge
	[ ! -e "$d/credential-challenge.json" ]
	cmp "$d/enrollment.json" "$AR/runs/a-1.tenant-a/enrollment.json"
	[ "$(wc -l <"$AR/executions.jsonl")" -eq 8 ]
	[ "$(jq -r .records "$d/collision-report.json")" = 8 ]
}

@test "no secret outlives a run: none in the run directory, the private directory gone" {
	mkdir "$T/tmp"
	TMPDIR=$T/tmp run --separate-stderr ar_run a-2 tenant-a
	assert_success
	run ls -A "$T/tmp"
	assert_output ""
	local d=$AR/runs/a-2.tenant-a
	! grep -rl 'PRIVATE KEY' "$d"
	run find "$d" -type f -size 32c
	assert_output ""
}

@test "a denied attestation stops the run at verify: the verifier's status and line, its session kept" {
	AR_POLICY=$AR/policy-nosim.yaml run --separate-stderr ar_run a-3 tenant-a
	assert_failure_exact 1 "ss-attested-run: step 'verify' failed (exit 1): ss-attest-handshake: denied: simulator_not_allowed: the AK's EK certificate is a simulator's"
	local d=$AR/runs/a-3.tenant-a
	[ "$(jq -r '[.approved, .reason] | join(" ")' "$d/session.json")" = "false simulator_not_allowed" ]
	[ "$(tail -n 1 "$d/steps.log" | cut -f1,2,4)" = "$(printf 'verify\t1\tss-attest-handshake: denied: simulator_not_allowed: the AK'"'"'s EK certificate is a simulator'"'"'s')" ]
	[ ! -e "$d/key.json" ]
	[ ! -e "$d/telemetry.jsonl" ]
}

@test "a launch the VMM refuses stops at launch (exit 7); its failed event still reaches the log" {
	local before
	before=$(wc -l <"$AR/executions.jsonl")
	FAKE_FC_FAIL="PUT /machine-config" run --separate-stderr ar_run a-4 tenant-a
	assert_failure_exact 7 "ss-attested-run: step 'launch' failed (exit 7): ss-fc-launch: PUT /machine-config: HTTP 400: fake: PUT /machine-config refused as told"
	local d=$AR/runs/a-4.tenant-a
	[ "$(jq -r .type "$d/telemetry.jsonl")" = ss.telemetry.v1.failed ]
	[ "$(wc -l <"$AR/executions.jsonl")" -eq $((before + 3)) ]
	[ "$(tail -n 1 "$AR/executions.jsonl")" = "$(cat "$d/telemetry.jsonl")" ]
}

@test "an execution another tenant ran is caught by the collision check of the log (exit 1)" {
	cp "$AR/executions.jsonl" "$T/log.jsonl"
	run --separate-stderr ar_run a-1 tenant-b --log "$T/log.jsonl"
	assert_failure_exact 1 "ss-attested-run: step 'collision-check' failed (exit 1): ss-collision-check: 4 violations: execution_cross_tenant 4"
	local d=$AR/runs/a-1.tenant-b
	[ "$(jq -r '.examples[0] | [.kind, .value, .first.tenant_id, .second.tenant_id] | join(" ")' \
		"$d/collision-report.json")" = "execution_cross_tenant a-1 tenant-a tenant-b" ]
	validate_schema ss.collision-report.v1 "$d/collision-report.json"
}

@test "an AK the control plane never enrolled, and no --ek-ca to enroll it: stopped at enroll (exit 2)" {
	ar_inputs a-5 tenant-a
	run --separate-stderr "$SCRIPTS/ss-attested-run" --execution "$AR/in/a-5.tenant-a.json" \
		--vm "$AR/in/a-5.tenant-a.vm.yaml" --cp-key "$AR/cp.pem" --cp-pub "$AR/cp.pub" \
		--policy "$AR/policy.yaml" --cp-state "$T/new-cp" --runner-state "$AR/runner" \
		--log "$T/log.jsonl" --run-dir "$T/run" --firecracker "$FAKE_FC"
	assert_failure_exact 2 "ss-attested-run: step 'enroll' failed (exit 2): the runner's AK is not enrolled under this --cp-key: --ek-ca is needed to enroll it"
}

@test "pinning only a key that is not the control plane's stops the run at its first signed record" {
	ar_args a-6 tenant-a
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --run-dir "$T/run" \
		--cp-pub "$AR/other.pub"
	# Both keys pinned: the runner accepts the challenge; with only the other
	# key, the enrollment records the control plane signed no longer verify.
	assert_success
	AR_ARGS=("${AR_ARGS[@]/$AR\/cp.pub/$AR/other.pub}")
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --run-dir "$T/run2"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "ss-attested-run: step 'enrollments' failed (exit 1): ss-attest-handshake: "* ]]
	[ -z "$output" ]
}

@test "a rotated control-plane key: both pinned, the runner enrolled again under the new one" {
	ar_args a-10 tenant-a
	# The new key signs; the runner pins it and the one it replaces.
	AR_ARGS=("${AR_ARGS[@]/#$AR\/cp.pem/$AR/other.pem}")
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --cp-pub "$AR/other.pub" \
		--run-dir "$T/run"
	assert_success
	run cut -f1,2 "$T/run/steps.log"
	assert_output "$(printf '%s\t0\n' identity enrollments enroll-challenge activate enroll-verify \
		challenge respond verify finish derive derive-cp launch collision-check)"
	[ "$(jq -r .signature.key_id "$T/run/enrollment.json")" != \
		"$(jq -r .signature.key_id "$AR/runs/a-1.tenant-a/enrollment.json")" ]
	"$SCRIPTS/ss-reverify" --cp-pub "$AR/other.pub" "$T/run" >/dev/null
	# Back to the first key: the record is the other key's now, so enrolled again.
	ar_args a-11 tenant-a
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --cp-pub "$AR/other.pub" \
		--run-dir "$T/run2"
	assert_success
	run cut -f1 "$T/run2/steps.log"
	assert_line --index 2 enroll-challenge
}

@test "under Firecracker's jailer: its options reach ss-fc-launch, the launch is jailed" {
	mkdir "$T/jails"
	export FAKE_JAILER_RECORD=$T/jailer.jsonl
	run --separate-stderr ar_run a-8 tenant-a --jailer "$SS_TOP/tests/fakes/jailer" \
		--uid 65534 --gid 65534 --chroot-base-dir "$T/jails"
	assert_success
	local d=$AR/runs/a-8.tenant-a
	[ "$(jq -r 'select(.type == "ss.telemetry.v1.launched") | .data.vm.jailed' "$d/telemetry.jsonl")" = true ]
	[ "$(jq -r '.argv[1:9] | join(" ")' "$FAKE_JAILER_RECORD")" = "--id $(jq -r .key_id "$d/key.json") --exec-file $FAKE_FC --uid 65534 --gid 65534" ]
	ar_args a-9 tenant-a
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --run-dir "$T/run" \
		--jailer "$SS_TOP/tests/fakes/jailer" --uid 65534
	assert_failure_exact 2 "ss-attested-run: step 'launch' failed (exit 2): ss-fc-launch: --jailer: needs --gid"
}

@test "usage errors are exit 2 with one line; an existing run directory is never reused (exit 6)" {
	run --separate-stderr "$SCRIPTS/ss-attested-run"
	assert_failure_exact 2 "ss-attested-run: needs --execution"
	ar_args a-7 tenant-a
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --no-such-option
	assert_failure_exact 2 "ss-attested-run: unknown option '--no-such-option'"
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" extra
	assert_failure_exact 2 "ss-attested-run: unexpected argument 'extra'"
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --timeout-ms 0
	assert_failure_exact 2 "ss-attested-run: --timeout-ms: '0' is not a number of milliseconds"
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --runner-state "$AR/cp"
	assert_failure_exact 2 "ss-attested-run: --cp-state and --runner-state must differ (a control plane and a runner keep their own state)"
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --run-dir
	assert_failure_exact 2 "ss-attested-run: option '--run-dir' needs an argument"
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --run-dir "$AR/runs/a-1.tenant-a"
	assert_failure_exact 6 "ss-attested-run: --run-dir: '$AR/runs/a-1.tenant-a' already exists or cannot be made"
	echo '{"type":"ss.execution.v1"}' >"$T/bad.json"
	run --separate-stderr "$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" --execution "$T/bad.json"
	assert_failure_exact 3 "ss-attested-run: execution '$T/bad.json': not an ss.execution.v1 document"
}

@test "--help and --version" {
	run --separate-stderr "$SCRIPTS/ss-attested-run" --help
	assert_success
	assert_line --index 0 "usage: ss-attested-run --execution EXEC.json --vm VM.yaml --cp-key CP_KEY.pem"
	run --separate-stderr "$SCRIPTS/ss-attested-run" --version
	assert_success
	assert_output "ss-attested-run $(cat "$SS_TOP/VERSION")"
}
